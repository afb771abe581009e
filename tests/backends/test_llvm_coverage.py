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
    "array.astype": "dtype conversion of arrays: not written yet (kernels could cast)",
    "divmod": "returns a tuple of two results; not written yet",
    "imatmul": "matrix products: no BLAS call from native code",
    "matmul": "matrix products: no BLAS call from native code",
    "np.matmul": "matrix products: no BLAS call from native code",
    "np.dot": "matrix products: no BLAS call from native code",
    "np.inner": "matrix products: no BLAS call from native code",
    "np.outer": "a product; not written yet",
    "np.vdot": "matrix products: no BLAS call from native code",
    "math.degrees": "no lowering of its own",
    "math.radians": "no lowering of its own",
    "np.all": "reduction: not written yet",
    "np.any": "reduction: not written yet",
    "np.std": "reduction with numpy's two-pass algorithm: not written yet",
    "np.var": "reduction with numpy's two-pass algorithm: not written yet",
    "np.cumsum": "scan: not written yet",
    "np.cumprod": "scan: not written yet",
    "np.clip": "ufunc with NaN rules: not written yet",
    "np.copysign": "ufunc: not in ufuncs.LOOP_UFUNCS and no native form",
    "np.float_power": "ufunc: not in ufuncs.LOOP_UFUNCS and no native form",
    "np.floor_divide": "ufunc: not in ufuncs.LOOP_UFUNCS and no native form",
    "np.fmax": "ufunc: not in ufuncs.LOOP_UFUNCS and no native form",
    "np.fmin": "ufunc: not in ufuncs.LOOP_UFUNCS and no native form",
    "np.fmod": "ufunc: not in ufuncs.LOOP_UFUNCS and no native form",
    "np.gcd": "integer ufunc: not written yet",
    "np.lcm": "integer ufunc: not written yet",
    "np.heaviside": "ufunc: not in ufuncs.LOOP_UFUNCS and no native form",
    "np.invert": "integer ufunc: not written yet",
    "np.left_shift": "integer ufunc: not written yet",
    "np.right_shift": "integer ufunc: not written yet",
    "np.ldexp": "ufunc with mixed int/float operands: not written yet",
    "np.maximum": "ufunc with NaN propagation: not written yet",
    "np.minimum": "ufunc with NaN propagation: not written yet",
    "np.nextafter": "ufunc: not in ufuncs.LOOP_UFUNCS and no native form",
    "np.remainder": "ufunc: not in ufuncs.LOOP_UFUNCS and no native form",
    "np.round": "numpy's round-half-even with decimals: not written yet",
    "np.signbit": "ufunc: not written yet",
    "np.spacing": "ufunc: not in ufuncs.LOOP_UFUNCS and no native form",
    "np.linspace": "numpy's exact step algorithm: not written yet",
    "round": "CPython's correctly rounded round(): not written yet",
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
    ("a[b]", A2, np.array([0, 2]), "cpython", "advanced (array) indexing copies"),
    ("math.degrees(a)", 1.5, 0, "cpython", "no lowering (UNLOWERED)"),
    ("a.sum(axis=0)", A2, 0, "cpython", "reductions along an axis"),
    ("np.zeros_like(a)", A2.T[::2], 0, "cpython", "*_like of a strided 2-d array: numpy "
                                                  "picks the memory order at run time"),
    ("np.arange(b, dtype=np.int32)", 0, 4, "cpython", "arange of dtypes but int64/float64"),
    ("a.real", A2 + 1j, 0, "cpython", "complex arrays have no representation"),
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
