"""numpy ufuncs computed natively in the dtype of the loop numpy picks, with
numpy's own corner rules: ``maximum``/``minimum`` (the first NaN wins),
``fmax``/``fmin`` (NaN ignored), ``clip``, ``copysign``, ``signbit``,
``fmod``/``remainder``/``floor_divide``, ``heaviside``, ``nextafter``,
``spacing``, ``ldexp``; and ``math.degrees``/``math.radians``.

Operands are cast to the loop dtypes numpy's type resolution picks for them
(``ufuncs._resolved``: NEP 50, so a Python int or float is weak); the result is
computed in that dtype with the formula numpy's loop evaluates, step for step,
so the bits are numpy's, NaN payloads and signs of zero included.  Where numpy's
result depends on more than the operands (the SIMD or scalar part of a loop, a
fast path for constant bounds) or comes with a RuntimeWarning the native code
would not print, the region bails out on exactly those operands and numpy
computes it (Note [numpy corners that bail out]).  A loop dtype without a
representation (``float16``: ``np.copysign(np.int8(1), 2)``) raises NotLowerable.

Note [numpy corners that bail out]
    numpy 2's ``fmax``/``fmin`` loops give a different zero (``fmax(0.0, -0.0)``)
    and a different NaN (``fmax(nan1, nan2)``) in the SIMD body of an array
    than in its scalar tail, so the result depends on the element's position:
    both NaN, or zeros of opposite sign, bail out.  ``maximum``/``minimum`` do
    not: both paths compute ``isnan(a) || a > b ? a : b`` (``<`` for minimum)
    (x86's ``max_pd`` returns its second operand on ties and NaNs, numpy's
    scalar macro agrees); the tests check every pair of special values at
    lengths 1 to 64 and reversed strides, float64 and float32 — measured on an
    AVX-512 machine (numpy 2.4 and 2.5); another ISA's loops would show there.  ``clip`` with both bounds has two loops:
    for bounds that are arrays it computes ``MIN(MAX(x, lo), hi)`` where
    ``MAX(a, b) = isnan(a) ? a : a > b ? a : b``; for constant bounds (a
    scalar call, a stride of 0) ties keep ``x`` and a NaN bound is returned
    whatever ``x`` is.  They differ only on a NaN bound and on zeros of both
    signs, which bail out.  Float ``remainder`` of two NaNs returns one of
    them by a rule of numpy's compiled code (the larger payload), and ``fmax``
    of a signaling NaN returns it quieted (the C library's ``fmax``): both
    bail out too.  Integer ``floor_divide``, ``remainder``
    and ``fmod`` by zero give 0 *with a RuntimeWarning*, and ``MIN // -1``
    wraps with one: they bail out, and numpy warns.  Float results that numpy
    flags with a RuntimeWarning (``fmod(1.0, 0.0)``, an overflowing ``ldexp``)
    are computed without it, as for every float op of this backend
    (``np.divide``, the ufunc loops of ufuncs.py).

    Inside a fused array kernel a bailout depending on an array's elements
    leaves the elements before it written; that is harmless for a new result
    array, but not for an in-place update (``a += np.fmax(a, b)``: CPython
    would re-run the statement on a half-updated ``a``).  So such a check is
    only compiled where the graph fuses into no in-place op; otherwise the
    lowering raises NotLowerable (``_check_may_bail``).
"""
from __future__ import annotations

import math

import numpy as np
from llvmlite import ir

from pyjit.ir.registry import OPS
from pyjit.ir.types import FLOAT, INT, NONE, Array, NpScalar

from .. import cgutils as cg
from ..lower import lowering
from ..reprs import F64, I32, NotLowerable, llvm_type, scalar_kind
from .convert import cast


# ---- operands in numpy's loop dtypes --------------------------------------------------

def _ufunc(node) -> np.ufunc:
    return next(c for c in OPS[node.op].callables if isinstance(c, np.ufunc))


def _loop_operands(ctx, b, node, args):
    """The operands cast to the dtypes of the loop numpy runs for them, and the
    loop's types (inputs, then the result)."""
    from ..ufuncs import _resolved
    dtypes = _resolved(_ufunc(node), node.in_types)
    if any(d.kind not in "biuf" for d in dtypes):
        raise NotLowerable(f"{node.op} on {tuple(str(d) for d in dtypes)}")
    types = [NpScalar(d) for d in dtypes]
    for t in types:
        llvm_type(t)  # float16 has no representation: NotLowerable
    vals = [_cast(ctx, b, v, t, lt) for v, t, lt in zip(args, node.in_types, types)]
    return vals, types


def _cast(ctx, b, v, t, dst):
    """``cast``, except that a Python int becomes a float32 through a double, as
    numpy converts it (``float(2**60 + 2**36 + 1)`` rounds twice)."""
    if t == INT and scalar_kind(dst) == ("f", 32):
        v, t = cast(ctx, b, v, t, FLOAT), FLOAT
    return cast(ctx, b, v, t, dst)


def _result(ctx, b, r, loop_t, node):
    return r if loop_t == node.out_type else cast(ctx, b, r, loop_t, node.out_type)


def _kind(t) -> str:
    return scalar_kind(t)[0]


def _check_may_bail(ctx, node, operands) -> None:
    """Raise NotLowerable if a bailout depending on the values of ``operands``
    (input positions) could leave an in-place kernel half-written
    (Note [numpy corners that bail out])."""
    if not any(isinstance(node.inputs[i].type, Array) for i in operands):
        return  # scalars: the check fails on the first element or never
    fused = getattr(ctx.graph, "fused", None) or {}
    if any(OPS[c.op].mutates for c in fused.values()):
        raise NotLowerable(f"{node.op}: an element-dependent bailout in a graph with an in-place kernel")


def _isnan(b, x):
    return b.fcmp_unordered("uno", x, x)


def _nan(ty):
    """numpy's ``NPY_NAN``: the positive quiet NaN with no payload."""
    return ir.Constant(ty, float("nan"))


def _signaling(b, x):
    """``x`` is a signaling NaN (its quiet bit, the significand's top bit, clear)."""
    w = _width(x.type)
    iv = b.bitcast(x, ir.IntType(w))
    quiet = ir.Constant(iv.type, 1 << (51 if w == 64 else 22))
    return b.and_(_isnan(b, x), b.icmp_unsigned("==", b.and_(iv, quiet), ir.Constant(iv.type, 0)))


def _sign_bit(b, x):
    iv = b.bitcast(x, ir.IntType(_width(x.type)))
    return b.icmp_signed("<", iv, ir.Constant(iv.type, 0))


def _width(ty) -> int:
    return 64 if isinstance(ty, ir.DoubleType) else 32


# ---- maximum, minimum, fmax, fmin ------------------------------------------------------

def _greater(b, kind, op, x, y):
    """``x op y`` (``>`` or ``<``) in the loop's kind; false if either is NaN."""
    if kind == "f":
        return b.fcmp_ordered(op, x, y)
    return (b.icmp_signed if kind == "i" else b.icmp_unsigned)(op, x, y)


@lowering("np.maximum", "np.minimum")
def _maximum(ctx, b, node, args):
    """``isnan(a) || a > b ? a : b``: the first NaN propagates, ties (mixed
    zeros) give the second operand (Note [numpy corners that bail out])."""
    (x, y), types = _loop_operands(ctx, b, node, args)
    kind = _kind(types[0])
    wins = _greater(b, kind, ">" if node.op == "np.maximum" else "<", x, y)
    if kind == "f":
        wins = b.or_(_isnan(b, x), wins)
    return _result(ctx, b, b.select(wins, x, y), types[-1], node)


@lowering("np.fmax", "np.fmin")
def _fmax(ctx, b, node, args):
    """A NaN operand gives the other one; both NaN, or zeros of opposite sign,
    bail out (numpy's result depends on the element's position), and so does a
    signaling NaN (the C library's ``fmax`` returns it, quieted)."""
    (x, y), types = _loop_operands(ctx, b, node, args)
    kind = _kind(types[0])
    op = ">" if node.op == "np.fmax" else "<"
    if kind != "f":
        return _result(ctx, b, b.select(_greater(b, kind, op, x, y), x, y), types[-1], node)
    _check_may_bail(ctx, node, (0, 1))
    x_nan, y_nan = _isnan(b, x), _isnan(b, y)
    zero = ir.Constant(x.type, 0.0)
    zeros = b.and_(b.fcmp_ordered("==", x, zero), b.fcmp_ordered("==", y, zero))
    mixed = b.and_(zeros, b.xor(_sign_bit(b, x), _sign_bit(b, y)))
    odd = b.or_(b.and_(x_nan, y_nan), b.or_(_signaling(b, x), _signaling(b, y)))
    cg.bail_if(ctx, b, b.or_(odd, mixed))
    r = b.select(b.fcmp_ordered(op, x, y), x, y)
    r = b.select(x_nan, y, r)
    return _result(ctx, b, b.select(y_nan, x, r), types[-1], node)


# ---- clip -------------------------------------------------------------------------------

@lowering("np.clip")
def _clip(ctx, b, node, args):
    """numpy's ``_clip``: a missing bound makes it ``maximum``/``minimum``
    (the same formula as the loop's ``MAX``/``MIN``); for an integer ``a`` a
    Python int bound beyond its dtype's range is dropped, one beyond the other
    end is an OverflowError (the cast bails out).  With both bounds, a NaN
    bound or zeros of both signs among ``a`` and the bounds bail out
    (Note [numpy corners that bail out])."""
    out = node.out_type
    a_t = node.in_types[0]
    if not isinstance(out, NpScalar) or scalar_kind(out) is None or scalar_kind(a_t) is None:
        raise NotLowerable(f"np.clip with result {out}")
    kind = _kind(out)
    present = [i for i in (1, 2) if node.in_types[i] != NONE]
    for i in present:
        if scalar_kind(node.in_types[i]) is None:
            raise NotLowerable(f"np.clip bound of type {node.in_types[i]}")
    if kind == "f" and len(present) == 2:
        _check_may_bail(ctx, node, (0, 1, 2))
    x = _cast(ctx, b, args[0], a_t, out)
    bounds, dropped = {}, {}
    for i in present:
        bounds[i], dropped[i] = _clip_bound(ctx, b, args[i], node.in_types[i], a_t, out, low=(i == 1))
    if kind == "f" and len(present) == 2:
        nan_bound = b.or_(_isnan(b, bounds[1]), _isnan(b, bounds[2]))
        cg.bail_if(ctx, b, b.or_(nan_bound, _zeros_of_both_signs(b, [x, bounds[1], bounds[2]])))
    r = x
    for i, op in ((1, ">"), (2, "<")):
        if i in bounds:  # MAX(r, lo), then MIN(r, hi): isnan(r) || r op bound ? r : bound
            keep = _greater(b, kind, op, r, bounds[i])
            if kind == "f":
                keep = b.or_(_isnan(b, r), keep)
            if dropped[i] is not None:
                keep = b.or_(keep, dropped[i])
            r = b.select(keep, r, bounds[i])
    return r


def _zeros_of_both_signs(b, values):
    """Some of ``values`` are ``0.0`` and some ``-0.0``."""
    zero = ir.Constant(values[0].type, 0.0)
    pos = neg = ir.Constant(ir.IntType(1), 0)
    for v in values:
        is_zero, sign = b.fcmp_ordered("==", v, zero), _sign_bit(b, v)
        pos = b.or_(pos, b.and_(is_zero, b.not_(sign)))
        neg = b.or_(neg, b.and_(is_zero, sign))
    return b.and_(pos, neg)


def _clip_bound(ctx, b, v, t, a_t, out, low: bool):
    """A bound in the result's representation, and an i1 "numpy drops it" (or
    None): a Python int bound of an integer ``a`` at or beyond its dtype's end
    (the bound is then clamped to that end, so that the cast cannot fail)."""
    if t != INT or scalar_kind(a_t)[0] not in "iu":
        return _cast(ctx, b, v, t, out), None
    info = np.iinfo(np.int64 if a_t == INT else a_t.dtype)
    end = info.min if low else info.max
    if not -2 ** 63 <= end < 2 ** 63:
        return _cast(ctx, b, v, t, out), None  # uint64's end: no Python int in i64 reaches it
    end = ir.Constant(v.type, end)
    drop = b.icmp_signed("<=" if low else ">=", v, end)
    return _cast(ctx, b, b.select(drop, end, v), t, out), drop


# ---- sign bits ---------------------------------------------------------------------------

@lowering("np.copysign")
def _copysign(ctx, b, node, args):
    (x, y), types = _loop_operands(ctx, b, node, args)
    if _kind(types[-1]) != "f":
        raise NotLowerable(f"np.copysign on {types}")
    return _result(ctx, b, cg.call_math(ctx, b, "copysign", [x, y], x.type), types[-1], node)


@lowering("np.signbit")
def _signbit(ctx, b, node, args):
    (x,), types = _loop_operands(ctx, b, node, args)
    if _kind(types[0]) != "f":
        raise NotLowerable(f"np.signbit on {types}")
    return _result(ctx, b, _sign_bit(b, x), types[-1], node)


@lowering("np.heaviside")
def _heaviside(ctx, b, node, args):
    """``isnan(x) ? NPY_NAN : x == 0 ? h0 : x < 0 ? 0 : 1`` (a NaN ``x`` gives
    numpy's NaN constant, not ``x``)."""
    (x, h0), types = _loop_operands(ctx, b, node, args)
    if _kind(types[-1]) != "f":
        raise NotLowerable(f"np.heaviside on {types}")
    ty = x.type
    zero = ir.Constant(ty, 0.0)
    r = b.select(b.fcmp_ordered("<", x, zero), zero, ir.Constant(ty, 1.0))
    r = b.select(b.fcmp_ordered("==", x, zero), h0, r)
    return _result(ctx, b, b.select(_isnan(b, x), _nan(ty), r), types[-1], node)


# ---- division and remainder --------------------------------------------------------------

@lowering("np.floor_divide", "np.remainder", "np.fmod")
def _divide(ctx, b, node, args):
    """Floats: ``fmod`` (exact, the C library's), or numpy's ``npy_divmod``
    (CPython's float_divmod step for step; a zero divisor gives ``a / b`` and
    ``fmod(a, b)``).  Integers: floor or truncated division; a zero divisor
    and ``MIN // -1`` bail out (numpy warns)."""
    (x, y), types = _loop_operands(ctx, b, node, args)
    kind = _kind(types[0])
    if kind == "f":
        if node.op == "np.fmod":
            r = b.frem(x, y)
        else:
            div, mod = cg.py_float_divmod(ctx, b, x, y, x.type)
            by_zero = b.fcmp_ordered("==", y, ir.Constant(y.type, 0.0))
            if node.op == "np.floor_divide":
                r = b.select(by_zero, b.fdiv(x, y), div)
            else:  # two NaNs: numpy's loop returns one by a rule of its compiled code
                _check_may_bail(ctx, node, (0, 1))
                cg.bail_if(ctx, b, b.and_(_isnan(b, x), _isnan(b, y)))
                r = b.select(by_zero, b.frem(x, y), mod)
        return _result(ctx, b, r, types[-1], node)
    if kind not in "iu":
        raise NotLowerable(f"{node.op} on {types}")
    _check_may_bail(ctx, node, (0, 1) if node.op == "np.floor_divide" and kind == "i" else (1,))
    zero, one = ir.Constant(x.type, 0), ir.Constant(x.type, 1)
    cg.bail_if(ctx, b, b.icmp_unsigned("==", y, zero))
    if kind == "u":
        r = b.udiv(x, y) if node.op == "np.floor_divide" else b.urem(x, y)
        return _result(ctx, b, r, types[-1], node)
    minus_one = ir.Constant(x.type, -1)
    if node.op == "np.floor_divide":
        smallest = ir.Constant(x.type, -(1 << (x.type.width - 1)))
        cg.bail_if(ctx, b, b.and_(b.icmp_signed("==", x, smallest), b.icmp_signed("==", y, minus_one)))
    ysafe = b.select(b.icmp_signed("==", y, minus_one), one, y)  # x % -1 is 0; srem MIN, -1 traps
    rem = b.srem(x, ysafe)
    if node.op == "np.fmod":
        return _result(ctx, b, rem, types[-1], node)
    fix = b.and_(b.icmp_signed("!=", rem, zero),
                 b.icmp_unsigned("!=", b.icmp_signed("<", rem, zero), b.icmp_signed("<", y, zero)))
    if node.op == "np.remainder":
        return _result(ctx, b, b.select(fix, b.add(rem, y), rem), types[-1], node)
    q = b.sdiv(x, y)
    return _result(ctx, b, b.select(fix, b.sub(q, one), q), types[-1], node)


# ---- steps in the last place, powers of two -----------------------------------------------

@lowering("np.nextafter")
def _nextafter(ctx, b, node, args):
    """The C library's ``nextafter``/``nextafterf``: numpy's loop calls it."""
    (x, y), types = _loop_operands(ctx, b, node, args)
    if _kind(types[-1]) != "f":
        raise NotLowerable(f"np.nextafter on {types}")
    return _result(ctx, b, cg.call_math(ctx, b, "nextafter", [x, y], x.type), types[-1], node)


@lowering("np.spacing")
def _spacing(ctx, b, node, args):
    """numpy's ``npy_spacing``: ``_next(x) - x`` where ``_next`` adds one to the
    magnitude's bits (a zero steps to ``+denorm_min``, a NaN stays itself), and
    an infinity gives ``NPY_NAN``.  So ``spacing(-1.0)`` is negative."""
    (x,), types = _loop_operands(ctx, b, node, args)
    if _kind(types[-1]) != "f":
        raise NotLowerable(f"np.spacing on {types}")
    ity = ir.IntType(_width(x.type))
    bits = b.bitcast(x, ity)
    magnitude = b.and_(bits, ir.Constant(ity, (1 << (ity.width - 1)) - 1))
    up = b.select(b.icmp_unsigned("==", magnitude, ir.Constant(ity, 0)), ir.Constant(ity, 1),
                  b.add(bits, ir.Constant(ity, 1)))
    nxt = b.select(_isnan(b, x), x, b.bitcast(up, x.type))
    r = b.fsub(nxt, x)
    inf = ir.Constant(x.type, float("inf"))
    is_inf = b.fcmp_ordered("==", cg.call_math(ctx, b, "fabs", [x], x.type), inf)
    return _result(ctx, b, b.select(is_inf, _nan(x.type), r), types[-1], node)


@lowering("np.ldexp")
def _ldexp(ctx, b, node, args):
    """The C library's ``ldexp(x, int)``; an int64 exponent beyond int's range
    becomes ``INT_MAX`` or ``INT_MIN`` first, as numpy's ``dl->d`` loop does."""
    (x, e), types = _loop_operands(ctx, b, node, args)
    if _kind(types[0]) != "f" or _kind(types[1]) not in "iu" or types[1].dtype.itemsize not in (4, 8):
        raise NotLowerable(f"np.ldexp on {types}")
    if e.type.width == 64:
        lo, hi = ir.Constant(e.type, -2 ** 31), ir.Constant(e.type, 2 ** 31 - 1)
        e = b.select(b.icmp_signed("<", e, lo), lo, b.select(b.icmp_signed(">", e, hi), hi, e))
        e = b.trunc(e, I32)
    name = "ldexp" if isinstance(x.type, ir.DoubleType) else "ldexpf"
    fn = ctx.intrinsic(name, x.type, [x.type, I32])
    return _result(ctx, b, b.call(fn, [x, e]), types[-1], node)


# ---- math.degrees, math.radians ----------------------------------------------------------

_ANGLE = {"math.degrees": 180.0 / math.pi, "math.radians": math.pi / 180.0}


@lowering("math.degrees", "math.radians")
def _angle(ctx, b, node, args):
    """CPython's ``x * radToDeg`` / ``x * degToRad`` (Modules/mathmodule.c:
    ``180.0 / Py_MATH_PI`` and ``Py_MATH_PI / 180.0``, the same correctly
    rounded doubles as these Python divisions); no error is possible."""
    (t,), (v,) = node.in_types, args
    if scalar_kind(t) is None:
        raise NotLowerable(f"{node.op} of {t}")
    x = cast(ctx, b, v, t, FLOAT)
    return b.fmul(x, ir.Constant(F64, _ANGLE[node.op]))

