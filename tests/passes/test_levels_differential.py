"""Programs written to trip the passes, run under CPython and under pyjit at every
level (tests/difftest.py runs the LLVM backend at O0, O1 and O2).

Each function targets one rewrite: a fold that must not happen (``x + 0.0`` with
``x = -0.0``, a constant division by zero, a constant product beyond 64 bits), a
branch on a constant, a loop invariant, a load that a store in between changes,
an unused index that must still raise.
"""
from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from difftest import check

DEBUG = False
SCALE = 2.5

floats = st.floats(allow_nan=True, allow_infinity=True, width=64)


def plus_zero(x):
    return x + 0.0, x - 0.0, x * 1.0, x / 1.0, 0.0 + x, x + -0.0, x - (-0.0), x - 0, x * 1


def element_minus_negative_zero(b):
    s = 0.0
    for i in range(b.shape[0]):
        s = float(b[i] - (-0.0))         # -0.0 - (-0.0) is +0.0: not an identity
    return s


def folded_overflow(x):
    big = 4611686018427387904 * 4      # 2**64: beyond i64, CPython makes a big int
    return big + x


def folded_zero_division(x):
    if x > 1e300:
        return 1.0 / 0.0                # raised at run time, on this line, only on this path
    return x


def constant_branch(a):
    s = 0.0
    for i in range(a.shape[0]):
        if DEBUG:
            print("never", i)
        s += a[i] * SCALE
    return s


def invariant_in_loop(a, s):
    t = 0.0
    for i in range(a.shape[0]):
        t += a[i] * (s * s + 1.0) / (a.shape[0] + 0.5)
    return t


def load_store_load(a):
    for i in range(a.shape[0]):
        x = a[i]
        a[i] = x + 1.0
        y = a[i]
        a[i] = x * y
    return a


def unused_index_raises(a, k):
    for i in range(3):
        a[k]                              # noqa: B018 (IndexError must still happen)
    return k


def repeated_subexpression(x, y):
    r = 0.0
    for i in range(10):
        r += (x * y + 1.0) * (x * y + 1.0) - math.sqrt(abs(x * y))
    return r


def neg_neg(x):
    return -(-x), +x, not (not (x > 0))


@given(floats)
def test_float_identities_keep_signed_zero_and_nan(x):
    check(plus_zero, x)
    check(neg_neg, x)
    check(element_minus_negative_zero, np.array([x]))


@pytest.mark.parametrize("x", [-0.0, 0.0, float("nan"), -1.5])
def test_minus_negative_zero_is_not_folded(x):
    check(plus_zero, x)
    check(element_minus_negative_zero, np.array([x]))


@pytest.mark.parametrize("x", [0, -1, 2**62])
def test_folded_constant_beyond_i64(x):
    check(folded_overflow, x)


@pytest.mark.parametrize("x", [1.0, 1e301])
def test_folded_division_by_zero_raises_at_run_time(x):
    check(folded_zero_division, x)


def test_constant_branch_and_global_scale():
    check(constant_branch, np.arange(7.0))


@given(st.lists(floats, max_size=20), floats)
def test_invariant_hoisting(values, s):
    check(invariant_in_loop, np.array(values, dtype=np.float64), s)


def test_loads_are_not_reused_across_stores():
    check(load_store_load, np.array([1.0, -0.0, np.nan, 3.5]))
    check(load_store_load, np.arange(10.0)[::3])  # a non-contiguous view


@pytest.mark.parametrize("k", [0, 2, 5, -1, -6])
def test_unused_index_still_raises(k):
    check(unused_index_raises, np.arange(5.0), k)


@given(floats, floats)
def test_common_subexpressions(x, y):
    check(repeated_subexpression, x, y)


def _pass_log(fn, *args, level):
    import pyjit
    jitted = pyjit.jit(fn, level=level)
    jitted(*args)
    logs = {}
    for r in jitted.__pyjit__.regions:
        for spec in r.dispatcher.cache.values():
            for name, changes in getattr(spec.graph, "pass_log", []):
                logs[name] = logs.get(name, 0) + changes
    return logs


@pytest.mark.parametrize("fn,args,expected", [
    (invariant_in_loop, (np.arange(4.0), 2.0), {"licm", "params"}),
    (constant_branch, (np.arange(4.0),), {"branches"}),
    (repeated_subexpression, (1.5, 2.0), {"cse"}),
    (plus_zero, (1.5,), {"rules"}),
])
def test_the_differential_programs_exercise_their_pass(fn, args, expected):
    """The programs above test a pass only if it fires on them; at O0 none runs."""
    logs = _pass_log(fn, *args, level="O1")
    assert {name for name, changes in logs.items() if changes} >= expected, logs
    assert _pass_log(fn, *args, level="O0") == {}
