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
from ..reprs import F64, I1, NotLowerable, llvm_type, scalar_kind
from .creation import _c_result, _new
from .indexing import _assign_cast


def convert_element(ctx, b, v, src: NpScalar, dst: NpScalar, bad=None):
    """numpy's unsafe cast of one element (the value representation: bools i1).

    Where numpy's value is the platform's or it warns, the cast bails out; with
    ``bad`` (an ``i1*``), it ors the condition into ``*bad`` instead, for a loop
    that bails out once after its last element (Note [one check per cast])."""
    s, d = scalar_kind(src), scalar_kind(dst)
    if s is None or d is None or s[0] == "c" or d[0] == "c":
        raise NotLowerable(f"astype {src} -> {dst}")
    dty = llvm_type(dst)
    if s[0] == "f" and d[0] == "f" and s[1] > d[1]:
        r = b.fptrunc(v, dty)
        inf = ir.Constant(v.type, float("inf"))
        rinf = ir.Constant(r.type, float("inf"))
        finite_in = b.fcmp_ordered("<", cg.call_math(ctx, b, "fabs", [v], v.type), inf)
        inf_out = b.fcmp_ordered("==", cg.call_math(ctx, b, "fabs", [r], r.type), rinf)
        _fail(ctx, b, b.and_(finite_in, inf_out), bad)  # numpy: overflow encountered in cast
        return r
    if s[0] == "f" and d[0] in "iu":
        # nan, infinities and values out of range: C leaves them undefined
        x = b.fpext(v, F64) if v.type != F64 else v
        info = np.iinfo(dst.dtype)
        ok = b.and_(b.fcmp_ordered(">", x, ir.Constant(F64, float(info.min) - 1.0)),
                    b.fcmp_ordered("<", x, ir.Constant(F64, float(info.max) + 1.0)))
        _fail(ctx, b, b.not_(ok), bad)
        x = b.select(ok, x, ir.Constant(F64, 0.0))  # no poison from an out-of-range convert
        return b.fptosi(x, dty) if d[0] == "i" else b.fptoui(x, dty)
    if s[0] == "b" and d[0] in "iu":
        return b.zext(v, dty)
    return _assign_cast(ctx, b, v, src, dst)  # integers wrap; to floats and bools: cast


def _fail(ctx, b, cond, bad):
    if bad is None:
        cg.bail_if(ctx, b, cond)
    else:
        b.store(b.or_(b.load(bad), cond), bad)


# Note [one check per cast]
#     A check that branches out of the loop on every element keeps LLVM from
#     vectorizing the conversion (numpy's loop is SIMD: a float64 -> int32
#     cast of 1e6 items took 2.3x numpy's time).  The loop instead ors the
#     failures into a flag, converts a harmless 0 where the value failed, and
#     bails out after the loop: the new array is then garbage, and CPython
#     re-runs the statement, so no value of it is ever seen.


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
    bad = ctx.alloca(I1)
    b.store(ir.Constant(I1, 0), bad)

    def body(bb, idx):
        p = cg.element_pointer(bb, src, idx, src_mem, layout=src_t.layout,
                               itemsize=src_t.dtype.itemsize)
        v = convert_element(ctx, bb, _load(bb, p, src_elem), src_elem, out_elem, bad)
        q = cg.element_pointer(bb, arr, idx, out_mem, layout="C", itemsize=out_t.dtype.itemsize)
        _store(bb, q, v, out_elem)
    _loop_nest(ctx, b, shape, 0, [], body)
    cg.bail_if(ctx, b, b.load(bad))  # Note [one check per cast]
    return arr


__all__ = ["convert_element"]
