"""Full reductions of arrays: ``a.sum()``, ``prod``, ``mean``, ``min``, ``max``,
``argmin``, ``argmax`` — bit-identical to numpy — and the dispatch to the
other reduction lowerings.

Lowered here: ``axis=None`` or every axis (and no ``dtype``/``out``/``keepdims``)
over a 1-d array of any stride or a C- or F-contiguous array of any ndim
(numpy's iterator coalesces those into one pass in memory order).  Elsewhere
(``_fused`` picks): along axes, axisreduce.py; of a never-materialised
elementwise result (``np.sum(a * b)``), fusedreduce.py; of a strided n-d array,
axisreduce.py (order-free reductions only: Note [strided float sums]).  The mean
of an integer array (numpy casts it to float64 in buffered chunks) raises
``NotLowerable`` with that reason and stays on numpy.

How each matches numpy bit for bit:

* float ``sum``/``mean``: numpy adds ``pairwise_sum(a, n)`` to the identity
  ``0.0`` (Note [pairwise summation]); ``mean`` divides by ``n`` in float64 and
  rounds to the array's float type (``mean_of``).  Integer sums and products
  wrap in the result dtype (int64 or uint64), where the order does not
  matter; a float ``prod`` multiplies in
  order from ``1.0``, as numpy's multiply reduce does.  A NaN result bails out:
  its sign and payload depend on the operand order numpy's compiler chose.
* float ``min``/``max``: numpy's SIMD loops return a lane-order-dependent one
  of several *equal* values, which only shows for ``0.0`` against ``-0.0``, and
  canonicalise a NaN result (``-nan`` becomes ``nan``, but not on short or
  strided arrays).  So a NaN result bails out, and so does a zero when another
  element is the other zero: numpy itself computes those answers.  That frees
  the loop's order, so it vectorizes (``_float_extreme``).
* ``argmin``/``argmax``: the first index of the extreme value, or of the first
  NaN (numpy's documented rule).
* ``min``/``max``/``argmin``/``argmax``/``mean`` of an empty array bail out:
  CPython re-runs the statement and numpy raises its ValueError (or, for
  ``mean``, warns and returns nan).

Note [pairwise summation]
    numpy's ``@TYPE@_pairwise_sum`` (numpy/_core/src/umath/loops_utils.h.src):
    below 8 elements a plain loop from ``0.``; up to 128 (``PW_BLOCKSIZE``)
    eight accumulators over the first ``n - n % 8`` elements, combined as
    ``((r0+r1)+(r2+r3))+((r4+r5)+(r6+r7))``, then the rest added one by one;
    above, split at ``n2 = n/2 - (n/2) % 8`` and recurse on both halves.  We
    emit the same function (recursive, internal to the module), in the array's
    float type, on strided data.
"""
from __future__ import annotations

from llvmlite import ir

from pyjit.ir.types import Array, NpScalar

from .. import cgutils as cg
from ..lower import lowering
from ..reprs import I1, I8, I64, NotLowerable, llvm_type, scalar_kind

_ONE = ir.Constant(I64, 1)
_ZERO = ir.Constant(I64, 0)


# ---- the array as one strided run of elements ------------------------------------------

def reduced_axes(axis, ndim: int) -> tuple:
    """``axis`` (an int or a tuple, possibly negative) as sorted axes."""
    axes = axis if isinstance(axis, tuple) else (axis,)
    return tuple(sorted(a % ndim for a in axes)) if ndim else ()


def _flat(ctx, b, node, args):
    """``(data, n, stride, kind, elem_ty)`` for the array input, or NotLowerable."""
    t = node.in_types[0]
    if not isinstance(t, Array):
        raise NotLowerable(f"{node.op} of {t}")
    a = node.attrs
    if a.get("axis") is not None and len(set(reduced_axes(a["axis"], t.ndim))) != t.ndim:
        raise NotLowerable(f"{node.op} along an axis")
    if a.get("dtype") is not None or a.get("out") is not None or a.get("keepdims"):
        raise NotLowerable(f"{node.op} with dtype=, out= or keepdims=")
    if not isinstance(node.out_type, NpScalar):
        raise NotLowerable(f"{node.op} giving {node.out_type}")
    kind = scalar_kind(NpScalar(t.dtype))
    if kind is None:
        raise NotLowerable(f"{node.op} of {t}")
    arr = args[0]
    data = b.extract_value(arr, 0)
    if t.ndim == 1 and t.layout not in "CF":
        return data, b.extract_value(arr, [1, 0]), b.extract_value(arr, [2, 0]), kind, t
    if t.layout not in "CF":
        raise NotLowerable(f"{node.op} of a strided {t.ndim}-d array (numpy reduces it row by row)")
    if t.layout == "F" and node.op.startswith("np.arg"):
        raise NotLowerable(f"{node.op} of an F-ordered array (the index is in C order)")
    n = _ONE
    for d in range(t.ndim):
        n = b.mul(n, b.extract_value(arr, [1, d]))
    return data, n, ir.Constant(I64, t.dtype.itemsize), kind, t


def _load(b, data, i, stride, t):
    """Element ``i`` of the run, in its register representation."""
    ty = llvm_type(NpScalar(t.dtype))
    mem = I8 if ty == I1 else ty
    p = b.bitcast(b.gep(data, [b.mul(i, stride)]), mem.as_pointer())
    v = b.load(p)
    return b.icmp_unsigned("!=", v, ir.Constant(I8, 0)) if ty == I1 else v


def counted_loop(ctx, b, lo, hi, inits, body, step=1):
    """``for i in range(lo, hi, step)``: ``accs = body(b, i, accs)``; returns the
    final accumulators with ``b`` after the loop."""
    pre = b.block
    head = b.append_basic_block("red.head")
    loop = b.append_basic_block("red.body")
    done = b.append_basic_block("red.done")
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(I64)
    i.add_incoming(lo, pre)
    phis = []
    for v in inits:
        p = b.phi(v.type)
        p.add_incoming(v, pre)
        phis.append(p)
    b.cbranch(b.icmp_signed("<", i, hi), loop, done)
    b.position_at_end(loop)
    new = body(b, i, phis)
    latch = b.block
    i.add_incoming(b.add(i, ir.Constant(I64, step), flags=("nsw",)), latch)
    for p, v in zip(phis, new):
        p.add_incoming(v, latch)
    b.branch(head)
    b.position_at_end(done)
    return phis


def _widen(b, v, kind, ty):
    """An element as the accumulator type ``ty`` (numpy's result dtype)."""
    if v.type == ty:
        return v
    if isinstance(ty, ir.IntType):
        return b.zext(v, ty) if kind[0] in "ub" else b.sext(v, ty)
    return b.fpext(v, ty) if isinstance(v.type, (ir.FloatType, ir.DoubleType)) else b.sitofp(v, ty)


# ---- sum, prod, mean --------------------------------------------------------------------

def _pairwise_fn(ctx, t):
    """The module's ``pairwise_sum`` for arrays of ``t``'s dtype (Note [pairwise summation]).
    Under ``fastmath`` its additions may be reassociated (Note [fastmath flags]):
    LLVM then vectorizes the loops."""
    ty = llvm_type(NpScalar(t.dtype))
    fast = cg.fp_flags(ctx)
    name = f"pyjit.pairwise_sum.{t.dtype.str[1:]}" + (".fast" if fast else "")
    if name in ctx._decls:
        return ctx._decls[name]
    fn = ir.Function(ctx.module, ir.FunctionType(ty, [cg.I8P, I64, I64]), name)
    fn.linkage = "internal"
    ctx._decls[name] = fn
    data, n, stride = fn.args
    b = ir.IRBuilder(fn.append_basic_block("entry"))
    small, block, split = (fn.append_basic_block(x) for x in ("small", "block", "split"))
    zero = ir.Constant(ty, 0.0)
    b.cbranch(b.icmp_signed("<", n, ir.Constant(I64, 8)), small, block)
    b.position_at_end(small)
    (res,) = counted_loop(ctx, b, _ZERO, n, [zero],
                          lambda b, i, acc: [b.fadd(acc[0], _load(b, data, i, stride, t), flags=fast)])
    b.ret(res)
    b.position_at_end(block)
    leaf = fn.append_basic_block("leaf")
    b.cbranch(b.icmp_signed("<=", n, ir.Constant(I64, 128)), leaf, split)
    b.position_at_end(leaf)
    r0 = [_load(b, data, ir.Constant(I64, j), stride, t) for j in range(8)]
    whole = b.sub(n, b.srem(n, ir.Constant(I64, 8)))

    def eight(b, i, r):
        return [b.fadd(r[j], _load(b, data, b.add(i, ir.Constant(I64, j)), stride, t), flags=fast)
                for j in range(8)]
    r = counted_loop(ctx, b, ir.Constant(I64, 8), whole, r0, eight, step=8)
    add = lambda x, y: b.fadd(x, y, flags=fast)  # noqa: E731
    res = add(add(add(r[0], r[1]), add(r[2], r[3])), add(add(r[4], r[5]), add(r[6], r[7])))
    (res,) = counted_loop(ctx, b, whole, n, [res],
                          lambda b, i, acc: [b.fadd(acc[0], _load(b, data, i, stride, t), flags=fast)])
    b.ret(res)
    b.position_at_end(split)
    n2 = b.sdiv(n, ir.Constant(I64, 2))
    n2 = b.sub(n2, b.srem(n2, ir.Constant(I64, 8)))
    left = b.call(fn, [data, n2, stride])
    right = b.call(fn, [b.gep(data, [b.mul(n2, stride)]), b.sub(n, n2), stride])
    b.ret(b.fadd(left, right, flags=fast))
    return fn


def _fused(ctx, b, node, args):
    """The lowering of a reduction along axes (lowerings/axisreduce.py), of a
    never-materialised elementwise result (lowerings/fusedreduce.py) or of a
    strided n-d array (axisreduce.py); None for a run of elements (``_flat``)."""
    from ..kernels import fused_source
    src = fused_source(ctx, node.inputs[0])
    if src is not None:
        from .fusedreduce import lower_fused
        return lower_fused(ctx, b, node, *src)
    if isinstance(node.out_type, Array):
        from .axisreduce import lower_axis
        return lower_axis(ctx, b, node, args)
    t = node.in_types[0]
    if isinstance(t, Array) and t.ndim >= 2 and (
            t.layout not in "CF" or t.layout == "F" and node.op.startswith("np.arg")):
        from .axisreduce import lower_strided_full
        return lower_strided_full(ctx, b, node, args)
    return None


@lowering("np.sum", "np.prod", "np.mean")
def _sum_prod_mean(ctx, b, node, args):
    fused = _fused(ctx, b, node, args)
    if fused is not None:
        return fused
    data, n, stride, kind, t = _flat(ctx, b, node, args)
    out_ty = llvm_type(node.out_type)
    if node.op == "np.mean" and kind[0] != "f":
        raise NotLowerable("mean of an integer array (numpy sums it cast to float64 in chunks)")
    if kind[0] == "f" and node.op != "np.prod":
        total = b.fadd(ir.Constant(out_ty, 0.0), b.call(_pairwise_fn(ctx, t), [data, n, stride]),
                       flags=cg.fp_flags(ctx))
        _bail_if_nan(ctx, b, total)
        if node.op == "np.sum":
            return total
        cg.bail_if(ctx, b, b.icmp_signed("==", n, _ZERO))  # numpy warns and returns nan
        return mean_of(ctx, b, total, n, out_ty)
    is_sum = node.op == "np.sum"
    if isinstance(out_ty, ir.IntType):  # wraps, as numpy's integer loops do
        init, op = ir.Constant(out_ty, int(not is_sum)), (b.add if is_sum else b.mul)
    else:
        fop = b.fadd if is_sum else b.fmul
        init = ir.Constant(out_ty, 0.0 if is_sum else 1.0)
        op = lambda x, y: fop(x, y, flags=cg.fp_flags(ctx))  # noqa: E731

    def step(b, i, acc):
        return [op(acc[0], _widen(b, _load(b, data, i, stride, t), kind, out_ty))]
    (res,) = counted_loop(ctx, b, _ZERO, n, [init], step)
    if not isinstance(out_ty, ir.IntType):
        _bail_if_nan(ctx, b, res)
    return res


def mean_of(ctx, b, total, n, out_ty):
    """``total / n`` as numpy's mean computes it: ``ret.dtype.type(ret / rcount)``
    with an ``intp`` count, i.e. in float64, then rounded to the sum's type
    (a float32 sum over more than 2**24 elements differs from ``f32 / f32(n)``)."""
    if isinstance(total.type, ir.DoubleType):
        return b.fdiv(total, b.sitofp(n, total.type), flags=cg.fp_flags(ctx))
    wide = b.fdiv(b.fpext(total, ir.DoubleType()), b.sitofp(n, ir.DoubleType()),
                  flags=cg.fp_flags(ctx))
    return b.fptrunc(wide, out_ty)


def _bail_if_nan(ctx, b, r):
    """Which NaN a sum of several NaNs (or of inf and -inf) gives depends on the
    operand order the C compiler chose for numpy's loop: numpy answers those."""
    cg.bail_if(ctx, b, b.fcmp_unordered("uno", r, r))


# ---- min, max, argmin, argmax ------------------------------------------------------------

def _better(b, kind, op, x, acc):
    """``x`` replaces ``acc``: strictly smaller (larger), or the first NaN."""
    if kind[0] == "f":
        strict = b.fcmp_ordered(op, x, acc)
        first_nan = b.and_(b.fcmp_unordered("uno", x, x), b.fcmp_ordered("ord", acc, acc))
        return b.or_(strict, first_nan)
    if kind[0] in "ub":
        return b.icmp_unsigned(op, x, acc)
    return b.icmp_signed(op, x, acc)


@lowering("np.min", "np.max", "np.argmin", "np.argmax")
def _extreme(ctx, b, node, args):
    fused = _fused(ctx, b, node, args)
    if fused is not None:
        return fused
    data, n, stride, kind, t = _flat(ctx, b, node, args)
    cg.bail_if(ctx, b, b.icmp_signed("==", n, _ZERO))  # numpy raises ValueError
    op = "<" if node.op.endswith("min") else ">"
    first = _load(b, data, _ZERO, stride, t)
    if kind[0] == "f" and not node.op.startswith("np.arg"):
        return _float_extreme(ctx, b, op, data, n, stride, t, first)

    def step(b, i, accs):
        x = _load(b, data, i, stride, t)
        take = _better(b, kind, op, x, accs[0])
        return [b.select(take, x, accs[0]), b.select(take, i, accs[1])]
    acc, idx = counted_loop(ctx, b, _ONE, n, [first, _ZERO], step)
    if node.op.startswith("np.arg"):
        return idx
    if kind[0] == "f":
        _bail_if_ambiguous(ctx, b, data, n, stride, t, acc)
    return acc


def _float_extreme(ctx, b, op, data, n, stride, t, first):
    """min/max of floats, vectorizable: the compare and select carry ``nnan nsz``
    (LLVM may then reorder them), which is sound because any NaN bails out
    before the result is used, and a zero result is checked for the other zero."""
    fast = ("nnan", "nsz")

    def step(b, i, a):
        x = _load(b, data, i, stride, t)
        m = b.select(b.fcmp_ordered(op, x, a[0], flags=fast), x, a[0], flags=fast)
        return [m, b.or_(a[1], b.fcmp_unordered("uno", x, x))]
    acc, any_nan = counted_loop(ctx, b, _ONE, n, [first, b.fcmp_unordered("uno", first, first)], step)
    cg.bail_if(ctx, b, any_nan)  # before any use of acc, which is poison if a NaN was seen
    _bail_if_ambiguous(ctx, b, data, n, stride, t, acc)
    return acc


def _bail_if_ambiguous(ctx, b, data, n, stride, t, acc):
    """numpy's min/max may return any of several equal elements (which one
    depends on its SIMD lane order), and its SIMD loops turn a ``-nan`` into
    ``nan`` while its scalar loops do not.  So a NaN result bails out, and a
    zero result does when the array holds both ``0.0`` and ``-0.0``: numpy
    computes those."""
    ty = acc.type
    ity = I64 if isinstance(ty, ir.DoubleType) else ir.IntType(32)
    cg.bail_if(ctx, b, b.fcmp_unordered("uno", acc, acc))
    check = b.append_basic_block("red.zero")
    after = b.append_basic_block("red.checked")
    b.cbranch(b.fcmp_ordered("==", acc, ir.Constant(ty, 0.0)), check, after)
    b.position_at_end(check)
    bits = b.bitcast(acc, ity)

    def step(b, i, found):
        x = _load(b, data, i, stride, t)
        other_zero = b.and_(b.fcmp_ordered("==", x, acc), b.icmp_unsigned("!=", b.bitcast(x, ity), bits))
        return [b.or_(found[0], other_zero)]
    (found,) = counted_loop(ctx, b, _ZERO, n, [ir.Constant(I1, 0)], step)
    cg.bail_if(ctx, b, found)
    b.branch(after)
    b.position_at_end(after)


__all__ = ["counted_loop", "mean_of", "reduced_axes"]
