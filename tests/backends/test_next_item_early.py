"""Arithmetic on a range loop's next item computed one iteration early
(backends/llvm/early.py, Note [next item early]): which loops get it, and that
results, exceptions and warnings stay CPython's when the early copy computes
past the last item, divides by zero, overflows, or would raise an FPU flag."""
from __future__ import annotations

import math
import warnings

from hypothesis import given, settings, strategies as st
import numpy as np
import pytest

import pyjit
from pyjit.backends.llvm import early
from pyjit.ir.verify import _dominators

from difftest import check
from nativecheck import agree, native, specs


def escape_counts(h, w, maxit, x0, scale):
    count = 0
    for py in range(h):
        for px in range(w):
            cr = x0 + scale * px / w          # computed for the next pixel early
            ci = -1.5 + 3.0 * py / h
            zr = 0.0
            zi = 0.0
            k = 0
            while k < maxit and zr * zr + zi * zi <= 4.0:
                zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
                k += 1
            count += k
    return count


def reciprocal_steps(n, pole, m):
    total = 0.0
    for i in range(n):
        r = 1.0 / (i - pole)                  # ZeroDivisionError at i == pole
        for _ in range(m):
            total += r
    return total


def big_products(n, factor, m):
    total = 0
    for i in range(n):
        v = i * factor                        # overflows int64 for a big factor
        for _ in range(m):
            total += v
    return total


def with_numpy_math(n, big, m, a):
    total = 0.0
    for i in range(n):
        v = big * i                           # the early copy past the last item overflows
        for _ in range(m):
            total += v
    return total, a[0] * 2.0                  # numpy float math: the region tests FPU flags


def carried(n, m, s):
    for i in range(n):
        s = s + s                             # a loop-carried value: not early
        t = i * 3 - s                         # i * 3 early, - s not
        u = i * 0.5                           # early
        for _ in range(m):
            s += t + int(u)
    return s


def flat(n):
    total = 0.0
    for i in range(n):
        total += 0.5 * i                      # no inner loop: nothing early
    return total


def _plans(fn, *args):
    """early.plan's result for each compiled key of ``fn``: {header: node ops}."""
    jf = pyjit.jit(fn, backend="llvm")
    jf(*args)
    out = []
    for s in specs(jf):
        g = s.graph
        producers = {n.outputs[0]: n for n in g.nodes()}
        out.append({h: [n.op for n in e.nodes] for h, e in early.plan(g, producers, _dominators(g)).items()})
    return jf, out


def test_mandelbrot_computes_its_next_cr_early():
    jf, plans = _plans(escape_counts, 4, 5, 20, -2.0, 3.0)
    assert [list(p.values()) for p in plans] == [[["mul", "truediv", "add"]]]
    native(jf)
    text = specs(jf)[0].entry.ir
    assert text.count('asm  "", "=x,0"') == 6    # three values, on the edge in and in the body


def test_only_arithmetic_on_the_item_and_fixed_values_is_early():
    _, plans = _plans(carried, 3, 2, 1)
    assert [list(p.values()) for p in plans] == [[["mul", "mul"]]]
    for args in [(3, 2, 1), (0, 2, 5), (70, 1, 1), (5, 0, -3)]:
        check(carried, *args)


def test_loops_without_an_inner_loop_are_left_alone():
    _, plans = _plans(flat, 10)
    assert plans == [{}]


def test_regions_that_test_fpu_flags_are_left_alone():
    """With numpy float math in the region, an early ``big * i`` past the last
    item would raise the overflow flag, and the region would leave through its
    checkpoint for nothing.  The plan exists, but the lowering drops it."""
    a = np.array([1.5])
    jf, plans = _plans(with_numpy_math, 2, 1e308, 1, a)
    assert [list(p.values()) for p in plans] == [[["mul"]]]
    native(jf)
    assert "asm" not in specs(jf)[0].entry.ir.replace("asm sideeffect", "")
    before = _bailouts(jf)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert jf(2, 1e308, 1, a) == with_numpy_math(2, 1e308, 1, a)   # 1e308 * 1: no overflow
    assert _bailouts(jf) == before


@pytest.mark.parametrize("args", [(6, 6, 30, -2.0, 3.0), (0, 5, 10, -2.0, 3.0), (5, 0, 10, -2.0, 3.0),
                                  (3, 1, 10, 0.25, 0.0), (3, 4, 0, -2.0, 3.0), (2, 3, 5, math.nan, 1.0)])
def test_escape_counts(args):
    native(check(escape_counts, *args, regions=1, breaks=0))


def _bailouts(jf) -> int:
    return sum(r.dispatcher.stats.bailouts for r in jf.__pyjit__.regions)


def test_escape_counts_with_a_zero_width():
    """w == 0: no pixel, so no division; the early copy on the edge into the
    pixel loop divides by zero, without a check, so nothing bails out."""
    check(escape_counts, 3, 0, 10, -2.0, 3.0)
    for level in ("O0", "O1", "O2"):
        jf = pyjit.jit(escape_counts, backend="llvm", level=level)
        assert jf(3, 0, 10, -2.0, 3.0) == 0
        native(jf)
        assert _bailouts(jf) == 0


@pytest.mark.parametrize("pole", [3, 0, 7, 100, -1])
def test_a_division_by_zero_in_the_early_arithmetic(pole):
    """The early copy divides by zero one item before the pole, quietly; the
    checked copy then bails out at the pole and CPython raises there."""
    check(reciprocal_steps, 7, pole, 3)


@pytest.mark.parametrize("factor", [3, 2 ** 62, -2 ** 62, 2 ** 61 + 1])
def test_int_overflow_in_the_early_arithmetic(factor):
    check(big_products, 5, factor, 2)


@given(st.integers(0, 6), st.integers(0, 6), st.integers(0, 12),
       st.floats(-3, 3), st.floats(-4, 4))
@settings(max_examples=40, deadline=None)
def test_generated(h, w, maxit, x0, scale):
    agree(escape_counts, h, w, maxit, x0, scale)
