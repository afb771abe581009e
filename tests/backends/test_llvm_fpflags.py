"""numpy's floating-point warnings from native code (backends/llvm/fpflags.py,
Note [floating-point flags and checkpoints]) and its integer ones (lower.py,
Note [numpy integer scalars warn]; // and % by zero): the same warnings, at the same
lines, as CPython running numpy; ``np.errstate`` honoured ('raise' raises
FloatingPointError where CPython does, 'ignore' stays quiet); results, argument
side effects and printed output as difftest compares them.
"""
from __future__ import annotations

import re
import warnings

import numpy as np
import pytest

import pyjit
from pyjit.backends.llvm import fpflags

from difftest import check

pytestmark = pytest.mark.skipif(not fpflags.supported(), reason="flags are read on x86-64 only")


def sum_squares(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * a[i]
    return s


def reciprocals(a, out):
    for i in range(a.shape[0]):
        t = 1.0 / a[i]
        out[i] = t                  # a write: the checkpoint moves past it
    return out


def kernel(a, b, n):
    for _ in range(n):
        c = a / b
    return c


def logs_then_write(a, out):
    for i in range(a.shape[0]):
        out[i] = 0.0
        v = np.log(a[i])            # -inf (divide) or nan (invalid)
        out[i] = v
    return out


def mixed(a, n):
    k = 0
    total = np.float64(0.0)
    for i in range(n):
        k += 1
        total = total + np.sqrt(a[i % a.shape[0]] - 1.0)
    return total, k


def python_floats(x, n):
    s = x
    for _ in range(n):
        s = s * 1e300               # Python floats: inf without a word
    return s


def array_writes(a, b, out, n):
    for _ in range(n):
        out[1:] = a[1:] / b[:-1]    # an array write: tested before, exact
        out[0] = 1.0
    return out


def int_scalars(a, n, d):
    s = np.int64(1)
    u = np.uint8(3)
    t = a[0]
    for i in range(n):
        s = s * a[i]                # overflow encountered in scalar multiply
        u = u - np.uint8(i)         # ... in scalar subtract
        t = a[i] // d               # divide by zero ... in scalar floor_divide
        t = -t                      # MIN: overflow in scalar negative
    return s, u, t


def int_arrays(a, d, n):
    for _ in range(n):
        c = a // d                  # zero: divide; MIN // -1: overflow
        e = a % d
    return c, e


# Element writes in a loop are not tested before (Note [element writes in loops]):
# a flag raised before one is seen later, and its warning is lost.
ELEMENT_WRITES = [
    (reciprocals, lambda: (np.array([1.0, 0.0, 2.0, -0.0]), np.zeros(4))),
    (logs_then_write, lambda: (np.array([1.0, 0.0, -1.0, 2.0]), np.ones(4))),
]

CASES = [
    (sum_squares, lambda: (np.array([1.0, 1e200, 2.0]),)),
    (sum_squares, lambda: (np.array([1.0, 2.0]),)),
    (reciprocals, lambda: (np.array([1.0, 3.0, 2.0, -4.0]), np.zeros(4))),
    (kernel, lambda: (np.array([1.0, 0.0]), np.array([0.0, 0.0]), 2)),
    (kernel, lambda: (np.array([1.0, 2.0]), np.array([4.0, 8.0]), 2)),
    (array_writes, lambda: (np.array([1.0, 0.0, 2.0]), np.array([0.0, 1.0, 0.0]), np.zeros(3), 2)),
    (mixed, lambda: (np.array([2.0, 0.5, 5.0]), 5)),
    (python_floats, lambda: (1.0, 3)),
    (int_scalars, lambda: (np.array([2**40, 2**40, 3], dtype=np.int64), 3, np.int64(0))),
    (int_scalars, lambda: (np.array([5, -2**63, 1], dtype=np.int64), 2, np.int64(1))),
    (int_scalars, lambda: (np.array([5, 6, 7], dtype=np.int64), 3, np.int64(2))),
    (int_arrays, lambda: (np.array([-2**63, 5, 7]), np.array([-1, 0, 2]), 2)),
    (int_arrays, lambda: (np.array([9, 5, 7], dtype=np.int32), np.array([2, 3, 4], dtype=np.int32), 2)),
]


def _observe(fn, make, errstate):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with np.errstate(**errstate):
            try:
                args = make()
                result, exc = fn(*args), None
            except FloatingPointError as e:
                args, result, exc = None, None, str(e)
    return ([(str(w.message), w.category, w.lineno) for w in caught], exc,
            repr(result), repr(args))


@pytest.mark.parametrize("errstate", [{}, {"all": "raise"}, {"all": "ignore"},
                                      {"divide": "raise", "invalid": "ignore"}],
                         ids=["default", "raise", "ignore", "mixed"])
@pytest.mark.parametrize("fn, make", CASES, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES)])
def test_warnings_and_errstate_as_in_cpython(fn, make, errstate):
    jf = pyjit.jit(fn, backend="llvm")
    jf(*make())  # compile
    specs = [s for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]
    assert all(s.backend == "llvm" for s in specs), [(s.backend, s.note) for s in specs]
    assert _observe(jf, make, errstate) == _observe(fn, make, errstate)


@pytest.mark.parametrize("fn, make", ELEMENT_WRITES, ids=[c[0].__name__ for c in ELEMENT_WRITES])
def test_element_writes_in_loops_keep_results_and_may_lose_warnings(fn, make):
    jf = pyjit.jit(fn, backend="llvm")
    jf(*make())
    got, want = _observe(jf, make, {}), _observe(fn, make, {})
    assert got[1:] == want[1:]                          # results and arguments
    assert all(w in want[0] for w in got[0])            # no warning CPython would not give
    assert _observe(jf, make, {"all": "ignore"}) == _observe(fn, make, {"all": "ignore"})


@pytest.mark.parametrize("fn, make", CASES + ELEMENT_WRITES,
                         ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CASES + ELEMENT_WRITES)])
def test_differential(fn, make):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check(fn, *make())


def test_flags_are_tested_at_writes_and_exits_only():
    """No per-operation cost: a loop without writes tests the flags at its exits
    (the ``leave*.fp`` blocks, and a hoisted bounds check's exit before the
    loop), a loop with array writes also before each, a loop writing elements
    not before those (Note [element writes in loops])."""
    for fn, make, per_write in ((sum_squares, lambda: (np.arange(4.0),), False),
                                (reciprocals, lambda: (np.arange(1.0, 5.0), np.zeros(4)), False),
                                (array_writes, lambda: (np.ones(3), np.ones(3), np.zeros(3), 2), True)):
        jf = pyjit.jit(fn, backend="llvm")
        jf(*make())
        (spec,) = [s for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]
        text = spec.entry.ir
        leaves = len(re.findall(r'^"?leave[^:\s]*"?:', text, re.M))
        before_writes = len(re.findall(r'^"?fp\.ok[^:\s]*"?:', text, re.M))
        assert leaves >= 1 and (before_writes > 0) is per_write, (fn.__name__, leaves, before_writes)
        # a hoisted bounds check that fails leaves before the loop: through the checkpoint
        # if a flag is up (lower.py, _hoist_checks)
        hoisted = len(re.findall(r'^"?hoist\.exit\d+\.store"?:', text, re.M))
        # one read to clear on entry, one per leave block, per write and per hoisted
        # check's exit: none elsewhere
        assert text.count('call void @"llvm.x86.sse.stmxcsr"') == 1 + leaves + before_writes + hoisted


def test_flags_before_the_region_do_not_leak_in():
    """Flags left up by earlier code (CPython never clears them) do not send a
    region back to CPython: it clears them on entry."""
    import ctypes
    jf = pyjit.jit(sum_squares, backend="llvm")
    a = np.arange(4.0)
    jf(a)
    libm = ctypes.CDLL(None)                 # numpy clears the flags after itself: raise them by hand
    libm.feraiseexcept(0x0D)                 # FE_INVALID | FE_DIVBYZERO | FE_OVERFLOW (x86)
    before = sum(r.dispatcher.stats.bailouts for r in jf.__pyjit__.regions)
    assert jf(a) == sum_squares(a)
    assert sum(r.dispatcher.stats.bailouts for r in jf.__pyjit__.regions) == before


def quotient_after_loop(x, y, n):
    k = 0.0
    for _ in range(n):
        k += 1.0
    return x / y, k


def invariant_quotient(x, y, n):
    s = np.float64(0.0)
    for _ in range(n):
        s += x / y          # loop-invariant: LLVM hoists it out of the loop
    return s


def float32_of(x, n):
    k = 0
    for _ in range(n):
        k += 1
    return np.float32(x), k


ARGUMENTS_ONLY = [
    (quotient_after_loop, lambda: (np.float64(1.0), np.float64(0.0), 2)),
    (quotient_after_loop, lambda: (np.float64(0.0), np.float64(0.0), 2)),
    (invariant_quotient, lambda: (np.float64(1.0), np.float64(0.0), 3)),
    (float32_of, lambda: (1e300, 2)),
    (float32_of, lambda: (np.float64(-1e300), 2)),
]


@pytest.mark.parametrize("level", ["O0", "O1", "O2"])
@pytest.mark.parametrize("fn, make", ARGUMENTS_ONLY, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(ARGUMENTS_ONLY)])
def test_flags_of_arithmetic_on_arguments_only(fn, make, level):
    """Float arithmetic on the region's arguments alone: at O1 and O2 the x86 backend
    moved ``x / y`` above a flag clear that followed the arguments' loads, and the
    warning was lost (Note [clearing before the loads])."""
    jf = pyjit.jit(fn, backend="llvm", level=level)
    jf(*make())  # compile
    specs = [s for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]
    assert all(s.backend == "llvm" for s in specs), [(s.backend, s.note) for s in specs]
    for errstate in ({}, {"all": "raise"}):
        assert _observe(jf, make, errstate) == _observe(fn, make, errstate)


def constant_quotient(n):
    k = 0
    for _ in range(n):
        k += 1
    x = np.float64(1.0)
    return x / np.float64(0.0), k


def constant_operations(n):
    k = 0
    for _ in range(n):
        k += 1
    zero = np.float64(0.0)
    big = np.float64(1e308)
    return zero / zero, big * 10.0, np.sqrt(np.float64(-1.0)), np.log(zero), np.float64(2.0) / 0, k


def loop_carried_constant(n):
    x = np.float64(0.0)
    for _ in range(n):
        x = x * np.float64(2.0)   # x stays 0.0: LLVM can prove it, and fold x / x
    return x / x


def constant_in_a_loop(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * (np.float64(1.0) / np.float64(0.0))
    return s


CONSTANTS = [
    (constant_quotient, lambda: (3,)),
    (constant_operations, lambda: (3,)),
    (loop_carried_constant, lambda: (4,)),
    (loop_carried_constant, lambda: (0,)),
    (constant_in_a_loop, lambda: (np.array([1.0, -2.0, 0.0]),)),
]


@pytest.mark.parametrize("level", ["O0", "O1", "O2"])
@pytest.mark.parametrize("fn, make", CONSTANTS, ids=[f"{c[0].__name__}-{i}" for i, c in enumerate(CONSTANTS)])
def test_flags_of_arithmetic_on_constants(fn, make, level):
    """numpy float arithmetic whose operands are all constants: LLVM folded it
    without raising the flags, and numpy's warning was lost at every level (Note
    [constant operands] in fpflags.py)."""
    jf = pyjit.jit(fn, backend="llvm", level=level)
    jf(*make())  # compile
    specs = [s for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]
    assert specs and all(s.backend == "llvm" for s in specs), [(s.backend, s.note) for s in specs]
    for errstate in ({}, {"all": "raise"}, {"divide": "ignore"}):
        assert _observe(jf, make, errstate) == _observe(fn, make, errstate)
