"""Shared pieces of type rules: example values, output layouts, checks.

Result *dtypes* of numeric ops come from numpy and CPython themselves, by
evaluating the reference implementation on one example value of each input
type (``by_example``).  That keeps NumPy 2's promotion rules (NEP 50: Python
scalars are "weak") and CPython's (``int / int`` is a float) exact by
construction, rather than re-implementing them.  Only result types that do not
depend on values may be computed this way; ops whose result type depends on a
value (``int ** int``) say so in their own rule.

Array *layouts* cannot come from the examples (an example of shape (1,)*ndim
is both C- and F-contiguous): ``elementwise_layout`` claims C or F only where
numpy's result is sure to have it, and ``by_example`` gives every array it
returns that layout.  Ops whose result is not a fresh elementwise array (views,
reductions, creation, products) set their own.
"""
from __future__ import annotations

import warnings

import numpy as np

from ..registry import Deopt, TypeRuleError
from ..types import (BOOL, COMPLEX, FLOAT, INT, NONE, Array, NpScalar, PyScalar, Type,
                     TupleT, typeof)

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


def elementwise_layout(ndim: int, *types: Type) -> str:
    """The layout of a fresh ``ndim``-dimensional array numpy computes elementwise
    from inputs of ``types``: C or F only where numpy's result is sure to be so.

    numpy allocates such a result with order='K': it orders the result's axes
    like its operands' strides, where only operands of two or more dimensions
    have a say (a 0-d or 1-d one is C-ordered whatever its strides), each on
    its non-broadcast axes, and ties go to C order.  So C operands give C.  A
    single F operand among scalars gives F, but an F operand broadcast against
    another array may give neither (``F(2,3,1) + (3,)``), and a strided ('A')
    operand may give either (``np.ones((4, 6)).T[::2] + 1`` is F): those are
    'A'.  A 0-d or 1-d result is always contiguous.

    >>> import numpy as np
    >>> from pyjit.ir.types import FLOAT
    >>> f, c = Array(np.dtype("f8"), 2, "F"), Array(np.dtype("f8"), 2, "C")
    >>> [elementwise_layout(2, *types) for types in [(f, FLOAT), (f, c), (c, c), (f, f)]]
    ['F', 'A', 'C', 'A']
    """
    if ndim <= 1:
        return "C"
    arrays = [t for t in types if isinstance(t, Array) and t.ndim > 0]
    if all(t.layout == "C" for t in arrays if t.ndim > 1):
        return "C"
    if len(arrays) == 1 and arrays[0].layout == "F":
        return "F"
    return "A"


def matmul_layout(ndim: int, *types: Type) -> str:
    """The layout of ``np.matmul(a, b)`` (``a @ b``) of ``ndim`` dimensions: numpy
    allocates the matrix axes in C order and orders the stacking axes of a 3-d
    or more result like its operands' (order='K')."""
    if ndim <= 2 or all(t.layout == "C" for t in types if isinstance(t, Array)):
        return "C"
    return "A"


def _laid_out(rt: Type, types) -> Type:
    if isinstance(rt, Array):
        return rt.with_(layout=elementwise_layout(rt.ndim, *types))
    if isinstance(rt, TupleT):
        return TupleT(tuple(_laid_out(t, types) for t in rt.items))
    return rt


def by_example(fn, *types: Type, **attrs) -> Type:
    """The type of ``fn(*examples, **attrs)``, every array in it (``divmod`` gives
    a tuple of two) laid out as a fresh elementwise result (``elementwise_layout``).
    The rule of an op whose result is a view, or is allocated otherwise, sets
    the layout itself.

    Raises TypeRuleError when numpy or CPython reject the example (for instance
    ``TypeError: ufunc 'bitwise_and' not supported for the input types``).

    >>> import numpy as np
    >>> from pyjit.ir.types import INT
    >>> by_example(np.add, Array(np.dtype("i4"), 2, "F"), INT)
    i32[?,?]:F
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
    return _laid_out(typeof(result), types)


def by_example_with_none(fn, *types: Type, **attrs) -> Type:
    """``by_example`` where some inputs may be None (an omitted optional input or
    an explicit None, such as a missing bound of ``np.clip``): None is passed
    through, examples stand for the others."""
    def call(*present):
        values = iter(present)
        return fn(*(None if t == NONE else next(values) for t in types), **attrs)

    return by_example(call, *(t for t in types if t != NONE))


def numpy_result(t: Type) -> Type:
    """``t``, the type of what a numpy function returned on examples, which the
    op's rule accepts only as an array or a numpy scalar."""
    if not isinstance(t, (Array, NpScalar)):
        raise TypeRuleError(f"result of type {t}")
    return t


_INT64_MIN, _INT64_MAX = -2 ** 63, 2 ** 63 - 1


def require_int64(*values) -> None:
    """Raise Deopt for a Python int outside int64 (a reference implementation's check).

    numpy gives such an int a value-dependent dtype (``np.negative(2**63)`` is a
    ``uint64``, ``np.full(2, 2**70)`` an object array), which no type rule can
    see; the statement then runs in CPython, exactly.
    """
    for v in values:
        if type(v) is int and not _INT64_MIN <= v <= _INT64_MAX:
            raise Deopt(f"Python int {v} does not fit in int64")


__all__ = ["BOOL", "COMPLEX", "FLOAT", "INT", "by_example", "by_example_with_none",
           "elementwise_layout", "example", "is_numeric", "matmul_layout", "numpy_result",
           "require_int64"]
