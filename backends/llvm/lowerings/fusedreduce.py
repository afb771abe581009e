"""Reductions of an elementwise expression that is never materialised:
``np.sum(a * b)``, ``((x - y) ** 2).mean()``, ``np.max(np.abs(a - b))``, and
along trailing axes, ``((p[:, None, :] - q[None, :, :]) ** 2).sum(axis=-1)``.

The fusion pass (pyjit/passes/fusion.py) proposes to fuse a single-use
elementwise producer into a full reduction; ``takes_fused`` is this backend's
answer (``kernels.deferred_nodes`` asks it), and ``lower_fused`` is the
reduction's lowering then (lowerings/reductions.py calls it).

Note [fused reductions]
    numpy reduces the materialised temporary.  That temporary is a fresh array
    allocated in the order numpy's elementwise loop picks (order='K'), and numpy
    reduces a contiguous array in one pass in memory order, so its result is a
    function of the temporary's elements *in memory order*.  We compute the same
    elements (the kernel's scalar lowerings, cast to the temporary's dtype) in
    the C order of the broadcast shape, ``CHUNK`` at a time into a stack buffer
    (``FusedElements.fill``), and reduce them with the very code the
    materialised array would get:

    * float ``sum``/``mean``: numpy's pairwise tree over ``n`` elements (Note
      [pairwise summation] in reductions.py) depends on ``n`` alone.  We walk its
      upper levels with an explicit stack (``_pairwise_fused``) down to the first
      nodes of at most ``CHUNK`` elements, fill each such range and give it to
      the module's ``pairwise_sum``, which continues the same recursion: the
      same tree, the same additions.  Only a temporary in C order (or 1-d) has
      memory order = C order, so others are materialised (``takes_fused``).
      Below 8 elements the tree is a plain loop from ``0.0``: a row of the
      last dimension that short is added up as its elements are computed
      (``_pairwise_row``: ``(points * points).sum(axis=1)`` over (n, 3)
      points), without the buffer and the call.
    * float ``prod``: numpy multiplies in memory order: streamed, C order only.
    * integer ``sum``/``prod`` (they wrap), ``min``/``max`` (a NaN or an
      ambiguous zero bails out, see reductions.py; otherwise the value does not
      depend on the order) and ``argmin``/``argmax`` (defined on the C-order
      flat index): streamed chunk by chunk, any layout.

    Along the last ``k`` axes of a C-ordered temporary (``_along_trailing_axes``):
    numpy's innermost group is reduced, so output element ``o`` is the same
    reduction of the contiguous run ``[o * run, (o + 1) * run)`` (Note [axis
    reduction order] in axisreduce.py); other axes, and temporaries in another
    order, are materialised.

    A check that fails (broadcasting, an overflowing size, a NaN sum) bails out
    before anything was written: CPython re-runs the statement.
"""
from __future__ import annotations

from llvmlite import ir

from pyjit.ir.types import Array, NpScalar

from .. import cgutils as cg
from ..kernels import _broadcast_shape, _calls_numpy, _evaluate, _leaf_pointer, _load as _load_ptr
from ..kernels import _allocate, _loop_nest, _mem, _post_order, _store, _Tree, _cast_store, run_block
from ..reprs import I1, I8, I8P, I64, NotLowerable, llvm_type, scalar_kind
from .reductions import (_bail_if_nan, _better, _load, _pairwise_fn, _widen, counted_loop, mean_of,
                         reduced_axes)

CHUNK = 1024        # elements computed at a time into the stack buffer
_STACK = 64         # depth of the pairwise tree above CHUNK: n < 2**63 halves < 64 times
_ZERO = ir.Constant(I64, 0)
_ONE = ir.Constant(I64, 1)

_FULL = ("np.sum", "np.prod", "np.mean", "np.min", "np.max", "np.argmin", "np.argmax")


def takes_fused(consumer, producer) -> bool:
    """Whether the reduction ``consumer`` computes ``producer``'s elements itself
    (Note [fused reductions]); else the producer is materialised.  A full
    reduction, or one along the trailing axes of a C-ordered temporary whose
    result is C-ordered (each output element reduces a contiguous run)."""
    a = consumer.attrs
    if consumer.op not in _FULL or a.get("dtype") is not None or a.get("out") is not None:
        return False
    if len(consumer.inputs) != 1 or consumer.inputs[0] is not producer.outputs[0]:
        return False
    t, out_t = producer.outputs[0].type, consumer.outputs[0].type
    if not isinstance(t, Array) or not 1 <= t.ndim <= 8:
        return False
    kind = scalar_kind(NpScalar(t.dtype))
    if kind is None or kind[0] == "f" and kind[1] not in (32, 64):
        return False
    if consumer.op == "np.mean" and kind[0] != "f":
        return False  # numpy sums an int array cast to float64 in buffered chunks
    if isinstance(out_t, Array):
        axes = reduced_axes(a.get("axis"), t.ndim) if a.get("axis") is not None else ()
        return bool(axes) and axes == tuple(range(t.ndim - len(axes), t.ndim)) and \
            t.layout == "C" and (out_t.layout == "C" or out_t.ndim <= 1)
    if a.get("keepdims") or not isinstance(out_t, NpScalar):
        return False
    ordered = kind[0] == "f" and consumer.op in ("np.sum", "np.prod", "np.mean")
    return not ordered or t.ndim == 1 or t.layout == "C"


class FusedElements:
    """The elements of the never-materialised result of ``root`` (whose fused
    producers are ``deferred``), in C order of its broadcast shape: ``n`` of
    them, ``fill(b, start, count)`` computes ``[start, start + count)`` into
    ``buf`` (``count <= CHUNK``), ``load(b, i)`` reads ``buf[i]``."""

    def __init__(self, ctx, b, root, deferred):
        self.ctx, self.root, self.deferred = ctx, root, deferred
        self.t = root.outputs[0].type
        self.elem = NpScalar(self.t.dtype)
        self.tree = _Tree(ctx, root, deferred)
        self.tree.collect(root)
        arrays = [leaf for leaf in self.tree.leaves if isinstance(leaf[2], Array)]
        self.shape = _broadcast_shape(ctx, b, arrays, self.t.ndim)
        n = _ONE
        for size in self.shape:  # numpy fails to allocate beyond 2**63 bytes too
            n = cg.checked(ctx, b, "smul", n, size)
        self.n = n
        self.mem = _mem(llvm_type(self.elem))
        self.buf = ctx.alloca(ir.ArrayType(self.mem, CHUNK))
        self.data = b.bitcast(self.buf, I8P)
        self.itemsize = ir.Constant(I64, self.t.dtype.itemsize)
        from ..ufuncs import block_call_plan
        self.plans = [block_call_plan(ctx, p, CHUNK)
                      for p in _post_order(ctx, root, deferred) if _calls_numpy(p)]

    def load(self, b, i):
        return _load(b, self.data, i, self.itemsize, self.t)

    def _leaves_at(self, b, idx):
        element = {}
        for v, lv, t in self.tree.leaves:
            if isinstance(t, Array):
                ptr = _leaf_pointer(b, lv, t, idx, self.t.ndim)
                element[v] = (_load_ptr(b, ptr, NpScalar(t.dtype)), NpScalar(t.dtype))
            else:
                element[v] = (lv, t)
        return element

    def _put(self, b, k, element):
        val, vt = _evaluate(self.ctx, b, self.root, element, self.deferred)
        val = _cast_store(self.ctx, b, val, vt, self.elem)
        _store(b, b.gep(self.buf, [_ZERO, k]), val, self.elem)

    def _unravel(self, b, row):
        """The outer indexes (all but the last dimension) of C-order row ``row``."""
        outer = self.shape[:-1]
        idx = [None] * len(outer)
        for d in reversed(range(len(outer))):
            if d == 0:
                idx[d] = row
            else:
                idx[d] = b.urem(row, outer[d])
                row = b.udiv(row, outer[d])
        return idx

    def fill(self, b, start, count):
        """``buf[0:count]`` = elements ``start .. start + count - 1`` (``count <= CHUNK``):
        row segments of the last dimension, each one loop (or one block of
        numpy loop calls)."""
        ctx = self.ctx
        inner = self.shape[-1]
        safe = b.select(b.icmp_signed("==", inner, _ZERO), _ONE, inner)  # no elements: no row
        pre = b.block
        row0, j0 = b.udiv(start, safe), b.urem(start, safe)
        head = b.append_basic_block("fill.head")
        body = b.append_basic_block("fill.body")
        done = b.append_basic_block("fill.done")
        b.branch(head)
        b.position_at_end(head)
        k, row, j = b.phi(I64), b.phi(I64), b.phi(I64)
        for phi, v in ((k, _ZERO), (row, row0), (j, j0)):
            phi.add_incoming(v, pre)
        b.cbranch(b.icmp_signed("<", k, count), body, done)
        b.position_at_end(body)
        seg = _smin(b, b.sub(inner, j), b.sub(count, k))
        idx = self._unravel(b, row)
        if self.plans:
            def finish(b2, jj, element):
                self._put(b2, b2.add(k, jj), element)
            run_block(ctx, b, self.plans, idx, j, seg, self._leaves_at, finish, self.deferred)
        else:
            _loop_nest(ctx, b, [seg], 0, [], lambda b2, jj: self._put(
                b2, b2.add(k, jj[0]), self._leaves_at(b2, idx + [b2.add(j, jj[0])])))
        latch = b.block
        k.add_incoming(b.add(k, seg), latch)
        row.add_incoming(b.add(row, _ONE), latch)
        j.add_incoming(_ZERO, latch)
        b.branch(head)
        b.position_at_end(done)


def _smin(b, x, y):
    return b.select(b.icmp_signed("<", x, y), x, y)


def lower_fused(ctx, b, node, root, deferred):
    """The lowering of reduction ``node`` of ``root``'s never-materialised result:
    a full one, or one along trailing axes (``_along_trailing_axes``)."""
    src = FusedElements(ctx, b, root, deferred)
    if isinstance(node.out_type, Array):
        return _along_trailing_axes(ctx, b, node, src)
    if node.op in ("np.min", "np.max", "np.argmin", "np.argmax"):
        cg.bail_if(ctx, b, b.icmp_signed("==", src.n, _ZERO))  # numpy raises ValueError
    if node.op == "np.mean":
        cg.bail_if(ctx, b, b.icmp_signed("==", src.n, _ZERO))  # numpy warns and returns nan
    return _reduce_range(ctx, b, node.op, src, _ZERO, src.n, llvm_type(node.out_type))


def _along_trailing_axes(ctx, b, node, src):
    """A reduction along the last ``k`` axes of the temporary: output element ``o``
    (C order) reduces the flat range ``[o * run, (o + 1) * run)``, which numpy
    reduces as a whole (for a C-ordered temporary the innermost group is
    reduced: ``0 + pairwise_sum(run)``, Note [axis reduction order])."""
    t = src.t
    axes = reduced_axes(node.attrs["axis"], t.ndim)
    k = t.ndim - len(axes)
    run, count = _ONE, _ONE
    for size in src.shape[k:]:
        run = b.mul(run, size)
    for size in src.shape[:k]:
        count = b.mul(count, size)
    if node.op in ("np.min", "np.max", "np.argmin", "np.argmax", "np.mean"):
        cg.bail_if(ctx, b, b.icmp_signed("==", run, _ZERO))  # numpy raises (or warns: mean)
    shape = src.shape[:k] + ([_ONE] * len(axes) if node.attrs.get("keepdims") else [])
    out = _allocate(ctx, b, shape, node.out_type)
    elem = NpScalar(node.out_type.dtype)
    out_ty = llvm_type(elem)
    data = b.bitcast(b.extract_value(out, 0), _mem(out_ty).as_pointer())

    def each(b, o, _):
        row = o if k == t.ndim - 1 and not src.plans else None  # one reduced axis: a row
        r = _reduce_range(ctx, b, node.op, src, b.mul(o, run), run, out_ty, row)
        _store(b, b.gep(data, [o]), r, elem)
        return []
    counted_loop(ctx, b, _ZERO, count, [], each)
    return out


def _reduce_range(ctx, b, op, src, start, n, out_ty, row=None):
    """``op`` over the elements ``[start, start + n)`` of ``src`` (``n > 0`` for the
    extremes and the mean), as numpy reduces a contiguous run of them.  ``row``:
    the run's number when it is one row of the last dimension."""
    kind = scalar_kind(src.elem)
    if op in ("np.sum", "np.mean") and kind[0] == "f":
        pairwise = _pairwise_fused(ctx, b, src, start, n) if row is None else \
            _pairwise_row(ctx, b, src, start, n, row)
        total = b.fadd(ir.Constant(llvm_type(src.elem), 0.0), pairwise, flags=cg.fp_flags(ctx))
        _bail_if_nan(ctx, b, total)
        return total if op == "np.sum" else mean_of(ctx, b, total, n, out_ty)
    if op in ("np.sum", "np.prod"):
        is_sum = op == "np.sum"
        if isinstance(out_ty, ir.IntType):  # wraps, as numpy's integer loops do
            init, fop = ir.Constant(out_ty, int(not is_sum)), (b.add if is_sum else b.mul)
        else:
            init = ir.Constant(out_ty, 0.0 if is_sum else 1.0)
            fop = lambda x, y: b.fmul(x, y, flags=cg.fp_flags(ctx))  # noqa: E731
        (res,) = _stream(ctx, b, src, start, n, [init],
                         lambda b, x, i, acc: [fop(acc[0], _widen(b, x, kind, out_ty))])
        if not isinstance(out_ty, ir.IntType):
            _bail_if_nan(ctx, b, res)
        return res
    if op in ("np.min", "np.max", "np.argmin", "np.argmax"):
        cmp = "<" if op.endswith("min") else ">"
        init = _worst(llvm_type(src.elem), kind, cmp)
        if kind[0] == "f" and not op.startswith("np.arg"):
            return _float_extreme(ctx, b, src, start, n, cmp, init)

        def step(b, x, i, accs):
            take = _better(b, kind, cmp, x, accs[0])
            return [b.select(take, x, accs[0]), b.select(take, i, accs[1])]
        acc, idx = _stream(ctx, b, src, start, n, [init, _ZERO], step)
        return idx if op.startswith("np.arg") else acc
    raise NotLowerable(f"fused {op}")


def _worst(ty, kind, cmp):
    """The identity of ``min`` (``cmp`` '<') or ``max`` over the type: any element
    replaces it or equals it (ties keep index 0, the first)."""
    if kind[0] == "f":
        return ir.Constant(ty, float("inf") if cmp == "<" else float("-inf"))
    bits = kind[1]
    if kind[0] in "ub":
        return ir.Constant(ty, (1 << bits) - 1 if cmp == "<" else 0)
    return ir.Constant(ty, (1 << (bits - 1)) - 1 if cmp == "<" else -(1 << (bits - 1)))


def _stream(ctx, b, src, start, n, inits, step):
    """Elements ``[start, start + n)`` in C order, ``CHUNK`` at a time:
    ``accs = step(b, x, i, accs)`` with ``i`` the element's index in the range;
    returns the final accumulators."""
    chunk = ir.Constant(I64, CHUNK)

    def per_chunk(b, c0, accs):
        count = _smin(b, b.sub(n, c0), chunk)
        src.fill(b, b.add(start, c0), count)
        return counted_loop(ctx, b, _ZERO, count, accs,
                            lambda b, i, a: step(b, src.load(b, i), b.add(c0, i), a))
    return counted_loop(ctx, b, _ZERO, n, inits, per_chunk, step=CHUNK)


def _float_extreme(ctx, b, src, start, n, cmp, init):
    """Float min/max: as reductions._float_extreme (``nnan nsz`` compare and select,
    any NaN bails out before the result is used), and the zeros seen are
    tracked on the way (one pass: the elements are not stored anywhere), so a
    zero result bails out if both ``0.0`` and ``-0.0`` occurred."""
    fast = ("nnan", "nsz")
    ty = init.type
    ity = I64 if isinstance(ty, ir.DoubleType) else ir.IntType(32)
    sign = ir.Constant(ity, 1 << (ity.width - 1))
    false = ir.Constant(I1, 0)

    def step(b, x, i, a):
        m = b.select(b.fcmp_ordered(cmp, x, a[0], flags=fast), x, a[0], flags=fast)
        bits = b.bitcast(x, ity)
        return [m, b.or_(a[1], b.fcmp_unordered("uno", x, x)),
                b.or_(a[2], b.icmp_unsigned("==", bits, ir.Constant(ity, 0))),
                b.or_(a[3], b.icmp_unsigned("==", bits, sign))]
    m, any_nan, pos0, neg0 = _stream(ctx, b, src, start, n, [init, false, false, false], step)
    cg.bail_if(ctx, b, any_nan)  # before any use of m, which is poison if a NaN was seen
    zero = b.fcmp_ordered("==", m, ir.Constant(ty, 0.0))
    cg.bail_if(ctx, b, b.and_(zero, b.and_(pos0, neg0)))
    return m


def _pairwise_row(ctx, b, src, start, count, row):
    """``_pairwise_fused`` of row ``row`` (C order) of the last dimension.  Below
    8 elements numpy's pairwise sum is a plain loop from ``0.0`` (Note
    [pairwise summation]): each element is computed from the leaves and added
    as it comes, without the buffer and the call (rows of ``(n, 3)`` points
    took a fill and a call each)."""
    fast = cg.fp_flags(ctx)

    def short(b):
        outer = src._unravel(b, row)

        def add(b, j, accs):
            val, vt = _evaluate(ctx, b, src.root, src._leaves_at(b, outer + [j]), src.deferred)
            return [b.fadd(accs[0], _cast_store(ctx, b, val, vt, src.elem), flags=fast)]
        return counted_loop(ctx, b, _ZERO, count, [ir.Constant(llvm_type(src.elem), 0.0)], add)[0]
    return cg.choose(b, b.icmp_signed("<", count, ir.Constant(I64, 8)), short,
                     lambda b: _pairwise_fused(ctx, b, src, start, count), "row")


def _pairwise_fused(ctx, b, src, start, count):
    """numpy's ``pairwise_sum`` of the elements ``[start, start + count)`` (Note [fused reductions]):
    its splits above ``CHUNK`` walked with an explicit stack of frames
    (start, length, stage, left sum), each range of at most ``CHUNK`` filled and
    summed by the module's ``pairwise_sum``."""
    fty = llvm_type(src.elem)
    pw = _pairwise_fn(ctx, src.t)
    fast = cg.fp_flags(ctx)
    chunk = ir.Constant(I64, CHUNK)
    fn = ctx.fn
    small = fn.append_basic_block("pw.small")
    big = fn.append_basic_block("pw.big")
    done = fn.append_basic_block("pw.done")
    b.cbranch(b.icmp_signed("<=", count, chunk), small, big)

    b.position_at_end(small)
    src.fill(b, start, count)
    r_small = b.call(pw, [src.data, count, src.itemsize])
    small_end = b.block
    b.branch(done)

    b.position_at_end(big)
    starts, lens = (ctx.alloca(ir.ArrayType(I64, _STACK)) for _ in range(2))
    stages = ctx.alloca(ir.ArrayType(I8, _STACK))
    lefts = ctx.alloca(ir.ArrayType(fty, _STACK))
    depth = ctx.alloca(I64)
    at = lambda arr, d: b.gep(arr, [_ZERO, d])  # noqa: E731
    b.store(start, at(starts, _ZERO))
    b.store(count, at(lens, _ZERO))
    b.store(_ZERO, depth)
    head, split, leaf, deliver, up, right, combine, out = (
        fn.append_basic_block(f"pw.{x}") for x in
        ("head", "split", "leaf", "deliver", "up", "right", "combine", "out"))
    b.branch(head)

    b.position_at_end(head)  # the frame on top of the stack: split it, or sum it
    d = b.load(depth)
    s, n = b.load(at(starts, d)), b.load(at(lens, d))
    b.cbranch(b.icmp_signed("<=", n, chunk), leaf, split)

    b.position_at_end(split)  # descend into the left half
    b.store(ir.Constant(I8, 1), at(stages, d))
    d1 = b.add(d, _ONE)
    b.store(s, at(starts, d1))
    b.store(_half(b, n), at(lens, d1))
    b.store(d1, depth)
    b.branch(head)

    b.position_at_end(leaf)
    src.fill(b, s, n)
    v_leaf = b.call(pw, [src.data, n, src.itemsize])
    leaf_end = b.block
    b.branch(deliver)

    b.position_at_end(deliver)  # the top frame's sum is v: give it to its parent
    v = b.phi(fty)
    v.add_incoming(v_leaf, leaf_end)
    d = b.load(depth)
    b.cbranch(b.icmp_signed("==", d, _ZERO), out, up)

    b.position_at_end(up)
    p = b.sub(d, _ONE)
    b.cbranch(b.icmp_unsigned("==", b.load(at(stages, p)), ir.Constant(I8, 1)), right, combine)

    b.position_at_end(right)  # left half done: keep it, descend into the right half
    b.store(v, at(lefts, p))
    b.store(ir.Constant(I8, 2), at(stages, p))
    pn = b.load(at(lens, p))
    n2 = _half(b, pn)
    b.store(b.add(b.load(at(starts, p)), n2), at(starts, d))
    b.store(b.sub(pn, n2), at(lens, d))
    b.branch(head)

    b.position_at_end(combine)  # both halves done: their sum is the parent's
    v.add_incoming(b.fadd(b.load(at(lefts, p)), v, flags=fast), combine)
    b.store(p, depth)
    b.branch(deliver)

    b.position_at_end(out)
    b.branch(done)

    b.position_at_end(done)
    r = b.phi(fty)
    r.add_incoming(r_small, small_end)
    r.add_incoming(v, out)
    return r


def _half(b, n):
    """numpy's split point: ``n2 = n / 2; n2 -= n2 % 8``."""
    n2 = b.sdiv(n, ir.Constant(I64, 2))
    return b.sub(n2, b.srem(n2, ir.Constant(I64, 8)))


__all__ = ["CHUNK", "FusedElements", "lower_fused", "takes_fused"]
