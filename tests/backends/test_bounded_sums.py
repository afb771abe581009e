"""Bounded sums (backends/llvm/deferred.py, Note [bounded sums]): an int
accumulator of an innermost loop adds without a check per item; the region ORs
the magnitudes of what it adds, counts the additions, and where it leaves tests
``(C + 1) * (A + 1) <= 2**63 - 1``.  When the bound fails, the same graph with
every check (the ``.exact`` function) re-runs the region natively.

Checked: which graphs are bounded; that the loop has no overflow branch and is
vector code; and, bit for bit with numpy's warnings, sums that stay in range,
that cancel after big items (the bound fails, the exact code finishes without a
bailout), and that overflow (the exact code bails out where CPython warns).
"""
from __future__ import annotations

import ctypes
import re

from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

import pyjit
from pyjit.backends.llvm import deferred, engine
from pyjit.backends.llvm.facts import Facts
from pyjit.backends.llvm.fpflags import plan as checkpoint_plan
from pyjit.ir.verify import reverse_postorder
from pyjit.passes.graphutil import natural_loops

from bitwise import compare, jitted, outcome
from difftest import check
from test_deferred_overflow import accumulate, count_iterations

BIG = 2 ** 62
MAX = 2 ** 63 - 1

# the first call of bitwise.compare (compiling) is outside its record of warnings
pytestmark = pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")


def int_sum(a):
    s = 0
    for i in range(a.shape[0]):
        s += a[i]
    return s


def sum_from(a, s):
    for i in range(a.shape[0]):
        s += a[i]
    return s


def net(a, b):
    s = 0
    t = 0
    for i in range(a.shape[0]):
        s -= a[i]
        t += b[i] - a[i]
    return s, t


def spread(a, b):
    t = 0
    for i in range(a.shape[0]):
        t += b[i] - a[i]
    return t


def doubling(n, s):
    for _ in range(n):
        s = s + s
    return s


def _bounds(fn, *args):
    """deferred.bounded's plan for ``fn``'s region at ``args``: sorted (op,
    operand positions ORed into the magnitude, operands counted), or None."""
    jf = pyjit.jit(fn, backend="llvm")
    jf(*args)
    (region,) = jf.__pyjit__.regions
    (spec,) = region.dispatcher.cache.values()
    g = spec.graph
    order = reverse_postorder(g)
    facts = Facts(g, {n.outputs[0]: n for n in g.nodes()})
    found = deferred.bounded(g, facts.guarded, lambda: checkpoint_plan(g, order), natural_loops(g))
    return None if found is None else \
        sorted((n.op, found.external[n], found.counts[n]) for n in found.nodes)


def test_what_is_bounded():
    assert _bounds(int_sum, np.arange(3)) == [("iadd", (1,), 1)]
    assert _bounds(accumulate, 3, 1, 2) == [("iadd", (1,), 1)]
    # b[i] - a[i] is a term: it counts one, and two where t adds it
    assert _bounds(net, np.arange(3), np.arange(3)) == \
        [("iadd", (), 2), ("isub", (1,), 1), ("sub", (0, 1), 1)]
    # s + s has no bound by counting; the pixel loop is not innermost (the flag stays)
    assert _bounds(doubling, 3, 1) is None
    assert _bounds(count_iterations, 4, 4, 20, 0) is None
    # float sums are not int sums
    assert _bounds(sum_from, np.arange(3.0), 0.0) is None


def _entry_ir(fn, *args, level="O2"):
    jf = pyjit.jit(fn, backend="llvm", level=level)
    jf(*args)
    (region,) = jf.__pyjit__.regions
    (spec,) = region.dispatcher.cache.values()
    return spec.entry.ir


def test_the_loop_is_vector_code_and_the_exact_function_checks():
    text = _entry_ir(int_sum, np.arange(100))
    fast, exact = re.split(r"^define .*\.exact", text, flags=re.M)
    assert "call {i64, i1} @\"llvm.sadd.with.overflow" not in fast
    assert "call {i64, i1} @\"llvm.sadd.with.overflow" in exact
    optimized = re.split(r"^define .*\.exact", engine.optimized_ir(text, "O2"), flags=re.M)[0]
    assert re.search(r"add <\d+ x i64>", optimized), "the sum is not vector code"


@pytest.mark.parametrize("level", ["O0", "O1", "O2"])
def test_sums_in_range_do_not_bail_out(level):
    rng = np.random.default_rng(3)
    for a in (np.arange(0), np.arange(1), rng.integers(-1000, 1000, 1001), np.full(7, BIG // 8),
              np.array([MAX]), np.array([-MAX - 1]), np.arange(100)[::3]):
        compare(int_sum, a, level=level, bailout=False)
        compare(sum_from, a, -5 if a.size and a[0] == MAX else 5, level=level, bailout=False)


@pytest.mark.parametrize("level", ["O1", "O2"])
def test_big_items_that_cancel_run_the_exact_code(level):
    """The bound fails (A >= 2**62), nothing overflows: the exact function
    finishes the region natively, without a bailout and without a warning."""
    compare(int_sum, np.array([BIG, -BIG, BIG, -BIG, BIG]), level=level, bailout=False)
    compare(int_sum, np.array([MAX, -MAX, MAX, -1]), level=level, bailout=False)
    compare(sum_from, np.array([-1, -1, 1]), MAX - 1, level=level, bailout=False)  # a big root
    compare(net, np.array([BIG, -BIG, 3]), np.array([BIG, 0, -BIG]), level=level, bailout=False)


@pytest.mark.parametrize("level", ["O1", "O2"])
def test_overflow_warns_where_cpython_does(level):
    """numpy warns on the overflowing ``s += a[i]`` and wraps: the exact code bails
    out at that item and CPython goes on from there."""
    # fresh: each call takes the fast code first (Note [bounded sums], GIVE_UP)
    compare(int_sum, np.array([BIG, BIG, 1, 2]), level=level, bailout=True, fresh=True)  # the middle
    compare(int_sum, np.array([1, 2, BIG, BIG]), level=level, bailout=True, fresh=True)  # last item
    compare(int_sum, np.array([-BIG, -BIG, -1, 5]), level=level, bailout=True, fresh=True)
    compare(sum_from, np.array([1]), MAX, level=level, bailout=True, fresh=True)     # the root + 1
    compare(net, np.array([-MAX - 1, 1]), np.array([0, 0]), level=level, bailout=True, fresh=True)
    # each term is 2**62, small items: only counting a term as two operands sees the overflow
    half = np.full(3, 2 ** 61)
    compare(spread, -half, half, level=level, bailout=True, fresh=True)
    compare(spread, -half[:1], half[:1], level=level, bailout=False, fresh=True)


def given_up(a):
    s = 0
    for i in range(a.shape[0]):
        s += a[i]
    return s


def test_after_failed_bounds_the_exact_code_runs_at_once():
    """GIVE_UP failed bounds, then every call goes straight to the exact code
    (the entry branches on the module's counter): exact as ever."""
    jf = jitted(given_up, "O1", fresh=True)
    cancel = np.array([BIG, -BIG] * 3)
    for _ in range(deferred.GIVE_UP + 1):
        compare(given_up, cancel, bailout=False)
    compare(given_up, np.arange(1000), bailout=False)
    compare(given_up, np.array([BIG, BIG, 3]), bailout=True)
    text = next(iter(jf.__pyjit__.regions[0].dispatcher.cache.values())).entry.ir
    assert re.search(r'load atomic i64, i64\* @"pyjit_region_\d+\.bound_failures"', text)


def sum_and_quotient(a, x, y):
    s = 0
    for i in range(a.shape[0]):
        s += a[i]
    return s, x / y


def _failures(jf) -> int:
    """The module's count of failed bounds (its global ``.bound_failures``)."""
    text = next(iter(jf.__pyjit__.regions[0].dispatcher.cache.values())).entry.ir
    name = re.search(r'@"(pyjit_region_\d+\.bound_failures)" = internal', text).group(1)
    return ctypes.c_int64.from_address(engine.global_address(name)).value


@pytest.mark.filterwarnings("ignore:divide by zero:RuntimeWarning")
def test_raised_float_flags_do_not_count_as_failed_bounds():
    """A raised numpy float flag also re-runs the exact code, but only failed
    bounds count towards GIVE_UP: a region whose calls warn keeps its fast code."""
    jf = jitted(sum_and_quotient, "O1", fresh=True)
    one, zero, two = np.float64(1.0), np.float64(0.0), np.float64(2.0)
    for _ in range(deferred.GIVE_UP + 1):
        compare(sum_and_quotient, np.arange(10), one, zero, bailout=None)
    assert _failures(jf) == 0
    for _ in range(deferred.GIVE_UP):
        compare(sum_and_quotient, np.array([BIG, -BIG] * 3), one, two, bailout=False)
    assert _failures(jf) == deferred.GIVE_UP


def test_python_int_sums_become_big_ints():
    check(doubling, 70, 1)                # s + s: 2**70 is no sum of 70 ones (not bounded)
    check(accumulate, 5, MAX - 2, 1)      # overflows at the third addition
    check(accumulate, 4, MAX, -1)         # a big root, no overflow
    check(accumulate, 3, -MAX, -BIG)
    check(accumulate, 1000, 0, BIG // 1000)


_ITEMS = st.one_of(st.integers(-3, 3), st.integers(-2 ** 63, 2 ** 63 - 1),
                   st.integers(2 ** 61, 2 ** 62), st.integers(-2 ** 62, -2 ** 61))


@settings(max_examples=80, deadline=None)
@given(items=st.lists(_ITEMS, max_size=12), start=st.one_of(st.just(0), _ITEMS),
       step=st.sampled_from([1, 2, -1]))
def test_any_int64_sum(items, start, step):
    """Any items, any start, through a view: CPython's value, type and warnings."""
    a = np.array(items, dtype=np.int64)[::step]
    compare(sum_from, a, start, level="O1", bailout=None, fresh=True)


def grid_sum(a):
    s = 0
    for i in range(a.shape[0]):
        for j in range(a.shape[1]):
            s += a[i, j]
    return s


def triangle(n, s):
    for i in range(n):
        s += i
    return s


def test_nested_and_range_sums():
    """The chain goes around both loops of a 2-D sum; a Python int sum of the
    range's items becomes a big int as in CPython."""
    check(grid_sum, np.arange(12).reshape(3, 4))
    check(grid_sum, np.arange(12).reshape(3, 4)[:, ::2])
    check(grid_sum, np.array([[BIG, BIG], [-BIG, 1]]))        # overflows in the first row
    check(grid_sum, np.array([[BIG, -BIG], [BIG, -BIG]]))     # cancels: the exact code
    check(triangle, 1000, 0)
    check(triangle, 5, MAX - 7)                               # becomes a big int at i = 4
    check(triangle, 3, -MAX)


_SUM_STATEMENTS = [
    "s{j} += a[i]",
    "s{j} -= b[i]",
    "s{j} += a[i] - b[i]",
    "s{j} = s{j} + 1",
    "s{j} += i",
    "if a[i] > b[i]:\n            s{j} += b[i]",
]


@st.composite
def sum_programs(draw):
    """A loop over two int64 arrays of 1–3 statements adding to accumulators
    that start as Python ints (``s0``, ``s1``) or as a numpy int64 (``s2``)."""
    body = [draw(st.sampled_from(_SUM_STATEMENTS)).format(j=draw(st.integers(0, 2)))
            for _ in range(draw(st.integers(1, 3)))]
    return ("def f(a, b, s0, s1):\n    s2 = np.int64(s1)\n    for i in range(a.shape[0]):\n"
            "        " + "\n        ".join(body) + "\n    return s0, s1, s2\n")


@settings(max_examples=40, deadline=None)
@given(src=sum_programs(), items=st.lists(st.tuples(_ITEMS, _ITEMS), max_size=6),
       starts=st.tuples(_ITEMS, _ITEMS))
def test_generated_sum_loops(src, items, starts):
    """Whatever the program and the items, CPython's values, types and warnings;
    the fast code runs first (a fresh jit per example)."""
    ns = {"np": np}
    exec(compile(src, "<generated>", "exec"), ns)
    a = np.array([x for x, _ in items], dtype=np.int64)
    b = np.array([y for _, y in items], dtype=np.int64)
    want = outcome(ns["f"], a, b, *starts)
    for level in ("O1", "O2"):
        got = outcome(pyjit.jit(ns["f"], backend="llvm", level=level), a, b, *starts)
        assert got == want, (src, a, b, starts, level)
