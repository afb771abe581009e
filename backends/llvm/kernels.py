"""Fused elementwise array kernels.

The fusion pass (pyjit/passes/fusion.py) decides which elementwise array ops
are not materialised but *fused* into their consumer.  Each remaining root becomes one loop nest over the
broadcast shape that loads every leaf array's element, computes the whole
expression tree with the scalar lowerings (the element types are numpy
scalars, so numpy's per-element semantics hold), and stores one result.

    c = np.sqrt(a * a + b * b) * np.exp(-c0) + 0.5 * a   # one loop, one allocation

Result arrays are allocated by numpy itself through a callback (alloc.py
``_ALLOC_ADDR``: the native runtime's ``pj_alloc``, or a ctypes callback), so
they are ordinary arrays owned by Python; the run wrapper keeps those of the
current call and boxes an exit's array by its data pointer.  In-place ops on an
array (``a += b``) write into the left operand; if the other operand overlaps
it in memory, the region bails out and numpy handles the overlap.
"""
from __future__ import annotations

from llvmlite import ir

from pyjit.ir.registry import OPS
from pyjit.ir.types import INT, Array, NpScalar

from . import cgutils as cg
from .addresses import load_address
from .alloc import _ALLOC_ADDR, begin_call, use_allocator  # noqa: F401 (re-exported)
from .lower import LOWERINGS, NodeView, NotLowerable
from .reprs import I8P, I64, llvm_type

def is_kernel_node(node) -> bool:
    op = OPS[node.op]
    return (op.elementwise and isinstance(node.outputs[0].type, Array)
            and not any(isinstance(v.type, Array) and v.type.ndim > 8 for v in node.inputs))


def deferred_nodes(block, uses: dict) -> set:
    """Nodes computed inside their consumer's loop, as pyjit/passes/fusion.py decided
    (``graph.fused``; empty at O0, so each op is its own kernel).  The producer
    must be a node this backend lowers as a kernel, and the consumer either one
    too or a full reduction that computes its operand's elements itself
    (lowerings/fusedreduce.py); else the producer is materialised."""
    fused = getattr(block.graph, "fused", None) or {}
    return {n for n in block.nodes if n in fused and is_kernel_node(n) and takes(fused[n], n)}


def takes(consumer, producer) -> bool:
    """Whether ``consumer`` can compute ``producer``'s elements inside its own loop."""
    if is_kernel_node(consumer):
        return True
    from .lowerings.fusedreduce import takes_fused
    return takes_fused(consumer, producer)


def fused_source(ctx, value):
    """``(producer, deferred)`` if ``value`` is never materialised (its producer
    is computed inside this consumer), else None."""
    p = ctx.producers.get(value)
    if p is None or ctx.values.get(value) is not None:
        return None
    fused = getattr(ctx.graph, "fused", None) or {}
    if p not in fused:
        return None
    deferred = {n for n in fused if is_kernel_node(n) and takes(fused[n], n)}
    return (p, deferred) if p in deferred else None


class _Tree:
    """The expression a root computes: leaves are lowered values."""

    def __init__(self, ctx, root, deferred):
        self.leaves = []      # (graph value, llvm value, type)
        self.ctx = ctx
        self.root = root
        self.deferred = deferred

    def collect(self, node):
        for v in node.inputs:
            p = self.ctx.producers.get(v)
            if p is not None and p in self.deferred:
                self.collect(p)
            elif all(v is not leaf[0] for leaf in self.leaves):
                self.leaves.append((v, self.ctx.values[v], v.type))


def lower_kernel(ctx, b: ir.IRBuilder, node, deferred):
    out_t = node.outputs[0].type
    if out_t.layout == "F":
        raise NotLowerable("a Fortran-ordered elementwise result")
    tree = _Tree(ctx, node, deferred)
    tree.collect(node)
    ndim = out_t.ndim
    inplace = OPS[node.op].mutates and isinstance(node.inputs[0].type, Array)
    arrays = [(v, lv, t) for v, lv, t in tree.leaves if isinstance(t, Array)]
    shape = _broadcast_shape(ctx, b, arrays, ndim)
    if any(t == INT for _, _, t in tree.leaves) and ndim > 0:
        # A Python int that does not fit the array's dtype raises OverflowError in
        # numpy even for no elements, but the cast that checks it runs per element:
        # an empty result bails out and numpy decides.
        empty = ir.Constant(ir.IntType(1), 0)
        for n in shape:
            empty = b.or_(empty, b.icmp_signed("==", n, ir.Constant(I64, 0)))
        cg.bail_if(ctx, b, empty)
    if inplace:
        out = ctx.values[node.inputs[0]]
        for d in range(ndim):  # the target's shape must be the broadcast shape
            cg.bail_if(ctx, b, b.icmp_signed("!=", b.extract_value(out, [1, d]), shape[d]))
        for v, lv, t in arrays:
            if v is not node.inputs[0]:
                cg.bail_if(ctx, b, _overlaps(b, out, out_t, lv, t))
    else:
        if out_t.layout == "A" and ndim >= 2:
            cg.bail_if(ctx, b, _maybe_not_c_order(b, arrays, shape, ndim))
        donor = _donor(ctx, node, arrays)
        out = _allocate(ctx, b, shape, out_t) if donor is None else _reuse(ctx, b, shape, out_t, donor)
    elem_out = NpScalar(out_t.dtype)
    calls = [n for n in _post_order(ctx, node, deferred) if _calls_numpy(n)]

    def leaves_at(bb, idx):
        element = {}
        for v, lv, t in tree.leaves:
            if isinstance(t, Array):
                ptr = _leaf_pointer(bb, lv, t, idx, ndim)
                element[v] = (_load(bb, ptr, NpScalar(t.dtype)), NpScalar(t.dtype))
            else:
                element[v] = (lv, t)
        return element

    def store_out(bb, idx, element):
        val, vt = _evaluate(ctx, bb, node, element, deferred)
        val = _cast_store(ctx, bb, val, vt, elem_out)
        _store(bb, cg.element_pointer(bb, out, idx, _mem(llvm_type(elem_out))), val, elem_out)

    if not calls or ndim == 0:
        _loop_nest(ctx, b, shape, 0, [], lambda bb, idx: store_out(bb, idx, leaves_at(bb, idx)))
    else:
        _blocked(ctx, b, shape, calls, leaves_at, store_out, deferred)
    return out


BLOCK = 256


def _calls_numpy(node) -> bool:
    from .ufuncs import lower_ufunc_loop
    return LOWERINGS.get(node.op) is lower_ufunc_loop


def _post_order(ctx, node, deferred):
    out = []
    for v in node.inputs:
        p = ctx.producers.get(v)
        if p is not None and p in deferred:
            out.extend(_post_order(ctx, p, deferred))
    out.append(node)
    return out


def _blocked(ctx, b, shape, calls, leaves_at, store_out, deferred):
    """Strip-mine the innermost dimension into blocks: each ufunc that runs through
    numpy's inner loop is computed for a whole block at once into scratch space
    (one call per block instead of one per element), in dependency order, then
    the rest of the expression runs element by element reading those results."""
    from .ufuncs import block_call_plan
    plans = [block_call_plan(ctx, n, BLOCK) for n in calls]

    def outer_body(bb, idx):
        n = shape[-1]
        pre = bb.block
        head = ctx.fn.append_basic_block("blk.head")
        body = ctx.fn.append_basic_block("blk.body")
        done = ctx.fn.append_basic_block("blk.done")
        bb.branch(head)
        bb.position_at_end(head)
        j0 = bb.phi(I64)
        j0.add_incoming(ir.Constant(I64, 0), pre)
        bb.cbranch(bb.icmp_signed("<", j0, n), body, done)
        bb.position_at_end(body)
        rest = bb.sub(n, j0)
        m = bb.select(bb.icmp_signed("<", rest, ir.Constant(I64, BLOCK)), rest, ir.Constant(I64, BLOCK))

        def finish(b2, jj, element):
            store_out(b2, idx + [b2.add(j0, jj)], element)
        run_block(ctx, bb, plans, idx, j0, m, leaves_at, finish, deferred)
        j0.add_incoming(bb.add(j0, ir.Constant(I64, BLOCK)), bb.block)
        bb.branch(head)
        bb.position_at_end(done)

    _loop_nest(ctx, b, shape[:-1], 0, [], outer_body)


def run_block(ctx, bb, plans, idx, j0, m, leaves_at, finish, deferred):
    """Elements ``idx + [j0 + jj]`` for ``jj`` in ``[0, m)`` (``m`` at most the plans'
    size): each ufunc of ``plans`` computed for all of them through numpy's
    loop, in dependency order, then ``finish(b, jj, element)`` per element, with
    ``element`` the leaves' values and the ufuncs' results."""
    ready = []
    for plan in plans:
        def fill(b2, j, plan=plan, ready=tuple(ready)):
            element = leaves_at(b2, idx + [b2.add(j0, j)])
            for done_plan in ready:
                element[done_plan.node.outputs[0]] = done_plan.load_result(b2, j)
            for k, v in enumerate(plan.node.inputs):
                val, t = element[v] if v in element else \
                    _evaluate(ctx, b2, ctx.producers[v], element, deferred)
                plan.store_input(ctx, b2, k, j, val, t)
        _loop_nest(ctx, bb, [m], 0, [], lambda b2, jj, fill=fill: fill(b2, jj[0]))
        plan.call(bb, m)
        ready.append(plan)

    def each(b2, jj):
        element = leaves_at(b2, idx + [b2.add(j0, jj[0])])
        for plan in plans:
            element[plan.node.outputs[0]] = plan.load_result(b2, jj[0])
        finish(b2, jj[0], element)
    _loop_nest(ctx, bb, [m], 0, [], each)


def _evaluate(ctx, b, node, element, deferred):
    if node.outputs[0] in element:  # computed for the block already (a numpy loop call)
        return element[node.outputs[0]]
    vals, types = [], []
    for v in node.inputs:
        if v in element:
            val, t = element[v]
        else:
            val, t = _evaluate(ctx, b, ctx.producers[v], element, deferred)
        vals.append(val)
        types.append(t)
    op = OPS[node.op]
    fn = LOWERINGS.get(node.op)
    if fn is None:
        raise NotLowerable(f"op {node.op} in a kernel")
    out_t = op.infer(types, node.attrs)
    if isinstance(out_t, Array) and out_t.ndim == 0:  # np.where of scalars is a 0-d array:
        out_t = NpScalar(out_t.dtype)                 # per element, its item
    view = NodeView(node.op, node.attrs, types, out_t, node.inputs)
    return fn(ctx, b, view, vals), out_t


def _broadcast_shape(ctx, b, arrays, ndim):
    one = ir.Constant(I64, 1)
    shape = []
    for d in range(ndim):
        size = one
        for _, lv, t in arrays:
            k = d - (ndim - t.ndim)
            if k < 0:
                continue
            n = b.extract_value(lv, [1, k])
            size = b.select(b.icmp_signed("==", size, one), n, size)
        for _, lv, t in arrays:  # every operand's dim is 1 or the size: else ValueError
            k = d - (ndim - t.ndim)
            if k < 0:
                continue
            n = b.extract_value(lv, [1, k])
            cg.bail_if(ctx, b, b.and_(b.icmp_signed("!=", n, one), b.icmp_signed("!=", n, size)))
        shape.append(size)
    return shape


# Note [result memory order]
#     numpy allocates an elementwise result in 'K' order: its iterator sorts the
#     axes by the operands' strides, so ``a.T * 2`` is F-contiguous and a
#     transposed 3-d operand gives a result with the operand's axis order.
#     Native kernels allocate C order.  A result whose layout the types fix is C
#     (an F one is not lowered); for layout ``A`` (strided operands, known only
#     at run time) the kernel bails out unless numpy's order is certainly C:
#     every array operand's non-zero strides, over the axes where both it and the
#     result have more than one element, do not grow in magnitude from the first
#     axis to the last (numpy's axis sort then swaps nothing).  CPython then runs the
#     statement and numpy picks the order.

def _maybe_not_c_order(b, arrays, shape, ndim):
    """An i1: whether numpy's 'K' order may not be C for these operands (Note
    [result memory order])."""
    zero, one = ir.Constant(I64, 0), ir.Constant(I64, 1)
    bad = ir.Constant(ir.IntType(1), 0)
    for _, lv, t in arrays:
        prev = ir.Constant(I64, 2 ** 63 - 1)
        for k in range(t.ndim):
            d = k + ndim - t.ndim
            s = b.extract_value(lv, [2, k])
            mag = b.select(b.icmp_signed("<", s, zero), b.neg(s), s)
            # a broadcast axis (extent 1) has stride 0 for numpy
            counts = b.and_(b.and_(b.icmp_signed("!=", mag, zero),
                                   b.icmp_signed(">", b.extract_value(lv, [1, k]), one)),
                            b.icmp_signed(">", shape[d], one))
            bad = b.or_(bad, b.and_(counts, b.icmp_signed(">", mag, prev)))
            prev = b.select(counts, mag, prev)
    return bad


def _allocate(ctx, b, shape, t: Array):
    ndim = len(shape)
    buf = ctx.alloca(ir.ArrayType(I64, max(ndim, 1)))
    for d, n in enumerate(shape):
        b.store(n, b.gep(buf, [ir.Constant(I64, 0), ir.Constant(I64, d)]))
    fnty = ir.FunctionType(I64, [I64, I64.as_pointer(), I64])
    fn = load_address(ctx, b, ("alloc",), fnty.as_pointer())  # _ALLOC_ADDR, Note [address globals]
    data = b.call(fn, [ir.Constant(I64, ndim), b.bitcast(buf, I64.as_pointer()),
                       ir.Constant(I64, t.dtype.num)])
    cg.bail_if(ctx, b, b.icmp_signed("==", data, ir.Constant(I64, 0)))
    s = _array(b, b.inttoptr(data, I8P), shape, t)
    ctx.fresh[id(s)] = s
    return s


def _array(b, data, shape, t: Array):
    """The struct of a C-ordered array of ``t``'s dtype at ``data``."""
    s = ir.Constant(llvm_type(t), ir.Undefined)
    s = b.insert_value(s, data, 0)
    for d, (n, stride) in enumerate(zip(shape, cg.contiguous_strides(b, shape, t.dtype.itemsize))):
        s = b.insert_value(s, n, [1, d])
        s = b.insert_value(s, stride, [2, d])
    return s


def _donor(ctx, node, arrays):
    """The lowered operand pyjit/passes/reuse.py gives ``node`` to write over, if
    it is one of the kernel's array operands and memory this call just
    allocated (``ctx.fresh``); else None."""
    v = (getattr(ctx.graph, "reuse", None) or {}).get(node)
    if v is None or not any(leaf is v for leaf, _, _ in arrays):
        return None
    lv = ctx.values.get(v)
    return lv if ctx.fresh.get(id(lv)) is lv else None


def _reuse(ctx, b, shape, t: Array, donor):
    """The donor array (pyjit/passes/reuse.py) if it has shape ``shape`` and the
    strides ``_allocate`` gives that shape, else a new array.  The donor is in
    ``ctx.fresh``: a new array of the result's dtype that only this call's list
    refers to (``_allocate``'s, a product's), so its memory spans exactly its
    elements; the result is such an array too."""
    same = ir.Constant(ir.IntType(1), 1)
    for d, (n, stride) in enumerate(zip(shape, cg.contiguous_strides(b, shape, t.dtype.itemsize))):
        same = b.and_(same, b.icmp_signed("==", b.extract_value(donor, [1, d]), n))
        same = b.and_(same, b.icmp_signed("==", b.extract_value(donor, [2, d]), stride))
    donated = b.extract_value(donor, 0)
    data = cg.choose(b, same, lambda b: donated,
                     lambda b: b.extract_value(_allocate(ctx, b, shape, t), 0), "reuse")
    out = _array(b, data, shape, t)  # the donor's strides, checked: as constants
    ctx.fresh[id(out)] = out
    return out


def _leaf_pointer(b, lv, t: Array, idx, ndim):
    data = b.extract_value(lv, 0)
    offset = ir.Constant(I64, 0)
    shape = [b.extract_value(lv, [1, k]) for k in range(t.ndim)]
    for k, (n, stride) in enumerate(zip(shape, cg.array_strides(b, t, lv, shape))):
        i = b.select(b.icmp_signed("==", n, ir.Constant(I64, 1)), ir.Constant(I64, 0),
                     idx[k + ndim - t.ndim])
        offset = b.add(offset, b.mul(i, stride))
    return b.bitcast(b.gep(data, [offset]), _mem(llvm_type(NpScalar(t.dtype))).as_pointer())


def _overlaps(b, out, out_t, lv, t):
    """Conservative: do the byte ranges spanned by the two arrays intersect?"""
    def span(v, tt):
        lo = b.ptrtoint(b.extract_value(v, 0), I64)
        hi = lo
        for k in range(tt.ndim):
            n = b.extract_value(v, [1, k])
            st = b.extract_value(v, [2, k])
            ext = b.mul(b.sub(n, ir.Constant(I64, 1)), st)
            neg = b.icmp_signed("<", ext, ir.Constant(I64, 0))
            lo = b.select(neg, b.add(lo, ext), lo)
            hi = b.select(neg, hi, b.add(hi, ext))
        return lo, b.add(hi, ir.Constant(I64, tt.dtype.itemsize))
    a_lo, a_hi = span(out, out_t)
    c_lo, c_hi = span(lv, t)
    return b.and_(b.icmp_signed("<", a_lo, c_hi), b.icmp_signed("<", c_lo, a_hi))


def _loop_nest(ctx, b, shape, d, idx, body):
    if d == len(shape):
        body(b, list(idx))
        return
    fn = ctx.fn
    pre = b.block
    head = fn.append_basic_block(f"k{d}.head")
    loop = fn.append_basic_block(f"k{d}.body")
    done = fn.append_basic_block(f"k{d}.done")
    b.branch(head)
    b.position_at_end(head)
    i = b.phi(I64)
    i.add_incoming(ir.Constant(I64, 0), pre)
    b.cbranch(b.icmp_signed("<", i, shape[d]), loop, done)
    b.position_at_end(loop)
    idx.append(i)
    _loop_nest(ctx, b, shape, d + 1, idx, body)
    idx.pop()
    i.add_incoming(b.add(i, ir.Constant(I64, 1)), b.block)
    b.branch(head)
    b.position_at_end(done)


def _mem(ty):
    return ir.IntType(8) if isinstance(ty, ir.IntType) and ty.width == 1 else ty


def _load(b, ptr, t):
    v = b.load(ptr)
    ty = llvm_type(t)
    if isinstance(ty, ir.IntType) and ty.width == 1:
        return b.icmp_unsigned("!=", v, ir.Constant(ir.IntType(8), 0))
    return v


def _store(b, ptr, v, t):
    ty = llvm_type(t)
    if isinstance(ty, ir.IntType) and ty.width == 1:
        v = b.zext(v, ir.IntType(8))
    b.store(v, ptr)


def _cast_store(ctx, b, v, src, dst):
    from .lowerings.convert import cast
    return cast(ctx, b, v, src, dst) if src != dst else v
