"""``a.astype(dtype)`` (lowerings/casting.py) and ``np.linspace``
(lowerings/linspace.py) on the LLVM backend against CPython: every pair of
dtypes with wrapping, truncation, nan into bool, the platform-defined float to
int cases and float32 overflow (bailouts: numpy computes and warns), strided
sources; linspace's step branches (Note [linspace steps]): empty, one item,
subnormal steps, infinite bounds, integer and bool bounds, negative ``num``."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nativecheck import agree

DTYPES = ["f8", "f4", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "?"]


def _looped(body: str, names: str = "a"):
    """``body`` after a small loop: a region of one call is left to CPython."""
    ns = {"np": np}
    exec(f"def f({names}, n=2):\n    k = 0\n    for _ in range(n):\n        k += 1\n"
         f"    return {body}, k\n", ns)
    return ns["f"]


CASTS = {d: _looped(f"a.astype(np.dtype({d!r}))") for d in DTYPES}


def _source(dtype):
    if dtype == "?":
        return np.array([True, False, True])
    if np.dtype(dtype).kind == "f":
        return np.array([0.0, -0.0, 0.5, -0.9, 1.5, -2.5, 127.0, 128.0, 255.0, -128.0, 65535.0,
                         2.0 ** 31, -2.0 ** 31, 2.0 ** 63 - 2048, 3e38, 5e-324], dtype=dtype)
    info = np.iinfo(dtype)
    return np.array([info.min, info.min + 1, -1 if info.min else 2, 0, 1, min(200, info.max), info.max - 1,
                     info.max], dtype=dtype)


@pytest.mark.parametrize("src", DTYPES)
def test_every_pair(src):
    a = _source(src)
    for dst in DTYPES:
        if np.dtype(src).kind == "f" and np.dtype(dst).kind in "iu":
            info = np.iinfo(dst)
            a_in = a[(a > info.min - 1.0) & (a < info.max + 1.0)]
            agree(CASTS[dst], a_in)
        else:
            agree(CASTS[dst], a)
        agree(CASTS[dst], a.reshape(-1, 1)[::2])  # a strided source, C-ordered result


@pytest.mark.parametrize("x", [math.nan, math.inf, -math.inf, 300.0, -1.5, 2.0 ** 63, -2.0 ** 64,
                               1e300])
def test_platform_values_bail_out(x):
    """numpy's values here are the platform's (or warnings): the region bails out."""
    a = np.array([1.0, x])
    for dst in ("i1", "u1", "i8", "u8", "f4"):
        agree(CASTS[dst], a)


@given(st.lists(st.floats(allow_nan=True, allow_infinity=True), max_size=6),
       st.sampled_from(DTYPES))
def test_floats_random(xs, dst):
    agree(CASTS[dst], np.array(xs, dtype=np.float64))


@given(st.lists(st.integers(-2 ** 63, 2 ** 63 - 1), max_size=6), st.sampled_from(DTYPES))
def test_ints_random(xs, dst):
    agree(CASTS[dst], np.array(xs, dtype=np.int64))


def cast_2d(a):
    # order 'K' of a strided 2-d view is not lowered: numpy picks the memory order at run time
    return a.astype(np.int32), a[::2, 1:].astype(np.float32, order="C"), \
        a.T.astype(np.float64, order="C"), a.T[1:].astype(np.int8, order="A")


def test_layouts():
    agree(cast_2d, np.arange(24.0).reshape(4, 6) - 7.5)
    agree(cast_2d, np.zeros((0, 3)))


def cast_scalar(x, n=2):
    k = 0
    for _ in range(n):
        k += 1
    return x.astype(np.int16), x.astype(np.float32), x.astype(bool), k


def test_scalars():
    for x in (np.float64(-3.75), np.float64(np.nan), np.int64(70000), np.uint8(255),
              np.float32(1e10), np.bool_(True)):
        agree(cast_scalar, x)


cast_f_order = _looped("a.astype(np.float32)")


def test_fortran_order_is_not_lowered():
    a = np.asfortranarray(np.arange(6.0).reshape(2, 3))
    agree(cast_f_order, a, native=False)
    agree(cast_f_order, np.arange(12.0).reshape(3, 4)[:, ::2], native=False)  # 'K' of a view


# ---- linspace --------------------------------------------------------------------------

def lin(a, b, n):
    return (np.linspace(a, b, n), np.linspace(a, b, n, endpoint=False),
            np.linspace(a, b, n, dtype=np.float32))


def lin50(a, b):
    return np.linspace(a, b)


LIN = [(0, 1, 5), (0.0, 1.0, 1), (1.0, 0.0, 0), (-3, 7, 11), (0.0, 1e-320, 5), (0.0, 5e-324, 3),
       (0.0, math.inf, 3), (math.inf, 0.0, 1), (math.nan, 1.0, 4), (True, 10, 7), (1.0, 2.0, -1),
       (0.1, 0.7, 13), (-0.0, -0.0, 1), (-0.0, 0.0, 2), (5.0, 2.0, 1), (np.int8(3), 2.5, 4),
       (np.uint64(2 ** 64 - 1), 0, 9), (np.float64(-1e308), 1e308, 6), (2 ** 62, -2 ** 62, 10),
       (0.0, 1e39, 4)]


@pytest.mark.parametrize("a, b, n", LIN)
def test_linspace_cases(a, b, n):
    agree(lin, a, b, n)
    agree(lin50, a, b)


@given(st.floats(allow_nan=True, allow_infinity=True), st.floats(allow_nan=True,
       allow_infinity=True), st.integers(0, 40))
def test_linspace_random(a, b, n):
    agree(lin, a, b, n)


def lin_int(a, b, n):
    return np.linspace(a, b, n, dtype=np.int64)


def lin_f32(a, b, n):
    return np.linspace(a, b, n)


def test_linspace_not_lowered():
    agree(lin_int, 0, 10, 4, native=False)  # integer dtype: numpy floors
    agree(lin_f32, np.float32(0), np.float32(1), 4, native=False)  # computed in float32
