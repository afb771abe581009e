"""Structural equality of graphs: what ``parse(print_graph(g))`` preserves.

    >>> graphs_equal(parse(print_graph(g)), g)
    True
    >>> h = clone(g); h.renumber()
    >>> graphs_equal(h, g)            # ids differ, the program is the same
    True
"""
from __future__ import annotations

import numpy as np

from .graph import Exit, Graph, Term, Value
from .types import Const, TupleT, Type


def graphs_equal(a: Graph, b: Graph) -> bool:
    """Whether two graphs are the same program: same name, live-ins, blocks,
    block parameters, nodes (op, attributes, exit), terminators, exits and
    types.  Values are matched by where they are defined, not by id, so a
    renumbered copy is equal; hints and source locations are not compared.

    >>> graphs_equal(g, clone(g))
    True
    """
    return _Matcher().graphs(a, b)


class _Matcher:
    def __init__(self):
        self.fwd: dict[Value, Value] = {}
        self.bwd: dict[Value, Value] = {}

    def value(self, x: Value, y: Value) -> bool:
        if x is None or y is None:
            return x is None and y is None
        if x in self.fwd or y in self.bwd:
            return self.fwd.get(x) is y and self.bwd.get(y) is x
        self.fwd[x], self.bwd[y] = y, x
        return same_type(x.type, y.type)

    def values(self, xs, ys) -> bool:
        return len(xs) == len(ys) and all(self.value(x, y) for x, y in zip(xs, ys))

    def graphs(self, a: Graph, b: Graph) -> bool:
        if a.name != b.name or len(a.blocks) != len(b.blocks) or len(a.exits) != len(b.exits):
            return False
        index_a = {blk: i for i, blk in enumerate(a.blocks)}
        index_b = {blk: i for i, blk in enumerate(b.blocks)}
        # Definitions first, in order, so every use below is checked against them.
        for x, y in zip(a.blocks, b.blocks):
            if not self.values(x.params, y.params) or len(x.nodes) != len(y.nodes):
                return False
            for n, m in zip(x.nodes, y.nodes):
                if not self.values(n.outputs, m.outputs):
                    return False
        for x, y in zip(a.blocks, b.blocks):
            for n, m in zip(x.nodes, y.nodes):
                if (n.op, n.exit) != (m.op, m.exit) or not same_attrs(n.attrs, m.attrs) \
                        or not self.values(n.inputs, m.inputs):
                    return False
            if not self.term(x.term, y.term, index_a, index_b):
                return False
        if len(a.inputs) != len(b.inputs):
            return False
        for x, y in zip(a.inputs, b.inputs):
            if (x.name, x.source, x.is_static) != (y.name, y.source, y.is_static) \
                    or not same_object(x.static, y.static) or not self.value(x.value, y.value):
                return False
        return all(self.exit(x, y) for x, y in zip(a.exits, b.exits))

    def term(self, s: Term | None, t: Term | None, index_a, index_b) -> bool:
        if s is None or t is None:
            return s is None and t is None
        if (s.kind, s.exit, len(s.targets)) != (t.kind, t.exit, len(t.targets)):
            return False
        if (s.cond is None) != (t.cond is None):
            return False
        if s.cond is not None and not self.value(s.cond, t.cond):
            return False
        for (bs, args_s), (bt, args_t) in zip(s.targets, t.targets):
            if index_a.get(bs) != index_b.get(bt) or not self.values(args_s, args_t):
                return False
        return True

    def exit(self, x: Exit, y: Exit) -> bool:
        if (x.kind, tuple(x.names), len(x.stack), x.maybe) != (y.kind, tuple(y.names), len(y.stack), y.maybe):
            return False
        if not same_object(x.target, y.target) or not self.values(x.values, y.values):
            return False
        return all(i.kind == j.kind and self.values(i.values, j.values)
                   for i, j in zip(x.stack, y.stack))


def same_type(s: Type | None, t: Type | None) -> bool:
    """Type equality, except that constant strings and dtypes compare by value:
    a parsed ``const<'abc'>`` is an equal string, not the same object."""
    if isinstance(s, Const) and isinstance(t, Const):
        return same_object(s.value, t.value)
    if isinstance(s, TupleT) and isinstance(t, TupleT):
        return len(s.items) == len(t.items) and all(map(same_type, s.items, t.items))
    return s == t


def same_attrs(a: dict, b: dict) -> bool:
    return a.keys() == b.keys() and all(same_object(a[k], b[k]) for k in a)


def same_object(x, y) -> bool:
    """Equality of attribute values: same type, and for floats the same bits
    (``0.0`` and ``-0.0`` differ, ``nan`` equals itself)."""
    if x is y:
        return True
    if type(x) is not type(y):
        return False
    if type(x) is tuple:
        return len(x) == len(y) and all(map(same_object, x, y))
    if type(x) is slice:
        return same_object((x.start, x.stop, x.step), (y.start, y.stop, y.step))
    if isinstance(x, Type):
        return same_type(x, y)
    if isinstance(x, (float, complex, np.generic)):
        return repr(x) == repr(y)
    if isinstance(x, (str, bytes, int, np.dtype)):
        return x == y
    return False
