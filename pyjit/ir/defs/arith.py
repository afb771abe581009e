"""Python's operators as ops: ``a + b``, ``a += b``, ``a < b``, ``-a``.

Each op is the ``operator`` function CPython's bytecode amounts to
(``BINARY_OP +`` is ``operator.add``), on Python scalars, numpy scalars and
numpy arrays alike.  The reference implementation calls that function, so
``__add__``/``__radd__`` dispatch, NumPy 2 promotion (NEP 50) and CPython's own
rules (``int / int`` is a float, ``True + True`` an int) hold by construction.

Type rules take the result *dtype* from ``by_example`` and the array *layout*
from ``result_layout`` below.  The one result type that depends on values is
``**`` on Python numbers: see ``pow_changes_type``.

Every binary op is ``may_raise``: besides the obvious (``1 // 0``), arrays of
mismatched shapes raise ValueError, a Python int that does not fit the numpy
operand's dtype raises OverflowError (``int8 array + 1000``), and a big Python
int meeting a float raises OverflowError (``10**400 * 1.0``).  Unary ops raise
for no value of an accepted type.
"""
from __future__ import annotations

import math
import operator

from ..registry import Deopt, defop
from ..types import Array, Type
from ._rules import by_example


def result_layout(ndim: int, *types: Type) -> str:
    """The layout of a new array numpy computes elementwise from ``types``.

    numpy orders the result's axes by its operands' strides (order='K'), and
    only operands of two or more dimensions vote, on their non-broadcast axes;
    ties go to C order.  So C-ordered voters always give C.  A single
    F-ordered array among scalars gives F, but F with broadcasting can give
    neither order (``F(2,3,1) + (3,)``), and so can a non-contiguous operand:
    those are ``A``.  One-dimensional results are always contiguous.

    >>> import numpy as np
    >>> from pyjit.ir.types import FLOAT
    >>> f, c = Array(np.dtype("f8"), 2, "F"), Array(np.dtype("f8"), 2, "C")
    >>> result_layout(2, f, FLOAT), result_layout(2, f, c), result_layout(2, c, c)
    ('F', 'A', 'C')
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
    """The layout of ``a @ b``: numpy allocates the matrix axes in C order and
    orders the stacking axes of a 3-d or more result like its operands'."""
    if ndim <= 2 or all(t.layout == "C" for t in types if isinstance(t, Array)):
        return "C"
    return "A"


def fix_layout(rt: Type, types, layout=result_layout) -> Type:
    """``rt`` with its layout decided by ``layout`` when it is an array."""
    if isinstance(rt, Array):
        return rt.with_(layout=layout(rt.ndim, *types))
    return rt


_PY_REAL = (int, bool, float)


def pow_changes_type(a, b) -> bool:
    """Whether CPython's ``a ** b`` on Python numbers leaves the type the rule says.

    ``int ** int`` is an int unless the exponent is negative (``2 ** -1`` is
    0.5); a real ``** float`` is a float unless a finite negative base meets a
    finite fractional exponent (``(-8.0) ** 0.5`` is complex).  numpy scalars
    and arrays keep their type (numpy gives nan or raises), and so do complex
    numbers.  The reference raises Deopt there and CPython computes it.

    >>> pow_changes_type(2, -1), pow_changes_type(-8.0, 0.5), pow_changes_type(-8.0, 2.0)
    (True, True, False)
    """
    ta, tb = type(a), type(b)
    if ta not in _PY_REAL or tb not in _PY_REAL:
        return False
    if tb is float:
        return a < 0 and a != -math.inf and math.isfinite(b) and not b.is_integer()
    return ta is not float and b < 0


def _binary_rule(fn, layout=result_layout):
    def rule(a, b):
        return fix_layout(by_example(fn, a, b), (a, b), layout)
    return rule


def _inplace_rule(fn, layout=result_layout):
    """``a op= b``: an array ``a`` is updated in place and is the result, so the
    result type is ``a``'s.  The example still runs, so numpy's verdicts stand:
    no same_kind cast (``int array += 1.5``), an output with fewer dimensions
    than ``b``.  Other ``a`` have no in-place method: ``a = a op b``."""
    def rule(a, b):
        rt = fix_layout(by_example(fn, a, b), (a, b), layout)
        return a if isinstance(a, Array) else rt
    return rule


def _named(impl, name, fn):
    impl.__name__ = impl.__qualname__ = name
    impl.__doc__ = f"``{fn.__name__}`` as CPython evaluates it."
    return impl


def _declare_binary(name, fn, layout=result_layout, elementwise=True):
    def impl(a, b):
        return fn(a, b)

    _named(impl, name, fn)
    op = defop(name, args=("a", "b"), callables=[fn], may_raise=True,
               elementwise=elementwise)(impl)
    op.type_rule(_binary_rule(fn, layout))
    return op


def _declare_inplace(name, fn, layout=result_layout, elementwise=True):
    def impl(a, b):
        return fn(a, b)

    _named(impl, name, fn)
    op = defop(name, args=("a", "b"), callables=[fn], may_raise=True, pure=False,
               mutates=("a",), elementwise=elementwise)(impl)
    op.type_rule(_inplace_rule(fn, layout))
    return op


def _declare_unary(name, fn):
    def impl(a):
        return fn(a)

    _named(impl, name, fn)
    op = defop(name, args=("a",), callables=[fn], elementwise=True)(impl)
    op.type_rule(lambda a: fix_layout(by_example(fn, a), (a,)))
    return op


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "lshift", "rshift",
              "and_", "or_", "xor", "lt", "le", "eq", "ne", "gt", "ge"):
    _declare_binary(_name, getattr(operator, _name))

for _name in ("iadd", "isub", "imul", "itruediv", "ifloordiv", "imod",
              "ilshift", "irshift", "iand", "ior", "ixor"):
    _declare_inplace(_name, getattr(operator, _name))

for _name in ("neg", "pos", "invert"):
    _declare_unary(_name, getattr(operator, _name))

_declare_binary("matmul", operator.matmul, matmul_layout, elementwise=False)
_declare_inplace("imatmul", operator.imatmul, matmul_layout, elementwise=False)


@defop("pow", args=("a", "b"), callables=[operator.pow], may_raise=True, elementwise=True)
def pow_(a, b):
    """``a ** b``, or Deopt where Python numbers change type (``2 ** -1``)."""
    if pow_changes_type(a, b):
        raise Deopt("a ** b changes type for these values")
    return a ** b


pow_.type_rule(_binary_rule(operator.pow))


@defop("ipow", args=("a", "b"), callables=[operator.ipow], may_raise=True, pure=False,
       mutates=("a",), elementwise=True)
def ipow(a, b):
    """``a **= b``: arrays in place; Deopt as for ``pow``."""
    if pow_changes_type(a, b):
        raise Deopt("a **= b changes type for these values")
    a **= b
    return a


ipow.type_rule(_inplace_rule(operator.ipow))
