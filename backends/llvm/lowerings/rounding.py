"""Rounding and division with remainder: the builtins ``round`` and ``divmod``
and numpy's ``np.round`` (also ``a.round()``, and per element in kernels).

- ``round(x)`` of a float is ``rint`` (CPython's round-half-even), then the int;
  nan, infinities and results beyond 64 bits bail out (CPython raises
  ValueError / OverflowError, or makes a big int).
- ``round(x, n)`` of a Python float: CPython rounds the exact binary value to
  ``n`` decimals (dtoa), matched exactly for ``|n| <= 22`` while ``|x * 10**n|
  < 2**52`` (Note [correctly rounded round]); other finite cases bail out,
  but for CPython's own shortcuts (``n > 323``, ``n < -308``) and integers.
- ``round(i, n)`` of a Python int: half-even to a multiple of ``10**-n``, as
  CPython's ``_PyLong_DivmodNear``; a result beyond 64 bits bails out.
- numpy scalars round themselves with numpy's algorithm (``round(np.float64(
  2.675), 2)`` is 2.68, CPython's 2.67): ``np.round``'s lowering.
- ``np.round(a, decimals)``: numpy's ``PyArray_Round`` (Note [numpy round]).
- ``divmod(a, b)``: the ``(a // b, a % b)`` of arith.py as a tuple; a zero
  divisor bails out (ZeroDivisionError for Python numbers, a warning for numpy's),
  so do numpy integers' ``MIN // -1`` and numpy floats that are not finite
  (numpy warns).  Arrays are not lowered.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from pyjit.ir.registry import OPS
from pyjit.ir.types import BOOL, FLOAT, INT, NONE, Array, NpScalar, PyScalar, TupleT

from .. import cgutils as cg
from ..lower import lowering
from ..reprs import F64, I1, I64, NotLowerable, llvm_type, scalar_kind
from .arith import _operands
from .convert import cast

_TWO52 = 2.0 ** 52
_TWO63 = 2.0 ** 63
_MAX_POW10 = 22  # 10**22 is the largest power of ten a double holds exactly


def _table(ctx, name: str, ty, values):
    """A constant global array in the module (one per name)."""
    if name in ctx.module.globals:
        return ctx.module.globals[name]
    arr = ir.ArrayType(ty, len(values))
    g = ir.GlobalVariable(ctx.module, arr, name=name)
    g.global_constant = True
    g.linkage = "internal"
    g.initializer = ir.Constant(arr, list(values))
    return g


def _lookup(ctx, b, name, ty, values, k):
    """``values[k]``; ``k`` must be in range."""
    g = _table(ctx, name, ty, values)
    return b.load(b.gep(g, [ir.Constant(I64, 0), k]))


def _index_int(ctx, b, v, t):
    """An ``ndigits`` operand as an i64 (``operator.index`` of an int, a bool or a
    numpy integer)."""
    kind = scalar_kind(t)
    if kind is None or kind[0] not in "iub" or isinstance(t, PyScalar) and t not in (INT, BOOL):
        raise NotLowerable(f"round() ndigits of type {t}")
    if kind == ("u", 64):
        cg.bail_if(ctx, b, b.icmp_signed("<", v, ir.Constant(I64, 0)))
        return v
    return cast(ctx, b, v, t, INT)


def _fabs(ctx, b, x):
    return cg.call_math(ctx, b, "fabs", [x], x.type)


def _fma(ctx, b, x, y, z):
    fn = ctx.intrinsic("llvm.fma.f64", F64, [F64, F64, F64])
    return b.call(fn, [x, y, z])


# ---- round() --------------------------------------------------------------------------

@lowering("round")
def _round(ctx, b, node, args):
    x_t = node.in_types[0]
    x = args[0]
    kind = scalar_kind(x_t)
    if kind is None or kind[0] == "c":
        raise NotLowerable(f"round of {x_t}")
    has_n = len(node.in_types) > 1 and node.in_types[1] != NONE
    if not has_n:
        return _round_to_int(ctx, b, x, x_t, kind)
    n = _index_int(ctx, b, args[1], node.in_types[1])
    if isinstance(x_t, NpScalar):  # numpy's __round__ is np.round
        return _numpy_round(ctx, b, x, x_t, node.out_type, n)
    if x_t == FLOAT:
        return _py_round_float(ctx, b, x, n)
    return _py_round_int(ctx, b, cast(ctx, b, x, x_t, INT), n)


def _round_to_int(ctx, b, x, x_t, kind):
    """``round(x)``: a Python int."""
    if kind[0] == "f":
        x = b.fpext(x, F64) if x.type != F64 else x
        r = cg.call_math(ctx, b, "rint", [x])  # round half even (CPython's float___round__)
        cg.bail_if(ctx, b, b.not_(b.fcmp_ordered("<", _fabs(ctx, b, r), ir.Constant(F64, _TWO63))))
        return b.fptosi(r, I64)
    if kind == ("u", 64):
        cg.bail_if(ctx, b, b.icmp_signed("<", x, ir.Constant(I64, 0)))
        return x
    return b.zext(x, I64) if kind[0] == "b" else cast(ctx, b, x, x_t, INT)


# Note [correctly rounded round]
#     CPython's ``round(x, n)`` (floatobject.c double_round) prints ``x`` to ``n``
#     decimals with dtoa — the exact binary value rounded half-even — and reads
#     the digits back with a correctly rounded strtod: the result is the double
#     nearest to ``q / 10**n``, ``q`` the exact value of ``x * 10**n`` rounded to
#     an integer, ties to even.  For ``|n| <= 22`` the power ``P`` is exact, and
#     while ``|p| < 2**52`` for ``p = fl(x*P)`` (``fl(x/P)`` for ``n < 0``):
#       * the exact value is ``p + e`` with ``e = fma(x, P, -p)`` (for ``n < 0``,
#         ``x/P = p + fma(-p, P, x)/P``: the sign of the remainder is the sign
#         of ``e``), exactly, and ``|e| <= ulp(p)/2``;
#       * half-integers are multiples of ``ulp(p) <= 0.5``, so unless ``p`` is
#         itself one, ``p + e`` rounds as ``p`` does: ``rint(p)``;
#       * if ``p`` is a half-integer, ``e`` decides: above, below, or (``e ==
#         0``) a true tie, which ``rint`` breaks to even;
#       * ``q`` (below 2**52) and ``P`` are exact, so ``q / P`` (``q * P``) is
#         the correctly rounded quotient (product): strtod's result.
#     The sign is ``x``'s (``round(-0.001, 2)`` is ``-0.0``).  As in CPython,
#     nan, infinities and any ``x`` for ``n > 323`` are returned as they are,
#     ``n < -308`` gives a zero of ``x``'s sign; so are floats of magnitude
#     ``>= 2**52`` (integers) for ``n >= 0``.  Every other case bails out.

def _py_round_float(ctx, b, x, n):
    inf = ir.Constant(F64, float("inf"))
    ax = _fabs(ctx, b, x)
    zero = ir.Constant(I64, 0)
    pos = b.icmp_signed(">=", n, zero)
    # x itself: nan, infinities, n > NDIGITS_MAX (323), and floats of magnitude
    # >= 2**52 (integers) for any n >= 0; +-0.0 for n < NDIGITS_MIN (-308)
    itself = b.or_(b.or_(b.not_(b.fcmp_ordered("<", ax, inf)),
                         b.icmp_signed(">", n, ir.Constant(I64, 323))),
                   b.and_(pos, b.fcmp_ordered(">=", ax, ir.Constant(F64, _TWO52))))
    to_zero = b.icmp_signed("<", n, ir.Constant(I64, -308))
    computed = b.not_(b.or_(itself, to_zero))
    m = b.select(pos, n, b.neg(n))
    small = b.icmp_unsigned("<=", m, ir.Constant(I64, _MAX_POW10))  # unsigned: -2**63 too
    k = b.select(small, m, zero)
    big_p = _lookup(ctx, b, "pj.pow10.f64", F64, [float(10 ** i) for i in range(_MAX_POW10 + 1)], k)
    p = b.select(pos, b.fmul(x, big_p), b.fdiv(x, big_p))
    err = b.select(pos, _fma(ctx, b, x, big_p, b.fneg(p)), _fma(ctx, b, b.fneg(p), big_p, x))
    exact = b.and_(small, b.fcmp_ordered("<", _fabs(ctx, b, p), ir.Constant(F64, _TWO52)))
    cg.bail_if(ctx, b, b.and_(computed, b.not_(exact)))
    r = cg.call_math(ctx, b, "rint", [p])
    half = ir.Constant(F64, 0.5)
    tie = b.fcmp_ordered("==", _fabs(ctx, b, b.fsub(p, r)), half)
    fzero = ir.Constant(F64, 0.0)
    q = b.select(b.and_(tie, b.fcmp_ordered(">", err, fzero)), b.fadd(p, half),
                 b.select(b.and_(tie, b.fcmp_ordered("<", err, fzero)), b.fsub(p, half), r))
    y = b.select(pos, b.fdiv(q, big_p), b.fmul(q, big_p))
    y = b.select(to_zero, fzero, y)
    y = cg.call_math(ctx, b, "copysign", [y, x])
    return b.select(itself, x, y)


def _py_round_int(ctx, b, x, n):
    """``round(x, n)`` of a Python int (longobject.c long_round): ``x`` itself for
    ``n >= 0``, else the multiple of ``10**-n`` nearest to ``x``, ties to even."""
    zero, one = ir.Constant(I64, 0), ir.Constant(I64, 1)
    m = b.sub(zero, n)  # wraps for n = -2**63, where ``huge`` holds and m is unused
    # 10**19 > 2**63: |x| < 5 * 10**18 rounds to 0, anything larger bails out
    huge = b.icmp_signed("<", n, ir.Constant(I64, -18))
    half_big = ir.Constant(I64, 5 * 10 ** 18)
    cg.bail_if(ctx, b, b.and_(huge, b.or_(b.icmp_signed(">=", x, half_big),
                                          b.icmp_signed("<=", x, b.neg(half_big)))))
    neg = b.icmp_signed("<", n, zero)
    k = b.select(b.and_(neg, b.not_(huge)), m, zero)
    big_p = _lookup(ctx, b, "pj.pow10.i64", I64, [10 ** i for i in range(19)], k)
    q0, r0 = b.sdiv(x, big_p), b.srem(x, big_p)
    below = b.icmp_signed("<", r0, zero)  # floor division: 0 <= r < P
    q = b.select(below, b.sub(q0, one), q0)
    r = b.select(below, b.add(r0, big_p), r0)
    twice = b.shl(r, one)  # r < 10**18: no overflow
    up = b.or_(b.icmp_signed(">", twice, big_p),
               b.and_(b.icmp_signed("==", twice, big_p), b.trunc(q, I1)))
    q = b.add(q, b.zext(up, I64))
    near = cg.checked(ctx, b, "smul", q, big_p)
    return b.select(neg, b.select(huge, zero, near), x)


# ---- np.round -------------------------------------------------------------------------

# Note [numpy round]
#     numpy's PyArray_Round (multiarray/calculation.c): integers with
#     ``decimals >= 0`` are unchanged; ``decimals == 0`` is ``rint``; otherwise
#     with ``f = power_of_ten(|decimals|)`` (1e9 multiplied by 10. repeatedly
#     above 1e8, reproduced by ``_power_of_ten``) it computes ``rint(a * f) /
#     f`` (``rint(a / f) * f`` for negative decimals) with three ufunc calls in
#     the array's dtype — ``f`` is a Python float, weak under NEP 50, so a
#     float32 array computes in float32 with ``float32(f)`` — and an integer
#     array through float64 and a cast back (unsafe: out-of-range values bail
#     out here).  A finite value whose product overflows to an infinity bails
#     out (numpy warns), as does a ``decimals`` whose ``f`` is not finite in the
#     dtype (NotLowerable; ``inf / inf`` warns too).

def _power_of_ten(n: int) -> float:
    """numpy's ``power_of_ten`` (calculation.c), in the same double steps."""
    if n < 9:
        return float(10 ** n)
    ret = 1e9
    for _ in range(n - 9):
        ret *= 10.0
    return ret


@lowering("np.round")
def _np_round(ctx, b, node, args):
    (t,), (x,) = node.in_types, args
    d = node.attrs.get("decimals", 0)
    if type(d) is not int:
        raise NotLowerable(f"np.round decimals {d!r}")
    if not isinstance(node.out_type, NpScalar):
        raise NotLowerable(f"np.round with result {node.out_type}")
    if d != 0 and not (d > 0 and scalar_kind(t)[0] in "iu"):
        _no_inplace_kernel(ctx, node)
    return _numpy_round(ctx, b, x, t, node.out_type, ir.Constant(I64, d), decimals=d)


def _no_inplace_kernel(ctx, node) -> None:
    """``np.round`` with ``decimals != 0`` bails out on values (overflow, an
    integer result out of range): in a kernel fused into an in-place update
    (``a += np.round(a, 9)``) that would leave ``a`` half-written when CPython
    re-runs the statement.  Such a graph is not lowered (as npfloat.py's
    ``_check_may_bail``); an array operand only — a scalar fails on the first
    element or never."""
    if not isinstance(node.inputs[0].type, Array):
        return
    fused = getattr(ctx.graph, "fused", None) or {}
    if any(OPS[c.op].mutates for c in fused.values()):
        raise NotLowerable("np.round: a value-dependent bailout in a graph with an in-place kernel")


def _numpy_round(ctx, b, x, t, out, n, decimals=None):
    """numpy's round of a scalar ``x`` of type ``t`` to ``out`` (Note [numpy round]);
    ``decimals`` when known at compile time, else ``n`` at run time."""
    okind, sk = scalar_kind(out), scalar_kind(t)
    if okind is None or sk is None or okind[0] not in "fiu" or sk[0] == "c":
        raise NotLowerable(f"numpy round of {t} to {out}")
    llvm_type(out)  # float16: NotLowerable
    if okind[0] in "iu":
        if sk[0] not in "iu":
            raise NotLowerable(f"numpy round of {t} to {out}")
        x = cast(ctx, b, x, t, out)
        if decimals is not None and decimals >= 0:
            return x
        wide = (b.uitofp if okind[0] == "u" else b.sitofp)(x, F64)
        y = _scaled_rint(ctx, b, wide, np.dtype("f8"), n, decimals)
        return _float_to_int(ctx, b, y, out, x, b.icmp_signed(">=", n, ir.Constant(I64, 0)))
    x = cast(ctx, b, x, t, out)
    if decimals == 0:
        return cg.call_math(ctx, b, "rint", [x], x.type)
    return _scaled_rint(ctx, b, x, out.dtype, n, decimals)


def _scaled_rint(ctx, b, x, dtype, n, decimals):
    """``rint(x * f) / f`` or ``rint(x / f) * f`` in ``dtype``."""
    ty = x.type
    if decimals is not None:
        f = _power_of_ten(abs(decimals))
        with np.errstate(all="ignore"):  # float32(1e39) is inf: not lowered, no warning
            fc = float(np.dtype(dtype).type(f))
        if not np.isfinite(fc):
            raise NotLowerable(f"np.round to {decimals} decimals in {dtype}")
        fv = ir.Constant(ty, fc)
        pos = ir.Constant(I1, int(decimals >= 0))
    else:  # round(numpy scalar, n) with n known at run time
        zero = ir.Constant(I64, 0)
        pos = b.icmp_signed(">=", n, zero)
        m = b.select(pos, n, b.neg(n))
        small = b.icmp_unsigned("<=", m, ir.Constant(I64, _MAX_POW10))
        cg.bail_if(ctx, b, b.not_(small))
        powers = [float(np.dtype(dtype).type(_power_of_ten(i))) for i in range(_MAX_POW10 + 1)]
        fv = _lookup(ctx, b, f"pj.np_pow10.{np.dtype(dtype).str[1:]}", ty, powers, m)
    if decimals is not None and decimals >= 0 or decimals is None:
        up = cg.call_math(ctx, b, "rint", [b.fmul(x, fv)], ty)
        up = b.fdiv(up, fv)
    if decimals is not None and decimals < 0 or decimals is None:
        down = cg.call_math(ctx, b, "rint", [b.fdiv(x, fv)], ty)
        down = b.fmul(down, fv)
    y = (up if decimals >= 0 else down) if decimals is not None else b.select(pos, up, down)
    # a finite x whose scaled value overflows: numpy warns (overflow encountered in multiply)
    inf = ir.Constant(ty, float("inf"))
    cg.bail_if(ctx, b, b.and_(b.fcmp_ordered("<", _fabs(ctx, b, x), inf),
                              b.fcmp_ordered("==", _fabs(ctx, b, y), inf)))
    return y


def _float_to_int(ctx, b, y, out, x, keep):
    """numpy's cast of the rounded double back to the integer dtype: in range it
    truncates (the value is integral); out of range (platform-defined) bails out.
    ``keep``: ``decimals >= 0`` at run time, where the result is ``x`` itself."""
    info = np.iinfo(out.dtype)
    ok = b.and_(b.fcmp_ordered(">=", y, ir.Constant(F64, float(info.min))),
                b.fcmp_ordered("<", y, ir.Constant(F64, float(info.max) + 1.0)))
    cg.bail_if(ctx, b, b.and_(b.not_(keep), b.not_(ok)))
    y = b.select(ok, y, ir.Constant(F64, 0.0))
    r = (b.fptoui if out.dtype.kind == "u" else b.fptosi)(y, x.type)
    return b.select(keep, x, r)


# ---- divmod ---------------------------------------------------------------------------

@lowering("divmod")
def _divmod(ctx, b, node, args):
    out = node.out_type
    if not isinstance(out, TupleT) or len(out.items) != 2:
        raise NotLowerable(f"divmod with result {out}")
    for t in node.in_types:
        if scalar_kind(t) is None or scalar_kind(t)[0] == "c":
            raise NotLowerable(f"divmod of {t}")
    item = out.items[0]
    if all(isinstance(t, PyScalar) for t in node.in_types):
        ct, (x, y) = _operands(ctx, b, node, args)
    else:
        ct = item
        x, y = (cast(ctx, b, v, t, ct) for v, t in zip(args, node.in_types))
    kind = scalar_kind(ct)
    if kind is None or kind[0] == "b":
        raise NotLowerable(f"divmod computed in {ct}")
    if kind[0] == "f":
        zero = ir.Constant(x.type, 0.0)
        cg.bail_if(ctx, b, b.fcmp_ordered("==", y, zero))
        if isinstance(ct, NpScalar):  # numpy warns: invalid value encountered in divmod
            inf = ir.Constant(x.type, float("inf"))
            finite = b.and_(b.fcmp_ordered("<", _fabs(ctx, b, x), inf),
                            b.fcmp_ordered("<", _fabs(ctx, b, y), inf))
            cg.bail_if(ctx, b, b.not_(finite))
        div, mod = cg.py_float_divmod(ctx, b, x, y, x.type)  # = numpy's npy_divmod for y != 0
    elif ct == INT:
        div, mod = cg.py_int_floordiv(ctx, b, x, y), cg.py_int_mod(ctx, b, x, y)
    else:
        div, mod = _numpy_int_divmod(ctx, b, x, y, kind[0])
    s = ir.Constant(llvm_type(out), ir.Undefined)
    s = b.insert_value(s, cast(ctx, b, div, ct, out.items[0]) if ct != out.items[0] else div, 0)
    return b.insert_value(s, cast(ctx, b, mod, ct, out.items[1]) if ct != out.items[1] else mod, 1)


def _numpy_int_divmod(ctx, b, x, y, kind):
    """numpy's integer divmod: floor division and a remainder with the divisor's
    sign.  Division by zero and ``MIN // -1`` (numpy warns) bail out."""
    ty = x.type
    zero, one = ir.Constant(ty, 0), ir.Constant(ty, 1)
    cg.bail_if(ctx, b, b.icmp_unsigned("==", y, zero))
    if kind == "u":
        return b.udiv(x, y), b.urem(x, y)
    cg.bail_if(ctx, b, b.and_(b.icmp_signed("==", x, ir.Constant(ty, -(1 << (ty.width - 1)))),
                              b.icmp_signed("==", y, ir.Constant(ty, -1))))
    q, r = b.sdiv(x, y), b.srem(x, y)
    fix = b.and_(b.icmp_signed("!=", r, zero),
                 b.icmp_unsigned("!=", b.icmp_signed("<", r, zero), b.icmp_signed("<", y, zero)))
    return b.select(fix, b.sub(q, one), q), b.select(fix, b.add(r, y), r)
