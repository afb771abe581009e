"""The Python half of the slot ABI: slot counts, packing live-ins, boxing results.

    >>> pack, n = packer([FLOAT, Array(np.dtype("f8"), 1, "C")])   # n == 1 + 3
    >>> ibuf, fbuf = new_buffers(n); pack((2.5, a), ibuf, fbuf)
    >>> boxer(FLOAT)(ibuf, fbuf, 0)                                 # 2.5

Every value occupies consecutive 8-byte slots (Note [slot ABI] in reprs.py): a
scalar one, a union its value's and one more (value, tag), an array ``1 + 2*ndim`` (data, shape,
strides), a tuple the sum of its items, a compile-time value (``const<…>``,
``None``) none.  ``reprs.py`` has the native half (LLVM types, loads and stores)
and re-exports everything here.

This module imports no LLVM: the run wrapper around code loaded from the disk
cache needs only these functions, and importing ``llvmlite.ir`` would cost a warm
first call ~5 ms.  A new machine representation in ``reprs.llvm_type`` must
change ``slots`` and ``_static`` here too (tests/backends/test_disk_cache.py
checks that the two agree).
"""
from __future__ import annotations

import ctypes

from pyjit.ir.types import (BOOL, FLOAT, INT, UNBOUND, UNDEF, Array, Const, NpScalar, PyScalar,
                            Singleton, TupleT, Type, UnionT, members)


class NotLowerable(Exception):
    """The graph uses something this backend does not compile (yet): the key
    runs on the numpy backend instead, and explain says so."""


class DoesNotFit(Exception):
    """A live-in value has the key's type but no native representation (a Python
    int beyond 64 bits): this call runs on the reference backend."""


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


def is_complex(t: Type) -> bool:
    """A Python ``complex`` or an ``np.complex128``: two doubles, two slots
    (real, imag).  ``np.complex64`` has no representation yet."""
    return t == PyScalar("complex") or isinstance(t, NpScalar) and t.dtype.kind == "c" and \
        t.dtype.itemsize == 16


def _static(t: Type) -> bool:
    """A value known at compile time, with no run-time representation (where
    ``reprs.llvm_type`` is None)."""
    return isinstance(t, (Const, Singleton)) and t != UNDEF


def slots(t: Type) -> int:
    if _static(t):
        return 0
    if isinstance(t, UnionT):
        return union_tag_offset(t) + 1
    if isinstance(t, Array):
        return 1 + 2 * t.ndim
    if isinstance(t, TupleT):
        return sum(slots(i) for i in t.items)
    if is_complex(t):
        return 2
    return 1


def union_tag_offset(t: UnionT) -> int:
    """Where a union's tag slot is: after its value, which its members share
    (Note [slot ABI]): one slot for scalar members, an array's ``1 + 2*ndim``
    for a maybe-unbound array (``f64[?]|undef``)."""
    return max([1] + [slots(m) for m in members(t) if m != UNDEF])


def _scalar_kind_or_raise(t: Type):
    kind = scalar_kind(t)
    if kind is None:
        raise NotLowerable(f"values of type {t}")
    return kind


# ---- packing and boxing ------------------------------------------------------------

_I64_MIN, _I64_MAX = -2 ** 63, 2 ** 63 - 1


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


def data_address():
    """``address(arr)``: the address of an array's first element — the native
    runtime's buffer-protocol helper (~0.1 µs), else ``arr.ctypes.data`` (~1 µs)."""
    from pyjit.runtime import native
    rt = native()
    if rt is not None and hasattr(rt, "data_address"):
        return rt.data_address
    return lambda arr: arr.ctypes.data


def _writer(t):
    if isinstance(t, Array):
        address = data_address()
        n = t.ndim

        def write_array(v, ibuf, fbuf, k):
            ibuf[k] = address(v)
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
    if _static(t):
        return None
    if is_complex(t):
        def write_complex(v, ibuf, fbuf, k):
            fbuf[k], fbuf[k + 1] = v.real, v.imag
        return write_complex
    kind = _scalar_kind_or_raise(t)
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
    if _static(t):
        if isinstance(t, Const):
            return lambda ibuf, fbuf, k: t.value
        return lambda ibuf, fbuf, k: None
    if isinstance(t, UnionT):
        ms = members(t)
        boxes = [boxer(m) if m != UNDEF else (lambda ibuf, fbuf, k: UNBOUND) for m in ms]
        tag = union_tag_offset(t)
        return lambda ibuf, fbuf, k: boxes[int(ibuf[k + tag])](ibuf, fbuf, k)
    if isinstance(t, TupleT):
        parts = []
        k = 0
        for item in t.items:
            parts.append((k, boxer(item)))
            k += slots(item)
        return lambda ibuf, fbuf, off: tuple(bx(ibuf, fbuf, off + d) for d, bx in parts)
    if isinstance(t, Array):
        raise NotLowerable("an array computed in native code as a region result")
    if is_complex(t):
        ccls = complex if isinstance(t, PyScalar) else t.dtype.type
        return lambda ibuf, fbuf, k: ccls(complex(fbuf[k], fbuf[k + 1]))
    kind = _scalar_kind_or_raise(t)
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


__all__ = ["NotLowerable", "DoesNotFit", "scalar_kind", "is_complex", "slots", "packer", "boxer",
           "new_buffers"]
