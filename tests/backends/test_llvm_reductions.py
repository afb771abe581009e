"""Array reductions on the LLVM backend (lowerings/reductions.py) against numpy,
bit for bit: pairwise float sums, NaN and signed zeros in min/max, empty arrays,
views, every int and float dtype, sizes around the 8/128 pairwise blocks; reductions
along axes in numpy's order (lowerings/axisreduce.py).
Also: the range-loop facts of facts.py keep every check that can fail, and the
engine's verifier rejects a broken module."""

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

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
    """C and F arrays: one pass in memory order (argmin/argmax of F in C order).
    A strided n-d array: the order-free reductions scan it in C order; a float
    sum, mean or product of it stays on numpy (Note [strided float sums])."""
    rng = np.random.default_rng(7)
    ordered = fn in (sum_, prod_, mean_)
    for shape in [(3, 4), (17, 9), (2, 3, 40), (130, 3)]:
        a = rng.standard_normal(shape)
        _compare(fn, a)
        _compare(fn, np.asfortranarray(a))
        _compare(fn, a.T)
        _compare(fn, a[..., ::2], expect_llvm=not ordered)
        _compare(fn, a[::-1, ..., ::3], expect_llvm=not ordered)
        b = rng.integers(-100, 100, shape, dtype=np.int32)
        _compare(fn, b, expect_llvm=fn is not mean_)
        _compare(fn, b[::-1, ..., ::2], expect_llvm=fn is not mean_)
        _compare(fn, np.asfortranarray(b)[::2], expect_llvm=fn is not mean_)


def _axis_fn(op, axis, keepdims):
    ns = {"np": np}
    exec(f"def {op}_axis(a):\n    return np.{op}(a, axis={axis!r}, keepdims={keepdims})\n", ns)
    return ns[f"{op}_axis"]


_AXIS_FNS: dict = {}


def _axis_compare(op, axis, keepdims, a):
    """``np.<op>(a, axis=axis)`` bit for bit; native unless the case is one
    axisreduce.py leaves to numpy (its docstring)."""
    key = (op, axis, keepdims)
    fn = _AXIS_FNS.get(key) or _AXIS_FNS.setdefault(key, _axis_fn(op, axis, keepdims))
    axes = {d % a.ndim for d in (axis if isinstance(axis, tuple) else (axis,))}
    full = len(axes) == a.ndim and not keepdims
    result_ndim = a.ndim if keepdims else a.ndim - len(axes)
    f_result = a.flags.f_contiguous and not a.flags.c_contiguous and result_ndim >= 2
    ordered = a.dtype.kind == "f" and op in ("sum", "mean", "prod")
    strided = not (a.flags.c_contiguous or a.flags.f_contiguous)
    native = not (op == "mean" and a.dtype.kind != "f") and (
        full and (a.ndim == 1 or not strided) or
        not full and not f_result and not (ordered and strided))
    if full and a.ndim > 1 and strided:  # Note [strided float sums]
        native = not ordered and not (op == "mean" and a.dtype.kind != "f")
    return _compare(fn, a, expect_llvm=native)


AXIS_CASES = [((3, 4), 0), ((3, 4), 1), ((3, 4), -1), ((5, 300), 1), ((300, 5), 0),
              ((2, 3, 50), (0, 2)), ((2, 3, 50), 1), ((4, 5, 6), (0, 1)), ((3, 2000), 1),
              ((1, 7), 0), ((7, 1), 1), ((0, 3), 0), ((3, 0), 1), ((2, 3, 4, 5), (1, 3)),
              ((6,), 0), ((2, 3), (0, 1))]


@pytest.mark.parametrize("op", ["sum", "prod", "mean", "min", "max", "argmin", "argmax"])
def test_axis_reductions(op):
    """numpy's order (Note [axis reduction order]): C and F inputs, views, keepdims,
    1-element and empty dimensions, every dtype family."""
    rng = np.random.default_rng(hash(op) % 2 ** 32)
    for shape, axis in AXIS_CASES:
        if op.startswith("arg") and isinstance(axis, tuple):
            continue
        for keepdims in (False, True) if not op.startswith("arg") else (False,):
            for dtype in ["f8", "f4", "i4", "u1", "?"]:
                a = _array(dtype, int(np.prod(shape)), rng, special=False).reshape(shape)
                if op == "prod" and a.dtype.kind == "f":
                    a = (1 + a / 1e9).astype(dtype)
                if op == "mean" and dtype == "?":
                    continue
                _axis_compare(op, axis, keepdims, a)
                _axis_compare(op, axis, keepdims, np.asfortranarray(a))
                if a.ndim > 1:
                    _axis_compare(op, axis, keepdims, a[::-1, ..., ::2])


@pytest.mark.parametrize("op", ["sum", "mean", "min", "max", "argmax"])
def test_axis_special_values(op):
    """NaN results and mixed signed zeros bail out to numpy."""
    rng = np.random.default_rng(2)
    for shape, axis in [((4, 9), 0), ((4, 9), 1), ((3, 200), 1), ((200, 3), 0)]:
        for _ in range(4):
            a = _array("f8", int(np.prod(shape)), rng, special=True).reshape(shape)
            _axis_compare(op, axis, False, a)
            z = rng.choice([0.0, -0.0, 1.0], shape)
            _axis_compare(op, axis, False, z)


_FLOAT_ELEMENTS = st.floats(-1e6, 1e6, width=32) | st.sampled_from([0.0, -0.0, 1e30, np.inf])
_SHAPES = hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=30)


@given(st.sampled_from(["f8", "f4"]).flatmap(lambda d: hnp.arrays(d, _SHAPES, elements=_FLOAT_ELEMENTS))
       | st.sampled_from(["i8", "u2"]).flatmap(lambda d: hnp.arrays(d, _SHAPES)),
       st.sampled_from(["sum", "mean", "prod", "min", "max", "argmin"]), st.integers(-3, 2),
       st.sampled_from(["C", "F", "strided"]), st.booleans())
def test_axis_hypothesis(a, op, axis, layout, keepdims):
    axis %= a.ndim
    if layout == "F":
        a = np.asfortranarray(a)
    elif layout == "strided" and a.ndim > 1:
        a = a[..., ::-1][::2]
    if op.startswith("arg"):
        keepdims = False
    _axis_compare(op, axis, keepdims, a)


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
