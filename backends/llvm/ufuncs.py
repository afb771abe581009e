"""numpy ufuncs on scalars, through numpy's own inner loops.

numpy computes ``np.exp``, ``np.log``, ``np.tanh``… with its own (often SIMD)
implementations, which differ from the C library's in the last bit.  To give
numpy's exact results, native code calls the very inner loop numpy would run
(``PyUFuncObject.functions[i]`` for the loop numpy's type resolution picks),
with a count of one.  Ops with an exact native form (``+``, ``*``, ``sqrt``…)
have their own lowerings; this is the lowering for every other ufunc op.

The loop table is read from numpy's ufunc struct (addresses.py, Note [ufunc
struct]); the loop's addresses reach the code through globals filled at load
(Note [address globals]), so that the code can be cached.
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from pyjit.ir import registry
from pyjit.ir.types import NpScalar, PyScalar

from .addresses import load_address, loop_for, loop_signature
from .lower import LOWERINGS, NotLowerable
from .lowerings.convert import cast
from .reprs import I8P, I64, llvm_type, scalar_kind


def _resolved(ufunc, in_types):
    """The loop dtypes numpy picks for operands of these types (NEP 50 aware)."""
    spec = []
    for t in in_types:
        if isinstance(t, PyScalar):
            spec.append({"int": int, "float": float, "bool": bool, "complex": complex}[t.name])
        elif isinstance(t, NpScalar):
            spec.append(t.dtype)
        else:
            raise NotLowerable(f"{ufunc.__name__} of {t}")
    try:
        return ufunc.resolve_dtypes(tuple(spec) + (None,) * ufunc.nout)
    except Exception as exc:  # numpy's own verdict on these operand types
        raise NotLowerable(f"{ufunc.__name__}: {exc}") from None


def _require_float_loop(ufunc, dtypes) -> None:
    """Only floating-point loops: integer loops can raise Python exceptions
    (``int ** negative``) from inside the loop, which native code cannot take."""
    if any(d.kind != "f" for d in dtypes):
        raise NotLowerable(f"{ufunc.__name__} on {tuple(str(d) for d in dtypes)}")


def lower_ufunc_loop(ctx, b, node, args):
    ufunc = next((c for c in registry.OPS[node.op].callables if isinstance(c, np.ufunc)), None)
    if ufunc is None or ufunc.nout != 1:
        raise NotLowerable(f"op {node.op}")
    dtypes = _resolved(ufunc, node.in_types)
    _require_float_loop(ufunc, dtypes)
    loop = loop_for(ufunc, dtypes)
    if loop is None:
        raise NotLowerable(f"no numpy loop for {ufunc.__name__}{dtypes}")
    n = ufunc.nin + 1
    slots = []
    for v, t, d in zip(args, node.in_types, dtypes[:ufunc.nin]):
        ty = llvm_type(NpScalar(d))
        slot = ctx.alloca(_mem_type(ty))
        b.store(_to_mem(b, cast(ctx, b, v, t, NpScalar(d)), ty), slot)
        slots.append(slot)
    out_t = NpScalar(dtypes[-1])
    out_ty = llvm_type(out_t)
    out_slot = ctx.alloca(_mem_type(out_ty))
    slots.append(out_slot)
    argv = ctx.alloca(ir.ArrayType(I8P, n))
    for i, s in enumerate(slots):
        b.store(b.bitcast(s, I8P), b.gep(argv, [ir.Constant(I64, 0), ir.Constant(I64, i)]))
    dims = ctx.alloca(I64)
    b.store(ir.Constant(I64, 1), dims)
    steps = ctx.alloca(ir.ArrayType(I64, n))
    for i in range(n):
        b.store(ir.Constant(I64, 0), b.gep(steps, [ir.Constant(I64, 0), ir.Constant(I64, i)]))
    loop_ty = ir.FunctionType(ir.VoidType(), [I8P.as_pointer(), I64.as_pointer(), I64.as_pointer(), I8P])
    callee, data = _loop_addresses(ctx, b, ufunc, dtypes, loop_ty)
    b.call(callee, [b.bitcast(argv, I8P.as_pointer()), dims,
                    b.bitcast(steps, I64.as_pointer()), data])
    r = _from_mem(b, b.load(out_slot), out_ty)
    return cast(ctx, b, r, out_t, node.out_type) if out_t != node.out_type else r


def _loop_addresses(ctx, b, ufunc, dtypes, loop_ty):
    """The loop's function and data pointers, loaded from the module's address
    globals (Note [address globals]): numpy's loop by ufunc name and signature."""
    if getattr(np, ufunc.__name__, None) is not ufunc:
        raise NotLowerable(f"{ufunc.__name__} is not numpy's ufunc of that name")
    name = ("ufunc", ufunc.__name__, loop_signature(ufunc, dtypes))
    return (load_address(ctx, b, name + ("function",), loop_ty.as_pointer()),
            load_address(ctx, b, name + ("data",), I8P))


class BlockCall:
    """One ufunc evaluated over a block of elements through numpy's inner loop:
    scratch buffers for its inputs and its result, in the function's entry block."""

    def __init__(self, ctx, node, size: int):
        from pyjit.ir.registry import OPS
        op = OPS[node.op]
        self.node = node
        self.size = size
        self.ctx = ctx
        self.ufunc = next((c for c in op.callables if isinstance(c, np.ufunc)), None)
        self.dtypes = None
        self.buffers = []

    def _ensure(self, types):
        if self.dtypes is not None:
            return
        self.dtypes = _resolved(self.ufunc, types)
        _require_float_loop(self.ufunc, self.dtypes)
        loop = loop_for(self.ufunc, self.dtypes)
        if loop is None:
            raise NotLowerable(f"no numpy loop for {self.ufunc.__name__}{self.dtypes}")
        self.loop = loop
        self.elem_types = [NpScalar(d) for d in self.dtypes]
        self.buffers = [self.ctx.alloca(ir.ArrayType(_mem_type(llvm_type(t)), self.size))
                        for t in self.elem_types]

    def store_input(self, ctx, b, k, j, val, t):
        """Store input ``k`` of element ``j``, cast to the loop's input dtype."""
        et = self.elem_types[k]
        v = _to_mem(b, cast(ctx, b, val, t, et), llvm_type(et))
        b.store(v, b.gep(self.buffers[k], [ir.Constant(I64, 0), j]))

    def resolve(self):
        """Pick numpy's loop for the node's element types and make the scratch buffers."""
        self._ensure([_element_type(v.type) for v in self.node.inputs])

    def call(self, b, m):
        n = self.ufunc.nin + 1
        argv = self.ctx.alloca(ir.ArrayType(I8P, n))
        steps = self.ctx.alloca(ir.ArrayType(I64, n))
        dims = self.ctx.alloca(I64)
        for i, buf in enumerate(self.buffers):
            b.store(b.bitcast(buf, I8P), b.gep(argv, [ir.Constant(I64, 0), ir.Constant(I64, i)]))
            size = self.dtypes[i].itemsize
            b.store(ir.Constant(I64, size), b.gep(steps, [ir.Constant(I64, 0), ir.Constant(I64, i)]))
        b.store(m, dims)
        loop_ty = ir.FunctionType(ir.VoidType(), [I8P.as_pointer(), I64.as_pointer(), I64.as_pointer(), I8P])
        callee, data = _loop_addresses(self.ctx, b, self.ufunc, self.dtypes, loop_ty)
        b.call(callee, [b.bitcast(argv, I8P.as_pointer()), dims, b.bitcast(steps, I64.as_pointer()),
                        data])

    def load_result(self, b, j):
        et = self.elem_types[-1]
        v = _from_mem(b, b.load(b.gep(self.buffers[-1], [ir.Constant(I64, 0), j])), llvm_type(et))
        return v, et


def _element_type(t):
    from pyjit.ir.types import Array
    return NpScalar(t.dtype) if isinstance(t, Array) else t


def block_call_plan(ctx, node, size: int) -> BlockCall:
    plan = BlockCall(ctx, node, size)
    plan.resolve()
    return plan


def _mem_type(ty):
    return ir.IntType(8) if isinstance(ty, ir.IntType) and ty.width == 1 else ty


def _to_mem(b, v, ty):
    return b.zext(v, ir.IntType(8)) if isinstance(ty, ir.IntType) and ty.width == 1 else v


def _from_mem(b, v, ty):
    if isinstance(ty, ir.IntType) and ty.width == 1:
        return b.icmp_unsigned("!=", v, ir.Constant(ir.IntType(8), 0))
    return v


# Ufuncs whose legacy inner loop (the one in the struct) is the loop numpy runs.
# Some ufuncs (maximum, fmax, ...) run newer SIMD loops that differ from their
# legacy loop in corner cases such as the sign of a zero: they are left out (lowered
# natively in lowerings/npfloat.py), and
# the differential tests check every ufunc listed here against numpy.
LOOP_UFUNCS = frozenset({
    "exp", "exp2", "expm1", "log", "log2", "log10", "log1p", "sin", "cos", "tan", "arcsin",
    "arccos", "arctan", "sinh", "cosh", "tanh", "arcsinh", "arccosh", "arctanh", "cbrt",
    "power", "arctan2", "hypot", "logaddexp", "logaddexp2", "deg2rad", "rad2deg", "degrees",
    "radians", "reciprocal", "sign", "float_power",
})


def register_all() -> None:
    """Ops of the ufuncs in LOOP_UFUNCS get the loop-calling lowering unless they
    have a native one."""
    for name, op in registry.OPS.items():
        ufunc = next((c for c in op.callables if isinstance(c, np.ufunc)), None)
        if name not in LOWERINGS and ufunc is not None and ufunc.__name__ in LOOP_UFUNCS:
            LOWERINGS[name] = lower_ufunc_loop


__all__ = ["loop_for", "lower_ufunc_loop", "register_all", "scalar_kind"]
