"""Every op of the registry, called the way user code calls it, under CPython and
under pyjit: generated from the registry, so a new op is covered when declared.

For an op with ``callables`` the generated function calls the callable (a
global); for ``methods`` it calls ``a.name(...)``; for ``attributes`` it reads
``a.name``; the Python operators are also spelled as operators (``a + b``).
Inputs cover Python and numpy scalars (NaN, inf, -0.0, big ints) and arrays
(empty, 0-d, 1-d, C and F 2-d, non-contiguous views, int and bool dtypes).
Under ``PYJIT_CHECK=1`` every value the region computes is also checked
against the type inference gave it.
"""
from __future__ import annotations

import itertools
import math
import operator
import random

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from difftest import check
from pyjit.ir import registry

OPERATOR_SYNTAX = {
    "add": "a + b", "sub": "a - b", "mul": "a * b", "truediv": "a / b", "floordiv": "a // b",
    "mod": "a % b", "pow": "a ** b", "matmul": "a @ b", "lshift": "a << b", "rshift": "a >> b",
    "and_": "a & b", "or_": "a | b", "xor": "a ^ b", "lt": "a < b", "le": "a <= b", "eq": "a == b",
    "ne": "a != b", "gt": "a > b", "ge": "a >= b", "neg": "-a", "pos": "+a", "invert": "~a",
}
INPLACE_SYNTAX = {"iadd": "+=", "isub": "-=", "imul": "*=", "itruediv": "/=", "ifloordiv": "//=",
                  "imod": "%=", "ipow": "**=", "imatmul": "@=", "ilshift": "<<=", "irshift": ">>=",
                  "iand": "&=", "ior": "|=", "ixor": "^="}

_f = np.arange(6.0).reshape(2, 3)
SCALARS = [0, 1, -3, 7, 2 ** 70, 0.0, -0.0, 1.5, -2.25, math.nan, math.inf, True, False, 1 + 2j,
           np.float32(1.5), np.float64(-0.0), np.int8(-3), np.int64(5), np.uint8(200),
           np.uint64(7), np.bool_(True)]
ARRAYS = [np.arange(4.0), np.array([1.0, -0.0, np.nan, np.inf]), np.zeros(0), np.array(2.5),
          _f, np.asfortranarray(_f), _f[:, ::2], np.arange(5)[::2], np.arange(-3, 3),
          np.array([True, False, True]), np.arange(4, dtype=np.int8), np.arange(3, dtype=np.float32)]
SAMPLES = SCALARS + ARRAYS


pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")

# Ops whose results hold uninitialised memory: compare what is defined.
UNINITIALISED = {"np.empty", "np.empty_like"}


def _make(source: str, **globals_):
    namespace = dict(globals_, np=np, math=math)
    exec(source, namespace)
    return namespace["f"]


def _callers(op):
    """Functions that reach ``op`` through Python syntax, with their arity."""
    n = len([a for a in op.args if a not in op.optional]) if not op.varargs else 2
    params = ", ".join("abcd"[:n])
    ret = "r.shape, r.dtype" if op.name in UNINITIALISED else "r"
    if op.name in OPERATOR_SYNTAX:
        expr = OPERATOR_SYNTAX[op.name]
        yield _make(f"def f({params}):\n    r = {expr}\n    return r"), n
    if op.name in INPLACE_SYNTAX:
        yield _make(f"def f(a, b):\n    a {INPLACE_SYNTAX[op.name]} b\n    return a"), 2
    for k, fn in enumerate(op.callables):
        if getattr(operator, getattr(fn, "__name__", ""), None) is fn:
            continue  # spelled as the operator above
        yield _make(f"def f({params}):\n    r = F({params})\n    return {ret}", F=fn), n
    for _, name in op.methods:
        rest = ", ".join("bcd"[:n - 1])
        yield _make(f"def f({params}):\n    r = a.{name}({rest})\n    return {ret}"), n
    for _, name in op.attributes:
        yield _make(f"def f(a):\n    r = a.{name}\n    return r"), 1


def _user_ops():
    skip = {"const", "build_tuple", "tuple_get", "unpack_check", "build_slice", "truth", "not_",
            "is_", "is_not", "range_len", "range_item", "check_bound"}
    return sorted(name for name, op in registry.OPS.items()
                  if name not in skip and (op.callables or op.methods or op.attributes
                                           or name in OPERATOR_SYNTAX or name in INPLACE_SYNTAX))


@pytest.mark.parametrize("name", _user_ops())
def test_op_matches_cpython(name):
    op = registry.OPS[name]
    rng = random.Random(name)
    callers = list(_callers(op))
    assert callers, f"op {name} has no Python spelling to test"
    for fn, n in callers:
        combos = list(itertools.product(SAMPLES, repeat=n)) if n <= 1 else \
            [tuple(rng.choice(SAMPLES) for _ in range(n)) for _ in range(40)]
        for args in combos:
            check(fn, *args)


def test_every_user_op_is_reached():
    assert len(_user_ops()) > 150


_BIG = st.integers(-2 ** 63, 2 ** 63 - 1) | st.sampled_from(
    [2 ** 53 + 1, -2 ** 53 - 1, 2 ** 53 + 3, 2 ** 62 + 2 ** 10 + 1, 2 ** 63 - 1, -2 ** 63])


@settings(max_examples=60, deadline=None)
@given(x=st.floats(allow_nan=True, allow_infinity=True), n=_BIG, m=_BIG)
def test_division_of_floats_and_big_ints(x, n, m):
    # A float and an int divide as doubles (the int rounded to nearest even, as
    # sitofp does: no check in native code); two ints beyond 2**53 divide exactly
    # in CPython, so native code leaves that to it.
    def f(x, n, m):
        s = 0.0
        for k in range(2):
            if n + k:
                s += x / (n + k)
            if x:
                s += (n - k) / x
            if m:
                s += n / m
        return s
    jitted = check(f, x, n, m, backends=("llvm",))
    assert [s.backend for r in jitted.__pyjit__.regions
            for s in r.dispatcher.cache.values()] == ["llvm"]
