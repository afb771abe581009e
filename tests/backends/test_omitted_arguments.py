"""Calls that leave out an optional argument (registry.py, Note [omitted optional
inputs]): ``math.log(x)`` and ``complex(x)`` compile, and an explicit ``None``
still raises CPython's TypeError.  Differential on both backends at every level."""
from __future__ import annotations

import math

from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

from difftest import check
from nativecheck import native


def log_sum(xs):
    s = 0.0
    for i in range(xs.shape[0]):
        s += math.log(xs[i])
    return s


def log_of(x, n):
    s = 0.0
    for _ in range(n):
        s += math.log(x)
    return s


def complex_of(x, n):
    z = 0j
    for _ in range(n):
        z += complex(x)
    return z, complex(x)


def with_none(x, n):
    z = 0j
    for _ in range(n):
        z += complex(x, None)
    return z


def log_with_none(x, n):
    s = 0.0
    for _ in range(n):
        s += math.log(x, None)
    return s


def keywords_after_omitted(n):
    k = 0
    for _ in range(n):
        k += 1
    return np.arange(n, step=2), np.arange(1, n), np.eye(3, k=1), round(n * 0.37), k


@pytest.mark.parametrize("x", [1.0, 2.5, 1e-300, 1e308, math.inf, math.nan, 7, True, 2 ** 70,
                               np.float32(0.5), np.int16(3),
                               0.0, -1.0, -0.0, 0, False])   # ValueError: math domain error
def test_math_log_of_one_argument(x):
    with np.errstate(all="ignore"):
        jf = check(log_of, x, 3)
    if type(x) is not int or x < 2 ** 63:
        native(check(log_of, x, 3, backends=("llvm",)))
    assert jf.__pyjit__.breaks == []


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=20))
@settings(max_examples=60, deadline=None)
def test_math_log_over_arrays(items):
    xs = np.array(items, dtype=np.float64)
    with np.errstate(all="ignore"):
        check(log_sum, xs)


@pytest.mark.parametrize("x", [1.5, -0.0, 3, True, 2 ** 70, 1 + 2j, complex(-0.0, math.nan),
                               math.inf, np.float32(0.1), np.int8(-3), np.complex128(1 - 1j)])
def test_complex_of_one_argument(x):
    with np.errstate(all="ignore"):
        check(complex_of, x, 2)
    if type(x) is not int or x < 2 ** 63:
        native(check(complex_of, x, 2, backends=("llvm",)))


@pytest.mark.parametrize("fn", [with_none, log_with_none])
def test_an_explicit_none_raises_as_in_cpython(fn):
    check(fn, 2.0, 2)   # TypeError, from CPython running the region


def test_keywords_after_an_omitted_argument():
    native(check(keywords_after_omitted, 7))
