"""The types of graph values.

Python scalars and numpy scalars are distinct types, because CPython keeps them
apart: ``1.0 + 1`` is a ``float`` while ``np.float64(1) + 1`` is an
``np.float64``.  Every value a region computes is boxed back to exactly the
type named here.

    >>> typeof(3), typeof(np.float32(1)), typeof(np.zeros((2, 3)))
    (int, f32, f64[?,?])

Printed forms (stable; the parser reads them back):

=================  ==============================================
``int``            Python int (unbounded in CPython; the LLVM backend
                   keeps it in 64 bits and bails out on overflow)
``float`` ``bool`` ``complex``   the other Python scalars
``f64`` ``i32`` …  numpy scalars, by dtype (``b1`` is ``np.bool_``)
``f64[?,?]``       C-contiguous 2-d array; ``:F`` / ``:A`` suffixes
                   mark Fortran order and any layout; ``f64[]`` is 0-d
``(int, f64)``     tuple
``None`` ``slice`` ``ellipsis``   the singletons and slices
``const<…>``       a value known at compile time by identity
                   (a module, a function, a dtype, a string)
``opaque<name>``   any other Python object: it can be carried
                   through a region but no op accepts it
=================  ==============================================
"""
from __future__ import annotations

from dataclasses import dataclass
import types as _pytypes

import numpy as np


class Type:
    """Base class of all types. Types are immutable and compare by value."""

    __slots__ = ()

    def __repr__(self) -> str:
        return str(self)


@dataclass(frozen=True, repr=False)
class PyScalar(Type):
    """A Python scalar: ``int``, ``float``, ``bool`` or ``complex``."""

    name: str

    def __str__(self) -> str:
        return self.name

    @property
    def pytype(self) -> type:
        return _PY_BY_NAME[self.name]


INT = PyScalar("int")
FLOAT = PyScalar("float")
BOOL = PyScalar("bool")
COMPLEX = PyScalar("complex")
_PY_BY_NAME = {"int": int, "float": float, "bool": bool, "complex": complex}
PY_SCALARS = {int: INT, float: FLOAT, bool: BOOL, complex: COMPLEX}


def dtype_name(dtype: np.dtype) -> str:
    """Short stable name of a numeric dtype: ``f64``, ``i32``, ``u8``, ``b1``, ``c128``."""
    dtype = np.dtype(dtype)
    if dtype.kind == "b":
        return "b1"
    return {"f": "f", "i": "i", "u": "u", "c": "c"}[dtype.kind] + str(dtype.itemsize * 8)


_DTYPE_BY_NAME = {
    dtype_name(np.dtype(t)): np.dtype(t)
    for t in (np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64,
              np.uint64, np.float16, np.float32, np.float64, np.complex64, np.complex128)
}


def dtype_from_name(name: str) -> np.dtype:
    return _DTYPE_BY_NAME[name]


NUMERIC_DTYPES = tuple(sorted(set(_DTYPE_BY_NAME.values()), key=lambda d: (d.kind, d.itemsize)))


@dataclass(frozen=True, repr=False)
class NpScalar(Type):
    """A numpy scalar such as ``np.float64`` or ``np.int32``."""

    dtype: np.dtype

    def __str__(self) -> str:
        return dtype_name(self.dtype)

    @property
    def pytype(self) -> type:
        return self.dtype.type


@dataclass(frozen=True, repr=False)
class Array(Type):
    """An ndarray of a numeric dtype, by ndim and layout (``C``, ``F`` or ``A``),
    and whether it may be written (Note [read-only arrays])."""

    dtype: np.dtype
    ndim: int
    layout: str = "C"
    writeable: bool = True

    def __str__(self) -> str:
        dims = ",".join("?" * self.ndim)
        suffix = "" if self.layout == "C" else ":" + self.layout
        if not self.writeable:
            suffix += ":ro"
        return f"{dtype_name(self.dtype)}[{dims}]{suffix}"

    def with_(self, **changes) -> "Array":
        """This type with ``changes``; the rest, writeability included, kept: a rule
        deriving its result from an input's type makes a read-only input's view
        read-only (Note [read-only arrays])."""
        fields = {"dtype": self.dtype, "ndim": self.ndim, "layout": self.layout,
                  "writeable": self.writeable}
        fields.update(changes)
        if fields["ndim"] <= 1 and fields["layout"] == "F":
            fields["layout"] = "C"
        return Array(**fields)


@dataclass(frozen=True, repr=False)
class TupleT(Type):
    """A tuple with a fixed number of items of known types."""

    items: tuple

    def __str__(self) -> str:
        if len(self.items) == 1:
            return f"({self.items[0]},)"
        return "(" + ", ".join(str(t) for t in self.items) + ")"


@dataclass(frozen=True, repr=False)
class Singleton(Type):
    """``None``, a ``slice`` object or ``Ellipsis``."""

    name: str

    def __str__(self) -> str:
        return self.name


NONE = Singleton("None")
SLICE = Singleton("slice")
ELLIPSIS = Singleton("ellipsis")
UNDEF = Singleton("undef")


class _Unbound:
    """The value of a local that is not bound on this path (type ``undef``).

    It only ever lives in block arguments and exits: every read of a local
    that may hold it goes through ``check_bound``, and an exit that meets it
    leaves the frame's local untouched (see frontend/rewrite.py)."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNBOUND"

    def __reduce__(self):
        return "UNBOUND"


UNBOUND = _Unbound()


class Const(Type):
    """A value fixed at compile time and compared by identity (``is``).

    Modules, functions, classes, ufuncs, dtypes and strings reach a region as
    constants: the region's key holds their identity, so rebinding the global
    ``np`` to something else selects another specialization.
    """

    __slots__ = ("value",)

    def __init__(self, value):
        object.__setattr__(self, "value", value)

    def __setattr__(self, name, value):
        raise AttributeError("Const is immutable")

    def __reduce__(self):
        return (Const, (self.value,))

    def __eq__(self, other):
        return isinstance(other, Const) and other.value is self.value

    def __hash__(self):
        return hash(("const", id(self.value)))

    def __str__(self) -> str:
        return f"const<{const_label(self.value)}>"


def const_label(value) -> str:
    if value is UNBOUND:
        return "UNBOUND"
    if isinstance(value, _pytypes.ModuleType):
        return value.__name__
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, np.dtype):
        return f"dtype:{value}"
    name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    if name is not None:
        module = getattr(value, "__module__", None)
        return f"{module}.{name}" if module and module != "builtins" else name
    return type(value).__name__


@dataclass(frozen=True, repr=False)
class Opaque(Type):
    """Any other Python object, keyed by its class: carried, never operated on."""

    cls: type

    def __str__(self) -> str:
        return f"opaque<{self.cls.__name__}>"


# Objects whose identity, not their type, is what a region depends on.
_CONST_CLASSES = (
    _pytypes.ModuleType, _pytypes.FunctionType, _pytypes.BuiltinFunctionType,
    _pytypes.MethodType, type, np.ufunc, np.dtype, str,
)


def typeof(value) -> Type:
    """The type of a runtime value, as the region dispatcher keys it.

    >>> typeof(1.5), typeof(True), typeof(np.arange(3)[::2])
    (float, bool, i64[?]:A)
    """
    cls = type(value)
    scalar = PY_SCALARS.get(cls)
    if scalar is not None:
        return scalar
    if value is UNBOUND:
        return UNDEF
    if cls is np.ndarray:
        if value.dtype.kind not in "biufc":
            return Opaque(cls)
        return Array(value.dtype, value.ndim, array_layout(value), value.flags.writeable)
    if isinstance(value, np.generic) and value.dtype.kind in "biufc":
        return NpScalar(value.dtype)
    if value is None:
        return NONE
    if cls is tuple:
        return TupleT(tuple(typeof(v) for v in value))
    if cls is slice:
        return SLICE
    if value is Ellipsis:
        return ELLIPSIS
    if isinstance(value, _CONST_CLASSES) or callable(value) and hasattr(value, "__name__"):
        return Const(value)
    return Opaque(cls)


def array_layout(a: np.ndarray) -> str:
    flags = a.flags
    if flags.c_contiguous:
        return "C"
    if flags.f_contiguous:
        return "F"
    return "A"


def is_scalar(t: Type) -> bool:
    return isinstance(t, (PyScalar, NpScalar))


def is_number(t: Type) -> bool:
    return is_scalar(t)


def scalar_dtype(t: Type) -> np.dtype | None:
    """The numpy dtype a scalar or array type computes in (Python int → int64)."""
    if isinstance(t, (NpScalar, Array)):
        return t.dtype
    if isinstance(t, PyScalar):
        return np.dtype({"int": np.int64, "float": np.float64, "bool": np.bool_, "complex": np.complex128}[t.name])
    return None


class UnionT(Type):
    """A scalar that is one of a few types with the same machine representation.

    ``s = 0.0; for ...: s += a[i]`` leaves ``s`` a Python ``float`` if the loop
    never ran and an ``np.float64`` otherwise: CPython's result type depends on
    the trip count.  The value is a double either way, so the join is the type
    ``float|f64``; the backends carry which of the two it is beside the value and
    box it to exactly that type.
    """

    __slots__ = ("members",)

    def __init__(self, members):
        object.__setattr__(self, "members", frozenset(members))

    def __setattr__(self, name, value):
        raise AttributeError("UnionT is immutable")

    def __reduce__(self):
        return (UnionT, (self.members,))

    def __eq__(self, other):
        return isinstance(other, UnionT) and other.members == self.members

    def __hash__(self):
        return hash(("union", self.members))

    def __str__(self) -> str:
        return "|".join(sorted(str(m) for m in self.members))


# Scalars that share a machine representation and may join into a UnionT.
_REPR = {"int": "i64", "float": "f64", "bool": "b1", "complex": "c128"}


def representation(t: Type) -> str | None:
    if isinstance(t, PyScalar):
        return _REPR[t.name]
    if isinstance(t, NpScalar):
        return dtype_name(t.dtype)
    return None


def members(t: Type) -> tuple:
    """The concrete types a value of type ``t`` may have."""
    return tuple(sorted(t.members, key=str)) if isinstance(t, UnionT) else (t,)


def unify(a: Type, b: Type) -> Type | None:
    """The type of a value that may come from either side of a join, or None.

    Equal types unify to themselves; array layouts widen to ``A``; scalars of
    the same machine representation (``float`` and ``f64``, ``int`` and ``i64``)
    make a ``UnionT``.  Anything else does not unify: CPython's result type
    would depend on the path taken in a way no single representation can carry.
    """
    if a == b:
        return a
    if UNDEF in members(a) or UNDEF in members(b):
        # "maybe unbound": any type may be missing on some path.
        rest = [m for m in set(members(a)) | set(members(b)) if m != UNDEF]
        inner = rest[0] if rest else None
        for m in rest[1:]:
            inner = unify(inner, m)
            if inner is None:
                return None
        return UnionT(set(members(inner)) | {UNDEF}) if inner is not None else UNDEF
    if isinstance(a, UnionT) or isinstance(b, UnionT) or (is_scalar(a) and is_scalar(b)):
        ms = set(members(a)) | set(members(b))
        reprs = {representation(m) for m in ms}
        if len(reprs) == 1 and None not in reprs:
            return UnionT(ms)
        return None
    if isinstance(a, Array) and isinstance(b, Array) and a.dtype == b.dtype and a.ndim == b.ndim:
        return a.with_(layout=a.layout if a.layout == b.layout else "A",
                       writeable=a.writeable and b.writeable)
    if isinstance(a, TupleT) and isinstance(b, TupleT) and len(a.items) == len(b.items):
        items = [unify(x, y) for x, y in zip(a.items, b.items)]
        if all(i is not None for i in items):
            return TupleT(tuple(items))
    return None
