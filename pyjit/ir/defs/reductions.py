"""Reductions and scans: ``np.sum``, ``a.max(axis=0)``, ``np.argmin``, ``np.cumsum``, ...

Each op is both the numpy function and the method of the same name, which take
their parameters in the same order; ``axis``, ``dtype``, ``keepdims`` and
``ddof`` are compile-time attributes, so the result's ndim is known.  ``out``
is an attribute too, only so that a fourth positional argument binds where
numpy binds it; the rules reject anything but None.

The result type is numpy's own on an example of the input's type: that gives
the dtype (the sum of an int32 or bool array is an int64, the mean of ints a
float64, argmax an intp) and whether a full reduction is a numpy scalar
(``np.sum(a, axis=0)`` of a 1-d array is) or a 0-d array (``keepdims=True``).
An out-of-range or repeated axis fails on the example too, so it is a type
error, known from ndim alone.

    >>> from pyjit.ir.registry import get
    >>> get("np.sum").infer([Array(np.dtype("i4"), 2)], {"axis": 0})
    i64[?]
"""
from __future__ import annotations

import numpy as np

from ..registry import TypeRuleError, defop
from ..types import INT, Array, NpScalar, PyScalar, Type
from ._rules import by_example, numpy_result

_SUM_LIKE = {"axis": None, "dtype": None, "out": None, "keepdims": False}
_MIN_LIKE = {"axis": None, "out": None, "keepdims": False}
_STD_LIKE = {"axis": None, "dtype": None, "out": None, "ddof": 0, "keepdims": False}
_SCAN = {"axis": None, "dtype": None, "out": None}


def reduced_layout(fn, a: Type, result: Array) -> str:
    """numpy allocates a ufunc reduction's result in the input's memory order, so
    a C or F input keeps its layout and a strided one may give either; argmin
    and argmax allocate theirs C-contiguous."""
    if result.ndim <= 1 or isinstance(a, Array) and fn in (np.argmin, np.argmax) and \
            a.layout in "CF":
        return "C"
    if isinstance(a, Array) and a.layout in "CF":
        return a.layout
    return "A"


def _check_dtype(dtype) -> None:
    """A ``dtype=`` attribute must name a numeric dtype: with ``dtype=object``
    numpy computes in Python objects and raises Python's errors."""
    if dtype is None:
        return
    try:
        kind = np.dtype(dtype).kind
    except TypeError:
        raise TypeRuleError(f"dtype={dtype!r} is not a dtype") from None
    if kind not in "biufc":
        raise TypeRuleError(f"dtype={dtype!r} is not numeric")


def reduction_type(fn, a: Type, params: dict) -> Type:
    """The type of ``fn(a, **params)``; see the module docstring."""
    if params.get("out") is not None:
        raise TypeRuleError("out= is not supported")
    _check_dtype(params.get("dtype"))
    if type(params.get("keepdims", False)) is not bool:
        raise TypeRuleError("keepdims must be True or False")
    if not isinstance(a, (Array, NpScalar, PyScalar)):
        raise TypeRuleError(f"cannot reduce {a}")
    if a == INT:
        # np.sum(2**63) is a uint64: the type would depend on the value.
        raise TypeRuleError("reduction of a Python int")
    result = numpy_result(by_example(fn, a, **params))
    if isinstance(result, Array):
        return result.with_(layout=reduced_layout(fn, a, result))
    return result


def _declare(fn, attrs: dict, *, callables=(), reduction=True, may_raise=False):
    """One op for ``np.<name>`` and its methods ``a.<name>()`` on arrays and numpy scalars."""
    name = fn.__name__
    methods = [(family, name) for family in ("array", "npscalar")]
    op = defop(f"np.{name}", args=("a",), attrs=attrs, callables=[fn, *callables],
               methods=methods, reduction=reduction, may_raise=may_raise)

    def impl(a, **params):
        return fn(a, **params)

    impl.__doc__ = f"numpy's {name}; attributes as numpy's keyword arguments."
    op(impl).type_rule(lambda a, **params: reduction_type(fn, a, {**attrs, **params}))


_declare(np.sum, _SUM_LIKE)
_declare(np.prod, _SUM_LIKE)
_declare(np.mean, _SUM_LIKE)
_declare(np.std, _STD_LIKE)
_declare(np.var, _STD_LIKE)
_declare(np.any, _MIN_LIKE)
_declare(np.all, _MIN_LIKE)
# Empty inputs (or an empty axis) make these raise ValueError: there is no identity.
_declare(np.min, _MIN_LIKE, callables=[np.amin], may_raise=True)
_declare(np.max, _MIN_LIKE, callables=[np.amax], may_raise=True)
_declare(np.argmin, _MIN_LIKE, may_raise=True)
_declare(np.argmax, _MIN_LIKE, may_raise=True)
# Scans keep the input's shape (or flatten it when axis is None): not reductions.
_declare(np.cumsum, _SCAN, reduction=False)
_declare(np.cumprod, _SCAN, reduction=False)
