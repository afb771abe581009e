"""The builtins numeric code calls: ``abs min max sum round float int bool complex divmod``.

The reference implementation is the builtin itself, so CPython's semantics
(``min(nan, 1)`` is nan but ``min(1, nan)`` is 1, ``round(2.5)`` is 2, numpy
scalars' own ``__round__``) hold by construction; the rules say which type
comes back.  ``abs`` and ``divmod`` accept arrays (numpy's ``__abs__``
and ``__divmod__`` are elementwise), ``min``, ``max`` and ``sum`` a 1-d array
to iterate over; ``bool`` accepts what a branch tests.
"""
from __future__ import annotations

import numpy as np

from ..registry import Deopt, TypeRuleError, defop
from ..types import (BOOL, FLOAT, INT, NONE, Array, NpScalar, PyScalar, members, scalar_dtype,
                     typeof, unify)
from ._rules import by_example
from .core import truth


@defop("abs", args=("x",), callables=[abs], may_raise=True, elementwise=True)
def abs_(x):
    """``abs(x)``; a complex too large for a float raises OverflowError."""
    return abs(x)


@abs_.type_rule
def _(x):
    return by_example(abs, x)


def _extremum_rule(fn):
    """``min(a, b, ...)`` returns one of its arguments, which one depending on
    values (and on NaN's place: ``min(nan, 1)`` is nan, ``min(1, nan)`` is 1).
    Arguments of one type give that type.  Arguments of one machine
    representation but different types (``max(0.0, x)`` with ``x`` a numpy
    float64: ``float`` and ``f64``; ``int`` and ``i64``) give their union, whose
    tag says which argument won (lowerings/core.py); anything else would need a
    representation per value, and is rejected.  The rule sees unions (a running
    ``best = max(best, x)`` is one after the first iteration)."""
    def rule(*items):
        if len(items) == 1:
            return _iterated(fn, items[0])
        if len(items) < 2:
            raise TypeRuleError(f"{fn.__name__}() of no arguments")
        if all(t == items[0] for t in items) and isinstance(items[0], (PyScalar, NpScalar)):
            return by_example(fn, *items)
        joined = items[0]
        for t in items[1:]:
            joined = unify(joined, t)
            if joined is None:
                break
        if joined is None or not all(isinstance(m, (PyScalar, NpScalar)) for m in members(joined)):
            raise TypeRuleError(f"{fn.__name__}() of {', '.join(map(str, items))}: "
                                "the result's type would depend on values")
        return joined
    return rule


def _iterated(fn, t):
    """``min(a)``, ``max(a)``, ``sum(a)`` iterate over ``a``: a 1-d array of bools,
    integers or reals, whose items are numpy scalars (Note [builtins over
    arrays])."""
    if not (isinstance(t, Array) and t.ndim == 1 and t.dtype.kind in "biuf"):
        raise TypeRuleError(f"{fn.__name__}() over {t} (only 1-d arrays of bools, "
                            "integers and reals)")
    return by_example(lambda a: fn(np.concatenate([a, a])), t)


# Note [builtins over arrays]
#     ``min(a)``, ``max(a)`` and ``sum(a)`` of a 1-d array iterate over its
#     items, numpy scalars, with Python's own loop: ``max`` keeps the first item
#     until a later one is strictly greater (``item > best``), and ``sum`` adds
#     ``((start + a[0]) + a[1]) + ...`` left to right with numpy's scalar
#     ``+`` (so an int64 overflow warns "overflow encountered in scalar add",
#     and floats are summed in order, not pairwise as ``np.sum`` does).  The
#     result is a numpy scalar of the item type (``sum`` of bools: int64), but
#     ``sum`` of an empty array is ``start`` itself and ``min``/``max`` of one
#     raise ValueError: native code leaves to CPython there, as it does on an
#     overflow, a NaN in ``min``/``max`` and a zero extreme that could be either
#     zero (backends/llvm/lowerings/builtinreduce.py).


@defop("min", varargs=True, callables=[min], sees_unions=True)
def min_(*items):
    return min(*items)


@defop("max", varargs=True, callables=[max], sees_unions=True)
def max_(*items):
    return max(*items)


min_.type_rule(_extremum_rule(min))
max_.type_rule(_extremum_rule(max))


@defop("sum", args=("iterable", "start?"), callables=[sum], may_raise=True)
def sum_(iterable, start=None):
    """``sum(a[, start])`` over a 1-d array (Note [builtins over arrays]); an
    explicit None start is rejected by the rule.  Over an empty array the sum
    is ``start`` itself, not of the rule's type: Deopt."""
    if len(iterable) == 0 and _accepts(iterable, start) and not isinstance(start, np.generic):
        raise Deopt("sum() of an empty array is its start, a Python scalar")
    return sum(iterable) if start is None else sum(iterable, start)


def _sum_rule(iterable, start=None):
    out = _iterated(sum, iterable)
    if start is None:
        return out
    # start + a[0] must be the type the running sum keeps: a Python int with
    # int64 items, a float with float64 items, or a numpy scalar of that type
    fits = start == out or start in (INT, BOOL) and out == NpScalar(np.dtype("i8")) or \
        start == FLOAT and out == NpScalar(np.dtype("f8"))
    if not fits or by_example(lambda s, a: s + a[0], start, iterable) != out:
        raise TypeRuleError(f"sum() of {iterable} from a start of type {start}")
    return out


sum_.type_rule(_sum_rule)


def _accepts(iterable, start) -> bool:
    try:
        _sum_rule(typeof(iterable), None if start is None else typeof(start))
    except TypeRuleError:
        return False
    return True


@defop("round", args=("x", "ndigits?"), callables=[round], may_raise=True)
def round_(x, ndigits=None):
    """``round(x)`` is an int and raises for nan and infinities; ``round(x, n)``
    keeps ``x``'s type.  numpy scalars round themselves (``np.float32``
    stays ``np.float32`` with ``n``)."""
    return round(x, ndigits)


@round_.type_rule
def _(x, ndigits=None):
    # An omitted ndigits is left out (the default); ``round(x, None)`` is ``round(x)``.
    if ndigits is None or ndigits == NONE:
        return by_example(round, x)
    return by_example(round, x, ndigits)


def _real_conversion_rule(fn):
    """``float(x)``, ``int(x)``: numpy complex values would lose their imaginary
    part with a ComplexWarning, which the region would not emit: rejected."""
    def rule(x):
        dtype = scalar_dtype(x)
        if dtype is not None and dtype.kind == "c":
            raise TypeRuleError(f"{fn.__name__}() of {x} discards the imaginary part")
        return by_example(fn, x)
    return rule


@defop("float", args=("x",), callables=[float], may_raise=True)
def float_(x):
    """``float(x)``; an int too large for a double raises OverflowError."""
    return float(x)


@defop("int", args=("x",), callables=[int], may_raise=True)
def int_(x):
    """``int(x)``; nan raises ValueError and infinities OverflowError."""
    return int(x)


float_.type_rule(_real_conversion_rule(float))
int_.type_rule(_real_conversion_rule(int))


@defop("bool", args=("x",), callables=[bool], may_raise=True)
def bool_(x):
    """``bool(x)``: the truth test a branch makes (arrays raise unless size 1)."""
    return bool(x)


bool_.type_rule(truth.rule)


@defop("complex", args=("real", "imag?"), callables=[complex], may_raise=True)
def complex_(real, imag=None):
    """``complex(real[, imag])``; an int too large for a double raises OverflowError."""
    return complex(real) if imag is None else complex(real, imag)


@complex_.type_rule
def _(real, imag=None):
    # An omitted imag is left out (registry.py, Note [omitted optional inputs]);
    # an explicit ``None`` is a TypeError in CPython, and by_example rejects NONE.
    if imag is None:
        return by_example(complex, real)
    return by_example(complex, real, imag)


@defop("divmod", args=("a", "b"), callables=[divmod], may_raise=True)
def divmod_(a, b):
    """``divmod(a, b)``: ``(a // b, a % b)``, raising ZeroDivisionError as they do."""
    return divmod(a, b)


@divmod_.type_rule
def _(a, b):
    return by_example(divmod, a, b)
