"""``jit(fastmath=True)`` on the LLVM backend (Note [fastmath flags] in cgutils.py).

Float arithmetic carries ``reassoc nsz arcp contract`` only under fastmath, so
LLVM may vectorize reductions; the results stay within rtol 1e-12 of CPython's
on well-conditioned inputs.  NaN and inf keep their IEEE meaning (no ``nnan``,
no ``ninf``): every check that reads a float still fires.  Without fastmath the
IR carries no fast-math flag at all (strict mode's bit-identity is the whole
differential suite's business)."""
import math
import re

import numpy as np
import pytest

import pyjit
from pyjit.backends.llvm import engine

_FLAG = re.compile(r"\b(fast|reassoc|nnan|ninf|nsz|arcp|contract|afn)\b")


def _irs(jf) -> list:
    """The LLVM IR text of every key compiled for ``jf``."""
    out = []
    for region in jf.__pyjit__.regions:
        for entry in region.dispatcher.cache.values():
            text = getattr(entry.entry, "ir", None)
            if text is not None:
                out.append(text)
    return out


def _float_op_lines(text: str) -> list:
    return [ln for ln in text.splitlines()
            if re.search(r"= (fadd|fsub|fmul|fdiv|fneg) ", ln)]


def sum_squares(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * a[i]
    return s


def mixed(a, b):
    s = 0.0
    for i in range(a.shape[0]):
        s += (a[i] - b[i]) / (b[i] + 1.0) - -a[i] * 0.5
    return s


def array_expr(a, b):
    return (a * b + a / b).sum() + np.mean(a) + np.square(b).sum() + (a * b).prod()


def float_to_index(a, x, scale):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * scale
    return a[int(x * s)]


def _wellconditioned(n, seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(0.5, 2.0, n), rng.uniform(0.5, 2.0, n)


@pytest.mark.parametrize("level", ["O0", "O1", "O2"])
@pytest.mark.parametrize("fn, n", [(sum_squares, 10_001), (mixed, 3_333), (array_expr, 300)])
def test_fastmath_results_close_to_cpython(fn, n, level):
    a, b = _wellconditioned(n)
    args = (a,) if fn is sum_squares else (a, b)
    want = fn(*args)
    jf = pyjit.jit(fn, backend="llvm", fastmath=True, level=level)
    got = jf(*args)
    assert type(got) is type(want)
    assert math.isclose(got, want, rel_tol=1e-12, abs_tol=0.0)
    irs = _irs(jf)
    assert irs and any("reassoc" in _float_op_lines(t)[0] for t in irs if _float_op_lines(t))


@pytest.mark.parametrize("fn", [sum_squares, mixed, array_expr])
def test_strict_mode_has_no_fast_math_flags(fn):
    a, b = _wellconditioned(100)
    args = (a,) if fn is sum_squares else (a, b)
    jf = pyjit.jit(fn, backend="llvm")
    assert jf(*args) == fn(*args)
    irs = _irs(jf)
    assert irs and any(_float_op_lines(t) for t in irs)
    for text in irs:
        for ln in _float_op_lines(text):
            assert not _FLAG.search(ln.split("=", 1)[1].split("double")[0]), ln


def test_fastmath_flags_on_every_float_operation():
    a, b = _wellconditioned(50)
    jf = pyjit.jit(mixed, backend="llvm", fastmath=True)
    jf(a, b)
    lines = [ln for t in _irs(jf) for ln in _float_op_lines(t)]
    assert len(lines) >= 5  # -, /, +, neg, *, +
    for ln in lines:
        assert "reassoc nsz arcp contract" in ln, ln
        assert not re.search(r"\b(fast|nnan|ninf|afn)\b", ln), ln


def test_fastmath_sum_of_squares_vectorizes():
    """The point of reassociation: the reduction loop becomes vector code at O2."""
    a, _ = _wellconditioned(1000)
    jf = pyjit.jit(sum_squares, backend="llvm", fastmath=True, level="O2")
    jf(a)
    (text,) = _irs(jf)
    assert "x double>" in engine.optimized_ir(text, "O2")
    strict = pyjit.jit(sum_squares, backend="llvm", level="O2")
    strict(a)
    (text,) = _irs(strict)
    assert "x double> %" not in "".join(ln for ln in engine.optimized_ir(text, "O2").splitlines()
                                         if " fadd " in ln)


@pytest.mark.parametrize("x", [float("nan"), float("inf"), 1e300, 0.5])
def test_fastmath_keeps_checks_on_nan_and_inf(x):
    """No ``nnan``/``ninf``: a NaN or infinity reaching ``int()`` and an index
    still raises exactly as in CPython (ValueError, OverflowError, IndexError)."""
    a, _ = _wellconditioned(20)
    jf = pyjit.jit(float_to_index, backend="llvm", fastmath=True)

    def outcome(f):
        try:
            return ("value", f(a, x, 1e-3))
        except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
            return ("raised", type(e))
    want, got = outcome(float_to_index), outcome(jf)
    assert want[0] == got[0]
    if want[0] == "raised":
        assert want == got
    else:
        assert got[1] == want[1]


def test_fastmath_nan_propagates():
    a = np.array([1.0, float("nan"), 2.0] * 10)
    jf = pyjit.jit(sum_squares, backend="llvm", fastmath=True, level="O2")
    assert math.isnan(jf(a))
    b = np.array([1.0, float("inf"), 2.0] * 10)
    assert jf(b) == float("inf")
