"""Array reductions on the LLVM backend (lowerings/reductions.py) against numpy,
bit for bit: pairwise float sums, NaN and signed zeros in min/max, empty arrays,
views, every int and float dtype, sizes around the 8/128 pairwise blocks.
Also: the range-loop facts of facts.py keep every check that can fail, and the
engine's verifier rejects a broken module."""

import math

import numpy as np
import pytest

import pyjit

DTYPES = ["f8", "f4", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "?"]
SIZES = [1, 7, 8, 9, 16, 17, 127, 128, 129, 136, 255, 256, 257, 1000, 4099]


def sum_(a):
    return a.sum()


def prod_(a):
    return np.prod(a)


def mean_(a):
    return a.mean()


def min_(a):
    return a.min()


def max_(a):
    return np.max(a)


def argmin_(a):
    return a.argmin()


def argmax_(a):
    return np.argmax(a)


FNS = [sum_, prod_, mean_, min_, max_, argmin_, argmax_]


def _array(dtype, n, rng, special):
    dt = np.dtype(dtype)
    if dt.kind == "f":
        a = (rng.standard_normal(n) * 10.0 ** rng.integers(-8, 8, n)).astype(dt)
        if special and n:
            picks = rng.integers(0, n, max(1, n // 10))
            a[picks] = rng.choice(np.array([np.nan, -np.nan, np.inf, -np.inf, 0.0, -0.0], dt),
                                  len(picks))
        return a
    if dt.kind == "b":
        return rng.integers(0, 2, n).astype(dt)
    info = np.iinfo(dt)
    return rng.integers(info.min, info.max, n, dtype=dt, endpoint=True)


def _outcome(fn, a):
    try:
        with np.errstate(all="ignore"):
            r = fn(a)
    except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
        return ("raised", type(e), str(e))
    return ("value", type(r), np.asarray(r).dtype, np.asarray(r).tobytes())


_JITTED: dict = {}


def _compare(fn, a, expect_llvm=True):
    """One jitted function per Python function (each array type compiles once),
    whose every specialization must be native; a fresh one for the fallbacks."""
    if expect_llvm:
        jf = _JITTED.get(fn) or _JITTED.setdefault(fn, pyjit.jit(fn, backend="llvm"))
    else:
        jf = pyjit.jit(fn, backend="llvm")
    want = _outcome(fn, a)
    got = _outcome(jf, a)
    assert got == want, f"{fn.__name__} of {a.dtype}[{a.shape}] {a.strides}: {got} != {want}"
    if expect_llvm:
        specs = [s for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]
        assert specs and all(s.backend == "llvm" for s in specs), [s.note for s in specs]
    return jf


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn", FNS, ids=lambda f: f.__name__)
def test_reductions_bitwise(fn, dtype):
    if fn is mean_ and np.dtype(dtype).kind != "f":
        pytest.skip("the mean of an int array stays on numpy (buffered float64 casts)")
    rng = np.random.default_rng(hash((fn.__name__, dtype)) % 2 ** 32)
    for n in SIZES:
        for special in (False, True):
            a = _array(dtype, n, rng, special)
            _compare(fn, a)
            _compare(fn, a[::3])          # strided view
            _compare(fn, a[::-1])         # negative stride


@pytest.mark.parametrize("fn", FNS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("dtype", ["f8", "f4", "i8", "u1"])
def test_empty(fn, dtype):
    """min/max/argmin/argmax of nothing raise numpy's ValueError (through a
    bailout); the mean warns and is nan; sum and prod are the identities."""
    if fn is mean_ and dtype[0] != "f":
        pytest.skip("int mean stays on numpy")
    _compare(fn, np.zeros(0, dtype=dtype))


@pytest.mark.parametrize("fn", [min_, max_])
def test_signed_zeros_and_nan_payloads(fn):
    """Which of several equal elements numpy's SIMD min/max returns depends on
    lane order: those cases bail out and numpy answers."""
    rng = np.random.default_rng(5)
    for n in [2, 3, 9, 17, 100, 1001]:
        for _ in range(10):
            _compare(fn, rng.choice([0.0, -0.0], n))
            _compare(fn, rng.choice([0.0, -0.0, 1.0, -1.0], n))
            a = rng.standard_normal(n)
            a[rng.integers(0, n, 2)] = [np.nan, -np.nan]
            _compare(fn, a)
            _compare(fn, a.astype("f4"))


@pytest.mark.parametrize("fn", FNS, ids=lambda f: f.__name__)
def test_multidimensional(fn):
    rng = np.random.default_rng(7)
    for shape in [(3, 4), (17, 9), (2, 3, 40), (130, 3)]:
        a = rng.standard_normal(shape)
        _compare(fn, a)                    # C-contiguous: one pass in memory order
        arg = fn in (argmin_, argmax_)  # their flat index is in C order: F stays on numpy
        _compare(fn, np.asfortranarray(a), expect_llvm=not arg)  # F: one pass, memory order
        _compare(fn, a.T, expect_llvm=not arg)
        # strided 2-d and axis reductions stay on numpy, with the same results
        _compare(fn, a[..., ::2], expect_llvm=False)
    b = rng.integers(-100, 100, (30, 7), dtype=np.int32)
    _compare(fn, b, expect_llvm=fn is not mean_)


def axis_sum(a):
    return a.sum(axis=0)


def test_axis_reduction_falls_back():
    jf = _compare(axis_sum, np.arange(12.0).reshape(3, 4), expect_llvm=False)
    specs = [s for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]
    assert any("axis" in s.note for s in specs), [s.note for s in specs]


def histogram(x, bins, counts):
    lo = x.min()
    width = (x.max() - lo) / bins
    for i in range(x.shape[0]):
        k = int((x[i] - lo) / width)
        if k >= bins:
            k = bins - 1
        counts[k] += 1
    return counts


def test_histogram_loop_runs_natively():
    x = np.random.default_rng(6).standard_normal(10_000)
    want = histogram(x, 64, np.zeros(64, dtype=np.int64))
    jf = pyjit.jit(histogram, backend="llvm")
    got = jf(x, 64, np.zeros(64, dtype=np.int64))
    assert np.array_equal(got, want)
    specs = [s for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]
    assert specs and all(s.backend == "llvm" for s in specs), [s.note for s in specs]
