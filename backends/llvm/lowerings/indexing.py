"""Lowerings of array element access and array attributes.

``a[i]``, ``a[i, j]`` (every dimension indexed by an integer) load one element;
``a[i] = x`` stores one, converting ``x`` as numpy's assignment does.  Indexes
wrap like Python's and are bounds-checked: out of range bails out, and CPython
raises the IndexError.  Views (slices, ``None``) stay on the numpy backend.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from pyjit.ir.types import FLOAT, INT, Array, NpScalar, PyScalar, TupleT

from .. import cgutils as cg
from ..lower import lowering
from ..reprs import F64, I64, NotLowerable, llvm_type, scalar_kind
from .convert import cast


def _indices(ctx, b, arr, arr_t, idx_t, idx, node_inputs, hoisted_checks=None):
    items = list(idx_t.items) if isinstance(idx_t, TupleT) else [idx_t]
    if len(items) != arr_t.ndim:
        raise NotLowerable("partial indexing makes a view")
    if isinstance(idx_t, TupleT):
        src = ctx.producers.get(node_inputs[1])
        graph_vals = src.inputs if src is not None and src.op == "build_tuple" else [None] * len(items)
    else:
        graph_vals = [node_inputs[1]]
    out = []
    for d, t in enumerate(items):
        kind = scalar_kind(t)
        if kind is None or kind[0] not in "iu" or isinstance(t, PyScalar) and t.name == "bool":
            raise NotLowerable(f"index of type {t}")
        v = b.extract_value(idx, d) if isinstance(idx_t, TupleT) else idx
        v = cast(ctx, b, v, t, INT) if t != INT else v
        nonneg = graph_vals[d] is not None and ctx.facts.nonneg(graph_vals[d])
        hoisted = (hoisted_checks or {}).get(d)
        out.append(cg.wrap_index(ctx, b, arr, d, v, nonneg=nonneg, all_ok=hoisted))
    return out


@lowering("getitem")
def _getitem(ctx, b, node, args):
    arr_t, idx_t = node.in_types
    if isinstance(arr_t, TupleT):
        return _tuple_item(ctx, b, node, args)
    if not isinstance(arr_t, Array):
        raise NotLowerable(f"indexing {arr_t}")
    idx = _indices(ctx, b, args[0], arr_t, idx_t, args[1], node.inputs, node.hoisted)
    elem = llvm_type(NpScalar(arr_t.dtype))
    where = dict(layout=arr_t.layout, itemsize=arr_t.dtype.itemsize)
    if isinstance(elem, ir.IntType) and elem.width == 1:  # np.bool_ is a byte in memory
        v = b.load(cg.element_pointer(b, args[0], idx, ir.IntType(8), **where))
        return b.icmp_unsigned("!=", v, ir.Constant(ir.IntType(8), 0))
    return b.load(cg.element_pointer(b, args[0], idx, elem, **where))


def _tuple_item(ctx, b, node, args):
    t = node.in_types[0]
    src = node.inputs[1]
    n = len(t.items)
    del src
    # the index is almost always a literal (``a.shape[0]``)
    if isinstance(args[1], ir.Constant):
        i = args[1].constant % n if n else 0
        if not -n <= args[1].constant < n:
            raise NotLowerable("tuple index out of range")
        return b.extract_value(args[0], i)
    ty = llvm_type(t.items[0])
    slot = ctx.alloca(ir.ArrayType(ty, n))
    for k in range(n):
        b.store(b.extract_value(args[0], k), b.gep(slot, [ir.Constant(I64, 0), ir.Constant(I64, k)]))
    i = cast(ctx, b, args[1], node.in_types[1], INT) if node.in_types[1] != INT else args[1]
    i = b.select(b.icmp_signed("<", i, ir.Constant(I64, 0)), b.add(i, ir.Constant(I64, n)), i)
    cg.bail_if(ctx, b, b.icmp_unsigned(">=", i, ir.Constant(I64, n)))
    return b.load(b.gep(slot, [ir.Constant(I64, 0), i]))


@lowering("setitem")
def _setitem(ctx, b, node, args):
    arr_t, idx_t, v_t = node.in_types
    if not isinstance(arr_t, Array):
        raise NotLowerable(f"item assignment on {arr_t}")
    idx = _indices(ctx, b, args[0], arr_t, idx_t, args[1], node.inputs, node.hoisted)
    dst = NpScalar(arr_t.dtype)
    v = _assign_cast(ctx, b, args[2], v_t, dst)
    elem = llvm_type(dst)
    if isinstance(elem, ir.IntType) and elem.width == 1:
        elem, v = ir.IntType(8), b.zext(v, ir.IntType(8))
    b.store(v, cg.element_pointer(b, args[0], idx, elem, layout=arr_t.layout,
                                  itemsize=arr_t.dtype.itemsize))
    return None


def _assign_cast(ctx, b, v, src, dst):
    """numpy's scalar assignment: floats truncate into int arrays (we bail out on
    NaN, inf and out-of-range values, where numpy raises or warns)."""
    s, d = scalar_kind(src), scalar_kind(dst)
    if s is None:
        raise NotLowerable(f"assigning {src}")
    if s[0] == "f" and d[0] in "iu":
        x = cast(ctx, b, v, src, NpScalar(np.dtype("f8"))) if v.type != F64 else v
        info = np.iinfo(dst.dtype)
        ok = b.and_(b.fcmp_ordered(">", x, ir.Constant(F64, float(info.min) - 1.0)),
                    b.fcmp_ordered("<", x, ir.Constant(F64, float(info.max) + 1.0)))
        cg.bail_if(ctx, b, b.not_(ok))
        return b.fptosi(x, llvm_type(dst)) if d[0] == "i" else b.fptoui(x, llvm_type(dst))
    if s[0] in "iub" and d[0] in "iu" and isinstance(src, NpScalar) and src.dtype.itemsize > dst.dtype.itemsize:
        return b.trunc(v, llvm_type(dst))  # numpy casts unsafe on assignment: wraps
    if s[0] in "iu" and d[0] in "iu" and isinstance(src, NpScalar) and s[0] != d[0]:
        return v if v.type == llvm_type(dst) else (b.sext(v, llvm_type(dst)) if s[0] == "i" else b.zext(v, llvm_type(dst)))
    return cast(ctx, b, v, src, dst)


@lowering("attr.shape")
def _shape(ctx, b, node, args):
    t = node.in_types[0]
    if not isinstance(t, Array):
        raise NotLowerable("shape of a scalar")
    s = ir.Constant(llvm_type(node.out_type), ir.Undefined)
    for d in range(t.ndim):
        s = b.insert_value(s, b.extract_value(args[0], [1, d]), d)
    return s


@lowering("attr.ndim")
def _ndim(ctx, b, node, args):
    t = node.in_types[0]
    return ir.Constant(I64, t.ndim if isinstance(t, Array) else 0)


@lowering("attr.size")
def _size(ctx, b, node, args):
    t = node.in_types[0]
    if not isinstance(t, Array):
        return ir.Constant(I64, 1)
    n = ir.Constant(I64, 1)
    for d in range(t.ndim):
        n = b.mul(n, b.extract_value(args[0], [1, d]))
    return n


@lowering("attr.dtype")
def _dtype(ctx, b, node, args):
    return None


@lowering("attr.T")
def _transpose(ctx, b, node, args):
    t = node.in_types[0]
    if not isinstance(t, Array):
        raise NotLowerable("T of a scalar")
    v = args[0]
    s = ir.Constant(llvm_type(node.out_type), ir.Undefined)
    s = b.insert_value(s, b.extract_value(v, 0), 0)
    for d in range(t.ndim):
        s = b.insert_value(s, b.extract_value(v, [1, t.ndim - 1 - d]), [1, d])
        s = b.insert_value(s, b.extract_value(v, [2, t.ndim - 1 - d]), [2, d])
    return s


__all__ = ["FLOAT"]
