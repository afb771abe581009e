"""Matrix products: ``a @ b``, ``a @= b``, ``np.matmul``, ``np.dot`` (and
``a.dot(b)``), ``np.inner``, ``np.vdot``, ``np.outer`` — computed by numpy itself.

numpy computes products with BLAS, whose summation order (blocked, vectorized)
no loop of ours would match bit for bit, so native code calls back into numpy:
the runtime's ``pj_product`` (runtime/products.c, Note [native products]) wraps
the two array structs as ndarrays without copying, calls numpy's function, and
hands back the result — a scalar's value, or the result array's data pointer,
shape and strides as numpy made it (never recomputed here).  The array is kept
in the call's list of arrays (Note [native allocation] in runtime/arrays.c), so
an exit boxes the very array numpy returned, and fused elementwise code can
read it like any other array.

    x = A @ x                  # numpy's matmul on A's and x's memory, then a new x

Any error — mismatched shapes, no memory, or a result other than the type
rule promised — makes ``pj_product`` return 0 and the region bail out: CPython
re-runs the statement and numpy raises its own error.  So does a floating-point
error numpy would act on under the caller's ``np.errstate`` (warn, raise, print;
``inf * 0``, overflow): the call runs with those actions made "raise", so the
warning comes from CPython, naming the user's line.  (A 0-d operand of ``@``
never gets here: the type rule refuses it, as numpy does for every value.)
``a @= b`` writes into ``a`` (ndarray.__imatmul__ on a writeable wrapper) and
its result is ``a`` itself.

Not lowered (``NotLowerable``, the graph runs on the numpy backend or in CPython):

* without pyjit's native runtime, or with numpy < 2 (the address does not
  resolve).  The ctypes fallback of alloc.py gets no product callback: the
  product is one numpy call either way, and a ctypes callback would only add
  microseconds to it;
* an operand that is not an array (``np.dot(a, 2.0)``): numpy treats a Python
  scalar as weak (NEP 50), which a wrapped 0-d array would not be;
* dtypes the slots do not hold (complex, float16) or in non-native byte order;
* keyword arguments (``out=``).
"""
from __future__ import annotations

from llvmlite import ir

from pyjit.ir.types import Array, NpScalar

from .. import cgutils as cg
from ..addresses import PRODUCTS, load_address
from ..lower import lowering
from ..reprs import I8, I64, NotLowerable, is_complex, llvm_type

# What pj_product writes to its out buffer (runtime/products.c)
_SCALAR, _ARRAY, _C_ARRAY, _INPLACE = 0, 1, 2, 3

_FUNCTION = {"matmul": "matmul", "np.matmul": "matmul", "np.dot": "dot", "np.inner": "inner",
             "np.vdot": "vdot", "np.outer": "outer", "imatmul": "imatmul"}

_FNTY = ir.FunctionType(I64, [I64, I64, I64, I64, I64.as_pointer(), I64, I64, I64.as_pointer(),
                              I64, I64, I64.as_pointer()])


def _operand(ctx, b, t, value):
    """``(ndim, typenum, pointer to the array struct in slot form)``."""
    if not isinstance(t, Array):
        raise NotLowerable(f"a product with an operand of type {t}")
    if not t.dtype.isnative:
        raise NotLowerable(f"a product of {t.dtype} (byte order)")
    ty = llvm_type(t)  # NotLowerable for dtypes the slots do not hold
    slot = ctx.alloca(ty)
    b.store(value, slot)  # {i8*, [n x i64], [n x i64]}: the slot layout (Note [slot ABI])
    return ir.Constant(I64, t.ndim), ir.Constant(I64, t.dtype.num), b.bitcast(slot, I64.as_pointer())


def _result_kind(node) -> int:
    out_t = node.out_type
    if node.op == "imatmul":
        if out_t != node.in_types[0]:
            raise NotLowerable(f"a @= b typed {out_t}")
        return _INPLACE
    if isinstance(out_t, NpScalar):
        if is_complex(out_t):
            raise NotLowerable(f"a product typed {out_t}")
        return _SCALAR
    if isinstance(out_t, Array) and out_t.layout in ("C", "A"):
        return _C_ARRAY if out_t.layout == "C" else _ARRAY
    raise NotLowerable(f"a product typed {out_t}")


@lowering(*_FUNCTION)
def _product(ctx, b, node, args):
    if node.attrs:
        raise NotLowerable(f"{node.op} with {sorted(node.attrs)}")
    kind = _result_kind(node)
    out_t = node.out_type
    out_ty = llvm_type(out_t)
    a = _operand(ctx, b, node.in_types[0], args[0])
    c = _operand(ctx, b, node.in_types[1], args[1])
    out_ndim = out_t.ndim if isinstance(out_t, Array) else 0
    buf = ctx.alloca(ir.ArrayType(I64, 1 + 2 * out_ndim))
    out = b.bitcast(buf, I64.as_pointer())
    fn = load_address(ctx, b, ("product",), _FNTY.as_pointer())  # Note [address globals]
    op = PRODUCTS.index(_FUNCTION[node.op])
    ok = b.call(fn, [ir.Constant(I64, op), ir.Constant(I64, kind), *a, *c,
                     ir.Constant(I64, out_ndim), ir.Constant(I64, out_t.dtype.num), out])
    cg.bail_if(ctx, b, b.icmp_signed("==", ok, ir.Constant(I64, 0)))
    if kind == _INPLACE:
        return args[0]
    if kind == _SCALAR:
        if isinstance(out_ty, ir.IntType) and out_ty.width == 1:  # np.bool_: one byte
            byte = b.load(b.bitcast(buf, I8.as_pointer()))
            return b.icmp_unsigned("!=", byte, ir.Constant(I8, 0))
        return b.load(b.bitcast(buf, out_ty.as_pointer()))
    result = b.load(b.bitcast(buf, out_ty.as_pointer()))
    ctx.fresh[id(result)] = result  # numpy's new array, only our list refers to it
    return result
