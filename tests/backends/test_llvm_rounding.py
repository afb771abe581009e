"""``round``, ``np.round`` and ``divmod`` on the LLVM backend
(lowerings/rounding.py) against CPython: ties (exact binary halves, decimal
ties like 2.675 that are not ties in binary), nan/inf/-0.0, huge floats,
``ndigits`` beyond what a double holds, Python ints at the 64-bit edge, numpy
scalars' own ``__round__`` (numpy's algorithm), numpy's ``decimals`` (also on
arrays, in kernels), and divmod's signs and zero divisors."""
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nativecheck import agree


def _looped(body: str, names: str = "a, b"):
    ns = {"np": np}
    exec(f"def f({names}, n=2):\n    k = 0\n    for _ in range(n):\n        k += 1\n"
         f"    return {body}, k\n", ns)
    return ns["f"]


round0 = _looped("round(a)", "a")
round_n = _looped("round(a, b)")
divmod_ = _looped("divmod(a, b)")

SPECIAL = [0.0, -0.0, 0.5, -0.5, 1.5, 2.5, -2.5, 0.125, 0.375, 2.675, 1.005, -1.005, 1234.5,
           1e15 + 0.5, 2.0 ** 52, 2.0 ** 52 + 1, 2.0 ** 63, -2.0 ** 63, 1e300, -1e300, 5e-324,
           math.nan, math.inf, -math.inf, 0.1, 0.7, 123456789.123456789]

floats = st.floats(allow_nan=True, allow_infinity=True)
# decimal ties and near-ties: k / 10**m +- a few ulps
near_ties = st.builds(lambda k, m, u: math.ulp(k / 10 ** m) * u + (k + 0.5) / 10 ** m,
                      st.integers(-10 ** 9, 10 ** 9), st.integers(0, 8), st.integers(-2, 2))


def test_round_to_int():
    for x in SPECIAL + [np.float64(2.5), np.float32(3.5), np.float32(-0.5), np.float32(np.nan),
                        7, -7, True, np.int8(-5), np.uint64(2 ** 64 - 1), np.uint64(5)]:
        agree(round0, x)


@given(floats)
def test_round_to_int_random(x):
    agree(round0, x)


NDIGITS = [0, 1, 2, 3, 5, 10, 15, 16, 17, 22, 23, 300, 323, 324, 400, -1, -2, -5, -15, -22, -23,
           -307, -308, -309, -400,
           -2 ** 63, 2 ** 62]


def test_round_float_digits():
    for x in SPECIAL:
        for n in NDIGITS:
            agree(round_n, x, n)


@given(st.one_of(floats, near_ties), st.one_of(st.integers(-25, 25), st.integers(-400, 400)))
def test_round_float_random(x, n):
    agree(round_n, x, n)


@given(st.integers(-2 ** 63, 2 ** 63 - 1), st.integers(-22, 3))
def test_round_int_random(x, n):
    agree(round_n, x, n)


def test_round_int_edges():
    for x in (0, 5, 15, 25, -15, -25, 149, 150, 250, -250, 2 ** 63 - 1, -2 ** 63, 5 * 10 ** 18,
              5 * 10 ** 18 - 1, -5 * 10 ** 18, 9 * 10 ** 18, 4999999999999999999, True):
        for n in (2, 0, -1, -2, -3, -17, -18, -19, -20, -400, True):  # CPython computes 10**-n
            agree(round_n, x, n)


def test_round_numpy_scalars():
    """numpy's ``__round__`` is ``np.round``: ``round(np.float64(2.675), 2)`` is 2.68."""
    for x in (np.float64(2.675), np.float64(-0.125), np.float64(np.nan), np.float64(1e300),
              np.float32(2.675), np.float32(0.375), np.int64(15), np.int64(25), np.int8(127),
              np.int8(-128), np.uint8(255), np.int64(2 ** 63 - 1), np.uint64(2 ** 64 - 1)):
        for n in (0, 1, 2, -1, -2, 5, 23, -23):
            agree(round_n, x, n)


def _np_round(decimals: int):
    return _looped(f"np.round(a, {decimals})", "a")


NP_DECIMALS = [0, 1, 2, 3, 8, 9, 10, 15, 22, 23, 30, 40, -1, -2, -9, -22, -30]
NP_ROUND = {d: _np_round(d) for d in NP_DECIMALS}


@pytest.mark.parametrize("decimals", NP_DECIMALS)
def test_np_round_scalars(decimals):
    f = NP_ROUND[decimals]
    for x in SPECIAL + [np.float32(2.675), np.float32(1e30), np.float32(-0.5), 7, -15, np.int64(25),
                        np.int8(127), np.int16(-32768), np.uint16(65535), np.uint64(2 ** 64 - 1)]:
        native = not (decimals >= 39 and isinstance(x, np.float32))  # float32(10.**d) is inf
        agree(f, x, native=native)


@given(st.one_of(floats, near_ties, st.floats(width=32).map(np.float32)),
       st.sampled_from(NP_DECIMALS))
def test_np_round_random(x, decimals):
    native = not (decimals >= 39 and isinstance(x, np.float32))
    agree(NP_ROUND[decimals], x, native=native)


def np_round_arrays(a):
    return np.round(a, 2), a.round(), np.round(a * 2, -1), np.around(a, 1)


@pytest.mark.parametrize("dtype", ["f8", "f4", "i8", "i1", "u2"])
def test_np_round_arrays(dtype):
    a = (np.arange(-40, 40) * 0.3125).astype(dtype)
    agree(np_round_arrays, a)
    agree(np_round_arrays, a.reshape(8, 10))


DIVMOD_VALUES = [0, 1, -1, 7, -7, 3, 2 ** 63 - 1, -2 ** 63, 0.0, -0.0, 2.5, -2.5, 1e300, 5e-324,
                 math.inf, -math.inf, math.nan, True, False]


def test_divmod_python():
    for a in DIVMOD_VALUES:
        for b in DIVMOD_VALUES:
            agree(divmod_, a, b)


@given(st.one_of(st.integers(-2 ** 63, 2 ** 63 - 1), floats),
       st.one_of(st.integers(-2 ** 63, 2 ** 63 - 1), floats))
def test_divmod_random(a, b):
    agree(divmod_, a, b)


NUMPY_DIVMOD = [np.int8(-128), np.int8(-1), np.int8(7), np.int8(0), np.uint8(200), np.uint8(0),
                np.int64(-2 ** 63), np.int64(-1), np.int64(-7), np.float64(-7.5), np.float64(0.0),
                np.float64(-0.0), np.float64(np.inf), np.float64(np.nan), np.float32(2.5),
                np.bool_(True), np.bool_(False)]


def test_divmod_numpy():
    """numpy's divmod (wrapping, the divisor's sign, -0.0); zero divisors, ``MIN //
    -1`` and non-finite floats bail out, so numpy's warnings come from numpy."""
    for a in NUMPY_DIVMOD:
        for b in NUMPY_DIVMOD + [3, -2, 2.5]:
            agree(divmod_, a, b)
        agree(divmod_, 3, a)


def test_divmod_arrays_not_lowered():
    agree(divmod_, np.arange(5), 2, native=False)


def inplace_round(a):
    a += np.round(a, 9)
    return a


def inplace_round_int(a):
    a += np.round(a, -1)
    return a


def test_np_round_into_inplace_update():
    """A bailout on the second element must not leave ``a`` half-updated: np.round
    with decimals is not fused into an in-place kernel (at O2 the graph runs
    elsewhere; at O0 np.round writes its own array before the update)."""
    agree(inplace_round, np.array([1.0, 1e300]), native=False)  # 1e300 * 1e9 overflows
    agree(inplace_round_int, np.array([15, 127, 3], dtype=np.int8), native=False)  # 130: no int8
    agree(inplace_round, np.array([1.0, 2.5]), native=False)
