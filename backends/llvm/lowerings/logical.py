"""``np.any``/``np.all`` (and ``a.any()``/``a.all()``): logical reductions.

Lowered, without ``keepdims``/``out``:

* ``axis=None`` (or 0 / -1 of a 1-d array, the same reduction) over an array
  of any layout, ndim and strides, and over bool, int and float scalars: an
  ``np.bool_`` (an i1), as numpy's ``logical_or.reduce(a, dtype=bool)`` gives;
* one int ``axis`` of a 2-d or larger array: a new bool array of the other
  dimensions, C-ordered, where numpy's result is (a 1-d result always; a
  larger one when the input is C-contiguous).

An element is true when it is non-zero: ``x != 0`` for ints and bools, and for
floats the unordered ``une``, so NaN is true and ``-0.0`` false (numpy's cast
to bool).  The order in which elements are visited cannot change the answer and
nothing can fail, so each walk stops soon after the first element that decides
it (a true one for ``any``, a false one for ``all``; a contiguous array is
tested a ``BLOCK`` at a time, which LLVM vectorizes), and an empty one gives
the identity (``any`` False, ``all`` True).

Not lowered (``NotLowerable``): a tuple of axes, an axis whose result numpy
may lay out otherwise (an F-ordered or strided input of 3 or more
dimensions), ``keepdims``, ``out``, complex inputs (complex arrays have no
representation here).
"""
from __future__ import annotations

import numbers

import numpy as np
from llvmlite import ir

from pyjit.ir.types import Array, NpScalar, PyScalar

from ..lower import lowering
from ..reprs import I1, I8, I64, NotLowerable, llvm_type, scalar_kind
from .reductions import counted_loop

_ZERO = ir.Constant(I64, 0)
_BOOL = np.dtype(bool)

# Elements OR-ed together between two tests for the deciding one: the block's
# loop has no exit, so LLVM vectorizes it (a bool array: 256 bytes a test).
BLOCK = 256


def truth(b, v, kind: str):
    """numpy's cast to bool of one element: non-zero, NaN included."""
    if v.type == I1:
        return v
    if kind == "f":
        return b.fcmp_unordered("!=", v, ir.Constant(v.type, 0.0))
    return b.icmp_unsigned("!=", v, ir.Constant(v.type, 0))


def _axis(node, t) -> int | None:
    """The reduced axis of a 2-d or larger array (normalized), or None for a
    full reduction."""
    axis = node.attrs.get("axis")
    if axis is None or isinstance(t, Array) and t.ndim == 1 and axis in (0, -1):
        return None
    if not isinstance(t, Array) or not isinstance(axis, numbers.Integral) or \
            isinstance(axis, bool) or not -t.ndim <= axis < t.ndim:
        raise NotLowerable(f"{node.op} along axis={axis!r} of {t}")
    out = node.out_type
    if not isinstance(out, Array) or out.dtype != _BOOL or out.ndim != t.ndim - 1 or \
            out.ndim > 1 and out.layout != "C":
        raise NotLowerable(f"{node.op} along an axis of {t} giving {out}")
    return int(axis) % t.ndim


def _check(node):
    t = node.in_types[0]
    if node.attrs.get("keepdims") or node.attrs.get("out") is not None:
        raise NotLowerable(f"{node.op} with keepdims= or out=")
    kind = scalar_kind(NpScalar(t.dtype)) if isinstance(t, Array) else \
        scalar_kind(t) if isinstance(t, (NpScalar, PyScalar)) else None
    if kind is None or kind[0] not in "biuf":
        raise NotLowerable(f"{node.op} of {t}")
    llvm_type(t)  # a type this backend represents (float16 is not)
    axis = _axis(node, t)
    if axis is None and node.out_type != NpScalar(_BOOL):
        raise NotLowerable(f"{node.op} giving {node.out_type}")
    return t, kind[0], axis


def _search(ctx, b, base, shape, strides, deciding, blocked=False):
    """Whether ``deciding(b, offset)`` holds for an element of the nest over
    ``shape`` and byte ``strides`` from byte offset ``base``, leaving at the
    first one found.  ``blocked``: ``shape`` is one run of constant stride,
    tested a ``BLOCK`` at a time."""
    found = b.append_basic_block("logical.found")

    def leave_if(b, cond):
        cont = b.append_basic_block("logical.next")
        b.cbranch(cond, found, cont)
        b.position_at_end(cont)

    def each(b, lo, hi, d, offset):
        def body(b, i, _):
            inner = b.add(offset, b.mul(i, strides[d]))
            if d + 1 < len(shape):
                each(b, _ZERO, shape[d + 1], d + 1, inner)
            else:
                leave_if(b, deciding(b, inner))
            return []
        counted_loop(ctx, b, lo, hi, [], body)

    if blocked:
        step = ir.Constant(I64, BLOCK)
        whole = b.sub(shape[0], b.srem(shape[0], step))

        def block(b, first, _):
            def fold(b, i, acc):
                return [b.or_(acc[0], deciding(b, b.add(base, b.mul(i, strides[0]))))]
            (hit,) = counted_loop(ctx, b, first, b.add(first, step), [ir.Constant(I1, 0)], fold)
            leave_if(b, hit)
            return []
        counted_loop(ctx, b, _ZERO, whole, [], block, step=BLOCK)
        each(b, whole, shape[0], 0, base)
    elif shape:
        each(b, _ZERO, shape[0], 0, base)
    else:
        leave_if(b, deciding(b, base))
    done = b.block
    join = b.append_basic_block("logical.join")
    b.branch(join)
    b.position_at_end(found)
    b.branch(join)
    b.position_at_end(join)
    phi = b.phi(I1)
    phi.add_incoming(ir.Constant(I1, 1), found)
    phi.add_incoming(ir.Constant(I1, 0), done)
    return phi


def _decider(b, arr, t: Array, wanted: bool, kind: str):
    """``deciding(b, offset)``: the element at byte ``offset`` has truth ``wanted``."""
    elem = llvm_type(NpScalar(t.dtype))
    mem = I8 if elem == I1 else elem
    data = b.extract_value(arr, 0)

    def deciding(b, offset):
        v = b.load(b.bitcast(b.gep(data, [offset]), mem.as_pointer()))
        hit = truth(b, v, "b" if elem == I1 else kind)
        return hit if wanted else b.not_(hit)
    return deciding


@lowering("np.any", "np.all")
def _any_all(ctx, b, node, args):
    t, kind, axis = _check(node)
    is_any = node.op == "np.any"
    if not isinstance(t, Array):
        return truth(b, args[0], kind)
    arr = args[0]
    deciding = _decider(b, arr, t, is_any, kind)  # any: a true element; all: a false one
    shape = [b.extract_value(arr, [1, d]) for d in range(t.ndim)]
    strides = [b.extract_value(arr, [2, d]) for d in range(t.ndim)]
    if axis is not None:
        return _along_axis(ctx, b, node, t, axis, shape, strides, deciding, is_any)
    if t.layout in "CF":  # one run in memory order: the order does not matter
        size = ir.Constant(I64, 1)
        for n in shape:
            size = b.mul(size, n)
        some = _search(ctx, b, _ZERO, [size], [ir.Constant(I64, t.dtype.itemsize)], deciding,
                       blocked=True)
    else:
        some = _search(ctx, b, _ZERO, shape, strides, deciding)
    return some if is_any else b.not_(some)


def _along_axis(ctx, b, node, t, axis, shape, strides, deciding, is_any):
    """The C-ordered result along ``axis``.  The last axis: one search per line
    (a line of adjacent elements a ``BLOCK`` at a time).  Another: the input is
    walked in C order (so in memory order for a C array, as numpy walks it)
    and each element folded into its result element, with no exit."""
    from ..kernels import _loop_nest
    from .creation import _fill, _new
    rest = [d for d in range(len(shape)) if d != axis]
    out = _new(ctx, b, [shape[d] for d in rest], node.out_type)
    dest = b.extract_value(out, 0)

    def flat(bb, idx, dims):
        """The C-order flat index of ``idx`` in the dimensions ``dims``."""
        k = _ZERO
        for i, d in zip(idx, dims):
            k = bb.add(bb.mul(k, shape[d]), i)
        return k

    def offset(bb, idx, dims):
        """The byte offset of the input element ``idx`` (over ``dims``; the
        others 0): from the shape in a C array, so LLVM sees the strides."""
        if t.layout == "C":
            full = dict(zip(dims, idx))
            k = flat(bb, [full.get(d, _ZERO) for d in range(len(shape))], range(len(shape)))
            return bb.mul(k, ir.Constant(I64, t.dtype.itemsize))
        off = _ZERO
        for i, d in zip(idx, dims):
            off = bb.add(off, bb.mul(i, strides[d]))
        return off

    if axis == len(shape) - 1:
        itemsize = ir.Constant(I64, t.dtype.itemsize)

        def line(bb, idx):
            base = offset(bb, idx, rest)
            unit, other, join = (bb.append_basic_block(f"logical.line.{x}")
                                 for x in ("unit", "other", "join"))
            bb.cbranch(bb.icmp_signed("==", strides[axis], itemsize), unit, other)
            found = []
            for blk, step, blocked in ((unit, itemsize, True), (other, strides[axis], False)):
                bb.position_at_end(blk)
                found.append((_search(ctx, bb, base, [shape[axis]], [step], deciding, blocked), bb.block))
                bb.branch(join)
            bb.position_at_end(join)
            some = bb.phi(I1)
            for v, blk in found:
                some.add_incoming(v, blk)
            bb.store(bb.zext(some if is_any else bb.not_(some), I8), bb.gep(dest, [flat(bb, idx, rest)]))
        _loop_nest(ctx, b, [shape[d] for d in rest], 0, [], line)
        return out
    _fill(ctx, b, out, [shape[d] for d in rest], node.out_type, ir.Constant(I1, 0 if is_any else 1))

    def fold(bb, idx):
        hit = deciding(bb, offset(bb, idx, range(len(shape))))
        at = bb.gep(dest, [flat(bb, [idx[d] for d in rest], rest)])
        old = bb.load(at)
        bit = bb.zext(hit, I8)
        bb.store(bb.or_(old, bit) if is_any else bb.and_(old, bb.xor(bit, ir.Constant(I8, 1))), at)
    _loop_nest(ctx, b, shape, 0, [], fold)
    return out
