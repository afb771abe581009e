"""``np.var``/``np.std`` on the LLVM backend (lowerings/moments.py) against numpy,
bit for bit: numpy's two-pass algorithm with its pairwise sums, float32's
float64 divisions, ``ddof`` of every sign, views, and the bailouts where numpy
warns (NaN, inf, overflow, ``ddof >= n``, empty arrays)."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bitwise import compare
from difftest import check

SIZES = [1, 2, 7, 8, 9, 16, 17, 127, 128, 129, 136, 255, 256, 257, 1000, 4099]


def var_(a):
    return np.var(a)


def std_(a):
    return a.std()


def var_ddof1(a):
    return a.var(ddof=1)


def std_ddof2(a):
    return np.std(a, ddof=2)


def var_ddof_neg(a):
    return np.var(a, ddof=-3)


def std_ddof_half(a):
    return np.std(a, ddof=0.5)


FNS = [var_, std_, var_ddof1, std_ddof2, var_ddof_neg, std_ddof_half]
DDOF = {var_: 0, std_: 0, var_ddof1: 1, std_ddof2: 2, var_ddof_neg: -3, std_ddof_half: 0.5}


def _data(rng, n, dtype):
    return (rng.standard_normal(n) * 10.0 ** rng.integers(-6, 6, n) + rng.integers(-3, 3)).astype(dtype)


@pytest.mark.parametrize("dtype", ["f8", "f4"])
@pytest.mark.parametrize("fn", FNS, ids=lambda f: f.__name__)
def test_finite_data_natively(fn, dtype):
    """Sizes around the pairwise blocks (8, 128), strided and reversed views:
    the native result, with no bailout, is numpy's to the bit."""
    rng = np.random.default_rng(hash((fn.__name__, dtype)) % 2 ** 32)
    for n in SIZES:
        if n <= DDOF[fn]:
            continue
        a = _data(rng, 3 * n, dtype)
        compare(fn, a[:n])
        compare(fn, a[::3])
        compare(fn, a[::-1][:n])


@pytest.mark.parametrize("level", ["O0", "O2"])
@pytest.mark.parametrize("fn", [var_, std_ddof2], ids=lambda f: f.__name__)
def test_levels(fn, level):
    rng = np.random.default_rng(3)
    for n in [5, 100, 1001]:
        compare(fn, _data(rng, n, "f8"), level=level)
        compare(fn, _data(rng, n, "f4")[::-2], level=level)


@pytest.mark.parametrize("fn", FNS, ids=lambda f: f.__name__)
def test_multidimensional(fn):
    """C- and F-contiguous arrays are one run in memory order; a strided 2-d
    array stays on numpy (it reduces row by row) with the same result."""
    rng = np.random.default_rng(7)
    for shape in [(3, 4), (17, 9), (2, 3, 40), (130, 3)]:
        a = _data(rng, int(np.prod(shape)), "f8").reshape(shape)
        compare(fn, a)
        compare(fn, np.asfortranarray(a))
        compare(fn, a.T)
        compare(fn, a[..., ::2], backend=None)
    compare(fn, np.array(2.5), bailout=DDOF[fn] >= 1)  # 0-d: one element


@pytest.mark.parametrize("fn", FNS, ids=lambda f: f.__name__)
def test_bailouts_where_numpy_warns(fn):
    """Empty arrays, ``ddof >= n``, NaN, inf and overflow: numpy warns (and
    picks a NaN's sign), so the native code bails out and numpy answers."""
    for dtype in ["f8", "f4"]:
        compare(fn, np.zeros(0, dtype), bailout=True)
        if DDOF[fn] >= 1:
            compare(fn, np.ones(int(DDOF[fn]), dtype), bailout=True)  # n - ddof <= 0
        big = np.finfo(dtype).max
        for bad in ([1.0, np.nan, 2.0], [np.inf, 1.0, 0.0], [-np.inf, np.inf, 1.0, 2.0],
                    [big, -big, 0.0, 1.0], [big, big, big, 0.5]):
            compare(fn, np.array(bad * 3, dtype), bailout=True)


@pytest.mark.parametrize("fn", [var_, std_])
def test_signed_zeros_and_tiny_values(fn):
    for a in ([-0.0, -0.0, -0.0], [0.0, -0.0], [5e-324, -5e-324, 0.0], [1e-300] * 9):
        compare(fn, np.array(a))
        compare(fn, np.array(a, "f4"))


def test_int_and_bool_arrays_stay_on_numpy():
    """numpy sums ints cast to float64 in chunks of np.setbufsize's size."""
    jf = compare(var_, np.arange(10), backend="numpy")
    notes = [s.note for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]
    assert any("setbufsize" in n for n in notes), notes
    compare(std_, np.array([True, False, True]), backend="numpy")


def rows_std(m):
    out = np.empty(m.shape[0])
    for i in range(m.shape[0]):
        out[i] = m[i].std() + np.var(m[i], ddof=1)
    return out


def test_in_a_compiled_loop():
    """Per-row moments inside a native loop, at every level and on the numpy
    backend (difftest); a row with a NaN bails out mid-loop and CPython goes on."""
    rng = np.random.default_rng(11)
    m = rng.standard_normal((20, 37))
    jf = check(rows_std, m)
    specs = [s for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]
    assert specs and all(s.backend == "llvm" for s in specs), [(s.backend, s.note) for s in specs]
    m[7, 3] = np.nan
    check(rows_std, m)
    check(rows_std, m[:, ::-2])


def var_all_axes(a):
    return np.var(a, axis=(-1, 0))


def std_axis0(a):
    return a.std(axis=0, ddof=1)


def test_axes_naming_every_dimension():
    """``axis=(0, 1)`` of a 2-d array, ``axis=0`` of a 1-d one: the full reduction."""
    rng = np.random.default_rng(2)
    m = _data(rng, 360, "f8").reshape(40, 9)
    compare(var_all_axes, m)
    compare(var_all_axes, np.asfortranarray(m))
    compare(var_all_axes, m.T)
    compare(std_axis0, m[:, 3])
    compare(std_axis0, m[::-1, 2].astype("f4"))


def var_axis(a):
    return a.var(axis=0)


def test_axis_stays_on_numpy():
    compare(var_axis, np.arange(12.0).reshape(3, 4), backend=None)
    compare(var_axis, np.arange(12.0), backend=None)


VIEWS = {
    "whole": lambda a: a,
    "step2": lambda a: a[::2],
    "reversed": lambda a: a[::-1],
    "T": lambda a: a.T,
}


@given(a=hnp.arrays(st.sampled_from([np.float64, np.float32]),
                    hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=40)),
       view=st.sampled_from(sorted(VIEWS)),
       fn=st.sampled_from(FNS))
def test_hypothesis(a, view, fn):
    """Any float data (NaN, inf, -0.0, subnormals, huge values), any of the
    views: numpy's outcome, warnings included; native unless a strided 2-d."""
    v = VIEWS[view](a)
    native = v.ndim == 1 or v.flags.c_contiguous or v.flags.f_contiguous
    compare(fn, v, backend="llvm" if native else None, bailout=None)


@given(data=st.data(), dtype=st.sampled_from(["f8", "f4"]), fn=st.sampled_from(FNS),
       view=st.sampled_from(sorted(VIEWS)))
def test_hypothesis_finite_natively(data, dtype, fn, view):
    """Moderate finite data (subnormals and -0.0 included): computed natively,
    bailing out exactly when the array is empty or ``n <= ddof``."""
    width = 64 if dtype == "f8" else 32
    a = data.draw(hnp.arrays(dtype, hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=300),
                             elements=st.floats(-1e6, 1e6, width=width)))
    v = VIEWS[view](a)
    if not (v.ndim == 1 or v.flags.c_contiguous or v.flags.f_contiguous):
        v = np.ascontiguousarray(v)
    compare(fn, v, bailout=v.size == 0 or v.size <= DDOF[fn])
