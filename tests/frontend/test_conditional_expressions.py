"""Conditional expressions (``a if c else b``): the two arms meet with a value on the
operand stack.  Where an arm is a literal, it joins as a constant value
(``Translator._literals_as_values``); two different literals must stay what they
are (``0.0`` vs ``-0.0``, ``1`` vs ``True`` are equal as Python objects, not the
same result)."""
from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from difftest import check


def _safe_mean(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] / (i - 2) if i != 2 else 0.0
    return s


def _signed_zero(c, a):
    s = 0.0
    for i in range(a.shape[0]):
        y = 0.0 if c else -0.0
        s = s + y if a[i] > 0.5 else s * y
    return s, y


def _types_of_equal_literals(c, n):
    t = 0
    for _ in range(n):
        z = 1 if c else True
        w = 1.0 if c else 1
        t += z
    return t, z, w


def _nested(x, n):
    s = 0.0
    for k in range(n):
        s += (x / k if k % 3 else -1.5) if k else math.inf
    return s


def _none_arm(c, n):
    r = None
    for k in range(n):
        r = k if c else None
    return r


def test_value_and_literal_join_compiles():
    jitted = check(_safe_mean, np.array([1.0, -2.0, 3.0, 0.5, -0.0]), regions=1, breaks=0)
    assert all(s.entry is not None for r in jitted.__pyjit__.regions
               for s in r.dispatcher.cache.values())


def test_equal_literals_keep_their_sign_and_type():
    a = np.array([0.25, 0.75, 0.9])
    for c in (True, False):
        check(_signed_zero, c, a)
        check(_types_of_equal_literals, c, 3)
        check(_types_of_equal_literals, c, 0)


def test_nested_and_none_arms():
    for x in (2.0, -0.0, math.nan):
        check(_nested, x, 7)
    for c in (True, False):
        check(_none_arm, c, 3)
        check(_none_arm, c, 0)


@settings(max_examples=40, deadline=None)
@given(x=st.floats(allow_nan=True, allow_infinity=True), c=st.booleans(),
       n=st.integers(0, 6))
def test_conditional_expressions_match_cpython(x, c, n):
    check(_nested, x, n)
    check(_signed_zero, c, np.full(n, x))
