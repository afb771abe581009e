"""The optimization pipeline per level: a readable list of steps (DESIGN.md, step 5).

    >>> optimized = optimize(typed_graph, Options(level="O1"))

Placeholder while the passes are built: every level returns the graph unchanged.
"""
from __future__ import annotations


def optimize(graph, options):
    return graph
