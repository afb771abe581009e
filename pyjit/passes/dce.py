"""Dead-code elimination: nodes whose results nobody uses, and that have no effect.

A node goes when its results have no use (nodes, branches, exits) and it is pure
and cannot take its resume exit (Note [what a pass may move] in graphutil.py):
an unused ``a[i]`` stays, because CPython would raise IndexError there.
"""
from __future__ import annotations

from .graphutil import can_raise, is_pure, use_counts


def run(graph, options=None) -> int:
    removed = 0
    while True:
        counts = use_counts(graph)
        dead = 0
        for b in graph.blocks:
            keep = []
            for n in b.nodes:
                if (all(counts.get(o, 0) == 0 for o in n.outputs) and is_pure(n)
                        and not can_raise(n)):
                    dead += 1
                else:
                    keep.append(n)
            b.nodes = keep
        removed += dead
        if not dead:
            return removed
