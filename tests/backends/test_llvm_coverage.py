"""Which registered ops the LLVM backend cannot lower, and which common cases of
lowered ops still fall back — each with its reason, so the lists only shrink on
purpose.  An op missing from LOWERINGS makes every graph using it run on the
numpy backend (or in CPython if the graph has a loop).

    python3 tests/backends/test_llvm_coverage.py     # prints the current lists

If a test here fails because you lowered something: delete its entry.  If it
fails because an op is new and not lowered: lower it, or add it with a reason.
"""
import math

import numpy as np
import pytest

import pyjit

# op name -> why it has no LLVM lowering yet
UNLOWERED = {
}


def unlowered_ops() -> list[str]:
    """Registered ops with no LLVM lowering (after every lowering registered)."""
    import pyjit.ir.defs  # noqa: F401
    from pyjit.backends.llvm import _lowering
    from pyjit.backends.llvm.lower import LOWERINGS
    from pyjit.ir.registry import OPS
    _lowering()
    return sorted(name for name in OPS if name not in LOWERINGS)


def test_unlowered_ops_are_the_allow_list():
    missing = set(unlowered_ops())
    newly_lowered = sorted(set(UNLOWERED) - missing)
    not_listed = sorted(missing - set(UNLOWERED))
    assert not newly_lowered, f"lowered now, delete from UNLOWERED: {newly_lowered}"
    assert not not_listed, f"ops with no LLVM lowering, lower them or list a reason: {not_listed}"


def test_every_reason_is_given():
    assert all(isinstance(r, str) and r for r in UNLOWERED.values())


# ---- common cases of lowered ops: which compile, which still fall back -------------

def _looped(expr):
    """A function computing ``expr`` of ``a, b`` after a loop (scalar code without
    a loop is left to CPython whatever the backend could do)."""
    ns = {"np": np, "math": math}
    exec(f"def f(a, b, n):\n    k = 0\n    for _ in range(n):\n        k += 1\n"
         f"    return {expr}, k\n", ns)
    return ns["f"]


A2 = np.arange(12.0).reshape(3, 4)
C = np.complex128(1 + 2j)

# (expression, a, b, backend: "llvm" or the fallback's, reason when not "llvm")
CASES = [
    ("a[1:-1, ::2]", A2, 0, "llvm", ""),
    ("a[None, b]", A2, 1, "llvm", ""),
    ("a.reshape(4, 3)", A2, 0, "llvm", ""),
    ("np.zeros((b, 2))", 0.0, 3, "llvm", ""),
    ("np.arange(b)", 0, 4, "llvm", ""),
    ("a * b / (a - 1j)", 2 + 1j, 3 - 1j, "llvm", ""),
    ("abs(a * b)", C, C, "llvm", ""),
    ("a + b", np.complex64(1j), np.complex64(1), "cpython", "complex64 has no representation"),
    ("np.zeros((b, 2), order='F')", 0.0, 3, "cpython", "F-ordered new arrays"),
    ("np.copy(a[:, ::2])", A2, 0, "cpython", "np.copy of a strided n-d array keeps its memory "
                                             "order, known only at run time (layout A)"),
    ("a[:, ::2].copy()", A2, 0, "llvm", ""),
    ("a[b]", A2, np.array([0, 2]), "cpython", "advanced (array) indexing copies"),
    ("(math.degrees(a), math.radians(b))", 1.5, 2, "llvm", ""),
    ("(np.maximum(a, b), np.fmin(a, 0.5), np.clip(a, b, 3.0), np.copysign(a, -1))", A2, 2.0, "llvm", ""),
    ("(np.floor_divide(a, b), np.remainder(a, b), np.fmod(a, -b), np.ldexp(a, b))",
     np.arange(6), np.arange(1, 7), "llvm", ""),
    ("(np.spacing(a), np.nextafter(a, b), np.heaviside(a, b), np.float_power(a, b))",
     np.float32(1.5), 0.0, "llvm", ""),
    ("np.copysign(a, b)", np.int8(1), np.int8(-1), "cpython", "numpy's loop for int8 is float16: "
                                                              "no representation"),
    ("a.sum(axis=0)", A2, 0, "llvm", ""),
    ("np.sum(a * b)", A2, A2[0], "llvm", ""),
    ("a[:, ::2].sum()", A2, 0, "cpython", "a float sum of a strided 2-d array: numpy buffers "
                                          "it or not at run time (Note [strided float sums])"),
    ("(np.any(a > b), a.all())", A2.T[:, ::2], 5.0, "llvm", ""),
    ("(a.std(ddof=1), np.var(a))", A2.T, 0, "llvm", ""),
    ("np.var(a)", A2.astype(np.int64), 0, "cpython", "var/std of int arrays: numpy sums them "
                                                     "in np.setbufsize-sized float64 chunks"),
    ("np.cumsum(a[::-1].T)", A2, 0, "llvm", ""),
    ("a.cumprod(axis=1)", A2, 0, "llvm", ""),
    ("np.isnan(a).any(axis=0)", A2, 0, "llvm", ""),
    ("np.cumsum(a, axis=0)", A2.T, 0, "cpython", "scans along an axis of an F-ordered or "
                                                 "strided array: numpy lays the result out"),
    ("np.zeros_like(a)", A2.T[::2], 0, "cpython", "*_like of a strided 2-d array: numpy "
                                                  "picks the memory order at run time"),
    ("np.arange(b, dtype=np.int32)", 0, 4, "cpython", "arange of dtypes but int64/float64"),
    ("(round(a, 2), round(a), divmod(a, 3.0), np.round(a, 1))", 2.675, 0, "llvm", ""),
    ("(np.gcd(a, b), np.left_shift(a, b), ~a)", np.arange(6), 4, "llvm", ""),
    ("(a.astype(np.int32), np.linspace(0, b, 7))", A2, 1.5, "llvm", ""),
    ("a.astype(np.float32)", A2.T, 0, "cpython", "astype in 'K' order of an F-ordered array: "
                                                 "F-ordered new arrays"),
    ("np.linspace(a, b, 5)", np.float32(0), np.float32(1), "cpython", "linspace computed in "
                                                                     "float32: not written"),
    ("a.real", A2 + 1j, 0, "cpython", "complex arrays have no representation"),
    ("(a @ a.T, np.outer(a[0], a[1]), np.vdot(a, a))", A2, 0, "llvm", ""),
    ("np.dot(a, b)", A2, 2.0, "cpython", "a product with a scalar operand: numpy's weak "
                                         "Python scalar (NEP 50) is no 0-d array"),
]


@pytest.mark.parametrize("expr, a, b, backend, why", CASES, ids=[c[0] for c in CASES])
def test_common_cases(expr, a, b, backend, why):
    fn = _looped(expr)
    jf = pyjit.jit(fn, backend="llvm")
    try:
        want = fn(a, b, 2)
    except Exception as e:  # noqa: BLE001  (then pyjit must raise the same)
        with pytest.raises(type(e)):
            jf(a, b, 2)
    else:
        from difftest import same
        assert same(jf(a, b, 2), want)
    specs = [s for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]
    assert specs and all(s.backend == backend for s in specs), \
        (f"{expr}: expected {backend} ({why or 'lowered'}); delete or move this case if it "
         f"changed on purpose", [(s.backend, s.note) for s in specs])


if __name__ == "__main__":
    for name in unlowered_ops():
        print(f"{name:20} {UNLOWERED.get(name, '(not in the allow-list)')}")
