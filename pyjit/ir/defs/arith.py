"""Python's operators as ops: ``a + b``, ``a += b``, ``a < b``, ``-a``.

Each op is the ``operator`` function CPython's bytecode amounts to
(``BINARY_OP +`` is ``operator.add``), on Python scalars, numpy scalars and
numpy arrays alike.  The reference implementation calls that function, so
``__add__``/``__radd__`` dispatch, NumPy 2 promotion (NEP 50) and CPython's own
rules (``int / int`` is a float, ``True + True`` an int) hold by construction.

Type rules take the result type from ``by_example``, which also gives arrays
the layout of a fresh elementwise result; ``@`` lays out its result as
``np.matmul`` does (``matmul_layout``).  The one result type that depends on values is
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
from functools import partial

from ..registry import Deopt, defop
from ..types import Array
from ._rules import by_example, matmul_layout


def _matmul_rule(fn):
    """``a @ b``: by_example's type, laid out as numpy lays out a matrix product."""
    def rule(a, b):
        rt = by_example(fn, a, b)
        return rt.with_(layout=matmul_layout(rt.ndim, a, b)) if isinstance(rt, Array) else rt
    return rule


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


def _inplace_rule(rule):
    """``a op= b``: an array ``a`` is updated in place and is the result, so the
    result type is ``a``'s.  ``rule`` (that of ``a op b``) still runs, so numpy's
    verdicts stand: no same_kind cast (``int array += 1.5``), an output with
    fewer dimensions than ``b``.  Other ``a`` have no in-place method: ``a = a op b``."""
    def inplace(a, b):
        rt = rule(a, b)
        return a if isinstance(a, Array) else rt
    return inplace


def _declare(name, fn, args, rule, **properties):
    """The op ``name`` on ``args``, whose reference calls ``fn`` (``operator.add``)."""
    def impl(*operands):
        return fn(*operands)

    impl.__name__ = impl.__qualname__ = name
    impl.__doc__ = f"``{fn.__name__}`` as CPython evaluates it."
    defop(name, args=args, callables=[fn], **properties)(impl).type_rule(rule)


def _declare_binary(name, fn, rule=None, elementwise=True):
    _declare(name, fn, ("a", "b"), rule or partial(by_example, fn), may_raise=True,
             elementwise=elementwise)


def _declare_inplace(name, fn, rule=None, elementwise=True):
    _declare(name, fn, ("a", "b"), _inplace_rule(rule or partial(by_example, fn)), may_raise=True,
             pure=False, mutates=("a",), elementwise=elementwise)


for _name in ("add", "sub", "mul", "truediv", "floordiv", "mod", "lshift", "rshift",
              "and_", "or_", "xor", "lt", "le", "eq", "ne", "gt", "ge"):
    _declare_binary(_name, getattr(operator, _name))

for _name in ("iadd", "isub", "imul", "itruediv", "ifloordiv", "imod",
              "ilshift", "irshift", "iand", "ior", "ixor"):
    _declare_inplace(_name, getattr(operator, _name))

for _name in ("neg", "pos", "invert"):
    _fn = getattr(operator, _name)
    _declare(_name, _fn, ("a",), partial(by_example, _fn), elementwise=True)

_declare_binary("matmul", operator.matmul, _matmul_rule(operator.matmul), elementwise=False)
_declare_inplace("imatmul", operator.imatmul, _matmul_rule(operator.imatmul),
                 elementwise=False)


@defop("pow", args=("a", "b"), callables=[operator.pow], may_raise=True, elementwise=True)
def pow_(a, b):
    """``a ** b``, or Deopt where Python numbers change type (``2 ** -1``)."""
    if pow_changes_type(a, b):
        raise Deopt("a ** b changes type for these values")
    return a ** b


pow_.type_rule(partial(by_example, operator.pow))


@defop("ipow", args=("a", "b"), callables=[operator.ipow], may_raise=True, pure=False,
       mutates=("a",), elementwise=True)
def ipow(a, b):
    """``a **= b``: arrays in place; Deopt as for ``pow``."""
    if pow_changes_type(a, b):
        raise Deopt("a **= b changes type for these values")
    a **= b
    return a


ipow.type_rule(_inplace_rule(partial(by_example, operator.ipow)))
