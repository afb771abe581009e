"""Basic indexing that makes views, and assignment through them.

``a[1:-1]``, ``a[::2]``, ``a[i, :]``, ``a[:, j]``, ``a[1:-1, 2:]``, ``a[::-1]``,
``a[None, :]``, ``a[..., 0]``, ``a[i]`` of a 2-d array: the result is an array
struct ``{data, shape, strides}`` pointing into the source, computed as numpy
computes it (Note [slice indices]); no element is copied.  An exit that returns
such a view is boxed as a view of the array owning the memory (``_array_from_slots``
in backends/llvm/__init__.py).

``a[1:-1] = x`` (``setitem`` whose index makes a view) is a loop nest over the
view storing ``x`` (a scalar, or an array broadcast to the view's shape).  If the
value array overlaps the destination in memory the statement bails out and
CPython lets numpy handle the overlap — except when it is the very same view
(``a[1:-1] += b`` stores the view into itself: nothing to do).

Slices have no run-time representation (``slice`` is a singleton type): the
``build_slice`` node's inputs are read where the slice is used, so a slice (or an
index tuple holding one, or ``None``) may only be used as a subscript; any other
use keeps the graph off this backend (``_check_index_uses``).

Also here: ``a.reshape(...)``/``np.reshape`` of a C-contiguous array (a view;
any other source bails out, numpy decides between a view and a copy),
``np.ravel`` (a view or a C-order copy, decided at run time as numpy does), and
``.strides``, ``.itemsize``, ``.nbytes``.

Registration: this module wraps the element lowerings of ``getitem``/``setitem``
(indexing.py) and the tuple lowering of ``build_tuple`` (core.py); an index that
makes no view is handed to them unchanged.

Note [slice indices]
    ``PySlice_Unpack`` then ``PySlice_AdjustIndices``, as numpy uses them: a zero
    step is a ValueError (here: a bailout); an omitted start is 0 (``len - 1`` for
    a negative step), an omitted stop ``len`` (-1); a negative bound gets ``len``
    added and is then clamped to ``[0, len]`` (``[-1, len - 1]`` for a negative
    step).  The length is ``(stop - start - 1) // step + 1`` when positive.  numpy
    then makes an *empty* dimension start at 0 with step 1, so an empty view
    points at the source's first byte and keeps its stride unnegated
    (``np.arange(5)[5:0:-1].strides == (8,)``).  An integer index wraps once and is
    bounds-checked (IndexError: a bailout); ``None`` is a new dimension of length
    1 and stride 0.
"""
from __future__ import annotations

from llvmlite import ir

from pyjit.ir.defs.indexing import indexed_type
from pyjit.ir.types import ELLIPSIS, INT, NONE, SLICE, Array, NpScalar, PyScalar, TupleT

from .. import cgutils as cg
from ..lower import LOWERINGS, lowering
from ..reprs import I64, NotLowerable, llvm_type, scalar_kind
from . import core, indexing  # noqa: F401  (the lowerings wrapped below register first)
from .convert import cast

_element_getitem = LOWERINGS["getitem"]
_element_setitem = LOWERINGS["setitem"]
_plain_build_tuple = LOWERINGS["build_tuple"]

_SINGLETONS = (SLICE, NONE, ELLIPSIS)
I64_MIN, I64_MAX = -2 ** 63, 2 ** 63 - 1


# ---- the index ---------------------------------------------------------------------

def _index_items(ctx, idx_value):
    """The graph values of a subscript's items."""
    if isinstance(idx_value.type, TupleT):
        src = ctx.producers.get(idx_value)
        if src is None or src.op != "build_tuple":
            return None
        return list(src.inputs)
    return [idx_value]


def _is_int(t) -> bool:
    k = scalar_kind(t)
    return k is not None and k[0] in "iu" and k != ("u", 64)


def _makes_view(arr_t, items) -> bool:
    """A basic index (integers, slices, None, Ellipsis) that leaves a dimension."""
    if not isinstance(arr_t, Array) or items is None:
        return False
    if not all(v.type in _SINGLETONS or _is_int(v.type) for v in items):
        return False
    return any(v.type in _SINGLETONS for v in items) or len(items) < arr_t.ndim


def _as_i64(ctx, b, v, t):
    """A slice bound or an integer index as an i64 (``bool`` is 0 or 1)."""
    kind = scalar_kind(t)
    if kind is None or kind[0] not in "iub" or kind == ("u", 64):
        raise NotLowerable(f"slice bound of type {t}")
    if kind[0] == "b":
        return b.zext(v, I64)
    return v if t == INT else cast(ctx, b, v, t, INT)


def _slice_parts(ctx, b, v):
    """(start, stop, step) of a slice value: i64 values or None when omitted."""
    src = ctx.producers.get(v)
    if src is None or src.op != "build_slice":
        raise NotLowerable("a slice not built in the region")
    return [None if p.type == NONE else _as_i64(ctx, b, ctx.values[p], p.type) for p in src.inputs]


def slice_indices(ctx, b, length, start, stop, step):
    """``(n, start, step)`` of a slice over a dimension of ``length``, as numpy
    computes them (Note [slice indices]); a zero step bails out."""
    c = lambda x: ir.Constant(I64, x)  # noqa: E731
    if step is None:
        step, neg = c(1), None
    else:
        cg.bail_if(ctx, b, b.icmp_signed("==", step, c(0)))        # ValueError
        cg.bail_if(ctx, b, b.icmp_signed("==", step, c(I64_MIN)))  # clamped by CPython
        neg = b.icmp_signed("<", step, c(0))
    pick = (lambda down, up: up) if neg is None else (lambda down, up: b.select(neg, down, up))
    last = b.sub(length, c(1))

    def adjust(x, default_down, default_up):
        if x is None:
            return pick(default_down, default_up)
        wrapped = b.add(x, length)
        low = b.select(b.icmp_signed("<", wrapped, c(0)), pick(c(-1), c(0)), wrapped)
        high = pick(last, length)
        x = b.select(b.icmp_signed("<", x, c(0)), low, x)
        return b.select(b.icmp_signed(">=", x, length), high, x)

    start = adjust(start, last, c(0))
    stop = adjust(stop, c(-1), length)
    up_n = b.add(b.sdiv(b.sub(b.sub(stop, start), c(1)), step), c(1))
    up_n = b.select(b.icmp_signed("<", start, stop), up_n, c(0))
    if neg is None:
        n = up_n
    else:
        down_n = b.add(b.sdiv(b.sub(b.sub(start, stop), c(1)), b.sub(c(0), step)), c(1))
        down_n = b.select(b.icmp_signed("<", stop, start), down_n, c(0))
        n = b.select(neg, down_n, up_n)
    empty = b.icmp_signed("==", n, c(0))
    return n, b.select(empty, c(0), start), b.select(empty, c(1), step)


def make_view(ctx, b, arr, arr_t: Array, items, out_t: Array):
    """The view ``arr[items]`` (basic indexing) as an array struct of type ``out_t``."""
    consumed = sum(1 for v in items if v.type not in (NONE, ELLIPSIS))
    fill = arr_t.ndim - consumed
    offset = ir.Constant(I64, 0)
    shape, strides = [], []
    d = 0
    for v in items:
        t = v.type
        if t == ELLIPSIS or t == NONE:
            if t == NONE:
                shape.append(ir.Constant(I64, 1))
                strides.append(ir.Constant(I64, 0))
                continue
            for _ in range(fill):
                shape.append(b.extract_value(arr, [1, d]))
                strides.append(b.extract_value(arr, [2, d]))
                d += 1
            fill = 0
            continue
        stride = b.extract_value(arr, [2, d])
        if t == SLICE:
            n, start, step = slice_indices(ctx, b, b.extract_value(arr, [1, d]),
                                           *_slice_parts(ctx, b, v))
            offset = b.add(offset, b.mul(start, stride))
            shape.append(n)
            strides.append(b.mul(stride, step))
        else:
            i = cg.wrap_index(ctx, b, arr, d, _as_i64(ctx, b, ctx.values[v], t))
            offset = b.add(offset, b.mul(i, stride))
        d += 1
    for k in range(d, arr_t.ndim):  # trailing dimensions not indexed
        shape.append(b.extract_value(arr, [1, k]))
        strides.append(b.extract_value(arr, [2, k]))
    if len(shape) != out_t.ndim:
        raise NotLowerable(f"view of {len(shape)} dimensions typed {out_t}")
    s = ir.Constant(llvm_type(out_t), ir.Undefined)
    s = b.insert_value(s, b.gep(b.extract_value(arr, 0), [offset]), 0)
    for k, (n, st) in enumerate(zip(shape, strides)):
        s = b.insert_value(s, n, [1, k])
        s = b.insert_value(s, st, [2, k])
    return s


# ---- slices and index tuples have no run-time value ----------------------------------

def _holds_singleton(t) -> bool:
    return isinstance(t, TupleT) and any(i in _SINGLETONS for i in t.items)


def _check_index_uses(ctx):
    """Every slice, and every index tuple holding a slice or None, is used only as
    a subscript (they have no run-time value: an exit or a phi would lose it)."""
    if getattr(ctx, "_slicing_checked", False):
        return
    allowed: dict = {}
    nodes = list(ctx.graph.nodes())
    for n in nodes:
        if n.op in ("getitem", "setitem"):
            allowed[n.inputs[1]] = allowed.get(n.inputs[1], 0) + 1
    for n in nodes:
        out = n.outputs[0]
        if n.op == "build_tuple" and _holds_singleton(out.type) and \
                ctx.uses.get(out, 0) == allowed.get(out, 0):
            for v in n.inputs:
                allowed[v] = allowed.get(v, 0) + 1
    for n in nodes:
        out = n.outputs[0]
        if n.op == "build_slice" or n.op == "build_tuple" and _holds_singleton(out.type):
            if ctx.uses.get(out, 0) != allowed.get(out, 0):
                raise NotLowerable(f"{out.type} used other than as a subscript")
    ctx._slicing_checked = True


@lowering("build_slice")
def _build_slice(ctx, b, node, args):
    _check_index_uses(ctx)
    return None  # read by its subscripts (_slice_parts)


@lowering("build_tuple")
def _build_tuple(ctx, b, node, args):
    if _holds_singleton(node.out_type):
        _check_index_uses(ctx)
        return None  # an index tuple: read by its subscripts (_index_items)
    return _plain_build_tuple(ctx, b, node, args)


# ---- getitem / setitem -----------------------------------------------------------

@lowering("getitem")
def _getitem(ctx, b, node, args):
    arr_t = node.in_types[0]
    items = _index_items(ctx, node.inputs[1]) if isinstance(arr_t, Array) else None
    if not _makes_view(arr_t, items):
        return _element_getitem(ctx, b, node, args)
    if not isinstance(node.out_type, Array):
        raise NotLowerable(f"view typed {node.out_type}")
    return make_view(ctx, b, args[0], arr_t, items, node.out_type)


@lowering("setitem")
def _setitem(ctx, b, node, args):
    arr_t, idx_t, v_t = node.in_types
    items = _index_items(ctx, node.inputs[1]) if isinstance(arr_t, Array) else None
    if not _makes_view(arr_t, items):
        return _element_setitem(ctx, b, node, args)
    view_t = indexed_type(arr_t, idx_t)
    view = make_view(ctx, b, args[0], arr_t, items, view_t)
    dst = NpScalar(arr_t.dtype)
    if isinstance(v_t, (PyScalar, NpScalar)):
        value = indexing._assign_cast(ctx, b, args[2], v_t, dst)
        from ..kernels import _loop_nest
        shape = [b.extract_value(view, [1, k]) for k in range(view_t.ndim)]
        _loop_nest(ctx, b, shape, 0, [], lambda bb, idx: _store(bb, view, idx, value, dst))
        return None
    if isinstance(v_t, Array):
        _copy_into(ctx, b, view, view_t, args[2], v_t)
        return None
    raise NotLowerable(f"assigning {v_t} to a slice")


def _store(b, view, idx, value, dst):
    elem = llvm_type(dst)
    if isinstance(elem, ir.IntType) and elem.width == 1:  # np.bool_ is a byte in memory
        elem, value = ir.IntType(8), b.zext(value, ir.IntType(8))
    b.store(value, cg.element_pointer(b, view, idx, elem))


def _element_cast(ctx, b, v, src: NpScalar, dst: NpScalar):
    """numpy's unsafe cast of one element where LLVM's cast gives the same bits."""
    s, d = scalar_kind(src), scalar_kind(dst)
    if s[0] == "f" and d[0] in "iu":
        raise NotLowerable("float array into an int array (NaN and overflow are undefined)")
    if s[0] == "b" and d[0] in "iu":
        return b.zext(v, llvm_type(dst))
    return cast(ctx, b, v, src, dst)


def _copy_into(ctx, b, view, view_t, value, v_t):
    """``view[...] = value``: broadcast, bail out on overlap unless it is the same view."""
    from ..kernels import _leaf_pointer, _load, _loop_nest, _overlaps
    if v_t.ndim > view_t.ndim:
        raise NotLowerable("assigning an array of more dimensions than the view's")
    if scalar_kind(NpScalar(v_t.dtype)) is None:
        raise NotLowerable(f"assigning {v_t}")
    ndim = view_t.ndim
    shape = [b.extract_value(view, [1, k]) for k in range(ndim)]
    one = ir.Constant(I64, 1)
    for k in range(v_t.ndim):  # numpy's ValueError: could not broadcast
        n = b.extract_value(value, [1, k])
        target = shape[k + ndim - v_t.ndim]
        cg.bail_if(ctx, b, b.and_(b.icmp_signed("!=", n, one), b.icmp_signed("!=", n, target)))
    same = b.icmp_unsigned("==", b.ptrtoint(b.extract_value(view, 0), I64),
                           b.ptrtoint(b.extract_value(value, 0), I64))
    if v_t.ndim == ndim and v_t.dtype == view_t.dtype:
        for k in range(ndim):
            same = b.and_(same, b.icmp_signed("==", b.extract_value(view, [1, k]),
                                              b.extract_value(value, [1, k])))
            same = b.and_(same, b.icmp_signed("==", b.extract_value(view, [2, k]),
                                              b.extract_value(value, [2, k])))
    else:
        same = ir.Constant(ir.IntType(1), 0)
    overlap = b.and_(b.not_(same), _overlaps(b, view, view_t, value, v_t))
    cg.bail_if(ctx, b, overlap)
    copy = b.append_basic_block("slice.copy")
    done = b.append_basic_block("slice.done")
    b.cbranch(same, done, copy)
    b.position_at_end(copy)
    src, dst = NpScalar(v_t.dtype), NpScalar(view_t.dtype)
    if ndim == 1 and v_t.ndim == 1 and v_t.dtype == view_t.dtype:
        # Both contiguous and of one length: one memcpy (they do not overlap).
        size = ir.Constant(I64, view_t.dtype.itemsize)
        dense = b.and_(b.icmp_signed("==", b.extract_value(view, [2, 0]), size),
                       b.icmp_signed("==", b.extract_value(value, [2, 0]), size))
        dense = b.and_(dense, b.icmp_signed("==", b.extract_value(value, [1, 0]), shape[0]))
        fast = b.append_basic_block("slice.memcpy")
        slow = b.append_basic_block("slice.loop")
        b.cbranch(dense, fast, slow)
        b.position_at_end(fast)
        i8p = ir.IntType(8).as_pointer()
        memcpy = ctx.intrinsic("llvm.memcpy.p0i8.p0i8.i64", ir.VoidType(),
                               [i8p, i8p, I64, ir.IntType(1)])
        b.call(memcpy, [b.extract_value(view, 0), b.extract_value(value, 0), b.mul(shape[0], size),
                        ir.Constant(ir.IntType(1), 0)])
        b.branch(done)
        b.position_at_end(slow)

    def body(bb, idx):
        x = _load(bb, _leaf_pointer(bb, value, v_t, idx, ndim), src)
        _store(bb, view, idx, _element_cast(ctx, bb, x, src, dst), dst)
    _loop_nest(ctx, b, shape, 0, [], body)
    b.branch(done)
    b.position_at_end(done)


# ---- reshaping and array attributes ----------------------------------------------------

def _new_dims(ctx, b, types, vals):
    """The requested shape as i64s: one tuple, or integers."""
    if len(types) == 1 and isinstance(types[0], TupleT):
        items = [(b.extract_value(vals[0], k), t) for k, t in enumerate(types[0].items)]
    else:
        items = list(zip(vals, types))
    return [_as_i64(ctx, b, v, t) for v, t in items]


def _reshape_view(ctx, b, arr, arr_t: Array, dims, out_t: Array):
    """numpy's ``PyArray_Newshape`` for order 'C' when no copy is needed: one
    -1 is inferred; the sizes must agree (else ValueError: a bailout); the same
    shape is a view with the same strides; a C-contiguous source gets C strides
    where a dimension of length 0 does not multiply (``_array_fill_strides``).
    A source that is not C-contiguous bails out (numpy may view it or copy it)."""
    from .creation import c_contiguous
    c = lambda x: ir.Constant(I64, x)  # noqa: E731
    size = c(1)
    for d in range(arr_t.ndim):
        size = b.mul(size, b.extract_value(arr, [1, d]))
    unknown = c(0)
    known = c(1)
    for n in dims:
        cg.bail_if(ctx, b, b.icmp_signed("<", n, c(-1)))  # negative dimensions
        is_unknown = b.icmp_signed("==", n, c(-1))
        unknown = b.add(unknown, b.zext(is_unknown, I64))
        known = cg.checked(ctx, b, "smul", known, b.select(is_unknown, c(1), n))
    cg.bail_if(ctx, b, b.icmp_signed(">", unknown, c(1)))
    has_unknown = b.icmp_signed("==", unknown, c(1))
    bad_known = b.icmp_signed("==", known, c(0))
    safe_known = b.select(bad_known, c(1), known)
    inferred = b.sdiv(size, safe_known)
    divisible = b.icmp_signed("==", b.srem(size, safe_known), c(0))
    ok = b.select(has_unknown, b.and_(b.not_(bad_known), divisible),
                  b.icmp_signed("==", size, known))
    cg.bail_if(ctx, b, b.not_(ok))  # ValueError: cannot reshape
    dims = [b.select(b.icmp_signed("==", n, c(-1)), inferred, n) for n in dims]
    cg.bail_if(ctx, b, b.not_(c_contiguous(b, arr, arr_t)))
    strides, stride = [None] * len(dims), c(arr_t.dtype.itemsize)
    for d in reversed(range(len(dims))):
        strides[d] = stride
        stride = b.select(b.icmp_signed("==", dims[d], c(0)), stride, b.mul(stride, dims[d]))
    if len(dims) == arr_t.ndim:  # the same shape: numpy returns a plain view
        same = ir.Constant(ir.IntType(1), 1)
        for d, n in enumerate(dims):
            same = b.and_(same, b.icmp_signed("==", n, b.extract_value(arr, [1, d])))
        strides = [b.select(same, b.extract_value(arr, [2, d]), st) for d, st in enumerate(strides)]
    s = ir.Constant(llvm_type(out_t), ir.Undefined)
    s = b.insert_value(s, b.extract_value(arr, 0), 0)
    for d, (n, st) in enumerate(zip(dims, strides)):
        s = b.insert_value(s, n, [1, d])
        s = b.insert_value(s, st, [2, d])
    return s


@lowering("array.reshape", "np.reshape")
def _reshape(ctx, b, node, args):
    arr_t, out_t = node.in_types[0], node.out_type
    if not isinstance(arr_t, Array) or not isinstance(out_t, Array) or \
            node.attrs.get("order", "C") != "C":
        raise NotLowerable(f"{node.op} of {arr_t}")
    dims = _new_dims(ctx, b, list(node.in_types[1:]), list(args[1:]))
    if len(dims) != out_t.ndim:
        raise NotLowerable(f"{node.op} to {len(dims)} dimensions typed {out_t}")
    return _reshape_view(ctx, b, args[0], arr_t, dims, out_t)


@lowering("np.ravel")
def _ravel(ctx, b, node, args):
    """``np.ravel(a)`` / ``a.ravel()``: a 1-d view of a C-contiguous array, else a
    C-ordered copy (as numpy: even of a strided 1-d array)."""
    from .creation import c_contiguous, copy_c
    arr_t, out_t = node.in_types[0], node.out_type
    if not isinstance(arr_t, Array) or node.attrs.get("order", "C") != "C" or \
            arr_t.dtype != out_t.dtype:
        raise NotLowerable(f"np.ravel of {arr_t}")
    size = ir.Constant(I64, 1)
    for d in range(arr_t.ndim):
        size = b.mul(size, b.extract_value(args[0], [1, d]))
    contiguous = c_contiguous(b, args[0], arr_t)
    view_blk = b.append_basic_block("ravel.view")
    copy_blk = b.append_basic_block("ravel.copy")
    done = b.append_basic_block("ravel.done")
    b.cbranch(contiguous, view_blk, copy_blk)
    b.position_at_end(view_blk)
    if arr_t.ndim == 1:
        view = args[0]  # numpy: the same shape, a view with the same stride
    else:
        view = _reshape_view(ctx, b, args[0], arr_t, [size], out_t)
    view_end = b.block
    b.branch(done)
    b.position_at_end(copy_blk)
    copied = copy_c(ctx, b, args[0], arr_t, out_t, shape=[size])
    copy_end = b.block
    b.branch(done)
    b.position_at_end(done)
    phi = b.phi(llvm_type(out_t))
    phi.add_incoming(view, view_end)
    phi.add_incoming(copied, copy_end)
    return phi


@lowering("attr.strides")
def _strides(ctx, b, node, args):
    t = node.in_types[0]
    if not isinstance(t, Array):
        raise NotLowerable(f"strides of {t}")
    s = ir.Constant(llvm_type(node.out_type), ir.Undefined)
    for d in range(t.ndim):
        s = b.insert_value(s, b.extract_value(args[0], [2, d]), d)
    return s


@lowering("attr.itemsize", "attr.nbytes")
def _itemsize(ctx, b, node, args):
    t = node.in_types[0]
    if not isinstance(t, (Array, NpScalar)):
        raise NotLowerable(f"{node.op} of {t}")
    n = ir.Constant(I64, t.dtype.itemsize)
    if node.op == "attr.nbytes" and isinstance(t, Array):
        for d in range(t.ndim):
            n = b.mul(n, b.extract_value(args[0], [1, d]))
    return n


__all__ = ["make_view", "slice_indices"]
