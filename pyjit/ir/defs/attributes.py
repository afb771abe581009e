"""Attribute reads on arrays and numpy scalars: ``a.shape``, ``a.T``, ``a.real``, ...;
and a numpy scalar's ``x.item()``.

Each op is named ``attr.<name>``; its one input is the object read.  Sizes
are Python ints (``a.shape`` is a tuple of ``int``), as numpy returns them.
``np.shape``, ``np.ndim``, ``np.size``, ``np.real`` and ``np.imag`` map to
the same ops: they read the attribute, and accept Python scalars as well.

    >>> from pyjit.ir.registry import get
    >>> matrix = Array(np.dtype("f8"), 2)
    >>> get("attr.shape").infer([matrix], {}), get("attr.T").infer([matrix], {})
    ((int, int), f64[?,?]:F)
"""
from __future__ import annotations

import numpy as np

from ..registry import Deopt, TypeRuleError, defop
from ..types import INT, Array, Const, NpScalar, PyScalar, TupleT, Type
from ._rules import by_example


def _attribute(name: str, *, callables=(), scalars=True, may_raise=False):
    """Declare ``attr.<name>``, read on arrays and numpy scalars (``scalars=False``:
    on arrays only)."""
    families = ("array", "npscalar") if scalars else ("array",)
    return defop(f"attr.{name}", args=("x",), callables=callables, may_raise=may_raise,
                 attributes=[(family, name) for family in families])


def _array_or_scalar(x: Type, py_ok: bool = False) -> Type:
    if isinstance(x, (Array, NpScalar)) or py_ok and isinstance(x, PyScalar):
        return x
    raise TypeRuleError(f"no such attribute on {x}")


def _per_dim(x: Type) -> TupleT:
    ndim = x.ndim if isinstance(x, Array) else 0
    return TupleT((INT,) * ndim)


@_attribute("shape", callables=[np.shape])
def shape(x):
    return np.shape(x)


@shape.type_rule
def _(x):
    return _per_dim(_array_or_scalar(x, py_ok=True))


@_attribute("strides")
def strides(x):
    return x.strides


@strides.type_rule
def _(x):
    return _per_dim(_array_or_scalar(x))


@_attribute("ndim", callables=[np.ndim])
def ndim(x):
    return np.ndim(x)


@_attribute("size", callables=[np.size])
def size(x):
    return np.size(x)


@_attribute("itemsize")
def itemsize(x):
    return x.itemsize


@_attribute("nbytes")
def nbytes(x):
    return x.nbytes


def _int_rule(py_ok: bool):
    def rule(x):
        _array_or_scalar(x, py_ok)
        return INT
    return rule


ndim.type_rule(_int_rule(py_ok=True))
size.type_rule(_int_rule(py_ok=True))
itemsize.type_rule(_int_rule(py_ok=False))
nbytes.type_rule(_int_rule(py_ok=False))


@_attribute("dtype", may_raise=True)
def dtype(x):
    """The dtype object itself.  Its type is a constant, numpy's canonical instance
    (``np.dtype(np.float64)``), compared by identity; an array carrying another
    instance equal to it (one unpickled, say) deoptimizes."""
    d = x.dtype
    if d is not np.dtype(d.type):
        raise Deopt("dtype is not numpy's canonical instance")
    return d


@dtype.type_rule
def _(x):
    d = _array_or_scalar(x).dtype
    canonical = np.dtype(d.type)
    if canonical != d:
        raise TypeRuleError(f"dtype {d} is not in native byte order")
    return Const(canonical)


@_attribute("T", scalars=False)
def transpose(x):
    return x.T


@transpose.type_rule
def _(x):
    if not isinstance(x, Array):
        raise TypeRuleError(f"no attribute T on {x}")
    return x.with_(layout={"C": "F", "F": "C", "A": "A"}[x.layout] if x.ndim > 1 else x.layout)


def _part_type(x: Type, fn) -> Type:
    """``x.real`` / ``x.imag``.  Of a complex array, a view every other float (layout
    'A'); of a real array, ``real`` is the array itself and ``imag`` a fresh
    array of zeros in its memory order."""
    _array_or_scalar(x, py_ok=True)
    if not isinstance(x, Array):
        return by_example(fn, x)
    if x.dtype.kind == "c":
        part = np.dtype(f"f{x.dtype.itemsize // 2}")
        return x.with_(dtype=part, layout="C" if x.ndim == 0 else "A")
    return x


@_attribute("real", callables=[np.real])
def real(x):
    return np.real(x)


@_attribute("imag", callables=[np.imag])
def imag(x):
    return np.imag(x)


real.type_rule(lambda x: _part_type(x, np.real))
imag.type_rule(lambda x: _part_type(x, np.imag))


# ---- methods of numpy scalars ---------------------------------------------------------

@defop("npscalar.item", args=("x",), methods=[("npscalar", "item")], may_raise=True)
def item(x):
    """``x.item()`` of a numpy scalar: the Python scalar of its value (an int for
    every integer dtype, a float for every float dtype)."""
    return x.item()


@item.type_rule
def _(x):
    if not isinstance(x, NpScalar) or x.dtype.kind not in "biuf":
        raise TypeRuleError(f"item() of {x}")
    return by_example(lambda v: v.item(), x)
