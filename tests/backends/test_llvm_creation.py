"""Array creation on the LLVM backend (lowerings/creation.py) against CPython:
shapes, dtypes, fill values and their casts, arange's length and items, and the
errors numpy raises (through bailouts); every case must compile natively."""
import numpy as np
import pytest

import pyjit
from difftest import check
from nativecheck import native


def llvm_check(fn, *args):
    for level in ("O0", "O1", "O2"):
        native(check(fn, *args, backends=("llvm",), options={"level": level}))


def filled(n, m):
    return (np.zeros((n, m)), np.ones(n), np.zeros(n, dtype=np.int32), np.ones((n, m), dtype=bool),
            np.empty((n, m)).shape, np.zeros(()), np.ones((n, 2, m), dtype=np.uint8))


def full(n, x):
    return np.full(n, x), np.full((n, 2), x, dtype=np.float32)


def full_int(n, x):
    return np.full(n, x, dtype=np.int8)


def likes(a):
    return np.zeros_like(a), np.ones_like(a, dtype=np.int16), np.empty_like(a).shape, \
        np.full_like(a, 7)


def used_in_a_loop(n):
    out = np.zeros(n)
    for i in range(n):
        out[i] = i * 0.5
    return out


@pytest.mark.parametrize("n, m", [(3, 4), (0, 5), (1, 0), (-1, 2)])  # -1: ValueError
def test_filled(n, m):
    llvm_check(filled, n, m)


@pytest.mark.parametrize("x", [2.5, -0.0, float("nan"), 3, True, np.float32(1.25), np.int16(-7)])
def test_full(x):
    llvm_check(full, 4, x)


@pytest.mark.filterwarnings("ignore:invalid value encountered in cast")
@pytest.mark.parametrize("x", [5, -128, 300, 2.9, -2.9, float("nan"), float("inf"), np.int64(1000)])
def test_full_casts(x):
    """numpy's unsafe copy into int8: truncation, wrapping numpy ints; Python ints
    out of range, NaN and inf raise or warn in CPython (bailouts)."""
    llvm_check(full_int, 3, x)


@pytest.mark.parametrize("a", [np.arange(6.0).reshape(2, 3), np.arange(5), np.arange(10.0)[::3],
                               np.zeros((0, 3)), np.float64(2.0)])
def test_likes(a):
    llvm_check(likes, a)


def test_results_are_fresh_arrays():
    jf = pyjit.jit(filled, backend="llvm")
    for n, m in ((2, 3), (0, 3)):  # an empty array too: numpy gives it zero strides
        r = jf(n, m)
        assert r[0].base is None and r[0].flags.owndata and r[0].flags.c_contiguous
    native(jf)
    llvm_check(used_in_a_loop, 7)


def arange1(n):
    return np.arange(n)


def arange2(a, b):
    return np.arange(a, b)


def arange3(a, b, c):
    return np.arange(a, b, c)


def arange_float(a, b, c):
    return np.arange(a, b, c, dtype=np.float64)


ARANGE = [(0, 10, 3), (10, 0, -3), (5, 5, 1), (5, 1, 1), (-7, 7, 2), (3, -20, -4), (0, 10, 0),
          (0, 1, 10 ** 12), (-2 ** 62, 2 ** 62, 2 ** 60), (0, 2 ** 53, 2 ** 50)]


@pytest.mark.parametrize("a, b, c", ARANGE)
def test_arange(a, b, c):
    llvm_check(arange3, a, b, c)
    llvm_check(arange_float, a, b, c)
    llvm_check(arange2, a, b)
    llvm_check(arange1, b)


def test_arange_numpy_int_args():
    llvm_check(arange3, np.int64(2), np.int64(11), np.int64(2))


def copies(a):
    return a.copy(), np.copy(a)


@pytest.mark.parametrize("a", [np.arange(12.0).reshape(3, 4), np.arange(12.0).reshape(3, 4)[::-1, ::2],
                               np.arange(10, dtype=np.int8)[::3], np.zeros((0, 2)),
                               np.array([True, False, True])])
def test_copies(a):
    if a.ndim > 1 and not (a.flags.c_contiguous or a.flags.f_contiguous):
        # np.copy keeps a's memory order ('K'), which for a strided n-d view is
        # known only at run time (creation.like_layout: layout A); the LLVM
        # backend allocates C or F arrays only, so the numpy backend runs it
        llvm_check(c_copy, a)
        check(copies, a)
    else:
        llvm_check(copies, a)
    c = pyjit.jit(copies, backend="llvm")(a)[0]
    assert c.flags.owndata and c.flags.c_contiguous and not np.shares_memory(c, a)


def c_copy(a):
    return a.copy()


def flat(a):
    return a.flatten()


def eyes(n, m, k):
    return np.eye(n), np.eye(n, m), np.eye(n, m, k), np.eye(n, m, k, dtype=np.int32), np.identity(n)


@pytest.mark.parametrize("a", [np.arange(12.0).reshape(3, 4)[:, ::-2], np.arange(5), np.zeros((2, 0, 3))])
def test_flatten(a):
    llvm_check(flat, a)


@pytest.mark.parametrize("n, m, k", [(3, 3, 0), (3, 5, 2), (4, 2, -1), (3, 3, 5), (3, 3, -7), (0, 2, 0),
                                     (-1, 2, 0)])  # ValueError
def test_eye(n, m, k):
    llvm_check(eyes, n, m, k)
