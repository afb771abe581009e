"""The frontend finds the same regions and breaks on every supported CPython.

Each function below exercises bytecode that changed between 3.11, 3.12 and
3.13 (calls and their NULL, LOAD_ATTR's method bit, END_FOR, RETURN_CONST,
slices, superinstructions, TO_BOOL and the comparison encodings, inlined
comprehensions, exception-table depths, closures, inlining).  ``EXPECTED``
holds its region and break counts, written once for all versions; where a
version's bytecode really makes a difference, ``DIFFERENCES`` says so and why.
Every function also runs differentially (CPython vs pyjit, every backend).

The test runs on whichever CPython runs the suite; ``.ci/run`` runs it on all three.
"""
from __future__ import annotations

import contextlib
import pathlib

import numpy as np
import pytest

import pyjit
from pyjit.frontend.cpython import table
from difftest import check


# ---- the functions ----------------------------------------------------------------------

def straight(a, b):
    c = a * b + 1.0
    d = c - a / b
    return c, d


def print_in_loop(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i]
        print(i)
        s *= 0.5
    return s


def range_loop(n):
    s = 0
    for i in range(n):
        s += i * i
    return s


def nested_range_loops(a):
    s = 0.0
    for i in range(a.shape[0]):
        for j in range(i):
            s += a[i] * a[j]
    return s


def while_break_continue(n):
    total = 0
    k = 0
    while k < n:
        k += 1
        if k % 3 == 0:
            continue
        if k > 50:
            break
        total += k
    return total, k


def early_return(a):
    for i in range(a.shape[0]):
        if a[i] < 0:
            return i
    return -1


def try_except(a, i):
    x = 0.0
    try:
        x = a[i] * 2.0
    except IndexError:
        x = -1.0
    return x + 1.0


def try_in_loop(a, n):
    s = 0.0
    for i in range(n):
        try:
            s += a[i]
        except IndexError:
            s -= 1.0
        s *= 2.0
    return s


def comprehension(a):
    ys = [v * 2.0 for v in a]
    t = a.sum() * 2.0
    return ys, t


def comprehension_shadows_a_local(a):
    v = 3.0
    ys = [v * v for v in a]
    return v + 1.0, ys


def comprehension_then_maybe_unbound(a, flag):
    ys = [v for v in a]
    if flag:
        v = 1.0
    return v * 2.0, ys


def deleted_local(x, flag):
    y = x + 1.0
    if flag:
        del y
    return y * 2.0


def make_closure(k):
    def scaled(x):
        return x * k + 1.0
    return scaled


closure = make_closure(3.0)


def _helper(x, y=2.0):
    return x * y + 1.0


def inlined_helper(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += _helper(a[i], y=0.5)
    return s


def methods_and_keywords(a):
    m = a.max(axis=0)
    s = a.sum()
    r = np.sqrt(a * a + 1.0)
    return m, s, r


def slices(a, x):
    b = a[1:3]
    a[0:2] = x
    c = a[::2]
    return b.sum() + c.sum()


def logic(x, y):
    p = x > 0 and y > 0
    q = x < -1 or not y
    r = +x if x is not None else y
    x, y = y, x
    return p, q, r, x - y


def constant_returns(x):
    if x > 0:
        return None
    return 1


def with_block(x):
    with contextlib.nullcontext():
        y = x * 2.0
    return y + 1.0


def comprehension_over_a_cell(a):
    ys = [v * 2.0 for v in a]      # 3.12+: the saved `v` is a cell; 3.13: LOAD_CLOSURE is LOAD_FAST
    g = lambda: v                  # noqa: E731
    v = 5.0
    return ys, g() + 1.0


def comprehension_in_loop(a):
    s = 0.0
    for i in range(2):
        ys = [v for v in a]
        s += a[i]
    return s, ys


def chained_comparison(x):
    y = 0.0 < x < 1.0
    z = x * 2.0
    return y, z


def augmented_slice(a):
    a[1:3] += 1.0
    return a * 2.0


def for_else(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i]
        if s > 100.0:
            break
    else:
        s = -s
    return s


def walrus(x):
    if (y := x * 2.0) > 1.0:
        return y
    return -y


def none_tests(x, y):
    if x is None:
        return 0.0
    if y is not None:
        return x * y
    return x


def while_true(n):
    k = 0
    while True:
        k += 1
        if k >= n:
            break
    return k


def star_call(a, *args):
    t = (1.0, 2.0)
    r = max(*t)
    return r + a


def formatted(x):
    y = x * 2.0
    s = f"{y:.2f}"
    z = y + 1.0
    return s, z


def loop_over_array(a):
    t = 0.0
    for v in a:
        t += v
    return t


# ---- what every version must find --------------------------------------------------------

# function -> (regions, breaks)
EXPECTED = {
    straight: (1, 0),
    print_in_loop: (2, 1),
    range_loop: (1, 0),
    nested_range_loops: (1, 0),
    while_break_continue: (1, 0),
    early_return: (1, 0),
    try_except: (1, 0),           # a try body's first statement stays in CPython
    try_in_loop: (1, 0),
    comprehension: (1, 1),        # 3.11: a call of a nested function; 3.12+: inlined
    comprehension_shadows_a_local: (1, 1),
    comprehension_then_maybe_unbound: (1, 1),
    deleted_local: (1, 2),        # DELETE_FAST, then `y` may be unbound
    closure: (1, 0),
    inlined_helper: (1, 0),
    methods_and_keywords: (1, 0),
    slices: (1, 0),
    logic: (1, 0),
    constant_returns: (1, 0),
    with_block: (0, 2),           # the call of nullcontext; `y` may be unbound after the block
    comprehension_over_a_cell: (0, 4),
    comprehension_in_loop: (1, 2),
    chained_comparison: (1, 0),
    augmented_slice: (1, 0),
    for_else: (1, 0),
    walrus: (1, 0),
    none_tests: (1, 0),
    while_true: (1, 0),
    star_call: (1, 1),            # CALL_FUNCTION_EX
    formatted: (2, 1),            # FORMAT_VALUE; 3.13: FORMAT_WITH_SPEC
    loop_over_array: (1, 0),
}

_WITH_EXIT_DUPLICATED = (
    "3.12+ compile the code after a with block twice: once after the normal exit, where "
    "`y` is bound and `return y + 1.0` compiles, and once after an exception the context "
    "manager suppressed (only there may `y` be unbound: the break stays).  3.11 joins the "
    "two paths before one `return`, where `y` may be unbound.")

_RETURN_DUPLICATED = (
    "3.12+ copy a short `return` block to each path that reaches it: the try body's exit "
    "and the handler's exit each end in their own `return x + 1.0`, and each copy is a "
    "region.  3.11 jumps from both to one `return`.")

# (function, (major, minor)) -> ((regions, breaks), why the bytecode differs)
DIFFERENCES: dict = {
    (try_except, (3, 12)): ((2, 0), _RETURN_DUPLICATED),
    (try_except, (3, 13)): ((2, 0), _RETURN_DUPLICATED),
    (with_block, (3, 12)): ((1, 2), _WITH_EXIT_DUPLICATED),
    (with_block, (3, 13)): ((1, 2), _WITH_EXIT_DUPLICATED),
}

ARGS = {
    straight: [(2.0, 3.0), (np.arange(3.0), 2.0)],
    print_in_loop: [(np.arange(4.0),)],
    range_loop: [(10,), (0,)],
    nested_range_loops: [(np.arange(5.0),)],
    while_break_continue: [(10,), (100,), (0,)],
    early_return: [(np.array([1.0, -2.0]),), (np.zeros(0),)],
    try_except: [(np.arange(3.0), 1), (np.arange(3.0), 7)],
    try_in_loop: [(np.arange(3.0), 5)],
    comprehension: [(np.arange(3.0),)],
    comprehension_shadows_a_local: [(np.arange(3.0),)],
    comprehension_then_maybe_unbound: [(np.arange(3.0), True), (np.arange(3.0), False)],
    deleted_local: [(1.5, False), (1.5, True)],
    closure: [(2.0,), (np.arange(2.0),)],
    inlined_helper: [(np.arange(4.0),)],
    methods_and_keywords: [(np.arange(6.0).reshape(2, 3),)],
    slices: [(np.arange(6.0), 7.0)],
    logic: [(1.5, 2.0), (-3.0, 0.0), (0.5, -1.0)],
    constant_returns: [(1.0,), (-1.0,)],
    with_block: [(2.0,)],
    comprehension_over_a_cell: [(np.arange(3.0),)],
    comprehension_in_loop: [(np.arange(3.0),)],
    chained_comparison: [(0.5,), (2.0,)],
    augmented_slice: [(np.arange(5.0),)],
    for_else: [(np.arange(5.0),), (np.arange(50.0),)],
    walrus: [(1.0,), (0.1,)],
    none_tests: [(None, 1.0), (2.0, 3.0), (2.0, None)],
    while_true: [(5,)],
    star_call: [(1.0, 2, 3)],
    formatted: [(1.5,)],
    loop_over_array: [(np.arange(3.0),), (np.zeros(0),)],
}


def expected_counts(fn) -> tuple:
    return DIFFERENCES.get((fn, table.VERSION), (EXPECTED[fn], ""))[0]


def _describe(analysis) -> str:
    lines = [f"regions: {[r.lines for r in analysis.regions]}"]
    lines += [f"break: {b.reason}" for b in analysis.breaks]
    return "\n".join(lines)


@pytest.mark.parametrize("fn", list(EXPECTED), ids=lambda f: f.__name__)
def test_same_regions_and_breaks_on_every_version(fn):
    analysis = pyjit.jit(fn).__pyjit__
    assert analysis.skipped is None, analysis.skipped
    got = (len(analysis.regions), len(analysis.breaks))
    assert got == expected_counts(fn), f"CPython {table.VERSION_TEXT}:\n{_describe(analysis)}"


@pytest.mark.parametrize("fn", list(EXPECTED), ids=lambda f: f.__name__)
def test_runs_exactly_as_cpython(fn):
    for args in ARGS[fn]:
        check(fn, *args)


def test_every_function_has_arguments():
    assert set(ARGS) == set(EXPECTED)
    assert all(fn in EXPECTED for fn, _ in DIFFERENCES)


# ---- the tables themselves -------------------------------------------------------------

_SHAPE = ("HANDLERS", "BINARY_OPS", "COMPARE_OPS", "falls_through", "stores", "deletes", "loads",
          "stack_kinds", "STRUCTURAL", "is_prologue", "call_sequence", "load_live_in", "jump",
          "jump_if_false", "jump_if_true", "VERSION")


def test_the_running_version_has_a_complete_table():
    assert table.SUPPORTED and table.VERSION == table.VERSION
    for name in _SHAPE:
        assert hasattr(table, name), name
    missing = {"LOAD_FAST", "STORE_FAST", "LOAD_CONST", "LOAD_GLOBAL", "LOAD_ATTR", "CALL",
               "BINARY_OP", "COMPARE_OP", "GET_ITER", "FOR_ITER", "RETURN_VALUE", "POP_TOP",
               "BINARY_SUBSCR", "STORE_SUBSCR"} - set(table.HANDLERS)
    assert not missing


def test_only_the_table_reads_the_version():
    """STYLE.md: every CPython-version difference lives in the tables."""
    root = pathlib.Path(pyjit.__file__).parent
    offenders = [str(p.relative_to(root)) for p in root.rglob("*.py")
                 if p.name != "table.py" and ("version_info" in p.read_text()
                                              or "sys.version" in p.read_text())]
    assert offenders == []
