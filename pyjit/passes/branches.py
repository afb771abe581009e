"""Branch folding: a ``cbr`` on a constant becomes a ``br``; unreachable blocks go.

    if DEBUG:            # DEBUG a folded global (False): the block is removed
        check(x)

Exits are never removed or renumbered: the rewritten bytecode refers to them by
number.  Only blocks no path reaches are dropped; an exit only they could take
stays, emptied of values.
"""
from __future__ import annotations

from .graphutil import reachable
from .rules import Consts


def run(graph, options=None) -> int:
    consts = Consts(graph)
    folded = 0
    for b in graph.blocks:
        t = b.term
        if t is None or t.kind != "cbr":
            continue
        known, value = consts.value(t.cond)
        if known and isinstance(value, (bool, int)):
            target, args = t.targets[0] if value else t.targets[1]
            b.br(target, args)
            folded += 1
        elif t.targets[0][0] is t.targets[1][0] and _same(t.targets[0][1], t.targets[1][1]):
            b.br(*t.targets[0])
            folded += 1
    live = set(reachable(graph))
    dropped = len(graph.blocks) - len(live)
    if dropped:
        graph.blocks = [b for b in graph.blocks if b in live]
        _empty_unused_exits(graph)
    return folded + dropped


def _empty_unused_exits(graph) -> None:
    """An exit that only dropped blocks took keeps its number but no longer
    names values (they may be defined in the dropped blocks): no path takes it."""
    used = {b.term.exit for b in graph.blocks if b.term is not None and b.term.kind == "exit"}
    used |= {n.exit for n in graph.nodes() if n.exit is not None}
    for k, e in enumerate(graph.exits):
        if k not in used:
            e.names, e.values, e.stack, e.maybe = (), [], [], frozenset()


def _same(xs, ys) -> bool:
    return len(xs) == len(ys) and all(x is y for x, y in zip(xs, ys))
