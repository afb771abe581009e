"""``np.var``/``np.std`` (and ``a.var()``/``a.std()``): numpy's two-pass
algorithm, bit for bit.

Lowered: ``axis=None`` (or axes naming every dimension, the same reduction)
without ``dtype``/``out``/``keepdims``, an int ``ddof``
(any sign) or a float one, over float64 and float32 arrays that
reductions.py's ``_flat`` sees as one run of elements: 1-d of any stride, or
C- or F-contiguous of any ndim (numpy's iterator walks those in memory order).

numpy's ``_var`` (numpy/_core/_methods.py), for a float array ``a`` of ``n``
elements and its dtype ``T``:

1. ``s = umr_sum(a)``: ``0 + pairwise_sum(a)`` in ``T`` (Note [pairwise
   summation] in reductions.py); ``mean = T(s / intp(n))``: the division is
   a float64 one (``T`` and ``intp`` promote to float64), rounded to ``T``.
2. ``x = (a - mean) ** 2`` elementwise in ``T`` (``subtract``, then
   ``square``: ``d * d``), into a new array in ``a``'s memory order, so its
   sum walks the deviations in the same order as step 1 walked ``a``.
3. ``r = 0 + pairwise_sum(x)`` in ``T``; ``var = T(r / (n - ddof))``, again a
   float64 division rounded to ``T``; ``std = T(sqrt(var))`` (a correctly
   rounded square root in ``T``).

The deviations are computed where step 3's pairwise sum loads its elements
(``_deviation_sum``, one internal function per dtype), so nothing is
allocated.

Bailouts (numpy answers, with its warnings): an empty array (the mean is
``0/0``, even where a negative ``ddof`` makes the result ``0.0``), ``n - ddof
<= 0`` (numpy warns "Degrees of freedom <= 0" and divides by zero), and a
result that is not finite: a NaN or infinite input, or an overflow, makes
numpy warn ("invalid value", "overflow encountered in square/reduce"), and
the sign of a NaN it returns depends on the operand order its compiler chose.

Not lowered (``NotLowerable``): int and bool arrays (numpy sums them cast to
float64 in buffered chunks whose size is ``np.setbufsize``'s run-time
setting), strided 2-d arrays (numpy reduces those row by row), an axis,
``dtype=``, ``keepdims=``, a ``ddof`` that is neither an int nor a float.
"""
from __future__ import annotations

import numbers

from llvmlite import ir

from pyjit.ir.types import NpScalar

from .. import cgutils as cg
from ..lower import lowering
from ..reprs import F64, I64, NotLowerable, llvm_type
from .reductions import _flat, _load, _pairwise_fn, counted_loop

_ZERO = ir.Constant(I64, 0)


def _deviation_sum(ctx, t):
    """The module's ``pairwise_sum`` of ``(a[i] - mean) ** 2`` for arrays of
    ``t``'s dtype: ``fn(data, n, stride, mean)``.  The same blocks, accumulators
    and recursion as reductions.py's ``_pairwise_fn`` (Note [pairwise
    summation]); only the element differs."""
    ty = llvm_type(NpScalar(t.dtype))
    fast = cg.fp_flags(ctx)
    name = f"pyjit.pairwise_dev2.{t.dtype.str[1:]}" + (".fast" if fast else "")
    if name in ctx._decls:
        return ctx._decls[name]
    fn = ir.Function(ctx.module, ir.FunctionType(ty, [cg.I8P, I64, I64, ty]), name)
    fn.linkage = "internal"
    ctx._decls[name] = fn
    data, n, stride, mean = fn.args

    def elem(b, i):
        d = b.fsub(_load(b, data, i, stride, t), mean, flags=fast)
        return b.fmul(d, d, flags=fast)

    def add(b, x, y):
        return b.fadd(x, y, flags=fast)

    b = ir.IRBuilder(fn.append_basic_block("entry"))
    small, block, split = (fn.append_basic_block(x) for x in ("small", "block", "split"))
    b.cbranch(b.icmp_signed("<", n, ir.Constant(I64, 8)), small, block)
    b.position_at_end(small)
    (res,) = counted_loop(ctx, b, _ZERO, n, [ir.Constant(ty, 0.0)],
                          lambda b, i, acc: [add(b, acc[0], elem(b, i))])
    b.ret(res)
    b.position_at_end(block)
    leaf = fn.append_basic_block("leaf")
    b.cbranch(b.icmp_signed("<=", n, ir.Constant(I64, 128)), leaf, split)
    b.position_at_end(leaf)
    r0 = [elem(b, ir.Constant(I64, j)) for j in range(8)]
    whole = b.sub(n, b.srem(n, ir.Constant(I64, 8)))
    r = counted_loop(ctx, b, ir.Constant(I64, 8), whole, r0,
                     lambda b, i, r: [add(b, r[j], elem(b, b.add(i, ir.Constant(I64, j))))
                                      for j in range(8)], step=8)
    res = add(b, add(b, add(b, r[0], r[1]), add(b, r[2], r[3])),
              add(b, add(b, r[4], r[5]), add(b, r[6], r[7])))
    (res,) = counted_loop(ctx, b, whole, n, [res], lambda b, i, acc: [add(b, acc[0], elem(b, i))])
    b.ret(res)
    b.position_at_end(split)
    n2 = b.sdiv(n, ir.Constant(I64, 2))
    n2 = b.sub(n2, b.srem(n2, ir.Constant(I64, 8)))
    left = b.call(fn, [data, n2, stride, mean])
    right = b.call(fn, [b.gep(data, [b.mul(n2, stride)]), b.sub(n, n2), stride, mean])
    b.ret(add(b, left, right))
    return fn


def _ddof(node):
    """The ``ddof`` attribute as ``("i", int)`` or ``("f", float)``."""
    ddof = node.attrs.get("ddof", 0)
    if isinstance(ddof, numbers.Integral) and -2 ** 62 < int(ddof) < 2 ** 62:
        return "i", int(ddof)
    if isinstance(ddof, numbers.Real) and not isinstance(ddof, numbers.Integral):
        return "f", float(ddof)
    raise NotLowerable(f"{node.op} with ddof={ddof!r}")


def _divide(ctx, b, x, d):
    """``T(x / d)``: numpy's ``T`` scalar divided by an ``intp`` (or float64)
    count divides in float64 (NEP 50 promotion), then rounds to ``T``."""
    fast = cg.fp_flags(ctx)
    if x.type == F64:
        return b.fdiv(x, d, flags=fast)
    return b.fptrunc(b.fdiv(b.fpext(x, F64), d, flags=fast), x.type)


@lowering("np.var", "np.std")
def _var_std(ctx, b, node, args):
    data, n, stride, kind, t = _flat(ctx, b, node, args)
    if kind[0] != "f":
        raise NotLowerable(f"{node.op} of an {t.dtype} array (numpy sums it cast to float64 "
                           "in buffered chunks of np.setbufsize's run-time size)")
    ty = llvm_type(NpScalar(t.dtype))
    if llvm_type(node.out_type) != ty:
        raise NotLowerable(f"{node.op} of {t} giving {node.out_type}")
    fast = cg.fp_flags(ctx)
    dkind, ddof = _ddof(node)
    nf = b.sitofp(n, F64)  # exact: n < 2**53 for any array that fits in memory
    cg.bail_if(ctx, b, b.icmp_signed("==", n, _ZERO))  # the mean is 0/0: numpy warns
    if dkind == "i":
        # numpy warns "Degrees of freedom <= 0" when ddof >= n, then divides by max(n - ddof, 0)
        cg.bail_if(ctx, b, b.icmp_signed("<=", n, ir.Constant(I64, ddof)))
        denom = b.sitofp(b.sub(n, ir.Constant(I64, ddof)), F64)  # |ddof| < 2**62: no wrap
    else:
        dd = ir.Constant(F64, ddof)
        cg.bail_if(ctx, b, b.fcmp_unordered(">=", dd, nf))  # ddof >= n, or NaN
        denom = b.fsub(nf, dd)  # intp - float: float64
        cg.bail_if(ctx, b, b.fcmp_unordered("<=", denom, ir.Constant(F64, 0.0)))
    total = b.fadd(ir.Constant(ty, 0.0), b.call(_pairwise_fn(ctx, t), [data, n, stride]), flags=fast)
    mean = _divide(ctx, b, total, nf)
    dev = b.fadd(ir.Constant(ty, 0.0), b.call(_deviation_sum(ctx, t), [data, n, stride, mean]),
                 flags=fast)
    var = _divide(ctx, b, dev, denom)
    inf = ir.Constant(ty, float("inf"))
    # not finite (NaN compares unordered): numpy warns and picks the NaN's sign
    cg.bail_if(ctx, b, b.fcmp_unordered(">=", cg.call_math(ctx, b, "fabs", [var], ty), inf))
    if node.op == "np.var":
        return var
    return cg.call_math(ctx, b, "sqrt", [var], ty)
