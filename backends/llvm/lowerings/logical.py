"""``np.any``/``np.all`` (and ``a.any()``/``a.all()``): full logical reductions.

Lowered: ``axis=None`` (or ``axis`` 0 / -1 of a 1-d array, the same
reduction) without ``keepdims``, over an array of any layout, ndim and
strides, and over bool, int and float scalars.  The result is ``np.bool_``
(an i1), as numpy's ``logical_or.reduce(a, dtype=bool)`` gives.

An element is true when it is non-zero: ``x != 0`` for ints and bools, and for
floats the unordered ``une``, so NaN is true and ``-0.0`` false (numpy's cast
to bool).  The order in which elements are visited cannot change the answer and
nothing can fail, so the walk stops soon after the first element that decides
it (a true one for ``any``, a false one for ``all``; a contiguous array is
tested a ``BLOCK`` at a time, which LLVM vectorizes), and an empty array gives
the identity (``any`` False, ``all`` True) with no check at all.

Not lowered (``NotLowerable``): an axis of a 2-d or larger array, ``keepdims``,
``out``, complex inputs (complex arrays have no representation here).
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from pyjit.ir.types import Array, NpScalar, PyScalar

from ..lower import lowering
from ..reprs import I1, I8, I64, NotLowerable, llvm_type, scalar_kind
from .reductions import counted_loop

_ZERO = ir.Constant(I64, 0)


def truth(b, v, kind: str):
    """numpy's cast to bool of one element: non-zero, NaN included."""
    if v.type == I1:
        return v
    if kind == "f":
        return b.fcmp_unordered("!=", v, ir.Constant(v.type, 0.0))
    return b.icmp_unsigned("!=", v, ir.Constant(v.type, 0))


def _check(node):
    t = node.in_types[0]
    a = node.attrs
    axis = a.get("axis")
    if axis is not None and not (isinstance(t, Array) and t.ndim == 1 and axis in (0, -1)):
        raise NotLowerable(f"{node.op} along an axis of {t}")
    if a.get("keepdims") or a.get("out") is not None:
        raise NotLowerable(f"{node.op} with keepdims= or out=")
    if node.out_type != NpScalar(np.dtype(bool)):
        raise NotLowerable(f"{node.op} giving {node.out_type}")
    kind = scalar_kind(NpScalar(t.dtype)) if isinstance(t, Array) else \
        scalar_kind(t) if isinstance(t, (NpScalar, PyScalar)) else None
    if kind is None or kind[0] not in "biuf":
        raise NotLowerable(f"{node.op} of {t}")
    llvm_type(t)  # a type this backend represents (float16 is not)
    return t, kind[0]


# Elements OR-ed together between two tests for the deciding one: the block's
# loop has no exit, so LLVM vectorizes it (a bool array: 256 bytes a test).
BLOCK = 256


def _first_where(ctx, b, arr, t: Array, wanted: bool, kind: str):
    """Whether some element's truth is ``wanted``: a loop nest over ``arr`` that
    leaves at the first such element.  A C- or F-contiguous array is one run
    in memory order, tested a ``BLOCK`` at a time; any other is walked in C
    order through its strides."""
    elem = llvm_type(NpScalar(t.dtype))
    mem = I8 if elem == I1 else elem
    data = b.extract_value(arr, 0)
    shape = [b.extract_value(arr, [1, d]) for d in range(t.ndim)]
    if t.layout in "CF":
        size = ir.Constant(I64, 1)
        for n in shape:
            size = b.mul(size, n)
        shape, strides = [size], [ir.Constant(I64, t.dtype.itemsize)]
    else:
        strides = [b.extract_value(arr, [2, d]) for d in range(t.ndim)]
    found = b.append_basic_block("logical.found")

    def deciding(b, offset):
        v = b.load(b.bitcast(b.gep(data, [offset]), mem.as_pointer()))
        hit = truth(b, v, "b" if elem == I1 else kind)
        return hit if wanted else b.not_(hit)

    def leave_if(b, cond):
        cont = b.append_basic_block("logical.next")
        b.cbranch(cond, found, cont)
        b.position_at_end(cont)

    def each(b, lo, hi, d, offset):
        """Elements ``lo..hi`` of dimension ``d``, one test each."""
        def body(b, i, _):
            inner = b.add(offset, b.mul(i, strides[d]))
            if d + 1 < len(shape):
                each(b, _ZERO, shape[d + 1], d + 1, inner)
            else:
                leave_if(b, deciding(b, inner))
            return []
        counted_loop(ctx, b, lo, hi, [], body)

    if t.layout in "CF":
        step = ir.Constant(I64, BLOCK)
        whole = b.sub(size, b.srem(size, step))

        def block(b, base, _):
            (any_hit,) = counted_loop(ctx, b, base, b.add(base, step), [ir.Constant(I1, 0)],
                                      lambda b, i, acc: [b.or_(acc[0], deciding(b, b.mul(i, strides[0])))])
            leave_if(b, any_hit)
            return []
        counted_loop(ctx, b, _ZERO, whole, [], block, step=BLOCK)
        each(b, whole, size, 0, _ZERO)
    elif shape:
        each(b, _ZERO, shape[0], 0, _ZERO)
    else:
        leave_if(b, deciding(b, _ZERO))
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


@lowering("np.any", "np.all")
def _any_all(ctx, b, node, args):
    t, kind = _check(node)
    is_any = node.op == "np.any"
    if not isinstance(t, Array):
        return truth(b, args[0], kind)
    some = _first_where(ctx, b, args[0], t, is_any, kind)
    return some if is_any else b.not_(some)  # all: no false element

