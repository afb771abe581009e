"""``a.astype(dtype)``: a new C-ordered array of ``a``'s elements converted with
numpy's casting (``casting='unsafe'``, the default), element by element in C
order; on a numpy scalar, the converted scalar.

numpy casts as C does: integers wrap into narrower or other-signed integers,
anything becomes a bool by ``!= 0`` (nan is True), integers round to the
nearest float.  Where C's conversion is undefined and numpy gives a platform
value (float to integer of nan, infinities or values out of the target's range:
``np.float64(300).astype(np.int8)`` is 44 on x86-64, a RuntimeWarning for nan)
the region bails out and numpy computes it; so does a finite float that
overflows to an infinity in a narrower float (numpy warns).

``astype`` always copies (there is no ``copy`` attribute on the op: a
``copy=False`` call is not this op).  Results numpy would lay out in Fortran
order (``order='F'``, or ``'K'``/``'A'`` of an F-ordered or strided input) are
not lowered (``creation._c_result``).
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from pyjit.ir.types import Array, NpScalar

from .. import cgutils as cg
from ..lower import lowering
from ..reprs import NotLowerable, llvm_type, scalar_kind
from .creation import _c_result, _new
from .indexing import _assign_cast


def convert_element(ctx, b, v, src: NpScalar, dst: NpScalar):
    """numpy's unsafe cast of one element (the value representation: bools i1)."""
    s, d = scalar_kind(src), scalar_kind(dst)
    if s is None or d is None or s[0] == "c" or d[0] == "c":
        raise NotLowerable(f"astype {src} -> {dst}")
    if s[0] == "f" and d[0] == "f" and s[1] > d[1]:
        r = b.fptrunc(v, llvm_type(dst))
        inf = ir.Constant(v.type, float("inf"))
        rinf = ir.Constant(r.type, float("inf"))
        finite_in = b.fcmp_ordered("<", cg.call_math(ctx, b, "fabs", [v], v.type), inf)
        inf_out = b.fcmp_ordered("==", cg.call_math(ctx, b, "fabs", [r], r.type), rinf)
        cg.bail_if(ctx, b, b.and_(finite_in, inf_out))  # numpy: overflow encountered in cast
        return r
    if s[0] == "b" and d[0] in "iu":
        return b.zext(v, llvm_type(dst))
    # floats to integers bail out on nan, infinities and out of range; integers wrap
    return _assign_cast(ctx, b, v, src, dst)


@lowering("array.astype")
def _astype(ctx, b, node, args):
    from ..kernels import _load, _loop_nest, _mem, _store
    src_t, out_t = node.in_types[0], node.out_type
    if node.attrs.get("order", "K") not in ("K", "A", "C"):
        raise NotLowerable(f"astype order={node.attrs.get('order')!r}")
    if isinstance(src_t, NpScalar) and isinstance(out_t, NpScalar):
        return convert_element(ctx, b, args[0], src_t, out_t)
    if not isinstance(src_t, Array):
        raise NotLowerable(f"astype of {src_t}")
    out_t = _c_result(out_t)
    if out_t.ndim != src_t.ndim:
        raise NotLowerable(f"astype of {src_t} typed {out_t}")
    src_elem, out_elem = NpScalar(src_t.dtype), NpScalar(out_t.dtype)
    llvm_type(src_t)
    src = args[0]
    shape = [b.extract_value(src, [1, d]) for d in range(src_t.ndim)]
    arr = _new(ctx, b, shape, out_t)
    src_mem = _mem(llvm_type(src_elem))
    out_mem = _mem(llvm_type(out_elem))

    def body(bb, idx):
        p = cg.element_pointer(bb, src, idx, src_mem, layout=src_t.layout,
                               itemsize=src_t.dtype.itemsize)
        v = convert_element(ctx, bb, _load(bb, p, src_elem), src_elem, out_elem)
        q = cg.element_pointer(bb, arr, idx, out_mem, layout="C", itemsize=out_t.dtype.itemsize)
        _store(bb, q, v, out_elem)
    _loop_nest(ctx, b, shape, 0, [], body)
    return arr


__all__ = ["convert_element", "np"]
