"""Lowerings of the ``math`` module: the C library's functions, with the checks
CPython's mathmodule.c makes around them (a NaN from a non-NaN argument is a
ValueError, an infinity from finite arguments an OverflowError or ValueError):
a failed check bails out and CPython raises the error itself."""
from __future__ import annotations

from llvmlite import ir

from pyjit.ir.types import FLOAT, INT, NONE

from .. import cgutils as cg
from ..lower import lowering
from ..reprs import F64, I1, I64, NotLowerable, scalar_kind
from .convert import cast

_ONE_ARG = ["sqrt", "exp", "log2", "log10", "sin", "cos", "tan", "asin", "acos", "atan",
            "sinh", "cosh", "tanh", "asinh", "acosh", "atanh", "expm1", "log1p", "fabs", "exp2"]
_TWO_ARG = ["atan2", "hypot", "copysign", "fmod", "pow"]


def _as_double(ctx, b, node, args):
    out = []
    for v, t in zip(args, node.in_types):
        if scalar_kind(t) is None:
            raise NotLowerable(f"{node.op} of {t}")
        out.append(cast(ctx, b, v, t, FLOAT))
    return out


def _isnan(b, v):
    return b.fcmp_unordered("uno", v, v)


def _isinf(ctx, b, v):
    return b.fcmp_ordered("==", cg.call_math(ctx, b, "fabs", [v]), ir.Constant(F64, float("inf")))


def _isfinite(ctx, b, v):
    return b.fcmp_ordered("<", cg.call_math(ctx, b, "fabs", [v]), ir.Constant(F64, float("inf")))


def _domain_checks(ctx, b, r, xs):
    """math_1/math_2 in CPython: NaN out of non-NaN in, or inf out of finite in."""
    any_nan_in = ir.Constant(I1, 0)
    all_finite = ir.Constant(I1, 1)
    for x in xs:
        any_nan_in = b.or_(any_nan_in, _isnan(b, x))
        all_finite = b.and_(all_finite, _isfinite(ctx, b, x))
    cg.bail_if(ctx, b, b.and_(_isnan(b, r), b.not_(any_nan_in)))
    cg.bail_if(ctx, b, b.and_(_isinf(ctx, b, r), all_finite))


def _one(name):
    @lowering(f"math.{name}")
    def lower(ctx, b, node, args):
        (x,) = _as_double(ctx, b, node, args)
        r = cg.call_math(ctx, b, name, [x])
        if name == "sqrt":  # the checks below, simplified: only x < 0 gives a NaN
            if not ctx.facts.nonneg(node.inputs[0]):  # a sum of squares never is
                cg.bail_if(ctx, b, b.fcmp_ordered("<", x, ir.Constant(F64, 0.0)))
        elif name != "fabs":  # fabs never fails
            _domain_checks(ctx, b, r, [x])
        return r
    return lower


def _two(name):
    @lowering(f"math.{name}")
    def lower(ctx, b, node, args):
        xs = _as_double(ctx, b, node, args)
        r = cg.call_math(ctx, b, name, xs)
        if name == "pow":  # math.pow(0, negative) is a ValueError
            zero = ir.Constant(F64, 0.0)
            cg.bail_if(ctx, b, b.and_(b.fcmp_ordered("==", xs[0], zero), b.fcmp_ordered("<", xs[1], zero)))
        if name != "copysign":
            _domain_checks(ctx, b, r, xs)
        return r
    return lower


for _n in _ONE_ARG:
    _one(_n)
for _n in _TWO_ARG:
    _two(_n)


@lowering("math.floor", "math.ceil", "math.trunc")
def _to_int(ctx, b, node, args):
    if node.out_type != INT or scalar_kind(node.in_types[0])[0] != "f":
        raise NotLowerable(f"{node.op} of {node.in_types[0]}")
    (x,) = _as_double(ctx, b, node, args)
    r = cg.call_math(ctx, b, node.op.split(".")[1], [x])
    limit = ir.Constant(F64, 2.0 ** 63)
    cg.bail_if(ctx, b, b.not_(b.fcmp_ordered("<", cg.call_math(ctx, b, "fabs", [r]), limit)))
    return b.fptosi(r, I64)


@lowering("math.isnan", "math.isinf", "math.isfinite")
def _classify(ctx, b, node, args):
    (x,) = _as_double(ctx, b, node, args)
    return {"math.isnan": lambda: _isnan(b, x), "math.isinf": lambda: _isinf(ctx, b, x),
            "math.isfinite": lambda: _isfinite(ctx, b, x)}[node.op]()


@lowering("math.log")
def _log(ctx, b, node, args):
    if len(args) > 1 and node.in_types[1] != NONE:
        raise NotLowerable("math.log with a base")
    (x,) = _as_double(ctx, b, node.__class__(node.op, node.attrs, node.in_types[:1], node.out_type,
                                                node.inputs[:1]), args[:1])
    r = cg.call_math(ctx, b, "log", [x])
    _domain_checks(ctx, b, r, [x])
    return r
