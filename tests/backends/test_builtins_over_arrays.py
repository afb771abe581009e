"""``sum(a[, start])``, ``min(a)`` and ``max(a)`` of a 1-d array (Note [builtins
over arrays] in pyjit/ir/defs/builtins.py; backends/llvm/lowerings/builtinreduce.py):
Python's own loops over numpy scalars.  Bit for bit with CPython, warnings
included: in-order float sums (not np.sum's pairwise one), -0.0 items, int
overflow (numpy warns, the native code bails out), float overflow (numpy warns
through the FPU flag), NaN and both zeros in min/max, empty arrays (sum is the
Python int 0, min/max raise), strided views, every dtype family."""
from __future__ import annotations

import math

from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

from bitwise import compare
from difftest import check
from nativecheck import agree, native

NAN = math.nan
BIG = 2 ** 62


def total(a):
    k = 0
    for _ in range(2):   # a loop, so that the region compiles
        k += 1
    return sum(a), k


def total_from(a, start):
    k = 0
    for _ in range(2):
        k += 1
    return sum(a, start), k


def extremes(a):
    k = 0
    for _ in range(2):
        k += 1
    return min(a), max(a), k


def row_totals(m):
    t = 0.0
    for i in range(m.shape[0]):
        t += sum(m[i]) * max(m[i])
    return t


ARRAYS = [
    np.array([0.1, 0.2, 0.3, 1e16, -1e16]),        # in order: not np.sum's result
    np.array([-0.0, -0.0]),                        # 0 + -0.0 is 0.0
    np.array([1.5], dtype=np.float32),
    np.array([3, -9, 12, 7], dtype=np.int64),
    np.array([100, 27], dtype=np.int8),
    np.array([250, 3], dtype=np.uint8),
    np.array([2 ** 63, 5], dtype=np.uint64),
    np.array([True, False, True]),
    np.arange(10.0)[::-3],
    np.arange(12, dtype=np.int32)[1::4],
]


@pytest.mark.parametrize("a", ARRAYS, ids=lambda a: f"{a.dtype}{a.shape}{a.strides}")
def test_sum_min_max_compile_and_agree(a):
    native(check(total, a, regions=1, breaks=0))
    native(check(extremes, a, regions=1, breaks=0))
    compare(total, a, bailout=False)
    compare(extremes, a, bailout=False)


@pytest.mark.parametrize("a", [
    np.array([BIG, BIG, 1]),                       # int64 overflow: numpy warns and wraps
    np.array([100, 100], dtype=np.int8),
    np.array([200, 100], dtype=np.uint8),
    np.array([2 ** 63, 2 ** 63], dtype=np.uint64),
    np.array([1e308, 1e308]),                      # overflow to inf: numpy warns
    np.array([math.inf, -math.inf]),               # inf - inf: NaN, invalid warns
    np.array([1.0, NAN, 2.0]),
], ids=lambda a: f"{a.dtype}-{a[:2]}")
def test_sums_that_warn_or_give_nan_run_in_cpython(a):
    compare(total, a, bailout=True)


@pytest.mark.parametrize("a", [
    np.array([NAN, 1.0]), np.array([1.0, NAN, 3.0]),  # a NaN first stays; later, it loses
    np.array([0.0, -0.0]), np.array([-0.0, 0.0]),     # the first of two equal items
], ids=repr)
def test_min_max_that_depend_on_order_run_in_cpython(a):
    compare(extremes, a, bailout=True)


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.bool_, np.uint8])
def test_empty_arrays(dtype):
    """``sum`` is the start itself (the Python int 0); ``min``/``max`` raise ValueError."""
    a = np.zeros(0, dtype=dtype)
    compare(total, a, bailout=True)
    check(total, a)
    check(extremes, a)
    agree(extremes, a)   # the ValueError, raised by CPython after the bailout


@pytest.mark.parametrize("a, start", [
    (np.array([0.5, -0.0]), 1.5), (np.array([-0.0]), -0.0), (np.array([1.0, 2.0]), np.float64(-3.0)),
    (np.array([4, -5]), 7), (np.array([4, -5]), True), (np.array([True, True]), 2 ** 62),
    (np.array([BIG, 1]), BIG), (np.array([], dtype=np.float64), 2.5),
    (np.array([], dtype=np.float64), np.float64(-0.0)), (np.array([], dtype=np.int8), np.int8(3)),
])
def test_a_start(a, start):
    native(check(total_from, a, start, regions=1, breaks=0))
    agree(total_from, a, start)


@pytest.mark.parametrize("a, start", [
    (np.array([1.0], dtype=np.float32), 1.0),      # float + float32 is float32, rounding start
    (np.array([1, 2], dtype=np.int8), 1),          # int + int8: numpy checks the int's range
    (np.array([1.0]), 1),                          # int start, float items
    (np.array([1.0]), None),                       # TypeError
    (np.array([1.0]), "a"),
])
def test_other_starts_run_in_cpython(a, start):
    check(total_from, a, start)


@pytest.mark.parametrize("m", [np.ones((2, 3)), np.zeros((2, 0)), np.arange(6.0).reshape(2, 3)])
def test_other_iterables_run_in_cpython(m):
    """A 2-d array iterates over rows (``max`` of rows raises ValueError)."""
    check(total, m)
    check(extremes, m)


def test_in_a_loop_over_rows():
    m = np.random.default_rng(5).standard_normal((50, 7))
    native(check(row_totals, m, backends=("llvm",), regions=1, breaks=0))
    check(row_totals, m[:, ::2])


FLOATS = st.one_of(st.floats(), st.sampled_from([0.0, -0.0, NAN, 1e308, -1e308]))


@given(st.lists(FLOATS, max_size=12), st.booleans())
@settings(max_examples=80, deadline=None)
def test_generated_floats(items, reverse):
    a = np.array(items, dtype=np.float64)
    if reverse:
        a = a[::-1]
    agree(total, a, native=False)
    agree(extremes, a, native=False)


@given(st.lists(st.integers(-2 ** 63, 2 ** 63 - 1), max_size=8),
       st.sampled_from([np.int64, np.int32, np.int8, np.uint16]))
@settings(max_examples=80, deadline=None)
def test_generated_integers(items, dtype):
    info = np.iinfo(dtype)
    a = np.array([min(max(x, info.min), info.max) for x in items], dtype=dtype)
    agree(total, a, native=False)
    agree(extremes, a, native=False)
