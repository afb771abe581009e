"""The public API: options, fullgraph, generators, closures, globals, defaults."""
import asyncio

import numpy as np
import pytest

import pyjit
from difftest import check


def test_bare_and_with_options():
    def f(x):
        return x * 2.0 + 1.0

    assert pyjit.jit(f)(2.0) == 5.0
    assert pyjit.jit(level="O2", backend="numpy")(f)(2.0) == 5.0
    for opt in ("fastmath", "parallel", "cache", "fullgraph"):
        assert pyjit.jit(f, **{opt: True})(1.0) == 3.0


def test_unknown_option_raises_type_error():
    with pytest.raises(TypeError, match="unexpected keyword argument 'speed'"):
        pyjit.jit(lambda x: x, speed=3)
    with pytest.raises(ValueError):
        pyjit.jit(lambda x: x, level="O7")


def test_jitted_function_keeps_identity_attributes():
    def f(x, y=2, *, z=3):
        """doc"""
        return x + y + z

    g = pyjit.jit(f)
    assert g.__name__ == "f" and g.__doc__ == "doc" and g.__wrapped__ is f
    assert g(1) == 6 and g(1, 1, z=1) == 3


def test_fullgraph_raises_naming_reason_and_line():
    def f(a):
        b = a * 2
        print(b)
        return b

    g = pyjit.jit(f, fullgraph=True)
    with pytest.raises(pyjit.GraphBreakError) as info:
        g(np.ones(2))
    line = f.__code__.co_firstlineno + 2
    assert "PJ0001" in str(info.value) and f":{line}:" in str(info.value)
    assert "print" in str(info.value)


def test_fullgraph_type_driven_break_raises():
    def f(a):
        return a * 2

    g = pyjit.jit(f, fullgraph=True)
    assert g(3) == 6
    with pytest.raises(pyjit.GraphBreakError, match="PJ0006"):
        g("ab")


def test_generators_and_coroutines_are_untouched():
    def gen(n):
        for i in range(n):
            yield i * 2

    async def coro(x):
        return x + 1

    assert pyjit.jit(gen) is gen
    assert list(pyjit.jit(gen)(3)) == [0, 2, 4]
    assert pyjit.jit(coro) is coro
    assert asyncio.run(pyjit.jit(coro)(1)) == 2


def test_closures_and_defaults():
    scale = 3.0

    def f(x, offset=1.0):
        return x * scale + offset

    check(f, 2.0)
    check(f, 2.0, offset=5)


def helper(x):
    return x * x + 1.0


def uses_helper(a, b):
    c = helper(a) + helper(b)
    return c


def test_inlined_helper():
    g = check(uses_helper, 2.0, 3.0, regions=1, breaks=0)
    assert g(1.0, 1.0) == 4.0


SCALE = 2.0


def uses_global(x):
    y = x * SCALE
    return y


def test_rebinding_a_global_is_seen():
    global SCALE
    g = pyjit.jit(uses_global)
    assert g(3.0) == 6.0
    SCALE = 10.0
    try:
        assert g(3.0) == 30.0
    finally:
        SCALE = 2.0


def test_rebinding_an_inlined_callee_is_seen():
    global helper
    g = pyjit.jit(uses_helper)
    assert g(1.0, 1.0) == 4.0
    original = helper
    helper = lambda x: 0.0  # noqa: E731
    try:
        assert g(1.0, 1.0) == 0.0
    finally:
        helper = original


def test_keyword_only_and_varargs():
    def f(a, *rest, k=2, **kw):
        s = a * k
        return s, rest, kw

    check(f, 1.5, 2, 3, k=4, extra=1)


def test_disable_env(monkeypatch):
    monkeypatch.setenv("PYJIT_DISABLE", "1")

    def f(x):
        return x + 1
    assert pyjit.jit(f) is f
