"""Regions that make arrays, served by the C dispatcher (runtime/dispatch.c BOX_ARRAY,
BOX_ARG; runtime/arrays.c Note [native allocation]).

The C path must hand back the very objects the Python path would: a fresh array
the call allocated, a live-in returned as it is, a view of either; it must drop
the call's temporaries, and a call nested inside an allocation (an allocator
that itself runs jitted code) must not take the outer call's arrays.
"""
from __future__ import annotations

import numpy as np
import pytest

import pyjit
from pyjit.backends.llvm import kernels
from pyjit.runtime import native

from difftest import check
from leakcheck import growth

pytestmark = pytest.mark.skipif(native() is None, reason="the native runtime is not built")


def fresh(a, b):
    return a * b + 1.0


def two(a, b, dt):
    acc = -a * np.abs(a) - 0.1 * b
    b = b + acc * dt
    return acc, b


def same(a):
    a += 1.0
    return a


def transposed(a, b):
    c = a * b
    return c.T


def temp_twice(a):
    t = a * 2.0          # used twice: materialised, then dropped at the end of the call
    return (t + t).sum()


def _served(fn, *args, calls=5):
    jitted = pyjit.jit(fn)
    for _ in range(calls):
        out = jitted(*args)
    return jitted, out


def test_fresh_arrays_and_tuples_of_them():
    a, b = np.arange(5.0), np.linspace(-1, 1, 5)
    _, out = _served(fresh, a, b)
    assert np.array_equal(out, fresh(a, b)) and out.flags.owndata and out.flags.writeable
    _, (acc, vel) = _served(two, a, b, 0.1)
    ref_acc, ref_vel = two(a, b, 0.1)
    assert np.array_equal(acc, ref_acc) and np.array_equal(vel, ref_vel)
    assert acc is not vel
    check(two, a, b, 0.1)


def test_a_live_in_comes_back_as_itself():
    a = np.arange(4.0)
    jitted = pyjit.jit(same)
    for _ in range(3):
        assert jitted(a) is a
    assert np.array_equal(a, np.arange(4.0) + 3)


def test_a_view_of_a_fresh_array():
    a, b = np.arange(6.0).reshape(2, 3), np.ones((2, 3))
    _, out = _served(transposed, a, b)
    assert out.shape == (3, 2) and np.array_equal(out, transposed(a, b))
    check(transposed, a, b)


def test_temporaries_do_not_outlive_the_call():
    a = np.ones(100_000)
    jitted = pyjit.jit(temp_twice)
    jitted(a)

    def loop(n):
        for _ in range(n):
            jitted(a)
    _, _, kept = growth(loop, 200, [a])
    assert kept < 200_000, kept  # one 800 kB temporary kept per call would be 160 MB


def test_a_call_nested_in_an_allocation_keeps_its_own_arrays():
    inner = pyjit.jit(fresh)
    small = np.arange(3.0)
    inner(small, small)
    seen = []

    def allocator(shape, dtype):
        seen.append(inner(small, small))      # jitted code running inside the outer call
        return np.empty(shape, dtype)

    outer = pyjit.jit(two)
    a, b = np.arange(4.0), np.ones(4)
    outer(a, b, 0.1)
    old = kernels.use_allocator(allocator)
    try:
        acc, vel = outer(a, b, 0.1)
    finally:
        kernels.use_allocator(old)
    ref_acc, ref_vel = two(a, b, 0.1)
    assert np.array_equal(acc, ref_acc) and np.array_equal(vel, ref_vel)
    assert seen and all(np.array_equal(s, fresh(small, small)) for s in seen)


def step_in_place(pos, vel, dt):
    pos += vel * dt
    vel *= 0.5
    return pos, vel


def test_a_tuple_of_live_ins_comes_back_as_themselves():
    """``return pos, vel`` after in-place updates: CPython returns the caller's
    arrays; so must both the C path and the run wrapper (BOX_ARG inside BOX_CALL)."""
    pos, vel = np.arange(4.0), np.ones(4)
    jitted = pyjit.jit(step_in_place)
    for _ in range(3):
        p, v = jitted(pos, vel, 0.1)
        assert p is pos and v is vel
    check(step_in_place, np.arange(4.0), np.ones(4), 0.1)
