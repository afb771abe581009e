"""``np.cumsum``/``np.cumprod`` on the LLVM backend (lowerings/scans.py) against
numpy, bit for bit: numpy's result dtypes (small ints and bools widen to
int64), sequential float accumulation, ``-0.0`` kept, int64 wrap-around, any
layout flattened in C order, and the bailouts where numpy warns (overflow,
``inf - inf``) or its NaN bits are not determined."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bitwise import compare
from difftest import check

DTYPES = ["f8", "f4", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "?"]


def cumsum_(a):
    return np.cumsum(a)


def cumprod_(a):
    return a.cumprod()


def cumsum_axis0(a):
    return a.cumsum(axis=0)


def cumprod_axis_last(a):
    return np.cumprod(a, axis=-1)


FNS = [cumsum_, cumprod_]


def _data(rng, n, dtype, fn):
    dt = np.dtype(dtype)
    if dt.kind == "f":
        if fn is cumprod_:  # stay finite over thousands of factors
            return (1.0 + rng.standard_normal(n) / 64).astype(dt)
        return (rng.standard_normal(n) * 10.0 ** rng.integers(-6, 6, n)).astype(dt)
    if dt.kind == "b":
        return rng.integers(0, 2, n).astype(dt)
    info = np.iinfo(dt)
    return rng.integers(info.min, info.max, n, dtype=dt, endpoint=True)


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn", FNS, ids=lambda f: f.__name__)
def test_bitwise(fn, dtype):
    """Native, no bailout: ints wrap in the widened dtype (int64 sums of random
    int64s overflow all the time), floats add in order."""
    rng = np.random.default_rng(hash((fn.__name__, dtype)) % 2 ** 32)
    for n in [0, 1, 2, 7, 100, 1001]:
        a = _data(rng, 3 * n, dtype, fn)
        compare(fn, a[:n])
        compare(fn, a[::3])
        compare(fn, a[::-1][:n])


@pytest.mark.parametrize("fn", [cumsum_axis0, cumprod_axis_last], ids=lambda f: f.__name__)
def test_axis_of_1d_is_the_flat_scan(fn):
    compare(fn, np.arange(1.0, 9.0))
    compare(fn, np.arange(9, dtype=np.int32)[::-2])


def cumsum_axis1(a):
    return np.cumsum(a, axis=1)


def cumprod_axis_neg3(a):
    return a.cumprod(axis=-3)


@pytest.mark.parametrize("fn", [cumsum_axis0, cumprod_axis_last, cumsum_axis1],
                         ids=lambda f: f.__name__)
def test_axis_of_c_contiguous_arrays(fn):
    """Each line along the axis scanned into a C-ordered result; an F-ordered or
    strided input stays on numpy (its result follows the input's memory order)."""
    rng = np.random.default_rng(21)
    for shape in [(3, 4), (1, 6), (5, 1), (0, 3), (3, 0), (2, 3, 4), (2, 0, 3)]:
        for dtype in ["f8", "f4", "i1", "u4", "?"]:
            a = _data(rng, int(np.prod(shape)), dtype, cumprod_).reshape(shape)
            compare(fn, a)
            compare(fn, np.asfortranarray(a), backend=None)
            compare(fn, a[..., ::2], backend=None)
    compare(cumprod_axis_neg3, rng.integers(-9, 9, (3, 4, 5)))
    compare(fn, np.array([[1e308, 1e308], [1e308, 1.0]]), bailout=True)  # overflow
    compare(fn, np.array([[np.nan, 1.0], [2.0, np.inf]]))  # carried along: no warning


@pytest.mark.parametrize("fn", FNS, ids=lambda f: f.__name__)
def test_multidimensional_in_c_order(fn):
    rng = np.random.default_rng(7)
    for shape in [(3, 4), (17, 9), (2, 3, 5), (0, 4), (4, 0, 2), ()]:
        a = _data(rng, int(np.prod(shape)), "f8", cumprod_).reshape(shape)
        compare(fn, a)
        compare(fn, np.asfortranarray(a))
        compare(fn, a.T)
        if a.ndim:
            compare(fn, a[..., ::2])
            compare(fn, a[::-1])
        b = (a * 100).astype(np.int16)
        compare(fn, b.T)


@pytest.mark.parametrize("level", ["O0", "O2"])
@pytest.mark.parametrize("fn", FNS, ids=lambda f: f.__name__)
def test_levels(fn, level):
    rng = np.random.default_rng(3)
    compare(fn, _data(rng, 50, "f8", cumprod_).reshape(5, 10).T, level=level)
    compare(fn, _data(rng, 50, "i4", fn)[::-2], level=level)
    compare(fn, _data(rng, 50, "?", fn), level=level)


def test_signed_zeros():
    """numpy copies the first element: a leading -0.0 stays -0.0."""
    for a in ([-0.0], [-0.0, -0.0], [-0.0, 0.0, -0.0], [0.0, -0.0], [-1.0, 0.0]):
        for dtype in ("f8", "f4"):
            compare(cumsum_, np.array(a, dtype))
            compare(cumprod_, np.array(a, dtype))


def test_nan_and_inf_carried_natively():
    """A NaN or infinity from the input propagates without a warning: native."""
    nan2 = np.frombuffer(np.uint64(0x7FF8_0000_0000_0001).tobytes(), np.float64)[0]
    for a in ([1.0, np.nan, 2.0], [np.inf, 1.0, 2.0], [-np.inf, -1.0], [np.nan, np.nan],
              [-np.nan, 3.0], [nan2, 1.0, nan2], [np.inf, np.inf]):
        for dtype in ("f8", "f4"):
            compare(cumsum_, np.array(a, dtype))
    for a in ([1.0, np.nan, 2.0], [np.inf, 2.0, -3.0], [np.nan, np.nan], [-np.nan, 0.0]):
        compare(cumprod_, np.array(a))


def test_bailouts_where_numpy_warns_or_nan_bits_are_open():
    big = np.finfo(np.float64).max
    nan2 = np.frombuffer(np.uint64(0x7FF8_0000_0000_0001).tobytes(), np.float64)[0]
    snan = np.frombuffer(np.uint64(0x7FF0_0000_0000_0001).tobytes(), np.float64)[0]
    cases = [
        (cumsum_, [big, big]),                  # overflow
        (cumsum_, [np.inf, -np.inf]),           # invalid
        (cumsum_, [np.nan, 1.0, -np.nan]),      # two NaNs of different bits
        (cumsum_, [1.0, nan2, np.nan]),
        (cumsum_, [1.0, snan]),                 # a signalling NaN
        (cumprod_, [1e200, 1e200]),             # overflow
        (cumprod_, [np.inf, 0.0]),              # invalid
        (cumprod_, [0.0, -np.inf]),
    ]
    for fn, a in cases:
        compare(fn, np.array(a), bailout=True)
    compare(cumsum_, np.array([3e38, 3e38], "f4"), bailout=True)


def test_int64_wraps():
    m = np.iinfo(np.int64).max
    compare(cumsum_, np.array([m, 1, m, m], np.int64))
    compare(cumprod_, np.array([2 ** 40, 2 ** 40, -3], np.int64))
    compare(cumsum_, np.array([2 ** 64 - 1, 5], np.uint64))
    compare(cumsum_, np.array([2 ** 31 - 1, 2 ** 31 - 1], np.int32))  # widened: no wrap


def cumsum_twice(a):
    """The result is a new array: writing into it leaves ``a`` alone."""
    c = np.cumsum(a)
    c[0] = 100
    return c, a


def test_result_is_a_new_array():
    compare(cumsum_twice, np.arange(5.0))


def row_totals(m):
    out = np.empty(m.shape[0], dtype=np.int64)
    for i in range(m.shape[0]):
        out[i] = np.cumsum(m[i])[m.shape[1] - 1] + np.cumprod(m[i] % 3)[0]
    return out


def test_in_a_compiled_loop():
    """Scans inside a native loop, at every level and on the numpy backend."""
    m = np.random.default_rng(12).integers(-50, 50, (15, 9)).astype(np.int32)
    jf = check(row_totals, m)
    specs = [s for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]
    assert specs and all(s.backend == "llvm" for s in specs), [(s.backend, s.note) for s in specs]
    check(row_totals, m.T)
    check(row_totals, m[:0])


VIEWS = {
    "whole": lambda a: a,
    "step2": lambda a: a[::2],
    "reversed": lambda a: a[::-1],
    "T": lambda a: a.T,
    "cols2": lambda a: a[..., ::2],
}


AXIS_FNS = [cumsum_axis0, cumprod_axis_last, cumsum_axis1]


@given(a=hnp.arrays(st.sampled_from(DTYPES),
                    hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=12)),
       view=st.sampled_from(sorted(VIEWS)),
       fn=st.sampled_from(FNS + AXIS_FNS),
       level=st.sampled_from(["O0", "O1", "O2"]))
def test_hypothesis(a, view, fn, level):
    """Any data of any dtype (NaN, inf, -0.0, extreme ints), any view, flat or
    along an axis: numpy's outcome and warnings; the flat scans always native."""
    v = VIEWS[view](a) if a.ndim else a
    if fn in AXIS_FNS:
        assume(v.ndim >= 2)
    compare(fn, v, level=level, bailout=None, backend="llvm" if fn in FNS else None)
