"""Array reductions on the LLVM backend (lowerings/reductions.py) against numpy,
bit for bit: pairwise float sums, NaN and signed zeros in min/max, empty arrays,
views, every int and float dtype, sizes around the 8/128 pairwise blocks.
Also: the range-loop facts of facts.py keep every check that can fail, and the
engine's verifier rejects a broken module."""

import math

import numpy as np
import pytest

import pyjit
from pyjit.backends.llvm import engine

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


# ---- range loops: the facts of facts.py never drop a check that can fail -----------------

def index_loop(a, start, stop, step, shift):
    s = 0
    for i in range(start, stop, step):
        s += int(a[i + shift])
    return s


def counter_sum(start, stop, step):
    t = 0
    for i in range(start, stop, step):
        t += i
    return t


@pytest.mark.parametrize("args", [
    (0, 10, 1, 0), (0, 10, 1, 1),        # a[10]: IndexError from a bailout
    (9, -1, -1, 0), (-10, 0, 1, 0),      # negative indexes wrap
    (-11, 0, 1, 0), (0, 10, 3, -20),
])
def test_range_indexing_keeps_bounds_checks(args):
    a = np.arange(10, dtype=np.int64)
    jf = pyjit.jit(index_loop, backend="llvm")
    want, got = _outcome(lambda a: index_loop(a, *args), a), _outcome(lambda a: jf(a, *args), a)
    assert got == want


@pytest.mark.parametrize("args", [
    (0, 1000, 1), (2 ** 63 - 5, 2 ** 63 - 1, 1), (-2 ** 63, -2 ** 63 + 3, 1),
    (-2 ** 63, 2 ** 63 - 1, 2 ** 62), (2 ** 63 - 2, -2 ** 63, -2 ** 62),
    (5, 0, -1), (0, 0, 1),
])
def test_range_items_near_int64_limits(args):
    """Items are exact near the i64 limits; the sum overflows to a big int via a bailout."""
    jf = pyjit.jit(counter_sum, backend="llvm")
    assert jf(*args) == counter_sum(*args)
    r = jf(*args)
    assert type(r) is int


def test_verifier_rejects_broken_modules():
    """engine.compile_ir runs LLVM's verifier: a use not dominated by its
    definition parses, but must not compile."""
    broken = """define i32 @f(i32 %a) {
entry:
  br label %b1
b1:
  %y = add i32 %x, 1
  ret i32 %y
b2:
  %x = add i32 %a, 1
  br label %b1
}"""
    with pytest.raises(RuntimeError, match="dominate"):
        engine.compile_ir(broken, "f")


# ---- hoisted bounds checks (hoist.py): the loop bails out before its first
# iteration exactly when some iteration would fail, and CPython replays it -------------

def shifted_copy(src, dst, lo, hi, shift):
    for j in range(lo, hi):
        dst[j] = src[j + shift] * 2.0
    return dst


def rows(u, out, i):
    for j in range(1, u.shape[1] - 1):
        out[i, j] = u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1]
    return out


def guarded_access(a, n):
    s = 0.0
    for j in range(n):
        if j < a.shape[0]:
            s += a[j]
    return s


def early_break(a, n):
    s = 0.0
    for j in range(n):
        if s > 3.0:
            break
        s += a[j]
    return s


@pytest.mark.parametrize("lo, hi, shift", [
    (0, 10, 0), (0, 10, -1), (0, 10, -10), (0, 10, -11),   # wrap to the end; one too far
    (0, 10, 1), (2, 8, 2), (5, 5, 100), (3, 0, 0),           # a[10] on the last iteration; empty
    (0, 12, 0), (-3, 0, 0), (-11, -5, 0),
])
def test_hoisted_checks_match_cpython(lo, hi, shift):
    """Elements before the failing iteration are written, then IndexError — as in CPython."""
    src = np.arange(10.0)
    want_dst, got_dst = np.zeros(12), np.zeros(12)
    jf = pyjit.jit(shifted_copy, backend="llvm")
    want = _outcome(lambda d: shifted_copy(src, d, lo, hi, shift), want_dst)
    got = _outcome(lambda d: jf(src, d, lo, hi, shift), got_dst)
    assert got == want
    assert np.array_equal(got_dst, want_dst)


@pytest.mark.parametrize("i", [1, 3, 4, 0, -1, 5])
def test_hoisted_checks_in_nested_rows(i):
    u = np.arange(30.0).reshape(5, 6)
    want_out, got_out = np.zeros((5, 6)), np.zeros((5, 6))
    jf = pyjit.jit(rows, backend="llvm")
    assert _outcome(lambda o: jf(u, o, i), got_out) == _outcome(lambda o: rows(u, o, i), want_out)
    assert np.array_equal(got_out, want_out)


@pytest.mark.parametrize("fn", [guarded_access, early_break])
def test_conditional_access_is_not_hoisted(fn):
    """An access that does not run on every iteration keeps its own check: the
    loop runs natively even though n is beyond the array."""
    a = np.ones(5)
    jf = pyjit.jit(fn, backend="llvm")
    assert jf(a, 50) == fn(a, 50)
    exits = [s for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]
    assert exits and all(s.backend == "llvm" for s in exits)


def sqrt_of_squares(a):
    d = 0.0
    for k in range(a.shape[0]):
        d += a[k] * a[k]
    return math.sqrt(d)


def sqrt_of_difference(a):
    d = 0.0
    for k in range(a.shape[0]):
        d += a[k] * a[k] - 1.0
    return math.sqrt(d)


@pytest.mark.parametrize("a", [np.array([3.0, 4.0]), np.array([np.nan, 1.0]), np.array([-np.inf]),
                               np.array([-0.0]), np.zeros(0), np.array([0.5])])
@pytest.mark.parametrize("fn", [sqrt_of_squares, sqrt_of_difference])
def test_sqrt_domain_check_only_where_needed(fn, a):
    """A sum of squares skips math.sqrt's check (facts.py); anything else keeps
    it, and CPython's ValueError comes through the bailout."""
    jf = pyjit.jit(fn, backend="llvm")
    assert _outcome(jf, a) == _outcome(fn, a)
