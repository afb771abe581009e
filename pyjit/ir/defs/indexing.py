"""Subscripts: ``x[idx]`` is ``getitem``, ``x[idx] = v`` is ``setitem``.

``x[i] += v`` reaches the graph as getitem, the in-place op, then setitem.
An index is a scalar or a tuple of: integers (Python or numpy, or 0-d integer
arrays), slices, None, one Ellipsis, boolean scalars, and integer or boolean
arrays.  Its *type* fixes the result's type; its values only decide whether
numpy raises IndexError, so both ops may raise.

    >>> from pyjit.ir.registry import get
    >>> a = Array(np.dtype("f8"), 2)
    >>> get("getitem").infer([a, INT], {}), get("getitem").infer([a, TupleT((INT, INT))], {})
    (f64[?], f64)

Note [index layouts]
    A SLICE type does not say whether its step is 1, so a sliced view is typed
    'A' even where numpy's view is contiguous (``a[1:3]``).  Only integer
    indices and None keep a layout: leading integers of a C array (``a[i]``,
    ``a[i, ...]``) give a C view, trailing integers after an Ellipsis of an F
    array (``a[..., j]``) an F view.  Advanced (array) indexing copies: a 1-d
    result is contiguous, and gathering whole rows of a C array (``a[idx]``) is
    C; everything else is 'A'.
"""
from __future__ import annotations

import numpy as np

from ..registry import TypeRuleError, defop
from ..types import (BOOL, ELLIPSIS, INT, NONE, SLICE, Array, NpScalar, PyScalar, TupleT,
                     Type, members)


def _index_kind(t: Type) -> tuple[str, int]:
    """The kind of one index item and the number of dimensions of x it consumes.
    A union inside a tuple (``a[i, j]`` with ``i`` an ``int|i64``) is fine when
    all its members index alike."""
    kinds = {_member_kind(m) for m in members(t)}
    if len(kinds) > 1:
        raise TypeRuleError(f"index of type {t}")
    return kinds.pop()


def _member_kind(t: Type) -> tuple[str, int]:
    if t == INT or isinstance(t, NpScalar) and t.dtype.kind in "iu":
        return "int", 1
    if t == BOOL or isinstance(t, NpScalar) and t.dtype.kind == "b":
        return "bool", 0
    if t == SLICE:
        return "slice", 1
    if t == NONE:
        return "none", 0
    if t == ELLIPSIS:
        return "ellipsis", 0
    if isinstance(t, Array) and t.dtype.kind in "iu":
        # numpy reads a 0-d integer array as an integer (a[np.array(2)] is a scalar).
        return ("int", 1) if t.ndim == 0 else ("array", 1)
    if isinstance(t, Array) and t.dtype.kind == "b":
        return ("bool", 0) if t.ndim == 0 else ("mask", t.ndim)
    raise TypeRuleError(f"index of type {t}")


def _advanced_ndim(kinds, items) -> int:
    """ndim of the broadcast advanced indices; integers join them as 0-d arrays,
    a mask becomes one dimension (its nonzero count), a bool scalar one of length 0 or 1."""
    dims = [t.ndim if k == "array" else 1 for k, t in zip(kinds, items)
            if k in ("array", "mask", "bool")]
    return max(dims)


def _basic_layout(x: Array, kinds) -> str:
    """See Note [index layouts]."""
    kept = [k for k in kinds if k != "none"]
    if "slice" in kept:
        return "A"
    ints_first = "ellipsis" not in kept or "int" not in kept[kept.index("ellipsis"):]
    if x.layout == "C" and ints_first:
        return "C"
    ints_last = "ellipsis" in kept and "int" not in kept[:kept.index("ellipsis")]
    if x.layout == "F" and (ints_last or "int" not in kept):
        return "F"
    return "A"


def indexed_type(x: Array, idx: Type) -> Type:
    """The type of ``x[idx]`` for an array ``x``."""
    items = idx.items if isinstance(idx, TupleT) else (idx,)
    classified = [_index_kind(t) for t in items]
    kinds = [k for k, _ in classified]
    if kinds.count("ellipsis") > 1:
        raise TypeRuleError("an index can only have a single ellipsis ('...')")
    consumed = sum(n for _, n in classified)
    if consumed > x.ndim:
        raise TypeRuleError(f"too many indices for a {x.ndim}-dimensional array")
    ndim = x.ndim - consumed + kinds.count("slice") + kinds.count("none")
    if any(k in ("array", "mask", "bool") for k in kinds):
        ndim += _advanced_ndim(kinds, items)
        whole_rows = kinds[0] in ("array", "mask") and set(kinds[1:]) <= {"ellipsis"}
        layout = "C" if ndim <= 1 or x.layout == "C" and whole_rows else "A"
        return x.with_(ndim=ndim, layout=layout)
    if ndim == 0 and "ellipsis" not in kinds:
        return NpScalar(x.dtype)
    return x.with_(ndim=ndim, layout="C" if ndim == 0 else _basic_layout(x, kinds))


def _tuple_item_type(x: TupleT, idx: Type) -> Type:
    """``t[i]`` with ``i`` unknown: only a homogeneous tuple has one item type."""
    if not (idx in (INT, BOOL) or isinstance(idx, NpScalar) and idx.dtype.kind in "iu"):
        raise TypeRuleError(f"tuple index of type {idx}")
    if not x.items or any(t != x.items[0] for t in x.items):
        raise TypeRuleError(f"item of {x} at an index not known at compile time")
    return x.items[0]


@defop("getitem", args=("x", "idx"), may_raise=True)
def getitem(x, idx):
    """``x[idx]``; raises IndexError for an index out of range, a mask of the wrong shape."""
    return x[idx]


@getitem.type_rule
def _(x, idx):
    if isinstance(x, TupleT):
        return _tuple_item_type(x, idx)
    if not isinstance(x, Array):
        raise TypeRuleError(f"subscript of {x}")
    return indexed_type(x, idx)


@defop("setitem", args=("x", "idx", "v"), mutates=("x",), may_raise=True)
def setitem(x, idx, v):
    """``x[idx] = v``: ``v`` is cast unsafely (a float stored into an int array is
    truncated), but numpy raises for a complex into a real array, a float NaN
    into an integer one, an int out of the dtype's range, a shape mismatch."""
    x[idx] = v


@setitem.type_rule
def _(x, idx, v):
    if not isinstance(x, Array):
        raise TypeRuleError(f"item assignment to {x}")
    indexed_type(x, idx)
    if not isinstance(v, (PyScalar, NpScalar, Array)):
        raise TypeRuleError(f"cannot store a value of type {v} into an array")
    return NONE
