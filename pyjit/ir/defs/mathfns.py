"""The ``math`` module's functions as ops, with CPython's semantics.

They take real numbers (Python int, float and bool, and numpy scalars of a
real dtype), convert them to a C double as CPython does, and return a Python
``float`` (``isnan``… a ``bool``; ``floor``, ``ceil``, ``trunc`` an ``int``).
Their names carry the module, ``math.sqrt``, because they are not the ufuncs
of the same name: those return numpy scalars, map over arrays and never raise.

Every one may raise: for a domain error (``math.sqrt(-1)`` is ValueError), a
range error (``math.exp(1000)`` is OverflowError), and, for any of them, an int
too large for a double (``math.sin(10**400)``; ``math.log`` and ``math.floor``
handle big ints themselves, but ``math.log(0)`` and ``math.floor(nan)`` raise).

Rejected, although CPython accepts them: arrays (CPython raises TypeError for
more than one element; a region has no reason to convert one-element arrays)
and numpy complex scalars (the conversion drops the imaginary part with a
ComplexWarning the region would not emit).  Constants such as ``math.pi`` are
values, not ops.
"""
from __future__ import annotations

import math

from ..registry import TypeRuleError, defop
from ..types import BOOL, FLOAT, NpScalar, PyScalar, Type
from ._rules import by_example


def is_real(t: Type) -> bool:
    """Whether CPython's math functions take a value of type ``t`` as a double."""
    if isinstance(t, PyScalar):
        return t.name != "complex"
    return isinstance(t, NpScalar) and t.dtype.kind in "biuf"


def _check_real(fn, types):
    for t in types:
        if not is_real(t):
            raise TypeRuleError(f"math.{fn.__name__}() of {t}")


def _declare(fn, nargs, rule):
    """Declare ``math.<fn>`` taking ``nargs`` reals, with the reference ``fn`` itself."""
    if nargs == 1:
        def impl(x):
            return fn(x)
    else:
        def impl(x, y):
            return fn(x, y)

    impl.__name__ = impl.__qualname__ = fn.__name__
    impl.__doc__ = f"``math.{fn.__name__}``, as CPython evaluates it."
    args = ("x",) if nargs == 1 else ("x", "y")
    op = defop("math." + fn.__name__, args=args, callables=[fn], may_raise=True)(impl)
    op.type_rule(rule)
    return op


def _returns(fn, result):
    """Rule of a function whose result has one type, whatever reals it takes."""
    def rule(*types):
        _check_real(fn, types)
        return result
    return rule


def _declare_fixed(fn, nargs, result):
    return _declare(fn, nargs, _returns(fn, result))


for _fn in (math.sqrt, math.exp, math.exp2, math.expm1, math.log2, math.log10, math.log1p,
            math.sin, math.cos, math.tan, math.asin, math.acos, math.atan,
            math.sinh, math.cosh, math.tanh, math.asinh, math.acosh, math.atanh,
            math.fabs, math.degrees, math.radians):
    _declare_fixed(_fn, 1, FLOAT)

for _fn in (math.atan2, math.copysign, math.fmod, math.pow):
    _declare_fixed(_fn, 2, FLOAT)

for _fn in (math.isnan, math.isinf, math.isfinite):
    _declare_fixed(_fn, 1, BOOL)


def _rounding_rule(fn):
    """``floor``, ``ceil``, ``trunc`` call the argument's ``__floor__`` … if it
    has one, else convert to a double: an int for Python numbers and numpy
    floats, but numpy scalars lacking ``__trunc__`` make ``math.trunc`` raise
    TypeError; the example settles which."""
    def rule(x):
        _check_real(fn, (x,))
        return by_example(fn, x)
    return rule


for _fn in (math.floor, math.ceil, math.trunc):
    _declare(_fn, 1, _rounding_rule(_fn))


@defop("math.log", args=("x", "base?"), callables=[math.log], may_raise=True)
def log(x, base=None):
    """``math.log(x[, base])``: ValueError for x <= 0, ZeroDivisionError for base 1."""
    return math.log(x) if base is None else math.log(x, base)


@log.type_rule
def _(x, base=None):
    # An omitted base is left out (registry.py, Note [omitted optional inputs]); an
    # explicit ``None`` is a TypeError in CPython, which _check_real finds with NONE.
    _check_real(math.log, (x,) if base is None else (x, base))
    return FLOAT


@defop("math.hypot", varargs=True, callables=[math.hypot], may_raise=True)
def hypot(*coordinates):
    """``math.hypot(*coordinates)``: the Euclidean norm, of any number of reals."""
    return math.hypot(*coordinates)


@hypot.type_rule
def _(*coordinates):
    _check_real(math.hypot, coordinates)
    return FLOAT
