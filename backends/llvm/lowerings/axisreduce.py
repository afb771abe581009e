"""Reductions along axes: ``a.sum(axis=0)``, ``np.max(a, axis=1)``,
``a.mean(axis=(0, 2), keepdims=True)``, ``a.argmin(axis=-1)`` — bit-identical
to numpy.  lowerings/reductions.py dispatches here when ``axis`` leaves an
array; a reduction over every axis without ``keepdims`` is a full reduction.

Lowered: the result allocated C-contiguous (so not an F-ordered result of two
or more dimensions), no ``dtype``/``out``; then

* order-free reductions — integer and bool ``sum``/``prod`` (they wrap),
  ``min``/``max`` (a NaN, or a zero where the reduced elements hold both
  zeros, bails out: numpy's SIMD picks among equals), ``argmin``/``argmax``
  (the first extreme, or the first NaN, along the axis): any layout, each
  output element scanning its reduced elements (``_per_output``);
* float ``sum``/``mean``/``prod`` of a C- or F-contiguous array, in numpy's
  order (Note [axis reduction order]).  A NaN result bails out, as for full
  sums.  Of a strided array numpy's order depends on the strides at run time:
  ``NotLowerable``.  The ``mean`` of an integer array (numpy sums it cast to
  float64 in buffered chunks) is not lowered either.

Note [axis reduction order]
    numpy's reduction iterator orders the axes by the input's strides (largest
    outermost; a C-contiguous array keeps its order, an F-contiguous one is
    reversed), merges neighbours that are all reduced or all kept (contiguous
    in memory), and calls the inner loop once per run of the innermost group.
    If that group is reduced, each call adds numpy's pairwise sum of the run to
    the output element (``out += pairwise_sum(run)``); if it is kept, each call
    adds the run to a run of outputs elementwise.  The outputs start at the
    identity (``0.0``, ``1.0``; ``np.sum(x, axis=0)`` of ``[[-0.0]]`` is ``0.0``).
    So each output element is the identity, then, in the nested order of the
    outer axes, plus the pairwise sum of its run or plus one element.  A
    product is the same with ``*`` and a plain loop for a run.  Checked
    against numpy for 1..4-d arrays, C and F, rows up to 20000 elements (numpy
    does not split a run that needs no buffering).
"""
from __future__ import annotations

from llvmlite import ir

from pyjit.ir.types import Array, NpScalar

from .. import cgutils as cg
from ..kernels import _allocate, _store
from ..reprs import I1, I64, NotLowerable, llvm_type, scalar_kind
from .fusedreduce import _worst
from .reductions import _better, _load, _pairwise_fn, _widen, counted_loop, mean_of, reduced_axes

_ZERO = ir.Constant(I64, 0)
_ONE = ir.Constant(I64, 1)


def lower_axis(ctx, b, node, args):
    t, out_t = node.in_types[0], node.out_type
    a = node.attrs
    if a.get("dtype") is not None or a.get("out") is not None:
        raise NotLowerable(f"{node.op} with dtype= or out=")
    if not isinstance(t, Array) or not isinstance(out_t, Array):
        raise NotLowerable(f"{node.op} of {t} giving {out_t}")
    if out_t.ndim >= 2 and out_t.layout == "F":
        raise NotLowerable(f"{node.op} along an axis of an F-ordered array (an F-ordered result)")
    kind = scalar_kind(NpScalar(t.dtype))
    if kind is None or kind[0] == "f" and kind[1] not in (32, 64):
        raise NotLowerable(f"{node.op} of {t}")
    axes = reduced_axes(a["axis"], t.ndim)
    if not axes:
        raise NotLowerable(f"{node.op} over no axis (a copy)")
    arr = args[0]
    shape = [b.extract_value(arr, [1, d]) for d in range(t.ndim)]
    kept = [d for d in range(t.ndim) if d not in axes]
    count = _ONE
    for d in axes:
        count = b.mul(count, shape[d])
    op = node.op
    if op in ("np.min", "np.max", "np.argmin", "np.argmax"):
        cg.bail_if(ctx, b, b.icmp_signed("==", count, _ZERO))  # numpy raises ValueError
    out_shape = [shape[d] if d in kept else _ONE for d in range(t.ndim)] if a.get("keepdims") \
        else [shape[d] for d in kept]
    ordered = kind[0] == "f" and op in ("np.sum", "np.mean", "np.prod")
    if op == "np.mean" and kind[0] != "f":
        raise NotLowerable("mean of an integer array (numpy sums it cast to float64 in chunks)")
    if ordered and t.layout not in "CF":
        raise NotLowerable(f"{op} of floats along an axis of a strided array "
                           "(numpy orders it by the strides at run time)")
    if op == "np.mean":
        cg.bail_if(ctx, b, b.icmp_signed("==", count, _ZERO))  # numpy warns and returns nan
    out = _allocate(ctx, b, out_shape, out_t)
    view = _Axes(b, t, arr, shape, axes, kept, bool(a.get("keepdims")), out, out_t)
    if ordered:
        _ordered(ctx, b, view, op, count)
    else:
        _per_output(ctx, b, view, op, kind)
    return out


class _Axes:
    """The input, its reduced and kept axes, and the output array."""

    def __init__(self, b, t, arr, shape, axes, kept, keepdims, out, out_t):
        self.t, self.arr, self.shape, self.axes, self.kept = t, arr, shape, axes, kept
        self.keepdims, self.out, self.out_t = keepdims, out, out_t
        self.elem = NpScalar(out_t.dtype)
        self.out_ty = llvm_type(self.elem)
        self.strides = cg.array_strides(b, t, arr, shape)

    def in_ptr(self, b, at: dict):
        """``data`` + the byte offset of the indexes ``{axis: i}`` (others at 0)."""
        off = _ZERO
        for d, i in at.items():
            off = b.add(off, b.mul(i, self.strides[d]))
        return b.gep(b.extract_value(self.arr, 0), [off])

    def out_ptr(self, b, at: dict):
        """The output element of the kept indexes ``{axis: i}`` (others at 0)."""
        off = _ZERO
        dims = range(self.t.ndim) if self.keepdims else self.kept
        for k, d in enumerate(dims):
            if d in at and d in self.kept:
                off = b.add(off, b.mul(at[d], b.extract_value(self.out, [2, k])))
        mem = ir.IntType(8) if self.out_ty == I1 else self.out_ty
        return b.bitcast(b.gep(b.extract_value(self.out, 0), [off]), mem.as_pointer())

    def load(self, b, at: dict):
        return _load(b, self.in_ptr(b, at), _ZERO, _ZERO, self.t)

    def load_out(self, b, ptr):
        return b.load(ptr)


def _nested(ctx, b, dims, axes, at, accs, step):
    """Nested loops over ``axes`` (sizes ``dims``), C order, carrying ``accs``:
    ``step(b, at, accs)`` with ``at`` = {axis: index}."""
    if not axes:
        return step(b, dict(at), accs)
    d = axes[0]
    return counted_loop(ctx, b, _ZERO, dims[d], accs,
                        lambda b, i, a: _nested(ctx, b, dims, axes[1:], {**at, d: i}, a, step))


_FAST = ("nnan", "nsz")


def _pick(b, kind, cmp, x, acc, free_float):
    """``(new extreme, whether x replaced it)``.  ``free_float``: a float min/max
    whose NaNs bail out, so the compare and select carry ``nnan nsz`` and LLVM
    may vectorize them (as reductions._float_extreme); the result is poison if
    a NaN was seen, and ``_ambiguous`` never lets that reach a branch."""
    if free_float:
        return b.select(b.fcmp_ordered(cmp, x, acc, flags=_FAST), x, acc, flags=_FAST), None
    take = _better(b, kind, cmp, x, acc)
    return b.select(take, x, acc), take


def _ambiguous(b, m, any_nan, pos_zero, neg_zero):
    """A float min/max numpy may answer differently (Note in reductions.py): a NaN
    was seen, or the result is a zero and both zeros were.  A select, not an or,
    so a poison ``m`` (after a NaN) is never used."""
    zero = b.fcmp_ordered("==", m, ir.Constant(m.type, 0.0))
    return b.select(any_nan, ir.Constant(I1, 1), b.and_(zero, b.and_(pos_zero, neg_zero)))


def _other_zero(ctx, b, v, at, m, any_nan, ity):
    """Whether numpy may answer the float min/max ``m`` of the output at ``at``
    differently: a NaN was seen, or ``m`` is a zero and its reduced elements hold
    the other zero (a second scan, only then, as reductions._bail_if_ambiguous).
    ``m`` is poison after a NaN: it is only compared where ``any_nan`` is false."""
    zero = b.select(any_nan, ir.Constant(I1, 0), b.fcmp_ordered("==", m, ir.Constant(m.type, 0.0)))
    pre = b.block
    check = b.append_basic_block("axis.zero")
    after = b.append_basic_block("axis.checked")
    b.cbranch(zero, check, after)
    b.position_at_end(check)
    bits = b.bitcast(m, ity)

    def step(b, at2, found):
        x = v.load(b, at2)
        other = b.and_(b.fcmp_ordered("==", x, m), b.icmp_unsigned("!=", b.bitcast(x, ity), bits))
        return [b.or_(found[0], other)]
    (found,) = _nested(ctx, b, v.shape, v.axes, at, [ir.Constant(I1, 0)], step)
    check_end = b.block
    b.branch(after)
    b.position_at_end(after)
    r = b.phi(I1)
    r.add_incoming(any_nan, pre)
    r.add_incoming(found, check_end)
    return r


def _per_output(ctx, b, v, op, kind):
    """Order-free reductions: each output element scans its reduced elements."""
    out_ty, elem_ty = v.out_ty, llvm_type(NpScalar(v.t.dtype))
    is_float = kind[0] == "f"
    ity = I64 if elem_ty == ir.DoubleType() else ir.IntType(32)
    false = ir.Constant(I1, 0)
    if op in ("np.sum", "np.prod"):
        inits = [ir.Constant(out_ty, int(op == "np.prod"))]

        def step(b, at, accs):
            return [(b.add if op == "np.sum" else b.mul)(accs[0], _widen(b, v.load(b, at), kind, out_ty))]
    else:
        cmp = "<" if op.endswith("min") else ">"
        inits = [_worst(elem_ty, kind, cmp), _ZERO, false]
        (axis,) = v.axes if op.startswith("np.arg") else (None,)

        def step(b, at, accs):
            x = v.load(b, at)
            m, take = _pick(b, kind, cmp, x, accs[0], is_float and axis is None)
            new = [m, b.select(take, at[axis], accs[1]) if axis is not None else accs[1]]
            if is_float and not op.startswith("np.arg"):
                new.append(b.or_(accs[2], b.fcmp_unordered("uno", x, x)))
            else:
                new.append(accs[2])
            return new
    flag = ctx.alloca(I1)  # some output numpy would compute differently: bail out at the end
    b.store(false, flag)

    def each(b, at, _):
        accs = _nested(ctx, b, v.shape, v.axes, at, inits, step)
        ptr = v.out_ptr(b, at)
        if op.startswith("np.arg"):
            _store(b, ptr, accs[1], v.elem)
        else:
            _store(b, ptr, accs[0], v.elem)
            if is_float and op in ("np.min", "np.max"):
                b.store(b.or_(b.load(flag), _other_zero(ctx, b, v, at, accs[0], accs[2], ity)), flag)
        return []
    _nested(ctx, b, v.shape, v.kept, {}, [], each)
    cg.bail_if(ctx, b, b.load(flag))


def _ordered(ctx, b, v, op, count):
    """Float sum/mean/prod in numpy's order (Note [axis reduction order])."""
    nd = v.t.ndim
    perm = list(range(nd)) if v.t.layout == "C" else list(reversed(range(nd)))
    reduced = [d in v.axes for d in perm]
    k = nd
    while k > 0 and reduced[k - 1] == reduced[-1]:
        k -= 1
    inner, outer = perm[k:], perm[:k]
    inner_reduced = reduced[-1]
    run = _ONE
    for d in inner:
        run = b.mul(run, v.shape[d])
    ty = v.out_ty
    fast = cg.fp_flags(ctx)
    is_sum = op != "np.prod"
    identity = ir.Constant(ty, 0.0 if is_sum else 1.0)
    itemsize = ir.Constant(I64, v.t.dtype.itemsize)

    def init(b, at, _):
        _store(b, v.out_ptr(b, at), identity, v.elem)
        return []
    _nested(ctx, b, v.shape, v.kept, {}, [], init)

    def combine(b, x, y):
        return b.fadd(x, y, flags=fast) if is_sum else b.fmul(x, y, flags=fast)

    def outer_step(b, at, _):
        base = v.in_ptr(b, at)
        if inner_reduced:
            ptr = v.out_ptr(b, at)
            if is_sum:
                part = b.call(_pairwise_fn(ctx, v.t), [base, run, itemsize])
                b.store(combine(b, b.load(ptr), part), ptr)
            else:
                (r,) = counted_loop(ctx, b, _ZERO, run, [b.load(ptr)], lambda b, i, acc: [
                    combine(b, acc[0], _load(b, base, i, itemsize, v.t))])
                b.store(r, ptr)
        else:
            ptr0 = v.out_ptr(b, at)  # the run of outputs: the inner kept axes are contiguous

            def add_one(b, i, _):
                p = b.gep(ptr0, [i])
                b.store(combine(b, b.load(p), _load(b, base, i, itemsize, v.t)), p)
                return []
            counted_loop(ctx, b, _ZERO, run, [], add_one)
        return []
    _nested(ctx, b, v.shape, outer, {}, [], outer_step)

    flag = ctx.alloca(I1)  # a NaN result: its sign and payload depend on numpy's operand order
    b.store(ir.Constant(I1, 0), flag)

    def finish(b, at, _):
        ptr = v.out_ptr(b, at)
        r = b.load(ptr)
        b.store(b.or_(b.load(flag), b.fcmp_unordered("uno", r, r)), flag)
        if op == "np.mean":
            b.store(mean_of(ctx, b, r, count, ty), ptr)
        return []
    _nested(ctx, b, v.shape, v.kept, {}, [], finish)
    cg.bail_if(ctx, b, b.load(flag))


# ---- full reductions of strided n-d arrays ------------------------------------------------

def lower_strided_full(ctx, b, node, args):
    """A full reduction of a strided array of two or more dimensions: the
    order-free ones (integer sum and product, min, max, argmin, argmax), in C
    order (argmin's flat index is numpy's C-order one).

    Note [strided float sums]
        Of a strided array numpy's order is its iterator's choice at run time:
        a (1500, 3) view with strides (80, 16) is summed as its contiguous copy
        is (one pairwise sum: the iterator copies it into its buffer), not row
        by row, and when it buffers depends on the strides and the buffer size.
        Float sums, means and products of such arrays are not lowered."""
    t = node.in_types[0]
    a = node.attrs
    if a.get("dtype") is not None or a.get("out") is not None or a.get("keepdims"):
        raise NotLowerable(f"{node.op} with dtype=, out= or keepdims=")
    kind = scalar_kind(NpScalar(t.dtype))
    if kind is None or kind[0] == "f" and kind[1] not in (32, 64) or \
            not isinstance(node.out_type, NpScalar):
        raise NotLowerable(f"{node.op} of {t}")
    op = node.op
    if op == "np.mean" and kind[0] != "f":
        raise NotLowerable("mean of an integer array (numpy sums it cast to float64 in chunks)")
    arr = args[0]
    shape = [b.extract_value(arr, [1, d]) for d in range(t.ndim)]
    count = _ONE
    for n in shape:
        count = b.mul(count, n)
    v = _Axes(b, t, arr, shape, tuple(range(t.ndim)), [], False, None, Array(t.dtype, 0))
    if kind[0] == "f" and op in ("np.sum", "np.mean", "np.prod"):
        raise NotLowerable(f"{op} of floats of a strided {t.ndim}-d array (numpy buffers "
                           "it or not by its strides at run time: Note [strided float sums])")
    is_arg = op.startswith("np.arg")
    if op in ("np.min", "np.max", "np.argmin", "np.argmax"):
        cg.bail_if(ctx, b, b.icmp_signed("==", count, _ZERO))  # numpy raises ValueError
    elem_ty = llvm_type(NpScalar(t.dtype))
    out_ty = llvm_type(node.out_type)
    if op in ("np.sum", "np.prod"):
        def step(b, at, accs):
            f = b.add if op == "np.sum" else b.mul
            return [f(accs[0], _widen(b, v.load(b, at), kind, out_ty))]
        (r,) = _nested(ctx, b, shape, v.axes, {}, [ir.Constant(out_ty, int(op == "np.prod"))], step)
        return r
    cmp = "<" if op.endswith("min") else ">"
    ity = I64 if elem_ty == ir.DoubleType() else ir.IntType(32)
    false = ir.Constant(I1, 0)

    def step(b, at, accs):
        x = v.load(b, at)
        m, take = _pick(b, kind, cmp, x, accs[0], kind[0] == "f" and not is_arg)
        new = [m, b.select(take, accs[2], accs[1]) if is_arg else accs[1], b.add(accs[2], _ONE)]
        if kind[0] == "f" and not is_arg:
            bits = b.bitcast(x, ity)
            new += [b.or_(accs[3], b.fcmp_unordered("uno", x, x)),
                    b.or_(accs[4], b.icmp_unsigned("==", bits, ir.Constant(ity, 0))),
                    b.or_(accs[5], b.icmp_unsigned("==", bits, ir.Constant(ity, 1 << (ity.width - 1))))]
        else:
            new += accs[3:]
        return new
    accs = _nested(ctx, b, shape, v.axes, {}, [_worst(elem_ty, kind, cmp), _ZERO, _ZERO,
                                                 false, false, false], step)
    if is_arg:
        return accs[1]
    if kind[0] == "f":
        cg.bail_if(ctx, b, _ambiguous(b, accs[0], *accs[3:6]))
    return accs[0]


__all__ = ["lower_axis", "lower_strided_full"]
