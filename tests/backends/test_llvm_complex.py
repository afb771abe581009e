"""Complex scalars on the LLVM backend (lowerings/complex.py): Python complex
and np.complex128, bit for bit against CPython and numpy — special values in
every part (inf, nan, -0.0, huge, subnormal), CPython's and numpy's complex
division, ZeroDivisionError via a bailout — and each compiled natively.

Regions hold a loop: scalar code without one runs in CPython anyway."""
import itertools
import math
import warnings

import numpy as np
import pytest

import pyjit
from difftest import check, same
from nativecheck import native


def llvm_check(fn, *args):
    for level in ("O0", "O1", "O2"):
        with np.errstate(all="ignore"):
            native(check(fn, *args, backends=("llvm",), options={"level": level}))


def arith(a, b, n):
    k = 0
    for _ in range(n):  # a loop, so that the region compiles
        k += 1
    return a + b, a - b, a * b, -a, +b, a == b, a != b, abs(a), k


def quot(a, b, n):
    k = 0
    for _ in range(n):
        k += 1
    return a / b, k


def inplace(a, b, n):
    z = a
    for _ in range(n):
        z *= b
        z += a
        z -= 1
        z /= b
    return z


PARTS = [0.0, -0.0, 1.0, -2.5, 3.0, math.inf, -math.inf, math.nan, 1e308, 5e-324]
VALUES = [complex(r, i) for r, i in itertools.product(PARTS, PARTS)]


def _outcome(fn, *args):
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        try:
            return "value", fn(*args)
        except Exception as e:  # the exception is the observed behaviour
            return "raised", type(e)


@pytest.mark.parametrize("kind", [complex, np.complex128])
@pytest.mark.parametrize("level", ["O0", "O2"])
def test_special_values_bitwise(kind, level):
    """Every pair of 100 complex values with special parts: + - * / == != abs neg."""
    ja = pyjit.jit(arith, backend="llvm", level=level)
    jq = pyjit.jit(quot, backend="llvm", level=level)
    vals = [kind(v) for v in VALUES]
    for a, b in itertools.product(vals, vals[::3]):
        for fn, jf in ((arith, ja), (quot, jq)):
            want, got = _outcome(fn, a, b, 1), _outcome(jf, a, b, 1)
            assert want[0] == got[0] and same(got[1], want[1]), (fn.__name__, a, b, got, want)
    native(ja)
    native(jq)


@pytest.mark.parametrize("a, b", [
    (1 + 2j, 3 - 4j), (1e300 + 1e300j, 1e-300 + 1e-300j), (-0.0 - 0.0j, 2 + 0j),
    (1 + 1j, 0j), (1 + 1j, -0.0 + 0j), (0j, 0j), (complex("nan+nanj"), 0j),  # ZeroDivisionError
    (complex(math.inf, 1), 2 + 1j), (1 + 1j, complex(math.inf, math.inf)),  # NaN+NaNj bails out
])
def test_division(a, b):
    llvm_check(quot, a, b, 2)
    llvm_check(quot, np.complex128(a), np.complex128(b), 2)
    llvm_check(inplace, a, b, 3)


@pytest.mark.parametrize("a, b", [
    (1 + 2j, 2.5), (1 + 2j, -0.0), (complex(math.inf, 1), 2.0), (3, 1 - 1j), (True, 2j),
    (2 + 0j, 2), (2.0 ** 60 + 0j, 2 ** 60 + 1), (np.complex128(1 + 2j), np.float64(0.5)),
    (np.complex128(1 - 1j), 3), (1 + 2j, np.float64(-1.5)), (np.float32(1.5), np.complex128(1j)),
])
def test_mixed_operands(a, b):
    """A real operand is complex(x, 0.0): (inf+1j)*2.0 has a NaN imaginary part;
    ints compare exactly (beyond 2**53 through a bailout)."""
    llvm_check(arith, a, b, 1)
    llvm_check(quot, a, b, 1)


def build(x, y, n):
    k = 0
    for _ in range(n):
        k += 1
    return complex(x, y), k


@pytest.mark.parametrize("x, y", [(1.5, -0.0), (-0.0, 0.0), (3, 4), (True, False),
                                  (math.nan, math.inf), (np.float32(0.1), np.int16(-3)),
                                  (1 + 2j, 3 - 4j), (1 + 2j, 5.0), (-0.0, 1 - 1j)])
def test_constructor(x, y):
    llvm_check(build, x, y, 1)


def parts(z, n):
    acc = z.real
    for _ in range(n):
        acc = acc + z.real * z.imag
    return z.real, z.imag, z.conjugate(), np.conjugate(z), acc, bool(z), not z


@pytest.mark.parametrize("z", [np.complex128(1.5 - 2j), np.complex128(complex(-0.0, 0.0)),
                               np.complex128(complex(math.nan, -0.0)), np.complex128(0j)])
def test_parts_and_truth(z):
    llvm_check(parts, z, 2)


def modulus(z, n):
    r = 0.0
    for _ in range(n):
        r += abs(z)
    return r


@pytest.mark.parametrize("z", [3 + 4j, complex(math.inf, math.nan), complex(math.nan, -math.inf),
                               complex(math.nan, 1.0), 1e308 + 1e308j,   # OverflowError
                               complex(-0.0, -0.0)])
def test_abs(z):
    llvm_check(modulus, z, 1)
    llvm_check(modulus, np.complex128(z), 1)


def mandel(c, limit):
    z = 0j
    for i in range(limit):
        z = z * z + c
        if abs(z) > 2.0:
            return i
    return limit


def test_mandelbrot_kernel():
    for c in (0.25 + 0.5j, -0.75 + 0.1j, 0.3 - 0.6j, 2 + 2j):
        llvm_check(mandel, c, 50)

