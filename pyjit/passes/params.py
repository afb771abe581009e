"""Redundant block parameters: a parameter every predecessor passes the same value.

    ^2(%13 x, %18 idx):            # every edge into ^2 passes x itself or %13
      ...
      br ^2(%13, %21)

``%13`` is replaced by the value from outside the loop and the parameter goes,
from the block and from every branch into it.  The loop's invariants then are
plainly defined outside it, which LICM needs.  Only a parameter whose type is
the value's type is replaced (a ``float|f64`` parameter keeps its union).
"""
from __future__ import annotations

from .graphutil import predecessors, replace_uses


def run(graph, options=None) -> int:
    removed = 0
    while True:
        preds = predecessors(graph)
        mapping = {}
        for b in graph.blocks[1:] if graph.blocks else []:
            if b is graph.entry or not preds[b]:
                continue
            incoming = [args for p in preds[b] for tb, args in p.term.targets if tb is b]
            drop = []
            for k, param in enumerate(b.params):
                others = {id(a): a for args in incoming for a in (args[k],) if a is not param}
                if len(others) == 1:
                    (value,) = others.values()
                    if value.type == param.type:
                        mapping[param] = value
                        drop.append(k)
            if drop:
                _drop_params(b, preds[b], drop)
        if not mapping:
            return removed
        replace_uses(graph, mapping)
        removed += len(mapping)


def _drop_params(block, preds, drop):
    gone = set(drop)
    block.params = [p for k, p in enumerate(block.params) if k not in gone]
    for p in preds:
        p.term.targets = [(tb, [a for k, a in enumerate(args) if k not in gone] if tb is block
                           else args) for tb, args in p.term.targets]
