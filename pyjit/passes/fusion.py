"""Fusion: which array results are never materialized.

An elementwise op whose result is an array, used exactly once, by another
elementwise array op of the same block, with nothing between them that writes
memory, is *fused* into that consumer: the backend computes it element by
element inside the consumer's loop instead of allocating it.

    c = np.sqrt(a * a + b * b) * np.exp(-c0) + 0.5 * a   # one loop, one result array

The same holds when the consumer is a *reduction* of the result
(``np.sum(a * b)``, ``(x - y).max()``, ``(d * d).sum(axis=-1)``: a reduction op
without ``dtype``/``out``): the reduction computes the elements as it goes
instead of reading a temporary (Note [fused reductions] in
backends/llvm/lowerings/fusedreduce.py says which and how it keeps numpy's order).

The pass records its decision as ``graph.fused``: {fused node: consumer node}.
It is a proposal: the LLVM backend lowers each remaining elementwise root as one
loop nest over the broadcast shape (backends/llvm/kernels.py) and materialises
a producer whose consumer cannot take it (``kernels.deferred_nodes``); the numpy
backend ignores the mark and runs op by op.  At O0 the pass does not run: each
op is its own kernel.
"""
from __future__ import annotations

from pyjit.ir.registry import OPS
from pyjit.ir.types import Array

from .graphutil import use_counts

MAX_NDIM = 32


def fusible(node) -> bool:
    op = OPS[node.op]
    return (op.elementwise and len(node.outputs) == 1 and isinstance(node.out.type, Array)
            and not any(isinstance(v.type, Array) and v.type.ndim > MAX_NDIM for v in node.inputs))


def full_reduction(node) -> bool:
    """A reduction of its one input (fully or along axes), without ``dtype``/``out``."""
    a = node.attrs
    return (OPS[node.op].reduction and len(node.outputs) == 1 and len(node.inputs) == 1
            and a.get("dtype") is None and a.get("out") is None)


def run(graph, options=None) -> int:
    uses = use_counts(graph)
    fused = {}
    for block in graph.blocks:
        position = {n: i for i, n in enumerate(block.nodes)}
        producer = {n.outputs[0]: n for n in block.nodes if n.outputs}
        for i, n in enumerate(block.nodes):
            if not (fusible(n) or full_reduction(n)):
                continue
            for v in n.inputs:
                p = producer.get(v)
                if p is None or not fusible(p) or uses.get(v, 0) != 1 or OPS[p.op].mutates:
                    continue
                between = block.nodes[position[p] + 1:i]
                if any(OPS[m.op].mutates or m.op == "setitem" or not OPS[m.op].pure for m in between):
                    continue
                fused[p] = n
    graph.fused = fused
    return len(fused)
