"""``np.float64(x)`` and ``np.float32(x)`` of real scalars (pyjit/ir/defs/creation.py,
lowerings/core.py): numpy's cast, compiled, against CPython on the LLVM backend
at O0 and O2 (nativecheck.agree), with numpy's overflow warning (float32) and
Python ints converted through a double as numpy does."""
from __future__ import annotations

import math

import numpy as np
import pytest

import pyjit
from nativecheck import agree, specs


def made(x, n=2):
    k = 0
    for _ in range(n):      # a loop, so that the region compiles
        k += 1
    return np.float64(x), np.float32(x), k


def f32_sum(a):
    s = np.float32(0)
    for x in a:
        s += x * np.float32(2)
    return s


@pytest.mark.parametrize("x", [0.0, -0.0, 0.1, 1e300, -1e300, math.nan, math.inf, 3.4028235e38,
                               2 ** 62 + 1, -7, True, np.float64(1e39), np.float32(0.5),
                               np.int64(2 ** 62 + 1), np.uint64(2 ** 64 - 1), np.int8(-3),
                               np.bool_(True)])
def test_casts(x):
    agree(made, x)


def test_a_float32_loop():
    agree(f32_sum, np.linspace(0.0, 3.0, 11).astype(np.float32))


@pytest.mark.parametrize("x", [1 + 2j, np.complex64(1), np.zeros(3)])
def test_other_arguments_run_in_cpython(x):
    agree(made, x, native=False)
    jf = pyjit.jit(made, backend="llvm")
    try:
        jf(x)
    except TypeError:
        pass   # np.float64(1+2j): CPython's own TypeError
    assert not any(s.backend == "llvm" for s in specs(jf))
