"""``min``/``max`` of a Python scalar and a numpy scalar of the same representation
(``max(0.0, x)`` with ``x`` an array item): the result is whichever argument
wins, with its own type, so it is a union (float|f64, int|i64) whose tag the
compiled code selects with the value (pyjit/ir/defs/builtins.py _extremum_rule,
backends/llvm/lowerings/core.py _min_max).  Differential on both backends at
every level: values, types, NaN and signed-zero placement."""
from __future__ import annotations

import math

from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

from difftest import check
from nativecheck import native, specs

NAN = math.nan


def relu_sum(a):
    s = 0.0
    for x in a:
        s += max(0.0, x)
    return s


def clamp(a, lo, hi):
    out = np.empty_like(a)
    for i in range(a.shape[0]):
        out[i] = min(max(a[i], lo), hi)
    return out


def running(a):
    best = -math.inf
    worst = math.inf
    for x in a:
        best = max(best, x)
        worst = min(x, worst)
    return best, worst


def pairs(x, y, n):
    k = 0
    for _ in range(n):      # a loop, so that the region compiles
        k += 1
    return max(x, y), min(x, y), max(y, x), min(y, x), max(x, y, x), min(y, x, y), k


def int_counts(a, floor):
    best = floor
    for x in a:
        best = max(best, x)
    return best


F = np.float64
VALUES = [0.0, -0.0, 1.5, -2.0, NAN, math.inf, -math.inf]


@pytest.mark.parametrize("x", VALUES)
@pytest.mark.parametrize("y", [F(v) for v in VALUES])
def test_a_float_and_a_float64(x, y):
    # max(0.0, -0.0) is 0.0 but max(-0.0, 0.0) is -0.0; a NaN first stays, a NaN later loses
    check(pairs, x, y, 1)


@pytest.mark.parametrize("x, y", [(3, np.int64(-4)), (np.int64(7), 7), (-2 ** 63, np.int64(2 ** 63 - 1)),
                                  (True, 1)])
def test_an_int_and_an_int64(x, y):
    check(pairs, x, y, 1)


def test_loops_compile():
    a = np.array([0.5, -1.0, NAN, 3.0, -0.0, 0.0])
    native(check(relu_sum, a, backends=("llvm",), regions=1, breaks=0))
    native(check(clamp, a, -0.25, 1.0, backends=("llvm",), regions=1, breaks=0))
    native(check(running, a, backends=("llvm",), regions=1, breaks=0))
    native(check(int_counts, np.array([3, -9, 12], dtype=np.int64), 0, backends=("llvm",),
                 regions=1, breaks=0))
    check(running, np.zeros(0))          # nothing wins: the Python floats come back
    check(int_counts, np.zeros(0, dtype=np.int64), 5)


def test_other_mixtures_still_run_in_cpython():
    # a float and an int have two representations: CPython decides, eagerly
    jf = check(pairs, 1.5, 2, 1)
    assert jf.__pyjit__.breaks or all(s.backend != "llvm" for s in specs(jf))


@given(st.lists(st.one_of(st.floats(), st.sampled_from([0.0, -0.0, NAN])), max_size=15),
       st.floats(), st.floats())
@settings(max_examples=60, deadline=None)
def test_generated(items, lo, hi):
    a = np.array(items, dtype=np.float64)
    check(relu_sum, a)
    check(running, a)
    check(clamp, a, lo, hi)
