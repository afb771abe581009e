"""Numpy ufuncs and the other elementwise functions: ``np.sqrt``, ``np.add``,
``np.where``, ``np.clip``, ``np.round``.

Each numpy callable is one op named after it (``np.sqrt``), so that printed
graphs read like the source and the names never collide with the ``operator``
and ``math`` ops (``add``, ``sqrt``) of arith.py and mathfns.py.  Result types
come from numpy itself (``by_example``): Python scalars are weak (NEP 50),
scalars and 0-d arrays in give a numpy scalar out, arrays broadcast, and an
array result has the layout ``_rules.elementwise_layout`` can vouch for.

Every op here is ``may_raise``: besides its own errors (``np.power(2, -1)``),
any of them raises OverflowError when a Python int does not fit the other
operand's dtype (``np.add(np.int8(1), 1000)``).

    >>> from pyjit.ir.registry import get
    >>> from pyjit.ir.types import FLOAT, INT
    >>> fortran = Array(np.dtype("f8"), 2, "F")
    >>> get("np.sqrt").infer([FLOAT], {}), get("np.add").infer([fortran, INT], {})
    (f64, f64[?,?]:F)
"""
from __future__ import annotations

import numpy as np

from ..registry import TypeRuleError, defop
from ..types import Array, NpScalar
from ._rules import by_example, by_example_with_none, numpy_result, require_int64


def _declare_ufunc(ufunc: np.ufunc, arg_names: tuple) -> None:
    op = defop(f"np.{ufunc.__name__}", args=arg_names, callables=[ufunc], elementwise=True,
               may_raise=True)

    def impl(*args):
        require_int64(*args)
        return ufunc(*args)

    impl.__doc__ = f"numpy's {ufunc.__name__} ufunc."
    op(impl).type_rule(lambda *types: numpy_result(by_example(ufunc, *types)))


UNARY = (np.sqrt, np.cbrt, np.exp, np.exp2, np.expm1, np.log, np.log2, np.log10, np.log1p,
         np.sin, np.cos, np.tan, np.arcsin, np.arccos, np.arctan, np.sinh, np.cosh, np.tanh,
         np.arcsinh, np.arccosh, np.arctanh, np.deg2rad, np.rad2deg, np.degrees, np.radians,
         np.absolute, np.fabs, np.floor, np.ceil, np.trunc, np.rint, np.sign, np.signbit,
         np.negative, np.positive, np.square, np.reciprocal, np.isnan, np.isinf, np.isfinite,
         np.logical_not, np.invert, np.spacing)

BINARY = (np.add, np.subtract, np.multiply, np.divide, np.floor_divide, np.remainder, np.fmod,
          np.power, np.float_power, np.minimum, np.maximum, np.fmin, np.fmax, np.hypot,
          np.arctan2, np.copysign, np.nextafter, np.logaddexp, np.logaddexp2, np.heaviside,
          np.ldexp, np.logical_and, np.logical_or, np.logical_xor, np.greater, np.greater_equal,
          np.less, np.less_equal, np.equal, np.not_equal, np.bitwise_and, np.bitwise_or,
          np.bitwise_xor, np.left_shift, np.right_shift, np.gcd, np.lcm)

for _ufunc in UNARY:
    _declare_ufunc(_ufunc, ("x",))
for _ufunc in BINARY:
    _declare_ufunc(_ufunc, ("x1", "x2"))
_declare_ufunc(np.conjugate, ("x",))


@defop("array.conjugate", args=("x",), methods=[
    (family, name) for family in ("array", "npscalar") for name in ("conj", "conjugate")])
def conjugate_method(x):
    """``a.conj()``.  Unlike ``np.conjugate(a)``, a real array's conjugate is the
    array itself, not a copy (so not an elementwise op): a bool array stays bool
    and a 0-d array stays an array; a complex array's is the ufunc's result."""
    return x.conjugate()


@conjugate_method.type_rule
def _(x):
    if isinstance(x, Array) and x.dtype.kind != "c":
        return x
    if not isinstance(x, (Array, NpScalar)):
        raise TypeRuleError(f"conjugate() of {x}")
    return numpy_result(by_example(lambda v: v.conjugate(), x))


@defop("np.where", args=("condition", "x", "y"), callables=[np.where], elementwise=True,
       may_raise=True)
def where(condition, x, y):
    """The three-argument form only; it returns a 0-d array, not a scalar, for
    scalar inputs (``np.where(True, 1.0, 2.0)`` is ``array(1.)``)."""
    require_int64(condition, x, y)
    return np.where(condition, x, y)


@where.type_rule
def _(condition, x, y):
    return numpy_result(by_example(np.where, condition, x, y))


@defop("np.clip", args=("a", "a_min", "a_max"), callables=[np.clip],
       methods=[("array", "clip")], elementwise=True, may_raise=True)
def clip(a, a_min, a_max):
    """Either bound may be None; the result dtype promotes all three operands
    (``np.clip(int8_array, 0.5, 2)`` is a float64 array)."""
    require_int64(a, a_min, a_max)
    return np.clip(a, a_min, a_max)


@clip.type_rule
def _(a, a_min, a_max):
    return numpy_result(by_example_with_none(np.clip, a, a_min, a_max))


@defop("np.round", args=("a",), attrs={"decimals": 0}, callables=[np.round, np.around],
       methods=[("array", "round"), ("npscalar", "round")], elementwise=True, may_raise=True)
def round_(a, *, decimals=0):
    """Round half to even; integers stay integers, ``np.round(True)`` is a float16."""
    require_int64(a)
    return np.round(a, decimals)


@round_.type_rule
def _(a, *, decimals=0):
    if type(decimals) is not int:
        raise TypeRuleError(f"round() decimals must be an int, not {decimals!r}")
    return numpy_result(by_example(np.round, a, decimals=decimals))
