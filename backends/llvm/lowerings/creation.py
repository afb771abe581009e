"""Array creation: ``np.empty/zeros/ones/full``, ``np.empty_like/zeros_like/
ones_like/full_like`` and ``np.arange`` of integers.

The array is allocated by numpy through the callback the fused kernels use
(``kernels._allocate``), so it is an ordinary array owned by Python that an exit
boxes as itself; then a flat loop fills it (LLVM turns the zero fill into a
memset).  Only C-ordered results are lowered (``order='F'`` of two or more
dimensions, and ``*_like`` of an array whose memory order numpy decides at run
time, stay on the numpy backend).  A negative dimension, or an array numpy
cannot allocate, bails out: CPython re-runs the statement and numpy raises.

``a.copy()`` and ``np.copy(a)`` (a C-ordered result) copy element by element in
C order (``copy_c``, also ``np.ravel``'s copy in slicing.py).

``np.arange(start, stop, step)`` with integer arguments: its length is numpy's
``ceil((stop - start) / step)`` computed exactly, which equals numpy's
float-division result while ``|stop - start| < 2**53`` (else a bailout); the
items are ``start + i*step`` (int64), or that as a double for a float64 result
while the bounds are below 2**53 in magnitude, where numpy's
``start + i*delta`` in doubles is exact too.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from pyjit.ir.types import INT, NONE, Array, NpScalar, PyScalar, TupleT

from .. import cgutils as cg
from ..lower import lowering
from ..reprs import F64, I64, NotLowerable, llvm_type, scalar_kind
from .convert import cast
from .indexing import _assign_cast

_EXACT = 2 ** 53


def _dim(ctx, b, v, t):
    kind = scalar_kind(t)
    if kind is None or kind[0] not in "iu" or kind == ("u", 64) or isinstance(t, PyScalar) and t != INT:
        raise NotLowerable(f"a dimension of type {t}")
    v = v if t == INT else cast(ctx, b, v, t, INT)
    cg.bail_if(ctx, b, b.icmp_signed("<", v, ir.Constant(I64, 0)))  # ValueError: negative dimensions
    return v


def _shape_of(ctx, b, t, v):
    if isinstance(t, TupleT):
        return [_dim(ctx, b, b.extract_value(v, k), item) for k, item in enumerate(t.items)]
    return [_dim(ctx, b, v, t)]


def _c_result(out_t) -> Array:
    if not isinstance(out_t, Array) or out_t.layout != "C" and out_t.ndim > 1:
        raise NotLowerable(f"a new array typed {out_t}")
    llvm_type(out_t)  # a dtype this backend stores (else NotLowerable)
    return out_t


def _new(ctx, b, shape, out_t):
    """A new C-ordered array from numpy's allocation callback (kernels._allocate,
    imported here, not at the top: kernels imports the lowerings).  Its strides
    are constants, C's, even where numpy 2 gives an empty array zero strides
    (boxing matches an empty array by data and shape: Note [boxing an exit's
    array] in backends/llvm/__init__.py)."""
    from ..kernels import _allocate
    return _allocate(ctx, b, shape, out_t)


def _fill(ctx, b, arr, shape, out_t, value):
    """Store ``value`` (of the element type) into every element, in memory order."""
    from ..kernels import _loop_nest
    size = ir.Constant(I64, 1)
    for n in shape:
        size = b.mul(size, n)
    elem = llvm_type(NpScalar(out_t.dtype))
    if isinstance(elem, ir.IntType) and elem.width == 1:  # np.bool_ is a byte in memory
        elem, value = ir.IntType(8), b.zext(value, ir.IntType(8))
    base = b.bitcast(b.extract_value(arr, 0), elem.as_pointer())
    _loop_nest(ctx, b, [size], 0, [], lambda bb, idx: bb.store(value, bb.gep(base, [idx[0]])))


def _constant(out_t, x):
    elem = llvm_type(NpScalar(out_t.dtype))
    return ir.Constant(elem, float(x) if isinstance(elem, (ir.DoubleType, ir.FloatType)) else int(x))


@lowering("np.empty", "np.zeros", "np.ones", "np.full")
def _filled(ctx, b, node, args):
    out_t = _c_result(node.out_type)
    if node.attrs.get("order", "C") != "C" and out_t.ndim > 1:
        raise NotLowerable("order='F'")
    shape = _shape_of(ctx, b, node.in_types[0], args[0])
    value = _fill_value(ctx, b, node, args, out_t)  # before allocating: it may bail out
    arr = _new(ctx, b, shape, out_t)
    if value is not None:
        _fill(ctx, b, arr, shape, out_t, value)
    return arr


def _fill_value(ctx, b, node, args, out_t):
    name = node.op.split(".")[-1].removesuffix("_like")
    if name == "empty":
        return None
    if name in ("zeros", "ones"):
        return _constant(out_t, 0 if name == "zeros" else 1)
    t = node.in_types[1]
    if not isinstance(t, (PyScalar, NpScalar)) or scalar_kind(t) is None:
        raise NotLowerable(f"fill value of type {t}")
    # numpy copies the value in with casting='unsafe'; a Python int out of the
    # dtype's range, NaN or an out-of-range float into ints bail out.
    return _assign_cast(ctx, b, args[1], t, NpScalar(out_t.dtype))


@lowering("np.empty_like", "np.zeros_like", "np.ones_like", "np.full_like")
def _like(ctx, b, node, args):
    out_t = _c_result(node.out_type)
    a_t = node.in_types[0]
    if isinstance(a_t, Array):
        shape = [b.extract_value(args[0], [1, d]) for d in range(a_t.ndim)]
    elif isinstance(a_t, (PyScalar, NpScalar)):
        shape = []
    else:
        raise NotLowerable(f"{node.op} of {a_t}")
    if len(shape) != out_t.ndim:
        raise NotLowerable(f"{node.op} of {a_t} typed {out_t}")
    value = _fill_value(ctx, b, node, args, out_t)
    arr = _new(ctx, b, shape, out_t)
    if value is not None:
        _fill(ctx, b, arr, shape, out_t, value)
    return arr


@lowering("np.arange")
def _arange(ctx, b, node, args):
    out_t = _c_result(node.out_type)
    if out_t.dtype not in (np.dtype(np.int64), np.dtype(np.float64)):
        raise NotLowerable(f"arange of {out_t.dtype}")
    types = list(node.in_types) + [NONE] * (3 - len(node.in_types))
    vals = list(args) + [None] * (3 - len(args))
    bounds = []
    for t, v in zip(types, vals):
        if t == NONE:
            bounds.append(None)
            continue
        kind = scalar_kind(t)
        if kind is None or kind[0] != "i" or t != INT and not isinstance(t, NpScalar):
            raise NotLowerable(f"arange of {t}")
        bounds.append(v if t == INT else cast(ctx, b, v, t, INT))
    start, stop, step = bounds
    zero, one = ir.Constant(I64, 0), ir.Constant(I64, 1)
    if stop is None:  # np.arange(n) and np.arange(n, None, s) count from 0 to n
        start, stop = zero, start
    if step is None:
        step = one
    cg.bail_if(ctx, b, b.icmp_signed("==", step, zero))  # numpy raises
    span = cg.checked(ctx, b, "ssub", stop, start)
    big = ir.Constant(I64, _EXACT)
    for x in (span, start, stop) if out_t.dtype.kind == "f" else (span,):
        cg.bail_if(ctx, b, b.or_(b.icmp_signed(">=", x, big), b.icmp_signed("<=", x, b.neg(big))))
    # ceil(span / step) with truncating division: q + (r != 0 and signs agree)
    q, r = b.sdiv(span, step), b.srem(span, step)
    agree = b.icmp_unsigned("==", b.icmp_signed("<", r, zero), b.icmp_signed("<", step, zero))
    n = b.add(q, b.zext(b.and_(b.icmp_signed("!=", r, zero), agree), I64))
    n = b.select(b.icmp_signed("<", n, zero), zero, n)
    arr = _new(ctx, b, [n], out_t)
    from ..kernels import _loop_nest
    elem = llvm_type(NpScalar(out_t.dtype))
    base = b.bitcast(b.extract_value(arr, 0), elem.as_pointer())

    def body(bb, idx):
        x = bb.add(start, bb.mul(idx[0], step))
        bb.store(bb.sitofp(x, F64) if elem == F64 else x, bb.gep(base, [idx[0]]))
    _loop_nest(ctx, b, [n], 0, [], body)
    return arr


__all__ = ["INT"]


# ---- copies -------------------------------------------------------------------------

def c_contiguous(b, arr, t: Array):
    """numpy's C-contiguity flag at run time (relaxed strides: a dimension of
    length 1 may have any stride; an empty array is contiguous)."""
    if t.layout == "C" or t.ndim == 0:
        return ir.Constant(ir.IntType(1), 1)
    ok = ir.Constant(ir.IntType(1), 1)
    empty = ir.Constant(ir.IntType(1), 0)
    expect = ir.Constant(I64, t.dtype.itemsize)
    for d in reversed(range(t.ndim)):
        n = b.extract_value(arr, [1, d])
        st = b.extract_value(arr, [2, d])
        trivial = b.icmp_signed("==", n, ir.Constant(I64, 1))
        ok = b.and_(ok, b.or_(trivial, b.icmp_signed("==", st, expect)))
        empty = b.or_(empty, b.icmp_signed("==", n, ir.Constant(I64, 0)))
        expect = b.select(trivial, expect, b.mul(expect, n))
    return b.or_(ok, empty)


def copy_c(ctx, b, src, src_t: Array, out_t: Array, shape=None):
    """A new C-ordered array holding ``src``'s elements in C order, shaped
    ``shape`` (default: ``src``'s)."""
    from ..kernels import _loop_nest
    src_shape = [b.extract_value(src, [1, d]) for d in range(src_t.ndim)]
    arr = _new(ctx, b, shape if shape is not None else src_shape, out_t)
    elem = NpScalar(out_t.dtype)
    mem = llvm_type(elem)
    mem = ir.IntType(8) if isinstance(mem, ir.IntType) and mem.width == 1 else mem
    base = b.bitcast(b.extract_value(arr, 0), mem.as_pointer())
    counter = ctx.alloca(I64)
    b.store(ir.Constant(I64, 0), counter)

    def body(bb, idx):
        k = bb.load(counter)
        v = bb.load(cg.element_pointer(bb, src, idx, mem, layout=src_t.layout,
                                       itemsize=src_t.dtype.itemsize))
        bb.store(v, bb.gep(base, [k]))
        bb.store(bb.add(k, ir.Constant(I64, 1)), counter)
    _loop_nest(ctx, b, src_shape, 0, [], body)
    return arr


@lowering("array.copy", "np.copy")
def _copy(ctx, b, node, args):
    out_t = _c_result(node.out_type)
    src_t = node.in_types[0]
    if not isinstance(src_t, Array) or src_t.dtype != out_t.dtype or src_t.ndim != out_t.ndim:
        raise NotLowerable(f"{node.op} of {src_t}")
    llvm_type(src_t)
    return copy_c(ctx, b, args[0], src_t, out_t)


@lowering("array.flatten")
def _flatten(ctx, b, node, args):
    """``a.flatten()``: always a C-order copy."""
    out_t = _c_result(node.out_type)
    src_t = node.in_types[0]
    if node.attrs.get("order", "C") != "C" or not isinstance(src_t, Array) or \
            src_t.dtype != out_t.dtype:
        raise NotLowerable(f"flatten of {src_t}")
    size = ir.Constant(I64, 1)
    for d in range(src_t.ndim):
        size = b.mul(size, b.extract_value(args[0], [1, d]))
    return copy_c(ctx, b, args[0], src_t, out_t, shape=[size])


@lowering("np.eye", "np.identity")
def _eye(ctx, b, node, args):
    """``np.eye(N, M=None, k=0)``, ``np.identity(n)``: zeros, then ones where
    ``column == row + k``."""
    from ..kernels import _loop_nest
    out_t = _c_result(node.out_type)
    if node.attrs.get("order", "C") != "C":
        raise NotLowerable("order='F'")
    types = list(node.in_types) + [NONE] * (3 - len(node.in_types))
    vals = list(args) + [None] * (3 - len(args))
    n = _dim(ctx, b, vals[0], types[0])
    m = n if types[1] == NONE else _dim(ctx, b, vals[1], types[1])
    if types[2] == NONE:
        k = ir.Constant(I64, 0)
    elif scalar_kind(types[2]) is not None and scalar_kind(types[2])[0] == "i":
        k = vals[2] if types[2] == INT else cast(ctx, b, vals[2], types[2], INT)
    else:
        raise NotLowerable(f"np.eye with k of type {types[2]}")
    arr = _new(ctx, b, [n, m], out_t)
    _fill(ctx, b, arr, [n, m], out_t, _constant(out_t, 0))
    elem = llvm_type(NpScalar(out_t.dtype))
    one = _constant(out_t, 1)
    if isinstance(elem, ir.IntType) and elem.width == 1:
        elem, one = ir.IntType(8), ir.Constant(ir.IntType(8), 1)
    base = b.bitcast(b.extract_value(arr, 0), elem.as_pointer())

    def body(bb, idx):
        col = bb.add(idx[0], k)
        inside = bb.and_(bb.icmp_signed(">=", col, ir.Constant(I64, 0)), bb.icmp_signed("<", col, m))
        with bb.if_then(inside):
            bb.store(one, bb.gep(base, [bb.add(bb.mul(idx[0], m), col)]))
    _loop_nest(ctx, b, [n], 0, [], body)
    return arr
