"""``for ... in zip(...)`` and ``for ... in enumerate(...)`` over arrays and ranges
(frontend/items.py ZipArgs/ZipIter), and loops over a sequence that end without
a bailout.  Differential: both backends, every level, results, exceptions and
arguments compared with CPython; a bailout in the middle of such a loop rebuilds
CPython's own zip/enumerate iterator at the same position."""
from __future__ import annotations

import math

from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

import pyjit
from difftest import check


def weighted(a):
    s = 0.0
    for i, x in enumerate(a):
        s += i * x
    return s


def counted_from(a, start):
    total = 0
    last = None
    for i, x in enumerate(a, start):
        total += i
        last = i
    return total, last


def counted_by_keyword(a, start):
    out = []
    for i, x in enumerate(a, start=start):
        out.append(i)   # a list: runs in CPython, the loop stays one
    return out


def dot(a, b):
    s = 0.0
    for x, y in zip(a, b):
        s += x * y
    return s


def three(a, b, c):
    s = 0.0
    for x, y, z in zip(a, b, c):
        s += x * y - z
    return s


def with_range(a, start, step):
    s = 0
    for r, x in zip(range(start, start + 1000 * step, step), a):
        s += r * 2 + int(x)
    return s


def as_tuples(a, b):
    s = 0.0
    for t in zip(a, b):
        s += t[0] - t[1]
    return s


def rows(m, w):
    s = 0.0
    for row, weight in zip(m, w):
        for x in row:
            s += x * weight
    return s


def nested_sequences(m):
    s = 0.0
    count = 0
    for row in m:
        for x in row:
            s += x * x
            count += 1
    return s, count


def with_break(a, b, limit):
    s = 0.0
    k = -1
    for k, (x, y) in enumerate(zip(a, b)):
        if x > limit:
            break
        s += y
    return s, k


def numbered_pairs(a, b, start):
    total = 0
    s = 0.0
    for i, (x, y) in enumerate(zip(a, b), start):
        total += i
        s += x * y
    return total, s


def pairs_of_pairs(a, b):
    s = 0.0
    for x, (y, z) in zip(a, zip(b, a)):     # zip of a zip: CPython runs the loop
        s += x * y - z
    return s


def first_over(a, limit):
    for i, x in enumerate(a):
        if x > limit:
            return i
    return -1


def roots(a):
    s = 0.0
    for i, x in enumerate(a):
        s += math.sqrt(x) * i      # ValueError for a negative item
    return s


def writes(a, b):
    for i, x in enumerate(a):
        b[i] = x * 2.0 + i
    return b


A = np.linspace(-1.0, 2.0, 9)
B = np.arange(6.0)


def test_enumerate_and_zip_compile():
    check(weighted, A, regions=1, breaks=0)
    check(dot, A, B, regions=1, breaks=0)
    check(three, A, B, A[::2], regions=1, breaks=0)
    check(as_tuples, A, B, regions=1, breaks=0)
    check(rows, np.arange(12.0).reshape(4, 3), np.array([1.0, -2.0, 0.5]), regions=1, breaks=0)
    check(first_over, A, 0.5, regions=1, breaks=0)
    check(writes, A, np.zeros(9), regions=1, breaks=0)


@pytest.mark.parametrize("start", [0, 5, -3, True, np.int64(7), np.uint8(200),
                                   2 ** 63 - 4,       # the count leaves int64: a bailout
                                   2 ** 70,           # a big int from the start
                                   1.5])              # TypeError from enumerate()
def test_enumerate_counts_as_cpython(start):
    check(counted_from, A, start)
    check(counted_by_keyword, A[:3], start)


@pytest.mark.parametrize("start, step", [(0, 1), (-5, 3), (2 ** 62, 1), (2 ** 61, 2 ** 60),
                                         (10, -7)])
def test_zip_with_a_range(start, step):
    # 2**62 * 2 overflows int64 in the middle of the loop: the region bails out and
    # CPython goes on with a zip rebuilt at that item
    check(with_range, np.arange(5), start, step)
    check(with_range, np.arange(2000), start, step)


@pytest.mark.parametrize("a, b", [(np.zeros(0), np.zeros(0)), (np.zeros(0), B), (B, np.zeros(0)),
                                  (A[::-2], B), (B.reshape(2, 3), B.reshape(2, 3))])
def test_empty_unequal_and_strided(a, b):
    check(as_tuples, a, b)


@pytest.mark.parametrize("start", [0, -4, 2 ** 63 - 3])     # the last: the count leaves int64
def test_enumerate_of_zip(start):
    check(numbered_pairs, A, B, start, regions=1, breaks=0)
    check(numbered_pairs, A, np.zeros(0), start)
    check(with_break, A, B, 0.3, regions=1, breaks=0)


def test_zip_of_zip_is_a_break():
    jf = check(pairs_of_pairs, A, B)
    assert [b.reason.code for b in jf.__pyjit__.breaks] == ["PJ0015"]


def test_errors_and_breaks():
    check(roots, np.array([4.0, 1.0, -1.0, 9.0]))     # ValueError at the third item
    check(roots, np.array([4.0, 1.0]))
    check(with_break, A, B, 0.3)
    check(first_over, A, 5.0)


def test_loops_over_sequences_end_without_a_bailout():
    """The item of a sequence is read where ``k < n``: the loop's last test does not
    read one past the end (which bailed out of every such loop, leaving the rest of
    the function, or of an outer loop, to CPython)."""
    m = np.arange(20.0).reshape(4, 5)
    for backend in ("numpy", "llvm"):
        for fn, args in ((nested_sequences, (m,)), (weighted, (A,)), (dot, (A, B))):
            jf = check(fn, *args, backends=(backend,))
            for region in jf.__pyjit__.regions:
                stats = region.dispatcher.stats
                assert stats.calls and stats.bailouts == 0, (fn.__name__, backend)


@given(st.lists(st.floats(-1e6, 1e6), max_size=12), st.lists(st.integers(-2 ** 40, 2 ** 40), max_size=12),
       st.integers(-2 ** 63, 2 ** 63 - 1))
@settings(max_examples=40, deadline=None)
def test_generated(xs, ks, start):
    a, b = np.array(xs, dtype=np.float64), np.array(ks, dtype=np.int64)
    check(dot, a, b)
    check(counted_from, b, start)


def backwards(a, start, stop, step):
    s = 0
    for i in reversed(range(start, stop, step)):
        s = s * 3 + i
    return s


def horner(coeffs, x):
    acc = 0.0
    for i in reversed(range(coeffs.shape[0])):
        acc = acc * x + coeffs[i]
    return acc


def running_max(a):
    best = float("-inf")
    worst = float("inf")
    for x in a:
        if x > best:
            best = x
        if x < worst:
            worst = x
    return best, worst, float("nan") != float("nan")


def bad_literal(a):
    s = 0.0
    for x in a:
        s += x * float("one")     # ValueError, raised by CPython
    return s


@pytest.mark.parametrize("start, stop, step", [(0, 10, 1), (10, 0, -1), (3, 50, 7), (5, 5, 1),
                                               (-2 ** 63, -2 ** 63 + 4, 1),    # start - step leaves int64
                                               (2 ** 63 - 5, 2 ** 63 - 1, 2),
                                               (np.int64(2), np.int8(9), True),
                                               (0, 10, 0),                    # ValueError
                                               (0, 10.0, 1)])                 # TypeError
def test_reversed_range(start, stop, step):
    check(backwards, None, start, stop, step)


def test_reversed_range_and_float_literals_compile():
    check(horner, np.array([1.0, -2.0, 0.5, 3.0]), 1.5, regions=1, breaks=0)
    check(running_max, A, regions=1, breaks=0)
    check(running_max, np.zeros(0))
    check(bad_literal, A)
