"""A deep structural copy of a graph.

Type inference specializes one untyped graph for many keys, so it works on a
copy; passes that want to keep the graph they were given do the same.

    >>> copy = clone(graph)
    >>> graphs_equal(copy, graph) and copy.entry is not graph.entry
    True
"""
from __future__ import annotations

import itertools

from .graph import Block, Exit, Graph, LiveIn, Node, StackItem, Term, Value


def clone(graph: Graph, *, value_map: dict | None = None) -> Graph:
    """A copy with new ``Value``, ``Node``, ``Block``, ``Exit`` and ``LiveIn``
    objects and the same ids, hints, types, attributes, locations and exits.

    Pass a dict as ``value_map`` to receive the mapping old value -> new value.

        >>> vmap = {}
        >>> copy = clone(graph, value_map=vmap)
        >>> vmap[graph.inputs[0].value] is copy.inputs[0].value
        True
    """
    vmap = {} if value_map is None else value_map

    def v(old: Value | None) -> Value | None:
        if old is None:
            return None
        if old not in vmap:
            vmap[old] = Value(old.id, old.type, old.hint)
        return vmap[old]

    new = Graph(graph.name)
    bmap = {}
    for b in graph.blocks:
        nb = bmap[b] = Block(new, b.id)
        new.blocks.append(nb)
        nb.params = [v(p) for p in b.params]
    for b in graph.blocks:
        nb = bmap[b]
        nb.nodes = [Node(n.op, [v(i) for i in n.inputs], dict(n.attrs), [v(o) for o in n.outputs],
                         n.exit, n.loc) for n in b.nodes]
        if b.term is not None:
            t = b.term
            # A target outside the graph stays as it is, for the verifier to report.
            targets = [(bmap.get(tb, tb), [v(a) for a in args]) for tb, args in t.targets]
            nb.term = Term(t.kind, v(t.cond), targets, t.exit)
    new.inputs = [LiveIn(li.name, li.source, v(li.value), li.static, li.is_static)
                  for li in graph.inputs]
    new.exits = [Exit(e.kind, e.target, tuple(e.names), [v(x) for x in e.values],
                      [StackItem(s.kind, [v(x) for x in s.values]) for s in e.stack], e.maybe)
                 for e in graph.exits]
    new._ids = itertools.count(max((x.id for x in vmap.values()), default=-1) + 1)
    return new
