"""What the translator keeps on its symbolic operand stack.

A stack item is a graph ``Value`` or one of the compile-time items below.  At a
join the translator flattens every item into values (``flatten``) so they can
become block parameters, and rebuilds it on the other side (``rebuild``).
"""
from __future__ import annotations

from dataclasses import dataclass

from ..ir.graph import StackItem, Value


@dataclass(frozen=True)
class Static:
    """A compile-time object: a module, a function, ``range``, a literal."""

    obj: object


@dataclass(frozen=True)
class Null:
    """The NULL CPython pushes below a callable that is not a bound method."""


NULL = Null()


@dataclass(frozen=True)
class Exhausted:
    """What FOR_ITER leaves above its iterator when it jumps to END_FOR (3.12+):
    never a value, only popped again by END_FOR."""


EXHAUSTED = Exhausted()


@dataclass(frozen=True, eq=False)
class Below:
    """An operand-stack item below the region's base depth (an enclosing eager
    loop's iterator): a region may not touch it."""


@dataclass(frozen=True)
class BoundMethod:
    """``receiver.name`` loaded for a call (LOAD_METHOD on a graph value)."""

    receiver: Value
    name: str


@dataclass(frozen=True)
class RangeArgs:
    """The result of ``range(...)``, only ever consumed by GET_ITER."""

    start: Value
    stop: Value
    step: Value


@dataclass(frozen=True)
class RangeIter:
    """An iterator over ``range(start, stop, step)``; ``k`` is the next index."""

    start: Value
    stop: Value
    step: Value
    n: Value
    k: Value

    def stack_item(self) -> StackItem:
        return StackItem("range_iter", [self.start, self.stop, self.step, self.k])


@dataclass(frozen=True)
class SeqIter:
    """An iterator over an array's first axis; ``k`` is the next index."""

    seq: Value
    n: Value
    k: Value

    def stack_item(self) -> StackItem:
        return StackItem("seq_iter", [self.seq, self.k])


@dataclass(frozen=True)
class ZipArgs:
    """The result of ``zip(*sources)`` (``count`` None) or of ``enumerate(source,
    count)``, only ever consumed by GET_ITER.  A source is a ``RangeArgs``, a
    graph value iterated along its first axis (an array), or, as the one source
    of an ``enumerate``, a ``zip``."""

    sources: tuple
    count: Value | None

    @property
    def kind(self) -> str:
        """``zip_seq_range``, ``enumerate_seq``, ``enumerate_zip_seq_seq``: the
        exit's stack item kind (a nested zip comes last, so it reads back)."""
        what = "zip" if self.count is None else "enumerate"
        return "_".join([what] + [s.kind if isinstance(s, ZipArgs) else
                                  "range" if isinstance(s, RangeArgs) else "seq" for s in self.sources])

    def parts(self) -> list[Value]:
        """The count, then each source's start, stop, step (or the sequence)."""
        out = [] if self.count is None else [self.count]
        for s in self.sources:
            out += flatten(s)
        return out

    def rebuilt(self, values: list[Value]) -> "ZipArgs":
        """The same shape over ``values``, laid out as ``parts`` gives them."""
        values = list(values)
        count = None if self.count is None else values.pop(0)
        sources = []
        for s in self.sources:
            m = len(flatten(s))
            sources.append(rebuild(s, values[:m]))
            del values[:m]
        return ZipArgs(tuple(sources), count)


@dataclass(frozen=True)
class ZipIter:
    """An iterator over ``ZipArgs``: item ``k`` is the tuple of the sources' items
    ``k`` (``count + k`` first for ``enumerate``); ``n`` is the shortest length.
    An exit rebuilds CPython's own ``zip``/``enumerate`` of the sources'
    iterators advanced to ``k`` (``materialize``, backends/numpy/interpreter.py)."""

    args: ZipArgs
    n: Value
    k: Value

    @property
    def kind(self) -> str:
        return self.args.kind

    def stack_item(self) -> StackItem:
        return StackItem(self.kind, self.args.parts() + [self.k])


_FIELDS = {
    BoundMethod: ("receiver",),
    RangeArgs: ("start", "stop", "step"),
    RangeIter: ("start", "stop", "step", "n", "k"),
    SeqIter: ("seq", "n", "k"),
}


def flatten(item) -> list[Value]:
    if isinstance(item, Value):
        return [item]
    if isinstance(item, ZipArgs):
        return item.parts()
    if isinstance(item, ZipIter):
        return item.args.parts() + [item.n, item.k]
    return [getattr(item, f) for f in _FIELDS.get(type(item), ())]


def shape(item):
    """What must agree between two items at a join besides their values."""
    if isinstance(item, Value):
        return Value
    if isinstance(item, Static):
        # the very object: Static(0.0) == Static(-0.0) and Static(1) == Static(True)
        # as dataclasses, but a join of them is not either one
        return (Static, type(item.obj), id(item.obj))
    if isinstance(item, (Null, Exhausted)):
        return item
    if isinstance(item, BoundMethod):
        return (BoundMethod, item.name)
    if isinstance(item, (ZipArgs, ZipIter)):
        return (type(item), item.kind)
    return type(item)


def rebuild(template, values: list[Value]):
    if isinstance(template, Value):
        return values[0]
    if isinstance(template, ZipArgs):
        return template.rebuilt(values)
    if isinstance(template, ZipIter):
        return ZipIter(template.args.rebuilt(values[:-2]), values[-2], values[-1])
    fields = _FIELDS.get(type(template))
    if not fields:
        return template
    if isinstance(template, BoundMethod):
        return BoundMethod(values[0], template.name)
    return type(template)(*values)


def stack_item(item) -> StackItem | None:
    """How an exit rebuilds this item on CPython's stack, or None if it cannot."""
    if isinstance(item, Value):
        return StackItem("value", [item])
    if isinstance(item, ITERATORS):
        return item.stack_item()
    return None


ITERATORS = (RangeIter, SeqIter, ZipIter)   # what GET_ITER leaves for FOR_ITER
