"""Matrix products on the LLVM backend (lowerings/products.py: native code calls
numpy through runtime/products.c) against CPython: ``@``, ``@=``, ``np.matmul``,
``np.dot``, ``a.dot``, ``np.inner``, ``np.vdot``, ``np.outer`` over shapes,
dtypes, strides and empty dimensions; numpy's errors through bailouts; results
feeding fused elementwise code and loops; the disk cache.  Every case must run
native code at every level, and a case numpy accepts must not bail out."""
import contextlib
import io
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import pyjit
from difftest import check
from leakcheck import growth
from pyjit.runtime import native

from test_disk_cache import _entries, _hit, _run, _write, env  # noqa: F401  (env: a fixture)

pytestmark = pytest.mark.skipif(native() is None, reason="products need the native runtime")

rng = np.random.default_rng(11)


def F(*shape, dtype=np.float64):
    return rng.standard_normal(shape).astype(dtype)


def I(*shape, dtype=np.int64):  # noqa: E743
    return rng.integers(-60, 60, shape).astype(dtype)


def _specs(jf):
    return [s for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]


def _bailouts(jf) -> int:
    return sum(r.dispatcher.stats.bailouts for r in jf.__pyjit__.regions)


def llvm_check(fn, *args, bails=False):
    """Differential at every LLVM level; every key native; no bailout unless the
    case makes numpy raise (``bails``)."""
    for level in ("O0", "O1", "O2"):
        jf = check(fn, *args, backends=("llvm",), options={"level": level})
        specs = _specs(jf)
        assert specs and all(s.backend == "llvm" for s in specs), [s.note for s in specs]
        if not bails:
            assert _bailouts(jf) == 0


# ---- the functions ---------------------------------------------------------------

def at(a, b):
    return a @ b


def np_matmul(a, b):
    return np.matmul(a, b)


def np_dot(a, b):
    return np.dot(a, b)


def method_dot(a, b):
    return a.dot(b)


def np_inner(a, b):
    return np.inner(a, b)


def np_vdot(a, b):
    return np.vdot(a, b)


def np_outer(a, b):
    return np.outer(a, b)


MATMUL_CASES = {
    "1d.1d": (F(7), F(7)),                       # a numpy scalar
    "2d@1d": (F(4, 7), F(7)),
    "1d@2d": (F(4), F(4, 3)),
    "2d@2d": (F(5, 6), F(6, 3)),
    "blas": (F(64, 80), F(80, 48)),              # big enough for blocked BLAS sums
    "3d@3d": (F(2, 3, 4), F(2, 4, 5)),
    "3d@2d": (F(3, 2, 4), F(4, 5)),
    "4d@3d": (F(2, 1, 3, 4), F(3, 4, 2)),        # broadcast stacking axes
    "int64": (I(3, 4), I(4, 2)),
    "int32": (I(3, 4, dtype=np.int32), I(4, dtype=np.int32)),
    "uint8 wraps": (I(3, 4, dtype=np.uint8), I(4, 5, dtype=np.uint8)),
    "bool": (F(3, 4) > 0, F(4, 2) > 0),
    "bool 1d.1d": (F(5) > 0, F(5) > 0),
    "int 1d.1d": (I(6), I(6)),
    "float32": (F(5, 6, dtype=np.float32), F(6, dtype=np.float32)),
    "mixed": (I(3, 4), F(4)),
    "strided": (F(6, 8)[::2, 1::2], F(8)[::-2]),
    "transposed": (F(4, 5).T, F(4)),
    "fortran": (np.asfortranarray(F(5, 5)), np.asfortranarray(F(5, 3))),
    "fortran stacked": (np.asfortranarray(F(2, 3, 4)), F(2, 4, 5)),   # result laid out order-K
    "empty rows": (F(0, 3), F(3)),
    "empty inner 1d": (F(3, 0), F(0)),           # zeros
    "empty inner 2d": (F(2, 0), F(0, 4)),
    "empty 1d.1d": (F(0), F(0)),                 # 0.0
    "nan": (np.array([[np.nan, 1.0], [2.0, -0.0]]), np.array([-0.0, 2.0])),  # quiet: no FP error
    "signed zeros": (np.array([[-0.0, -0.0], [0.0, -0.0]]), np.array([0.0, -0.0])),
}

MATMUL_ERRORS = {
    "mismatch": (F(3, 4), F(5)),                 # ValueError from numpy
    "mismatch 2d": (F(3, 4), F(3, 4)),
    "stack mismatch": (F(2, 3, 4), F(3, 4, 5)),
}


@pytest.mark.parametrize("fn", [at, np_matmul])
@pytest.mark.parametrize("case", list(MATMUL_CASES))
def test_matmul(fn, case):
    llvm_check(fn, *MATMUL_CASES[case])


@pytest.mark.parametrize("fn", [at, np_matmul])
@pytest.mark.parametrize("case", list(MATMUL_ERRORS))
def test_matmul_errors(fn, case):
    llvm_check(fn, *MATMUL_ERRORS[case], bails=True)


def test_matmul_of_0d_is_left_to_cpython():
    """numpy refuses a 0-d operand of ``@`` for every value, so the type rule
    does (on its example) and CPython runs the statement and raises."""
    for fn in (at, np_matmul):
        for args in [(np.array(2.0), F(3)), (F(3), np.array(2.0)), (np.array(1), np.array(2))]:
            check(fn, *args, backends=("llvm",))
    check(power_inplace, F(4, 4), F(4), 2, backends=("llvm",))  # @= needs a 2-d right operand


def _operand(draw, shape, dtype):
    """An array of ``shape``: contiguous, transposed, or a strided view."""
    layout = draw(st.sampled_from(["C", "T", "strided"]))
    if layout == "T":
        return np.ascontiguousarray(F(*shape[::-1]).astype(dtype)).T
    if layout == "strided":
        return F(*(2 * n for n in shape)).astype(dtype)[tuple(slice(None, None, 2) for _ in shape)]
    return F(*shape).astype(dtype)


@st.composite
def _products(draw):
    n, k, m, k2 = (draw(st.integers(0, 5)) for _ in range(4))
    k2 = k if draw(st.booleans()) or k2 == k else k2  # sometimes mismatched: ValueError
    dtype = draw(st.sampled_from([np.float64, np.float32, np.int64, np.int32, np.bool_]))
    a_shape = draw(st.sampled_from([(n, k), (k,), (2, n, k)]))
    b_shape = draw(st.sampled_from([(k2, m), (k2,), (2, k2, m)]))
    fn = draw(st.sampled_from([at, np_matmul, np_dot, np_inner, np_vdot, np_outer]))
    return fn, _operand(draw, a_shape, dtype), _operand(draw, b_shape, dtype)


@settings(max_examples=40, deadline=None)
@given(_products())
def test_random_products(case):
    fn, a, b = case
    check(fn, a, b, backends=("llvm",), options={"level": "O1"})


OTHER_CASES = {
    np_dot: [(F(5, 6), F(6, 3)), (F(7), F(7)), (F(2, 3, 4), F(4, 5)), (F(2, 3, 4), F(5, 4, 2)),
             (np.array(2.5), F(3, 4)), (F(3, 4).T, F(3)), (I(3, 4), I(4)), (F(0, 3), F(3, 2))],
    method_dot: [(F(5, 6), F(6)), (I(4), I(4))],
    np_inner: [(F(7), F(7)), (F(3, 4), F(5, 4)), (F(2, 3, 4), F(4)), (I(3, 2), I(2)),
               (F(6)[::2], F(3))],
    np_vdot: [(F(7), F(7)), (F(3, 4), F(4, 3)), (I(5), I(5)), (F(4, 4).T, F(4, 4)), (F(0), F(0))],
    np_outer: [(F(4), F(5)), (F(2, 3), F(4)), (I(3), I(2)), (F(0), F(3)), (F(6)[::-2], F(2))],
}
OTHER_ERRORS = {
    np_dot: [(F(3, 4), F(3, 4)), (F(3), F(4))],
    np_inner: [(F(3, 4), F(3, 5))],
    np_vdot: [(F(3), F(4))],
}


@pytest.mark.parametrize("fn, a, b", [(fn, a, b) for fn, cases in OTHER_CASES.items()
                                      for a, b in cases])
def test_other_products(fn, a, b):
    llvm_check(fn, a, b)


@pytest.mark.parametrize("fn, a, b", [(fn, a, b) for fn, cases in OTHER_ERRORS.items()
                                      for a, b in cases])
def test_other_product_errors(fn, a, b):
    llvm_check(fn, a, b, bails=True)


def _caught(fn, *args):
    out = io.StringIO()
    with warnings.catch_warnings(record=True) as caught, contextlib.redirect_stdout(out):
        warnings.simplefilter("always")
        try:
            result, exc = fn(*args), None
        except FloatingPointError as e:
            result, exc = None, e
    return (result, repr(exc), [(w.category, str(w.message), w.filename, w.lineno) for w in caught],
            out.getvalue())


FP_ERRORS = {  # the errors each case sets, and its operands
    ("invalid", "over"): (np.array([[np.inf, 1.0], [1e300, 2.0]]), np.array([0.0, 1e300])),
    ("under",): (np.full((3, 3), 1e-200), np.full(3, 1e-200)),
}


@pytest.mark.parametrize("errstate", [{"all": "warn"}, {"all": "raise"}, {"all": "ignore"},
                                      {"all": "print"}, {}, {"under": "warn"}, {"invalid": "raise"}])
@pytest.mark.parametrize("case", list(FP_ERRORS))
def test_floating_point_errors_as_cpython(errstate, case):
    """inf * 0, overflow and underflow set numpy's FP flags: numpy warns (naming
    the user's line), raises, prints or ignores each as np.errstate says.  The
    native call raises where numpy would act and bails out, so CPython does it;
    what numpy ignores (underflow, by default) it ignores too, without a bailout."""
    a, b = FP_ERRORS[case]
    for level in ("O0", "O1", "O2"):
        jf = pyjit.jit(at, level=level)
        with np.errstate(**errstate):
            acts = any(np.geterr()[flag] != "ignore" for flag in case)
            expected, got = _caught(at, a, b), _caught(jf, a, b)
            got_again = _caught(jf, a, b)  # through the C dispatcher
        assert repr(got) == repr(expected) and repr(got_again) == repr(expected)
        assert all(s.backend == "llvm" for s in _specs(jf))
        assert (_bailouts(jf) > 0) == acts


# ---- @= ---------------------------------------------------------------------------

# The loops return nothing: difftest compares the arguments afterwards.  (Returning
# B after a loop of in-place ops boxes a new array over B's memory instead of B
# itself, for ``+=`` as for ``@=``: lower._input_aliases does not follow an
# in-place op's result through the loop's block parameter.)
def power_inplace(B, A, n):
    for _ in range(n):
        B @= A


def power_inplace_alias(B, n):
    for _ in range(n):
        B @= B                                   # the operand overlaps the output


def inplace_once(B, A):
    B @= A
    return B                                     # B itself, as in CPython


@pytest.mark.parametrize("B, A", [(F(4, 4) / 2, F(4, 4) / 2), (F(3, 4) / 2, F(4, 4) / 2),
                                  (F(4) / 2, F(4, 4) / 2),
                                  (I(3, 3) % 3, I(3, 3) % 3), (F(2, 3, 3), F(3, 3) / 2),
                                  (np.asfortranarray(F(4, 4)), F(4, 4)), (F(0, 3), F(3, 3))])
def test_imatmul_in_a_loop(B, A):
    llvm_check(power_inplace, B, A, 5)


def test_imatmul_returns_its_target():
    llvm_check(inplace_once, F(3, 4), F(4, 4))


def test_imatmul_with_itself():
    llvm_check(power_inplace_alias, F(5, 5) / 3, 4)


@pytest.mark.parametrize("B, A", [(F(3, 4), F(4, 5)),   # the result would change B's shape
                                  (F(3, 3), F(4, 4))])
def test_imatmul_errors(B, A):
    """Shapes numpy refuses at run time: a bailout, then numpy's ValueError."""
    llvm_check(power_inplace, B, A, 3, bails=True)
    jf = pyjit.jit(power_inplace)
    with pytest.raises(ValueError):
        jf(B.copy(), A, 3)
    assert _bailouts(jf) == 1  # numpy's error, raised by CPython after the bailout


# ---- products inside compiled code ------------------------------------------------

def power_iteration(A, x, n):
    for _ in range(n):
        x = A @ x
        x = x / np.sqrt(x @ x)                   # a scalar result in fused code
    return x, x @ (A @ x)


def fused_consumer(A, x, n):
    total = 0.0
    y = x
    for i in range(n):
        y = np.abs(A @ y) * 0.5 + x              # the product is a leaf of a fused kernel
        total += float(y[i % y.shape[0]])
    return total, y


def outer_update(M, u, v, n):
    for k in range(n):
        M = M + np.outer(u, v) * (0.5 * k)
    return M


def mismatch_midway(A, xs):
    out = 0.0
    for x in xs:
        out += np.dot(A @ x, x)                  # the second x has the wrong length
    return out


def test_power_iteration():
    llvm_check(power_iteration, F(6, 6), F(6), 20)


def test_result_in_fused_code():
    llvm_check(fused_consumer, F(5, 5), F(5), 7)


def test_outer_in_a_loop():
    llvm_check(outer_update, F(3, 4), F(3), F(4), 4)


def test_error_midway_through_a_loop():
    check(mismatch_midway, F(3, 3), [F(3), F(4)], backends=("llvm",))


def test_many_iterations_stay_bit_identical():
    A = F(100, 100) / 10
    x = F(100)

    def loop(A, x):
        for _ in range(200):
            x = A @ x
            x = x / np.sqrt(x @ x)
        return x
    llvm_check(loop, A, x)


# ---- what the exit gives back -----------------------------------------------------

@pytest.mark.parametrize("case", ["2d@2d", "fortran stacked", "empty inner 2d", "empty rows", "3d@2d"])
def test_the_result_is_the_array_numpy_made(case):
    """Shape, strides and ownership of numpy's own result (never recomputed)."""
    a, b = MATMUL_CASES[case]
    expected = a @ b
    jf = pyjit.jit(at)
    got = jf(a, b)
    assert all(s.backend == "llvm" for s in _specs(jf))
    assert got.strides == expected.strides and got.flags.owndata == expected.flags.owndata
    assert got.flags.c_contiguous == expected.flags.c_contiguous
    assert np.array_equal(got, expected)


def test_results_and_wrappers_do_not_outlive_the_call():
    """Every call wraps its operands (ndarray objects over their memory) and keeps
    its results in the call's list: none of it may stay behind."""
    A, x = F(200, 200) / 200, F(200)
    jf = pyjit.jit(power_iteration)
    jf(A, x, 5)

    def loop(n):
        for _ in range(n):
            jf(A, x, 5)
    refs, after, kept = growth(loop, 300, [A, x])
    assert refs == after
    assert kept < 30_000, kept  # 300 calls x 11 products: a leaked wrapper each is ~300 kB


# ---- without the native runtime; the disk cache ----------------------------------

def test_without_the_native_runtime_products_are_not_lowered(monkeypatch):
    from pyjit.backends.llvm import addresses
    import pyjit.runtime
    monkeypatch.setattr(pyjit.runtime, "native", lambda: None)
    with pytest.raises(addresses.Unresolvable):
        addresses.resolve(("product",))

    def loop(A, x, n):
        for _ in range(n):
            x = A @ x
        return x
    A, x = F(3, 3), F(3)
    jf = pyjit.jit(loop)
    assert np.array_equal(jf(A, x, 3), loop(A, x, 3))
    assert not any(s.backend == "llvm" for s in _specs(jf))


def test_code_with_products_allocates():
    from pyjit.backends.llvm import addresses
    assert addresses.allocates([(".addr0", ("product",))])
    assert addresses.allocates([(".addr0", ["product"])])  # as a cache entry may hold it


def _cached_loop(A, x):
    for _ in range(3):
        x = A @ x
    return x, x @ x


def test_cached_in_this_process(monkeypatch, tmp_path):
    """A hit collects the products' arrays (addresses.allocates): no bailout."""
    from pyjit.backends.llvm import cache
    monkeypatch.setenv("PYJIT_CACHE_DIR", str(tmp_path))
    A, x = F(4, 4), F(4)
    expected = _cached_loop(A, x)
    for run in range(2):
        jf = pyjit.jit(_cached_loop, cache=True)
        got = jf(A, x)
        got = jf(A, x)  # the second call through the C dispatcher
        assert np.array_equal(got[0], expected[0]) and got[1] == expected[1]
        assert _bailouts(jf) == 0
        cache.flush()
    assert [s.note for s in _specs(jf)] == ["from disk cache"]


PRODUCTS_SOURCE = """
    import numpy as np

    def f(A, x, u):
        for _ in range(4):
            x = A @ x
            A = A + np.outer(u, x) * 0.25
        return np.dot(A, A) + np.vdot(x, x) * np.outer(x, u)
"""


@pytest.mark.parametrize("linked_by", ["shared library", "MCJIT"])
def test_disk_cache_in_a_new_process(env, linked_by):  # noqa: F811  (env: the fixture)
    args = "(np.random.default_rng(3).standard_normal((5, 5)), np.ones(5), np.arange(5.0))"
    _write(env, PRODUCTS_SOURCE)
    first = _run(env, args=args)
    assert first["miss"] and _entries(env), first
    if linked_by == "MCJIT":
        for p in _entries(env, ".so"):
            p.unlink()
    second = _run(env, args=args)
    assert _hit(env, second), second
    assert second["bits"] == first["bits"]
