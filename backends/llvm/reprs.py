"""How each pyjit type lives in native code, and how values cross the boundary.

Machine representations:

=====================  ==========================================================
``int``                i64 (a Python int that does not fit is never unboxed: the
                       key's reference run handles it; overflow bails out)
``float`` ``f64``      double;  ``f32``: float;  ``bool`` ``b1``: i1
``i8``..``i64``        iN; ``u8``..``u64``: iN (unsigned ops where it matters)
``T1|T2``              ``{repr, i8 tag}``: the tag is the member's index in
                       ``members(type)``, so boxing knows which Python type it is
arrays                 ``{i8* data, [n x i64] shape, [n x i64] strides}``
tuples                 a struct of the items' representations
``const<…>`` ``None``  no run-time value (``None`` in the value map)
=====================  ==========================================================

The region's native entry is ``i32 region(i64* in, i64* out)`` (Note [slot ABI]):
``in`` holds the dynamic live-ins, ``out`` the values of the exit taken, and the
return value is the exit number.

Note [slot ABI]
    Every value occupies consecutive 8-byte slots: a scalar one slot (ints
    sign- or zero-extended to 64 bits, floats as a double's bits), a union two
    (value, tag), an array 1 + 2*ndim (data pointer, shape, strides), a tuple
    the sum of its items.  ``slots(t)`` gives the count; ``Packer``/``Boxer``
    are the Python halves.  The C dispatcher of issue #3 will fill the same
    slots without Python in between.
"""
from __future__ import annotations

import ctypes

from llvmlite import ir

from pyjit.ir.types import (BOOL, FLOAT, INT, NONE, UNBOUND, UNDEF, Array, Const, NpScalar,
                            PyScalar, Singleton, TupleT, Type, UnionT, members)

I1, I8, I32, I64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64)
F32, F64 = ir.FloatType(), ir.DoubleType()
I8P, I64P = I8.as_pointer(), I64.as_pointer()


class NotLowerable(Exception):
    """The graph uses something this backend does not compile (yet): the key
    runs on the numpy backend instead, and explain says so."""


def scalar_kind(t: Type) -> tuple[str, int] | None:
    """``("f", 64)``, ``("i", 32)``, ``("u", 8)``, ``("b", 1)`` for a scalar type."""
    if isinstance(t, PyScalar):
        return {"int": ("i", 64), "float": ("f", 64), "bool": ("b", 1)}.get(t.name)
    if isinstance(t, NpScalar):
        d = t.dtype
        if d.kind in "iuf":
            return d.kind, d.itemsize * 8
        if d.kind == "b":
            return "b", 1
    return None


def llvm_type(t: Type):
    """The LLVM type of a value of type ``t``, or None for compile-time values."""
    if isinstance(t, (Const, Singleton)) and t != UNDEF:
        return None
    if t == UNDEF:
        return I8
    k = scalar_kind(t)
    if k is not None:
        kind, bits = k
        if kind == "f":
            if bits == 64:
                return F64
            if bits == 32:
                return F32
            raise NotLowerable(f"float{bits}")
        return ir.IntType(bits)
    if isinstance(t, UnionT):
        rep = [llvm_type(m) for m in members(t) if m != UNDEF]
        return ir.LiteralStructType([rep[0] if rep else I8, I8])
    if isinstance(t, Array):
        if scalar_kind(NpScalar(t.dtype)) is None or t.dtype.itemsize * 8 == 16 and t.dtype.kind == "f":
            raise NotLowerable(f"array of {t.dtype}")
        return ir.LiteralStructType([I8P, ir.ArrayType(I64, t.ndim), ir.ArrayType(I64, t.ndim)])
    if isinstance(t, TupleT):
        items = [llvm_type(i) for i in t.items]
        if any(i is None for i in items):
            raise NotLowerable(f"tuple holding constants: {t}")
        return ir.LiteralStructType(items)
    raise NotLowerable(f"values of type {t}")


def slots(t: Type) -> int:
    if llvm_type(t) is None:
        return 0
    if isinstance(t, UnionT):
        return 2
    if isinstance(t, Array):
        return 1 + 2 * t.ndim
    if isinstance(t, TupleT):
        return sum(slots(i) for i in t.items)
    return 1


# ---- native side: slots <-> values --------------------------------------------------

def load_value(b: ir.IRBuilder, base, offset: int, t: Type):
    """Read a value of type ``t`` from slots ``base[offset:]``."""
    ty = llvm_type(t)
    if ty is None:
        return None
    slot = lambda k: b.gep(base, [ir.Constant(I64, offset + k)])  # noqa: E731
    if isinstance(t, UnionT):
        inner = ty.elements[0]
        v = _from_slot(b, b.load(slot(0)), inner, _kind_of_union(t))
        tag = b.trunc(b.load(slot(1)), I8)
        return _pack_struct(b, ty, [v, tag])
    if isinstance(t, Array):
        data = b.inttoptr(b.load(slot(0)), I8P)
        shape = _pack_array(b, [_nonneg_load(b, slot(1 + i)) for i in range(t.ndim)])
        strides = _pack_array(b, [b.load(slot(1 + t.ndim + i)) for i in range(t.ndim)])
        return _pack_struct(b, ty, [data, shape, strides])
    if isinstance(t, TupleT):
        vals, k = [], offset
        for item in t.items:
            vals.append(load_value(b, base, k, item))
            k += slots(item)
        return _pack_struct(b, ty, vals)
    return _from_slot(b, b.load(slot(0)), ty, scalar_kind(t))


def _nonneg_load(b, ptr):
    """Load a shape item, telling LLVM it is in [0, 2**63 - 1): bounds checks
    against it can then be proven from a loop's ``i < n`` test."""
    v = b.load(ptr)
    m = b.module.add_metadata([ir.Constant(I64, 0), ir.Constant(I64, 2 ** 63 - 1)])
    v.set_metadata("range", m)
    return v


def store_value(b: ir.IRBuilder, base, offset: int, t: Type, v) -> None:
    """Write ``v`` of type ``t`` to slots ``base[offset:]``."""
    ty = llvm_type(t)
    if ty is None:
        return
    slot = lambda k: b.gep(base, [ir.Constant(I64, offset + k)])  # noqa: E731
    if isinstance(t, UnionT):
        b.store(_to_slot(b, b.extract_value(v, 0), _kind_of_union(t)), slot(0))
        b.store(b.zext(b.extract_value(v, 1), I64), slot(1))
        return
    if isinstance(t, Array):
        b.store(b.ptrtoint(b.extract_value(v, 0), I64), slot(0))
        for i in range(t.ndim):
            b.store(b.extract_value(v, [1, i]), slot(1 + i))
            b.store(b.extract_value(v, [2, i]), slot(1 + t.ndim + i))
        return
    if isinstance(t, TupleT):
        k = offset
        for i, item in enumerate(t.items):
            store_value(b, base, k, item, b.extract_value(v, i))
            k += slots(item)
        return
    b.store(_to_slot(b, v, scalar_kind(t)), slot(0))


def _kind_of_union(t: UnionT):
    for m in members(t):
        if m != UNDEF:
            return scalar_kind(m)
    return ("i", 8)


def _from_slot(b, raw, ty, kind):
    if isinstance(ty, (ir.DoubleType, ir.FloatType)):
        d = b.bitcast(raw, F64)
        return d if isinstance(ty, ir.DoubleType) else b.fptrunc(d, F32)
    return b.trunc(raw, ty) if ty.width < 64 else raw


def _to_slot(b, v, kind):
    ty = v.type
    if isinstance(ty, ir.FloatType):
        v = b.fpext(v, F64)
        ty = F64
    if isinstance(ty, ir.DoubleType):
        return b.bitcast(v, I64)
    if ty.width < 64:
        return b.zext(v, I64) if kind and kind[0] in "ub" else b.sext(v, I64)
    return v


def _pack_struct(b, ty, vals):
    s = ir.Constant(ty, ir.Undefined)
    for i, v in enumerate(vals):
        s = b.insert_value(s, v, i)
    return s


def _pack_array(b, vals):
    a = ir.Constant(ir.ArrayType(I64, len(vals)), ir.Undefined)
    for i, v in enumerate(vals):
        a = b.insert_value(a, v, i)
    return a


# ---- Python side: boxing and unboxing ----------------------------------------------

_I64_MIN, _I64_MAX = -2 ** 63, 2 ** 63 - 1


class DoesNotFit(Exception):
    """A live-in value has the key's type but no native representation (a Python
    int beyond 64 bits): this call runs on the reference backend."""


def packer(types: list[Type]):
    """``(pack, nslots)``: ``pack(args, ibuf, fbuf)`` writes the live-ins into the
    slots; every per-type decision is taken here, once per specialization."""
    steps = []
    offset = 0
    for i, t in enumerate(types):
        w = _writer(t)
        if w is not None:
            steps.append((i, offset, w))
        offset += slots(t)

    def pack(args, ibuf, fbuf):
        for i, k, w in steps:
            w(args[i], ibuf, fbuf, k)

    return pack, offset


def _writer(t):
    if isinstance(t, Array):
        n = t.ndim

        def write_array(v, ibuf, fbuf, k):
            ibuf[k] = v.ctypes.data
            ibuf[k + 1:k + 1 + n] = v.shape
            ibuf[k + 1 + n:k + 1 + 2 * n] = v.strides
        return write_array
    if isinstance(t, TupleT):
        parts, off = [], 0
        for item in t.items:
            w = _writer(item)
            if w is not None:
                parts.append((off, w))
            off += slots(item)

        def write_tuple(v, ibuf, fbuf, k):
            for (d, w), item in zip(parts, v):
                w(item, ibuf, fbuf, k + d)
        return write_tuple if len(parts) == len(t.items) else None
    if llvm_type(t) is None:
        return None
    kind = scalar_kind(t)
    if kind[0] == "f":
        def write_float(v, ibuf, fbuf, k):
            fbuf[k] = v
        return write_float
    if t == INT:
        def write_int(v, ibuf, fbuf, k):
            if not _I64_MIN <= v <= _I64_MAX:
                raise DoesNotFit(v)
            ibuf[k] = v
        return write_int
    if kind == ("u", 64):
        def write_u64(v, ibuf, fbuf, k):
            v = int(v)
            ibuf[k] = v - (1 << 64) if v > _I64_MAX else v
        return write_u64

    def write_small_int(v, ibuf, fbuf, k):
        ibuf[k] = int(v)
    return write_small_int


def boxer(t: Type):
    """A function ``(ibuf, fbuf, offset) -> Python object`` for values of type ``t``."""
    if llvm_type(t) is None:
        if isinstance(t, Const):
            return lambda ibuf, fbuf, k: t.value
        return lambda ibuf, fbuf, k: None
    if isinstance(t, UnionT):
        ms = members(t)
        boxes = [boxer(m) if m != UNDEF else (lambda ibuf, fbuf, k: UNBOUND) for m in ms]
        return lambda ibuf, fbuf, k: boxes[int(ibuf[k + 1])](ibuf, fbuf, k)
    if isinstance(t, TupleT):
        parts = []
        k = 0
        for item in t.items:
            parts.append((k, boxer(item)))
            k += slots(item)
        return lambda ibuf, fbuf, off: tuple(bx(ibuf, fbuf, off + d) for d, bx in parts)
    if isinstance(t, Array):
        raise NotLowerable("an array computed in native code as a region result")
    kind = scalar_kind(t)
    if t == FLOAT:
        return lambda ibuf, fbuf, k: float(fbuf[k])
    if t == INT:
        return lambda ibuf, fbuf, k: int(ibuf[k])
    if t == BOOL:
        return lambda ibuf, fbuf, k: bool(ibuf[k])
    cls = t.dtype.type
    if kind[0] == "f":
        return lambda ibuf, fbuf, k: cls(fbuf[k])
    if kind == ("b", 1):
        return lambda ibuf, fbuf, k: cls(bool(ibuf[k]))
    if kind[0] == "u":
        mask = (1 << kind[1]) - 1
        return lambda ibuf, fbuf, k: cls(int(ibuf[k]) & mask)
    return lambda ibuf, fbuf, k: cls(int(ibuf[k]))


def new_buffers(n: int):
    """An int64 slot buffer and a float64 view of the same memory (ctypes arrays:
    item access from Python is cheaper than numpy's)."""
    ibuf = (ctypes.c_int64 * max(n, 1))()
    return ibuf, (ctypes.c_double * max(n, 1)).from_buffer(ibuf)


__all__ = ["I1", "I8", "I32", "I64", "F32", "F64", "I8P", "I64P", "NONE", "NotLowerable",
           "DoesNotFit", "llvm_type", "scalar_kind", "slots", "load_value", "store_value",
           "packer", "boxer", "new_buffers"]
