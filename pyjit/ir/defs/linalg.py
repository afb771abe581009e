"""Products: ``np.dot`` (and ``a.dot(b)``), ``np.matmul``, ``np.vdot``, ``np.inner``,
``np.outer``.  The ``@`` operator is ``operator.matmul`` in arith.py.

Result dtype and ndim come from numpy on examples (1-d . 1-d is a numpy
scalar, 2-d @ 1-d a 1-d array, 2-d @ 2-d a 2-d array).  numpy allocates a
product C-contiguous, except that the stacking axes of a 3-d or more
``np.matmul`` follow its operands' order (``matmul_layout``), and a product
with a scalar (or 0-d) operand is a multiply whose memory order numpy
chooses case by case: 'A'.
Mismatched inner dimensions raise ValueError at run time, so every op here
may raise.

    >>> from pyjit.ir.registry import get
    >>> m, v = Array(np.dtype("f8"), 2), Array(np.dtype("f8"), 1)
    >>> get("np.matmul").infer([m, v], {}), get("np.dot").infer([v, v], {})
    (f64[?], f64)
"""
from __future__ import annotations

import numpy as np

from ..registry import defop
from ..types import Array, Type
from ._rules import by_example, matmul_layout, numpy_result, require_int64


def product_type(fn, a: Type, b: Type) -> Type:
    """The type of ``fn(a, b)``; see the module docstring for the layout."""
    result = numpy_result(by_example(fn, a, b))
    if not isinstance(result, Array):
        return result
    if any(not isinstance(t, Array) or t.ndim == 0 for t in (a, b)):
        # Not by_example's elementwise layout: np.dot(f, 2.0) of a Fortran f is C.
        return result.with_(layout="C" if result.ndim <= 1 else "A")
    if fn is np.matmul:
        return result.with_(layout=matmul_layout(result.ndim, a, b))
    return result.with_(layout="C")


def _declare(fn, methods=()):
    op = defop(f"np.{fn.__name__}", args=("a", "b"), callables=[fn], methods=methods,
               may_raise=True)

    def impl(a, b):
        require_int64(a, b)
        return fn(a, b)

    impl.__doc__ = f"numpy's {fn.__name__} of two operands."
    op(impl).type_rule(lambda a, b: product_type(fn, a, b))


_declare(np.dot, methods=[("array", "dot")])
_declare(np.matmul)
_declare(np.vdot)
_declare(np.inner)
_declare(np.outer)
