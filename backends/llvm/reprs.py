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
    sign- or zero-extended to 64 bits, floats as a double's bits), an array
    1 + 2*ndim (data pointer, shape, strides), a tuple the sum of its items, a
    union its value's slots, which its members share, then a tag (two for scalar
    members; ``f64[?]|undef``, a maybe-unbound array, the array's and one more;
    ``slots.union_tag_offset``).  ``slots(t)`` gives the count; ``packer``/``boxer``
    are the Python halves (slots.py).  The C dispatcher of issue #3 will fill the same
    slots without Python in between.
"""
from __future__ import annotations

from llvmlite import ir

from pyjit.ir.types import NONE, UNDEF, Array, Const, NpScalar, Singleton, TupleT, Type, UnionT, members

# The Python half (slot counts, packing, boxing) imports no LLVM, for the run
# wrapper of cached code; re-exported here for the lowerings.
from .slots import DoesNotFit, NotLowerable, boxer, new_buffers, packer, scalar_kind, slots
from .slots import is_complex, union_tag_offset

I1, I8, I32, I64 = ir.IntType(1), ir.IntType(8), ir.IntType(32), ir.IntType(64)
F32, F64 = ir.FloatType(), ir.DoubleType()
I8P, I64P = I8.as_pointer(), I64.as_pointer()
C128 = ir.LiteralStructType([F64, F64])  # complex, np.complex128: {real, imag}


def llvm_type(t: Type):
    """The LLVM type of a value of type ``t``, or None for compile-time values."""
    if isinstance(t, (Const, Singleton)) and t != UNDEF:
        return None
    if t == UNDEF:
        return I8
    if is_complex(t):
        return C128
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
        if any(is_complex(m) for m in members(t)):
            raise NotLowerable(f"a union holding a complex: {t}")  # two slots are not enough
        if any(isinstance(m, (Array, TupleT)) for m in members(t)) and \
                len([m for m in members(t) if m != UNDEF]) > 1:
            raise NotLowerable(f"a union of an array or tuple with another type: {t}")
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


# ---- native side: slots <-> values --------------------------------------------------

def load_value(b: ir.IRBuilder, base, offset: int, t: Type):
    """Read a value of type ``t`` from slots ``base[offset:]``."""
    ty = llvm_type(t)
    if ty is None:
        return None
    slot = lambda k: b.gep(base, [ir.Constant(I64, offset + k)])  # noqa: E731
    if isinstance(t, UnionT):
        inner = ty.elements[0]
        payload = _union_payload(t)
        if payload is not None:
            v = load_value(b, base, offset, payload)
        else:
            v = _from_slot(b, b.load(slot(0)), inner, _kind_of_union(t))
        tag = b.trunc(b.load(slot(union_tag_offset(t))), I8)
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
    if is_complex(t):
        return _pack_struct(b, ty, [b.bitcast(b.load(slot(i)), F64) for i in (0, 1)])
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
        payload = _union_payload(t)
        if payload is not None:
            store_value(b, base, offset, payload, b.extract_value(v, 0))
        else:
            b.store(_to_slot(b, b.extract_value(v, 0), _kind_of_union(t)), slot(0))
        b.store(b.zext(b.extract_value(v, 1), I64), slot(union_tag_offset(t)))
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
    if is_complex(t):
        for i in (0, 1):
            b.store(b.bitcast(b.extract_value(v, i), I64), slot(i))
        return
    b.store(_to_slot(b, v, scalar_kind(t)), slot(0))


def _union_payload(t: UnionT):
    """The array or tuple member of a union whose only other member is ``undef``
    (a maybe-unbound array), or None for a union of scalars."""
    m = [x for x in members(t) if isinstance(x, (Array, TupleT))]
    return m[0] if m else None


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


__all__ = ["I1", "I8", "I32", "I64", "F32", "F64", "C128", "I8P", "I64P", "NONE", "NotLowerable",
           "is_complex", "DoesNotFit", "llvm_type", "scalar_kind", "slots", "load_value", "store_value",
           "packer", "boxer", "new_buffers"]
