"""Loop-invariant code motion: hoist what a loop computes the same on every trip.

    for i in range(n):
        y[i] = x[i] * (a.shape[0] / 2.0)     # a.shape[0] / 2.0 moves before the loop

A node moves to the loop's preheader (its single outside predecessor, ending in
an unconditional branch) when its inputs are all defined outside the loop, it is
pure, and it cannot take its resume exit: it then computes the same value, with
no way to fail, whether the loop runs zero times or many.  A node that reads
array contents moves only out of a loop with no node that writes memory.  Loops
are processed innermost first, so a value can climb out of a whole nest.
"""
from __future__ import annotations

from .graphutil import can_raise, is_pure, mutates, natural_loops, reads_memory


def run(graph, options=None) -> int:
    moved = 0
    for loop in sorted(natural_loops(graph), key=lambda lp: len(lp.blocks)):
        if loop.preheader is None:
            continue
        blocks = [b for b in graph.blocks if b in loop.blocks]  # layout order
        defined = {p for b in blocks for p in b.params}
        defined |= {o for b in blocks for n in b.nodes for o in n.outputs}
        writes = any(mutates(n) for b in blocks for n in b.nodes)
        hoisted = []
        for b in blocks:
            keep = []
            for n in b.nodes:
                if (is_pure(n) and not can_raise(n) and not (writes and reads_memory(n))
                        and not any(v in defined for v in n.inputs)):
                    n.exit = None  # it cannot fail, and its statement's values are not defined here
                    hoisted.append(n)
                    defined.difference_update(n.outputs)
                else:
                    keep.append(n)
            b.nodes = keep
        loop.preheader.nodes.extend(hoisted)
        moved += len(hoisted)
    return moved
