"""Ops the frontend emits for the interpreter's own machinery.

Literals, tuples, slices, truth tests for branches, identity tests, and the
trip count of a ``range`` loop.  Arithmetic and array ops live in the other
files of this package, one family a file.
"""
from __future__ import annotations

import operator

from ..registry import TypeRuleError, defop
from ..types import (BOOL, ELLIPSIS, INT, NONE, SLICE, UNBOUND, UNDEF, Array, Const, PyScalar,
                     NpScalar, TupleT, UnionT, typeof)


@defop("const", attrs={"value": None})
def const(*, value):
    return value


@const.type_rule
def _(*, value):
    return typeof(value)


@defop("build_tuple", varargs=True)
def build_tuple(*items):
    return items


@build_tuple.type_rule
def _(*items):
    return TupleT(tuple(items))


@defop("tuple_get", args=("t",), attrs={"index": 0})
def tuple_get(t, *, index):
    return t[index]


@tuple_get.type_rule
def _(t, *, index):
    if not isinstance(t, TupleT) or not -len(t.items) <= index < len(t.items):
        raise TypeRuleError(f"cannot take item {index} of {t}")
    return t.items[index]


@defop("unpack_check", args=("t",), attrs={"count": 0}, may_raise=True)
def unpack_check(t, *, count):
    """``a, b = t``: CPython raises ValueError unless ``t`` has ``count`` items."""
    if type(t) is not tuple or len(t) != count:
        raise ValueError("unpack count")
    return None


@unpack_check.type_rule
def _(t, *, count):
    if not isinstance(t, TupleT) or len(t.items) != count:
        raise TypeRuleError(f"cannot unpack {t} into {count} names")
    return NONE


def _slice_part(t):
    return t == NONE or isinstance(t, PyScalar) and t.name in ("int", "bool") or \
        isinstance(t, NpScalar) and t.dtype.kind in "iub"


@defop("build_slice", args=("start", "stop", "step"))
def build_slice(start, stop, step):
    return slice(start, stop, step)


@build_slice.type_rule
def _(start, stop, step):
    if not all(_slice_part(t) for t in (start, stop, step)):
        raise TypeRuleError("slice bounds must be integers or None")
    return SLICE


@defop("truth", args=("x",), may_raise=True)
def truth(x):
    """``bool(x)``, as a branch or ``not`` evaluates it (arrays raise unless size 1)."""
    return bool(x)


@truth.type_rule
def _(x):
    if isinstance(x, (PyScalar, NpScalar, Array)) or x == NONE or isinstance(x, TupleT):
        return BOOL
    raise TypeRuleError(f"truth value of {x}")


@defop("not_", args=("x",), may_raise=True)
def not_(x):
    return not x


not_.type_rule(truth.rule)


@defop("is_", args=("a", "b"))
def is_(a, b):
    return a is b


@defop("is_not", args=("a", "b"))
def is_not(a, b):
    return a is not b


def _identity_rule(a, b):
    # Identity is only decidable for singletons and constants; for numbers it
    # depends on object caching, which a compiled region cannot reproduce.
    for t in (a, b):
        if not (t in (NONE, ELLIPSIS) or isinstance(t, Const)):
            raise TypeRuleError(f"'is' on {t}")
    return BOOL


is_.type_rule(_identity_rule)
is_not.type_rule(_identity_rule)


@defop("range_len", args=("start", "stop", "step"), may_raise=True)
def range_len(start, stop, step):
    """Trip count of ``range(start, stop, step)``; raises as ``range`` does."""
    return len(range(start, stop, step))


@range_len.type_rule
def _(start, stop, step):
    for t in (start, stop, step):
        if not (t in (INT, BOOL) or isinstance(t, NpScalar) and t.dtype.kind in "iub"):
            raise TypeRuleError(f"range() argument of type {t}")
    return INT


@defop("range_item", args=("start", "step", "k"))
def range_item(start, step, k):
    """Item ``k`` of ``range(start, ..., step)``: a Python int, like range's own."""
    return operator.index(start) + k * operator.index(step)


@range_item.type_rule
def _(start, step, k):
    return INT


@defop("len", args=("x",), callables=[len], may_raise=True)
def len_(x):
    return len(x)


@len_.type_rule
def _(x):
    if isinstance(x, Array) and x.ndim > 0 or isinstance(x, TupleT):
        return INT
    raise TypeRuleError(f"len() of {x}")


@defop("check_bound", args=("x",), may_raise=True, sees_unions=True)
def check_bound(x):
    """Read a local that may be unbound on some path: CPython raises
    UnboundLocalError there, so the region bails out and lets it."""
    if x is UNBOUND:
        raise NameError("unbound local")
    return x


@check_bound.type_rule
def _(x):
    if x == UNDEF:
        raise TypeRuleError("the local is never bound here")
    if isinstance(x, UnionT) and UNDEF in x.members:
        rest = x.members - {UNDEF}
        return next(iter(rest)) if len(rest) == 1 else UnionT(rest)
    return x
