"""Deferred overflow checks (backends/llvm/deferred.py, Note [deferred overflow
checks]): an int accumulator that only flows into more arithmetic and the
region's exits raises a flag on overflow instead of leaving its loop; every exit
tests the flag and, when it is up, CPython re-runs the region from its start.

The plan is checked on the graphs the frontend builds (what is deferred and
what is not, and why); the results are differential, with accumulators that
overflow on the first, a middle and the last iteration, and with bailouts
(an IndexError, a ZeroDivisionError) after the overflow.
"""
from __future__ import annotations

import functools
import re

from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

import pyjit
from pyjit.backends.llvm import deferred
from pyjit.backends.llvm.facts import Facts
from pyjit.backends.llvm.fpflags import plan as checkpoint_plan
from pyjit.ir.verify import reverse_postorder
from pyjit.passes.graphutil import natural_loops

from difftest import check

BIG = 2 ** 62


def accumulate(n, start, step):
    s = start
    for _ in range(n):
        s += step
    return s


def count_iterations(h, w, maxit, bias):
    count = bias
    for py in range(h):
        for px in range(w):
            zr = zi = 0.0
            cr = -2.0 + 3.0 * px / w
            ci = -1.5 + 3.0 * py / h
            k = 0
            while k < maxit and zr * zr + zi * zi <= 4.0:
                zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
                k += 1
            count += k
    return count


def products(n, x):
    p = 1
    q = 0
    for i in range(n):
        p *= x
        q -= i * x
    return p, q


def overflow_then_index(a, step):
    s = 0
    for i in range(a.shape[0] + 1):
        s += step
        t = a[i]
    return s, t


def overflow_then_hoisted_check(a, m, step):
    s = 0
    t = 0.0
    for j in range(m):
        s += step
        for i in range(a.shape[0] + j - 1):  # in bounds for j <= 1 only
            t += a[i]
    return s, t


def overflow_then_divide(n, step, d):
    s = 0
    for i in range(n):
        s += step
    return s, 1.0 / d


def steers(limit, step):
    s = 0
    while s < limit:
        s += step
    return s


def compared_after(n, step):
    s = 0
    for _ in range(n):
        s += step
    return s > 0


def with_a_write(out, step):
    s = 0
    for i in range(out.shape[0]):
        s += step
        out[i] = 1.0
    return s


def _deferred_ops(fn, *args):
    """The ops deferred.plan defers in ``fn``'s region for ``args``."""
    jf = pyjit.jit(fn, backend="llvm")
    try:
        jf(*args)
    except IndexError:
        pass  # overflow_then_index does index past the end
    found = []
    for region in jf.__pyjit__.regions:
        for spec in region.dispatcher.cache.values():
            g = spec.graph
            order = reverse_postorder(g)
            facts = Facts(g, {n.outputs[0]: n for n in g.nodes()})
            loop_blocks = {b for lp in natural_loops(g) for b in lp.blocks}
            found += [n.op for n in deferred.plan(g, facts.guarded, lambda: checkpoint_plan(g, order),
                                                  loop_blocks)]
    return sorted(found)


def test_what_is_deferred():
    assert _deferred_ops(accumulate, 3, 1, 2) == ["iadd"]
    assert _deferred_ops(count_iterations, 4, 4, 20, 0) == ["iadd"]
    assert _deferred_ops(products, 3, 2) == ["imul", "isub", "mul"]
    assert _deferred_ops(overflow_then_index, np.ones(2), 1) == ["iadd"]
    assert _deferred_ops(overflow_then_hoisted_check, np.ones(2), 1, 1) == ["iadd"]
    # a wrapped value could steer a loop, or be compared: checked where computed
    assert _deferred_ops(steers, 10, 3) == []
    assert _deferred_ops(compared_after, 3, 1) == []
    # re-running from the start would write again: nothing deferred
    assert _deferred_ops(with_a_write, np.zeros(3), 1) == []


def _ir(fn, *args):
    jf = pyjit.jit(fn, backend="llvm")
    jf(*args)
    return next(iter(jf.__pyjit__.regions[0].dispatcher.cache.values())).entry.ir


def test_the_loop_has_no_overflow_exit():
    """mandelbrot's ``count += k``: the overflow bit is ORed into the flag, never
    branched on (the pixel loop keeps one exit)."""
    text = _ir(count_iterations, 4, 4, 20, 0)
    bits = re.findall(r'(%"[^"]+") = extractvalue \{i64, i1\} %"[^"]+", 1', text)
    assert bits
    for bit in bits:
        assert not re.search(rf"br i1 {re.escape(bit)},", text), bit
        assert re.search(rf"or i1 %\"[^\"]+\", {re.escape(bit)}", text), bit


@pytest.mark.parametrize("n, start, step", [
    (0, 2 ** 63 - 1, 1), (1, 2 ** 63 - 1, 1), (3, BIG, BIG), (5, -BIG, -BIG), (4, 2 ** 63 - 3, 1),
    (3, 2 ** 63 - 1, -1), (6, BIG, 2 ** 61), (2, 0, 2 ** 63 - 1), (100, 5, 7)])
def test_accumulators_overflow_as_cpython(n, start, step):
    check(accumulate, n, start, step)


def test_overflow_in_nested_loops():
    check(count_iterations, 3, 4, 20, 2 ** 63 - 30)   # overflows partway
    check(count_iterations, 3, 4, 20, 2 ** 63 - 241)  # overflows on the last pixel
    check(count_iterations, 3, 4, 20, 0)


def test_products_and_differences():
    check(products, 70, 2)      # 2**63 overflows on the 63rd iteration
    check(products, 10, -3)
    check(products, 4, 2 ** 40)  # q's i * x and p's p * x both overflow


def test_a_bailout_after_the_overflow():
    """The flag is up when the bounds check fails: CPython re-runs the region and
    raises the same IndexError (with the big int computed)."""
    check(overflow_then_index, np.ones(3), BIG)
    check(overflow_then_index, np.ones(3), 1)
    check(overflow_then_hoisted_check, np.ones(3), 4, BIG)  # the bounds check is hoisted
    check(overflow_then_hoisted_check, np.ones(3), 4, 1)
    check(overflow_then_divide, 4, BIG, 0.0)
    check(overflow_then_divide, 4, BIG, 2.0)


def test_not_deferred_still_exact():
    check(steers, 2 ** 63 - 2, BIG)
    check(compared_after, 5, BIG)
    check(with_a_write, np.zeros(4), BIG)


@settings(max_examples=60, deadline=None)
@given(n=st.integers(0, 8), start=st.integers(-2 ** 63, 2 ** 63 - 1),
       step=st.one_of(st.integers(-2 ** 63, 2 ** 63 - 1), st.integers(-4, 4)))
def test_accumulate_any(n, start, step):
    got = _jitted_accumulate()(n, start, step)
    assert got == accumulate(n, start, step) and type(got) is int


@functools.cache
def _jitted_accumulate():
    """One jitted function for every example (compiled once per argument types)."""
    return pyjit.jit(accumulate, backend="llvm", level="O2")


_STATEMENTS = [
    "s{j} += x",
    "s{j} -= i * x",
    "s{j} *= y",
    "s{j} = s{j} + s{k}",
    "if i % 3 == 1:\n            s{j} += x",
    "for _ in range(2):\n            s{j} += y",
    "if s{j} > 0:\n            s{k} += 1",   # s{j} steers a branch: not deferred
    "t += s{j} % 7",                          # an input of %: not deferred
]


@st.composite
def programs(draw):
    """A loop over ``range(n)`` of 1–4 statements updating int accumulators."""
    body = []
    for _ in range(draw(st.integers(1, 4))):
        template = draw(st.sampled_from(_STATEMENTS))
        body.append(template.format(j=draw(st.integers(0, 2)), k=draw(st.integers(0, 2))))
    src = ("def f(n, x, y, s0, s1, s2):\n    t = 0\n    for i in range(n):\n        "
           + "\n        ".join(body) + "\n    return s0, s1, s2, t\n")
    return src


_NEAR = st.one_of(st.integers(-4, 4), st.integers(2 ** 61, 2 ** 63 - 1), st.integers(-2 ** 63, -2 ** 61))


@settings(max_examples=40, deadline=None)
@given(src=programs(), n=st.integers(0, 6), x=_NEAR, y=st.integers(-3, 3),
       starts=st.lists(_NEAR, min_size=3, max_size=3))
def test_generated_accumulator_loops(src, n, x, y, starts):
    """Deferred or not, every generated loop returns what CPython returns,
    overflowing or not."""
    ns: dict = {}
    exec(compile(src, "<generated>", "exec"), ns)
    fn = ns["f"]
    args = (n, x, y, *starts)
    want = fn(*args)
    for level in ("O0", "O2"):
        jf = pyjit.jit(fn, backend="llvm", level=level)
        got = jf(*args)
        assert got == want and [type(v) for v in got] == [type(v) for v in want], (src, args, level)
        specs = [s for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]
        assert specs and all(s.backend == "llvm" for s in specs), (src, [s.note for s in specs])
