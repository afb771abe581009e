"""Shared pieces of type rules: example values and output layouts.

Result *dtypes* of numeric ops come from numpy and CPython themselves, by
evaluating the reference implementation on one example value of each input
type (``by_example``).  That keeps NumPy 2's promotion rules (NEP 50: Python
scalars are "weak") and CPython's (``int / int`` is a float) exact by
construction, rather than re-implementing them.  Only result types that do not
depend on values may be computed this way; ops whose result type depends on a
value (``int ** int``) say so in their own rule.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..registry import TypeRuleError
from ..types import (BOOL, COMPLEX, FLOAT, INT, Array, NpScalar, PyScalar, Type, TupleT,
                     typeof)

_PY_EXAMPLES = {"int": 1, "float": 1.0, "bool": True, "complex": 1 + 0j}


def example(t: Type):
    """One value of type ``t`` (arrays: shape (1,)*ndim, ones)."""
    if isinstance(t, PyScalar):
        return _PY_EXAMPLES[t.name]
    if isinstance(t, NpScalar):
        return t.dtype.type(1)
    if isinstance(t, Array):
        return np.ones((1,) * t.ndim, dtype=t.dtype)
    if isinstance(t, TupleT):
        return tuple(example(i) for i in t.items)
    raise TypeRuleError(f"no example value of type {t}")


def is_numeric(t: Type) -> bool:
    return isinstance(t, (PyScalar, NpScalar)) or isinstance(t, Array)


def elementwise_layout(*types: Type) -> str:
    """Layout of an elementwise result: numpy keeps Fortran order when every array
    input is Fortran-ordered (order='K'), else the result is C-contiguous."""
    arrays = [t for t in types if isinstance(t, Array) and t.ndim > 1]
    if arrays and all(t.layout == "F" for t in arrays):
        return "F"
    return "C"


def by_example(fn, *types: Type, **attrs) -> Type:
    """The type of ``fn(*examples, **attrs)``, with the array layout fixed up.

    Raises TypeRuleError when numpy or CPython reject the example (for instance
    ``TypeError: ufunc 'bitwise_and' not supported for the input types``).
    """
    for t in types:
        if not is_numeric(t):
            raise TypeRuleError(f"operand of type {t}")
    args = [example(t) for t in types]
    try:
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            result = fn(*args, **attrs)
    except Exception as exc:  # the example's own error is the op's verdict on these types
        raise TypeRuleError(f"{type(exc).__name__}: {exc}") from None
    rt = typeof(result)
    if isinstance(rt, Array):
        rt = rt.with_(layout=elementwise_layout(*types))
    return rt


__all__ = ["BOOL", "COMPLEX", "FLOAT", "INT", "by_example", "elementwise_layout", "example",
           "is_numeric"]
