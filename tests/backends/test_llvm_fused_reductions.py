"""Full reductions of elementwise expressions fused on the LLVM backend
(lowerings/fusedreduce.py, Note [fused reductions]): ``np.sum(a * b)`` and the
like compute the expression as they reduce, and must give numpy's bits, which
numpy gets by reducing the materialised temporary.  Broadcast operands, every
reduction, int/float/bool temporaries, sizes around the pairwise blocks and the
1024-element chunks, bailouts, and a check that nothing is allocated."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import pyjit
from pyjit.backends.llvm import kernels

from allocations import counted


def sum_mul(a, b):
    return np.sum(a * b)


def sum_sq(a, b):
    return ((a - b) ** 2).sum()


def mean_sq(a, b):
    return np.mean((a - b) * (a - b))


def prod_add(a, b):
    return np.prod(a + b)


def max_sub(a, b):
    return (a - b).max()


def min_abs(a, b):
    return np.min(np.abs(a - b))


def argmin_sub(a, b):
    return np.argmin(a - b)


def argmax_add(a, b):
    return (a + b).argmax()


def count_gt(a, b):
    return np.sum(a > b)


def sum_exp(a, b):
    return np.sum(np.exp(a) * b)  # np.exp runs numpy's loop per block


def sum_scaled(a, b):
    return np.sum(a * 0.5 - b)


FNS = [sum_mul, sum_sq, mean_sq, prod_add, max_sub, min_abs, argmin_sub, argmax_add, count_gt,
       sum_exp, sum_scaled]
LEVELS = ("O1", "O2")
ORDERED = (sum_mul, sum_sq, mean_sq, prod_add, sum_exp, sum_scaled)  # float results depend on order


def _outcome(fn, *args):
    try:
        with np.errstate(all="ignore"):
            r = fn(*args)
    except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
        return ("raised", type(e), str(e))
    return ("value", type(r), np.asarray(r).dtype, np.asarray(r).tobytes())


_JITTED: dict = {}


def _compare(fn, a, b, level="O1", native=True):
    """``fn(a, b)`` jitted at ``level`` (one jitted function per fn and level) gives
    numpy's outcome bit for bit, natively unless ``native`` is false."""
    if not native:
        jf = pyjit.jit(fn, backend="llvm", level=level)
        assert _outcome(jf, a, b) == _outcome(fn, a, b)
        return jf
    jf = _JITTED.get((fn, level)) or _JITTED.setdefault(
        (fn, level), pyjit.jit(fn, backend="llvm", level=level))
    want = _outcome(fn, a, b)
    got = _outcome(jf, a, b)
    assert got == want, (f"{fn.__name__} at {level} of {getattr(a, 'dtype', a)}{np.shape(a)} "
                         f"and {getattr(b, 'dtype', b)}{np.shape(b)}: {got} != {want}")
    specs = [s for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]
    assert specs and all(s.backend == "llvm" for s in specs), [s.note for s in specs]
    return jf


def _floats(rng, shape, dtype="f8", special=False):
    a = (rng.standard_normal(shape) * 10.0 ** rng.integers(-3, 3, shape)).astype(dtype)
    if special and a.size:
        flat = a.reshape(-1)
        picks = rng.integers(0, a.size, max(1, a.size // 50))
        flat[picks] = rng.choice(np.array([np.inf, -np.inf, 0.0, -0.0], dtype), len(picks))
    return a


SIZES = [1, 7, 8, 9, 127, 128, 129, 1000, 1024, 1025, 2056, 4099, 100_003]


@pytest.mark.parametrize("level", LEVELS)
@pytest.mark.parametrize("fn", FNS, ids=lambda f: f.__name__)
def test_sizes_1d(fn, level):
    """Around the pairwise leaves (8, 128), the chunks (1024) and the explicit
    stack above them."""
    rng = np.random.default_rng(hash(fn.__name__) % 2 ** 32)
    for n in SIZES:
        a, b = _floats(rng, n), _floats(rng, n)
        if fn is prod_add:
            a, b = 1 + a / 1e4, b / 1e4  # a product that neither overflows nor vanishes
        _compare(fn, a, b, level)
        _compare(fn, a[::2], b[: (n + 1) // 2], level)        # a strided operand
        _compare(fn, a, np.float64(0.25), level)             # a scalar operand


BROADCASTS = [((3, 4), (4,)), ((5, 1), (1, 7)), ((1,), (6,)), ((2, 3, 40), (3, 1)),
              ((40, 60), (40, 60)), ((7, 1, 150), (9, 1)), ((0, 3), (3,)), ((3, 0), (1, 0)),
              ((130, 9), (130, 1))]


@pytest.mark.parametrize("fn", FNS, ids=lambda f: f.__name__)
def test_broadcast_shapes(fn):
    """The temporary's shape is the broadcast shape; numpy reduces it in C order."""
    rng = np.random.default_rng(11)
    for sa, sb in BROADCASTS:
        a, b = _floats(rng, sa), _floats(rng, sb)
        if fn is prod_add:
            a, b = 1 + a / 1e4, b / 1e4
        _compare(fn, a, b)
        _compare(fn, b, a)
        if a.ndim == 2:
            # a strided operand: numpy picks the temporary's memory order at run time,
            # so an order-sensitive float reduction of it is not compiled
            _compare(fn, a.T[::-1].T, b, native=fn not in ORDERED)


@pytest.mark.parametrize("dtype", ["f4", "i1", "i4", "i8", "u1", "u8", "?"])
@pytest.mark.parametrize("fn", [sum_mul, prod_add, max_sub, min_abs, argmin_sub, argmax_add,
                                count_gt, mean_sq], ids=lambda f: f.__name__)
def test_dtypes(fn, dtype):
    """Integer temporaries wrap (sums and products wrap either way), float32 sums
    pair in float32, bool temporaries count."""
    rng = np.random.default_rng(3)
    dt = np.dtype(dtype)
    for shape in [(9,), (130,), (3, 700), (2051,)]:
        if dt.kind == "f":
            a, b = _floats(rng, shape, dtype), _floats(rng, shape[-1:], dtype)
        elif dt.kind == "b":
            a, b = rng.integers(0, 2, shape).astype(dt), rng.integers(0, 2, shape[-1:]).astype(dt)
        else:
            info = np.iinfo(dt)
            a = rng.integers(info.min, info.max, shape, dtype=dt, endpoint=True)
            b = rng.integers(info.min, info.max, shape[-1:], dtype=dt, endpoint=True)
        if fn in (mean_sq,) and dt.kind != "f":
            continue
        # arithmetic on bool arrays has no kernel lowering yet: compared, not required native
        _compare(fn, a, b, native=dt.kind != "b" or fn is count_gt)


@pytest.mark.parametrize("fn", [sum_mul, sum_sq, prod_add, max_sub, min_abs, argmin_sub])
def test_special_values_and_bailouts(fn):
    """NaN results and mixed signed zeros bail out (numpy answers), so do shapes
    that do not broadcast (ValueError) and extremes of nothing (ValueError)."""
    rng = np.random.default_rng(9)
    for n in [3, 17, 300, 3000]:
        a, b = _floats(rng, n, special=True), _floats(rng, n, special=True)
        _compare(fn, a, b)
        a[rng.integers(0, n)] = np.nan
        _compare(fn, a, b)
        _compare(fn, rng.choice([0.0, -0.0], n), np.zeros(n))
        _compare(fn, rng.choice([0.0, -0.0, 1.0], n), -np.zeros(n))
    _compare(fn, np.ones(3), np.ones(4))
    _compare(fn, np.ones(0), np.ones(0))


@pytest.mark.parametrize("fn", [sum_sq, max_sub, argmin_sub, sum_exp, count_gt])
def test_nothing_is_allocated(fn):
    """With every allocation refused, a fused reduction still runs natively with
    no bailout: the temporary is never materialised."""
    def refuse(shape, dtype):
        raise MemoryError("refused by the test")
    rng = np.random.default_rng(4)
    a, b = _floats(rng, (30, 70)), _floats(rng, (70,))
    old = kernels.use_allocator(refuse)
    try:
        jf = pyjit.jit(fn, backend="llvm")
        for _ in range(2):
            assert _outcome(jf, a, b) == _outcome(fn, a, b)
        [region] = jf.__pyjit__.regions
        assert region.dispatcher.stats.bailouts == 0
    finally:
        kernels.use_allocator(old)


def test_f_ordered_temporaries():
    """numpy allocates ``a * 2.0`` of an F-ordered ``a`` in F order and sums it in
    that order: a float sum of it is not fused (and an F-ordered elementwise
    result has no kernel yet, so it runs on numpy); min/max/argmin do not
    depend on the order and are fused: native, with no F-ordered array made."""
    rng = np.random.default_rng(8)
    a = np.asfortranarray(_floats(rng, (300, 7)))
    for fn in [sum_mul, sum_sq, max_sub, argmin_sub, argmax_add]:
        _compare(fn, a, 2.0, native=fn not in ORDERED)


def test_mean_of_float32_beyond_2_24_elements():
    """numpy divides a float32 sum by an intp count in float64: for a count that
    float32 cannot hold, ``f32(s / n)`` differs from ``s / f32(n)``."""
    n = 2 ** 24 + 3
    a = np.full(n, 0.75, dtype=np.float32)
    b = np.float32(0.5)
    _compare(mean_sq, a, b)
    _compare(lambda_mean, a, b)


def lambda_mean(a, b):
    return (a - b).mean()


def _rounded_to(dt):
    """A float as the nearest value of dtype ``dt`` (1e300 in float32 is inf)."""
    def cast(v):
        with np.errstate(over="ignore"):
            return float(np.asarray(v, dt))
    return cast


def _pairs():
    shapes = hnp.mutually_broadcastable_shapes(num_shapes=2, min_dims=1, max_dims=3, max_side=40)
    elems = st.floats(-1e6, 1e6, allow_nan=False, width=64) | st.sampled_from([0.0, -0.0, 1e300, -np.inf])

    @st.composite
    def draw(draw_):
        s = draw_(shapes).input_shapes
        dt = draw_(st.sampled_from(["f8", "f4", "i4", "u1"]))
        arrays, strided = [], False
        for shape in s:
            if np.dtype(dt).kind == "f":
                x = draw_(hnp.arrays(dt, shape, elements=elems.map(_rounded_to(dt))))
            else:
                x = draw_(hnp.arrays(dt, shape))
            if x.ndim >= 2 and draw_(st.booleans()):
                x = x[::-1]  # a non-contiguous operand (numpy picks the temporary's order)
                strided = True
            arrays.append(x)
        return arrays, strided
    return draw()


@given(_pairs(), st.sampled_from([sum_mul, sum_sq, prod_add, max_sub, argmin_sub, argmax_add,
                                  count_gt, mean_sq]))
def test_hypothesis(pair, fn):
    (a, b), strided = pair
    if fn is mean_sq and a.dtype.kind != "f":
        return
    _compare(fn, a, b, native=not (strided and fn in ORDERED and a.dtype.kind == "f"))


def in_loop(a, b, n):
    t = 0.0
    for i in range(n):
        t += np.sum(a * (b + i)) + np.max(a - i)
    return t


@pytest.mark.parametrize("level", LEVELS)
def test_in_a_loop_with_bailouts(level):
    """Fused reductions inside a compiled loop; a NaN result bails out in the
    middle of the loop and CPython finishes it from that statement."""
    rng = np.random.default_rng(12)
    a, b = _floats(rng, 3000), _floats(rng, (3000,))
    jf = pyjit.jit(in_loop, backend="llvm", level=level)
    assert _outcome(jf, a, b, 5) == _outcome(in_loop, a, b, 5)
    a[17] = np.nan
    assert _outcome(jf, a, b, 5) == _outcome(in_loop, a, b, 5)
    [region] = [r for r in jf.__pyjit__.regions if r.dispatcher.cache]
    specs = list(region.dispatcher.cache.values())
    assert all(s.backend == "llvm" for s in specs), [s.note for s in specs]
    assert {(n.op, c.op) for s in specs for n, c in s.graph.fused.items()} >= \
        {("mul", "np.sum"), ("sub", "np.max")}
    assert region.dispatcher.stats.bailouts >= 1


# ---- along trailing axes: each output element reduces a contiguous run ----------------

AXIS_EXPRS = ["((a - b) ** 2).sum(axis=-1)", "np.sum(a * b, axis=(1, 2))", "(a - b).max(axis=-1)",
              "np.argmin(a - b, axis=-1)", "(a * b).mean(axis=-1, keepdims=True)",
              "np.prod(a * 1e-9 + 1.0, axis=-1)", "np.min(np.exp(a) * b, axis=-1)",
              "np.sum(np.exp(a) - b, axis=(-1, -2))", "(a > b).sum(axis=-1)",
              "(a * b).sum(axis=0)", "(a * b).sum(axis=1)"]  # the last two: materialised
AXIS_SHAPES = [((3, 4, 5), (5,)), ((2, 3, 700), (3, 1)), ((1, 1, 1), (1,)), ((4, 0, 3), (3,)),
               ((5, 2, 3000), (2, 3000)), ((2, 2, 1), (1, 1, 9)), ((3, 1, 2), (4, 1))]


def _axis_fn(expr):
    ns = {"np": np}
    exec(f"def f(a, b):\n    return {expr}\n", ns)
    return ns["f"]


@pytest.mark.parametrize("expr", AXIS_EXPRS)
def test_along_trailing_axes(expr):
    """Each output element of a reduction along the trailing axes of a C-ordered
    temporary reduces a contiguous run of it, as numpy does (``0 + pairwise_sum``
    per run): computed on the fly, one allocation (the result)."""
    fn = _axis_fn(expr)
    rng = np.random.default_rng(hash(expr) % 2 ** 32)
    for sa, sb in AXIS_SHAPES:
        for dtype in ["f8", "f4", "i4"]:
            if "exp" in expr and dtype == "i4" or "mean" in expr and dtype == "i4":
                continue
            a = _floats(rng, sa, dtype) if dtype[0] == "f" else rng.integers(-99, 99, sa).astype(dtype)
            b = _floats(rng, sb, dtype) if dtype[0] == "f" else rng.integers(-99, 99, sb).astype(dtype)
            _compare(fn, a, b)
    for level in LEVELS:
        a, b = _floats(rng, (6, 7, 300)), _floats(rng, (300,))
        with counted() as allocated:
            _compare(fn, a, b, level)
        fused = "axis=0" not in expr and "axis=1)" not in expr
        assert len(allocated) == (1 if fused else 2), (expr, level, allocated)


SHORT_ROW_EXPRS = ["((a - b) ** 2).sum(axis=-1)", "(a * b).mean(axis=-1)",
                   "(a * b).sum(axis=-1, keepdims=True)", "np.sum(a + b, axis=2)"]
SHORT_ROW_FNS = {e: _axis_fn(e) for e in SHORT_ROW_EXPRS}
_SPECIAL = [0.0, -0.0, 1.0, -1.5, 1e308, -1e308, np.inf, -np.inf, np.nan, 3e-310]


@settings(max_examples=80, deadline=None)
@given(expr=st.sampled_from(SHORT_ROW_EXPRS), dtype=st.sampled_from(["f8", "f4"]),
       outer=st.tuples(st.integers(0, 3), st.integers(1, 3)), run=st.integers(0, 10),
       data=st.data())
def test_short_rows(expr, dtype, outer, run, data):
    """Rows of fewer than 8 elements are summed from 0.0 as they are computed
    (fusedreduce._pairwise_row), longer ones through the buffer: both give
    numpy's bits, signed zeros, infinities and overflow included."""
    shape = outer + (run,)
    n = int(np.prod(shape))
    values = data.draw(st.lists(st.one_of(st.sampled_from(_SPECIAL), st.floats(-1e3, 1e3)),
                                min_size=2 * n, max_size=2 * n))
    a = np.array(values[:n], dtype=dtype).reshape(shape)
    b = np.array(values[n:], dtype=dtype).reshape(shape)
    _compare(SHORT_ROW_FNS[expr], a, b, "O2")
