"""``x.item()`` of a numpy scalar (pyjit/ir/defs/attributes.py, lowerings/core.py):
the Python scalar of its value, compiled, against CPython on the LLVM backend at
O0 and O2 (nativecheck.agree); values a Python int cannot hold in 64 bits bail
out."""
from __future__ import annotations

import math

import numpy as np
import pytest

import pyjit
from nativecheck import agree, specs


def items(x, n=2):
    k = 0
    for _ in range(n):      # a loop, so that the region compiles
        k += 1
    return x.item(), k


def summed(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i].item()
    return s


@pytest.mark.parametrize("x", [np.float64(-0.0), np.float64(math.nan), np.float64(-math.inf),
                               np.float32(0.1), np.int8(-128), np.int64(-2 ** 63), np.uint8(255),
                               np.uint64(2 ** 63 - 1), np.bool_(True), np.bool_(False)])
def test_item_compiles(x):
    agree(items, x)


@pytest.mark.parametrize("x", [np.uint64(2 ** 63), np.uint64(2 ** 64 - 1)])   # beyond int64: a bailout
def test_item_of_a_big_uint64(x):
    agree(items, x)


@pytest.mark.parametrize("x", [np.complex128(1 - 2j), np.float16(1.5)])
def test_other_dtypes_run_in_cpython(x):
    agree(items, x, native=False)
    jf = pyjit.jit(items, backend="llvm")
    jf(x)
    assert not any(s.backend == "llvm" for s in specs(jf))


def test_item_in_a_loop():
    agree(summed, np.linspace(-1.0, 1.0, 7).astype(np.float32))
    agree(summed, np.arange(-3, 4, dtype=np.int16))
