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


_FIELDS = {
    BoundMethod: ("receiver",),
    RangeArgs: ("start", "stop", "step"),
    RangeIter: ("start", "stop", "step", "n", "k"),
    SeqIter: ("seq", "n", "k"),
}


def flatten(item) -> list[Value]:
    if isinstance(item, Value):
        return [item]
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
    return type(item)


def rebuild(template, values: list[Value]):
    if isinstance(template, Value):
        return values[0]
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
    if isinstance(item, (RangeIter, SeqIter)):
        return item.stack_item()
    return None
