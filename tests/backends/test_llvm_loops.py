"""Range loops on the LLVM backend: the checks that facts.py and hoist.py remove
or move are exactly those that cannot fail — every out-of-range index, overflow
and math domain error still reaches CPython through a bailout, with the side
effects of the iterations before it.  Also: the engine's verifier rejects a
broken module (every module the backend builds goes through it)."""
import math

import numpy as np
import pytest

import pyjit
from pyjit.backends.llvm import engine

from difftest import check


def _outcome(fn, *args):
    try:
        with np.errstate(all="ignore"):
            r = fn(*args)
    except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
        return ("raised", type(e), str(e))
    return ("value", type(r), np.asarray(r).dtype, np.asarray(r).tobytes())


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
    assert _outcome(jf, a, *args) == _outcome(index_loop, a, *args)


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


def forward_diff(src, dst, lo, hi):
    for j in range(lo, hi):
        dst[j] = src[j + 1] - src[j - 1]
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
    want = _outcome(shifted_copy, src, want_dst, lo, hi, shift)
    got = _outcome(jf, src, got_dst, lo, hi, shift)
    assert got == want
    assert np.array_equal(got_dst, want_dst)


@pytest.mark.parametrize("lo, hi", [(1, 9), (1, 10), (0, 9), (-9, 9), (-10, 9), (-11, 0),
                                    (5, 5), (8, 11), (1, 2), (9, 10)])
def test_hoisted_literal_offsets(lo, hi):
    """``src[j + 1]`` and ``src[j - 1]``: the interval test at each end of the range."""
    src = np.arange(10.0) ** 2
    want_dst, got_dst = np.zeros(12), np.zeros(12)
    jf = pyjit.jit(forward_diff, backend="llvm")
    assert _outcome(jf, src, got_dst, lo, hi) == _outcome(forward_diff, src, want_dst, lo, hi)
    assert np.array_equal(got_dst, want_dst)
    assert "hoist.ok" in jf.__pyjit__.regions[0].dispatcher.cache[
        next(iter(jf.__pyjit__.regions[0].dispatcher.cache))].entry.ir


@pytest.mark.parametrize("i", [1, 3, 4, 0, -1, 5])
def test_hoisted_checks_in_nested_rows(i):
    u = np.arange(30.0).reshape(5, 6)
    want_out, got_out = np.zeros((5, 6)), np.zeros((5, 6))
    jf = pyjit.jit(rows, backend="llvm")
    assert _outcome(jf, u, got_out, i) == _outcome(rows, u, want_out, i)
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


# ---- item offsets (facts.py, Note [item offsets]) and loop hints (lower.py) -----------------

def item_offsets(start, stop, step, c):
    s = 0
    for j in range(start, stop, step):
        s += (j + 1) - (j - 1) + (j + c) - (j - c)
    return s


@pytest.mark.parametrize("args", [
    (0, 100, 1, 2), (2 ** 63 - 4, 2 ** 63 - 1, 1, 0),  # j + 1 <= stop: native
    (2 ** 63 - 4, 2 ** 63 - 1, 1, 2),                   # j + 2 overflows: a big int from CPython
    (-2 ** 63, -2 ** 63 + 3, 1, 0),                     # j - 1 overflows: start is negative
    (-2 ** 63 + 1, -2 ** 63 + 5, 1, 0),
    (5, 1000, 7, 1), (2 ** 63 - 20, 2 ** 63 - 1, 3, 1), (10, 0, -1, 1),
])
def test_item_offsets_keep_the_checks_that_can_fail(args):
    jf = pyjit.jit(item_offsets, backend="llvm")
    assert _outcome(jf, *args) == _outcome(item_offsets, *args)


def stencil_rows(u, out):
    for i in range(1, u.shape[0] - 1):
        for j in range(1, u.shape[1] - 1):
            out[i, j] = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1])
    return out


def _ir(jf):
    return next(iter(jf.__pyjit__.regions[0].dispatcher.cache.values())).entry.ir


@pytest.mark.parametrize("shape", [(6, 7), (2, 2), (1, 5), (3, 1)])
def test_stencil_offsets_need_no_overflow_check(shape):
    """``j - 1`` and ``j + 1`` of ``range(1, m - 1)`` are lowered without an
    overflow check (the loop then vectorizes); results stay CPython's."""
    u = np.arange(float(shape[0] * shape[1])).reshape(shape) ** 1.5
    want, got = np.zeros(shape), np.zeros(shape)
    jf = pyjit.jit(stencil_rows, backend="llvm", level="O2")
    assert _outcome(jf, u, got) == _outcome(stencil_rows, u, want)
    assert np.array_equal(got, want)
    assert "llvm.sadd.with.overflow" not in _ir(jf) and "llvm.ssub.with.overflow" not in _ir(jf)


def test_inner_loops_carry_the_runtime_unroll_hint():
    """Only an innermost loop nested in another loop gets the hint (Note [loop hints])."""
    a = np.arange(6.0)
    flat = pyjit.jit(index_loop, backend="llvm")
    flat(np.arange(10, dtype=np.int64), 0, 10, 1, 0)
    assert "llvm.loop" not in _ir(flat)
    nested = pyjit.jit(stencil_rows, backend="llvm")
    nested(a.reshape(2, 3), np.zeros((2, 3)))
    text = _ir(nested)
    assert text.count("!llvm.loop") == 1 and '"llvm.loop.unroll.runtime.disable"' in text
    engine.compile_ir(text.replace("pyjit_region", "hinted_region"),
                      next(w for w in text.replace("@", " @").split() if w.startswith("@"))
                      .strip("@\"(").replace("pyjit_region", "hinted_region"), "O2")


# ---- the loop variable recomputed from the counter (facts.py, Note [last item]) -------------

def last_item(start, stop, step):
    j = -7
    for j in range(start, stop, step):
        pass
    return j


def last_items_nested(n, start, m, step):
    total = 0
    for i in range(n):
        for j in range(start, m, step):
            total += j
    return i, j, total  # noqa: F821 - unbound (UnboundLocalError) when a loop never ran


def last_item_after_bailout(a, stop):
    s = 0
    for j in range(stop):
        s += a[j]  # IndexError from a bailout when stop > len(a)
    return j, s


@pytest.mark.parametrize("args", [
    (0, 10, 1), (3, 50, 7), (10, 0, -3), (5, 5, 1), (0, 0, 1), (-4, 4, 3),
    (2 ** 63 - 5, 2 ** 63 - 1, 2), (-2 ** 63, -2 ** 63 + 10, 3), (2 ** 63 - 2, -2 ** 63, -2 ** 62),
    (-2 ** 63, 2 ** 63 - 1, 2 ** 62),
])
def test_last_item_matches_cpython(args):
    jf = pyjit.jit(last_item, backend="llvm")
    assert _outcome(jf, *args) == _outcome(last_item, *args)


@pytest.mark.parametrize("args", [
    (4, 3, 20, 2), (4, 3, 3, 2), (0, 3, 20, 2), (3, 10, 0, -4), (2, 2 ** 63 - 4, 2 ** 63 - 1, 1),
])
@pytest.mark.parametrize("level", ["O0", "O1", "O2"])
def test_last_items_of_nested_loops(args, level):
    def outcome(f):
        try:
            r = f(*args)
        except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
            return ("raised", type(e), str(e))
        return ("value", [(type(x), x) for x in r])
    jf = pyjit.jit(last_items_nested, backend="llvm", level=level)
    assert outcome(jf) == outcome(last_items_nested)


@pytest.mark.parametrize("stop", [0, 3, 5, 6])
def test_last_item_after_a_bailout(stop):
    a = np.arange(5, dtype=np.int64)
    jf = pyjit.jit(last_item_after_bailout, backend="llvm")
    assert _outcome(jf, a, stop) == _outcome(last_item_after_bailout, a, stop)


def test_last_item_is_not_a_phi():
    jf = pyjit.jit(last_item, backend="llvm")
    jf(0, 10, 1)
    text = _ir(jf)
    assert text.count("phi") == 1  # the counter only


# ---- while k < n: k += 1 (facts._counters_below) ---------------------------------------

def count_up(n, start):
    k = start
    total = 0
    while k < n:
        total += k & 7
        k += 1
    return total, k


def count_until(n, limit):
    k = 0
    z = 0.0
    while k < n and z < limit:
        z = z * 0.5 + 1.0
        k += 1
    return k, z


def count_unguarded(start, n):
    k = start
    i = 0
    while i < n:
        k += 1                      # not guarded by a test of k: overflow stays checked
        i += 1
    return k


@pytest.mark.parametrize("fn, args", [
    (count_up, (10, 0)), (count_up, (2 ** 63 - 1, 2 ** 63 - 4)), (count_up, (5, 9)),
    (count_up, (-2 ** 63 + 2, -2 ** 63)),
    (count_until, (100, 1.5)), (count_until, (2 ** 63 - 1, 1.9)),
    (count_unguarded, (2 ** 63 - 3, 5)), (count_unguarded, (0, 3)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_while_counters_match_cpython(fn, args):
    check(fn, *args)


def test_while_counter_step_needs_no_overflow_check():
    """``k += 1`` under ``k < n`` cannot overflow (k < n <= 2**63 - 1), also when
    the loop tests the new k at its bottom (a rotated while loop)."""
    for fn, args, checked in ((count_until, (100, 1.5), 0), (count_unguarded, (0, 3), 1)):
        jf = pyjit.jit(fn, backend="llvm", level="O1")  # O0 keeps n as a loop parameter
        jf(*args)
        (spec,) = [s for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]
        assert spec.backend == "llvm"
        checks = spec.entry.ir.count("sadd.with.overflow")
        assert (checks >= 1 if checked else checks == 0), spec.entry.ir
