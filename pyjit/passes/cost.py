"""Is a typed region worth native code? The answer the dispatcher acts on.

Entering a region costs a dispatch (microseconds in the Python dispatcher, far
more than CPython spends on a few scalar operations).  A region pays for that
only if it does work proportional to data: a loop, or an array-valued
operation.  A straight-line region of a few scalar operations inside a Python
loop (the statements around a ``print``) is faster left to CPython, so such a
specialization is declined, and the region is dropped from the function's code
(``CodeAnalysis.drop_region``).
"""
from __future__ import annotations

from pyjit.ir.types import Array

# A straight-line scalar region this large is kept anyway: its ops outweigh a dispatch.
LARGE_SCALAR_REGION = 40


def has_loop(graph) -> bool:
    """Whether the graph has a back edge (blocks are laid out in bytecode order)."""
    position = {b: i for i, b in enumerate(graph.blocks)}
    return any(position[t] <= position[b] for b in graph.blocks if b.term is not None
               for t, _ in b.term.targets)


def worth_compiling(graph) -> bool:
    if has_loop(graph):
        return True
    nodes = list(graph.nodes())
    if any(isinstance(n.outputs[0].type, Array) for n in nodes if n.outputs):
        return True
    return sum(n.op != "const" for n in nodes) >= LARGE_SCALAR_REGION
