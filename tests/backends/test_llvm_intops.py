"""numpy's integer ufuncs on the LLVM backend (lowerings/intops.py) against
CPython: ``np.invert``, ``np.left_shift``, ``np.right_shift``, ``np.gcd``,
``np.lcm`` on every integer dtype and bool, at the extremes (wrapping, the
minimum's magnitude), with shift counts beyond the width and negative ones
(Note [numpy shift counts]), Python int operands (NEP 50 overflow), and on
arrays (fused kernels)."""
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from nativecheck import agree

INT_DTYPES = ["i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8"]


def _looped(body: str):
    """``body`` of ``a, b`` after a small loop: scalar code without a loop is
    left to CPython."""
    ns = {"np": np}
    exec(f"def f(a, b, n=2):\n    k = 0\n    for _ in range(n):\n        k += 1\n"
         f"    return {body}, k\n", ns)
    return ns["f"]


shifts = _looped("np.left_shift(a, b), np.right_shift(a, b)")
operators = _looped("a << b, a >> b")   # numpy integers: the same ufuncs


def inplace(a, b, n=2):
    k = 0
    for _ in range(n):
        k += 1
    c = a
    c <<= b
    d = a
    d >>= b
    return c, d, k
gcd_lcm = _looped("np.gcd(a, b), np.lcm(a, b)")
invert = _looped("np.invert(a)")


def extremes(dtype):
    info = np.iinfo(dtype)
    vals = {info.min, info.min + 1, -1, 0, 1, 2, 3, 6, info.max - 1, info.max}
    return [np.dtype(dtype).type(v) for v in sorted(vals) if info.min <= v <= info.max]


def values(dtype):
    info = np.iinfo(dtype)
    return st.integers(info.min, info.max).map(np.dtype(dtype).type)


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_extremes(dtype):
    t = np.dtype(dtype).type
    counts = [t(c) for c in (0, 1, 7, 8, 15, 16, 31, 32, 63, 64, 65, 200) if c <= np.iinfo(dtype).max]
    if np.dtype(dtype).kind == "i":
        counts += [t(-1), t(-8), t(np.iinfo(dtype).min)]
    for a in extremes(dtype):
        agree(invert, a, 0)
        for c in counts:
            agree(shifts, a, c)
            agree(operators, a, c)
            agree(inplace, a, c)
        for b in extremes(dtype):
            agree(gcd_lcm, a, b)


@pytest.mark.parametrize("dtype", INT_DTYPES)
@given(data=st.data())
def test_random(dtype, data):
    a = data.draw(values(dtype))
    b = data.draw(values(dtype))
    small = data.draw(st.integers(-70, 70) if np.dtype(dtype).kind == "i" else st.integers(0, 70))
    agree(shifts, a, b)
    agree(shifts, a, np.dtype(dtype).type(small))
    agree(operators, a, np.dtype(dtype).type(small))
    agree(operators, a, int(small) if small >= 0 else small)   # a Python int count
    agree(gcd_lcm, a, b)
    agree(invert, a, b)


def test_bools():
    for a in (np.bool_(True), np.bool_(False)):
        agree(invert, a, 0)
        for b in (np.bool_(True), np.bool_(False)):
            agree(shifts, a, b)  # the int8 loop
            agree(operators, a, b)
            agree(gcd_lcm, a, b, native=False)  # no bool loop: numpy's TypeError


@pytest.mark.parametrize("a, b", [
    (np.int8(5), 3), (np.int8(-5), 300),  # 300 does not fit int8: OverflowError (bailout)
    (np.uint8(200), -1),  # a negative Python int with a uint8: OverflowError
    (np.int8(-7), np.uint8(3)),  # int16 loop
    (np.int64(-9), np.uint64(2)),  # float64: no loop, numpy raises TypeError (not lowered)
    (12, 18), (-(2 ** 63), 0), (2 ** 62, 3), (True, 5),
])
def test_mixed_operands(a, b):
    native = not (isinstance(a, np.int64) and isinstance(b, np.uint64))
    agree(shifts, a, b, native=native)
    agree(operators, a, b, native=native)
    agree(gcd_lcm, a, b, native=native)


def on_arrays(a, b):
    return np.left_shift(a, b) ^ np.right_shift(a, b), np.gcd(a, b) + np.lcm(a, 3), ~a, np.invert(a)


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_arrays(dtype):
    info = np.iinfo(dtype)
    a = np.array([info.min, -5 if info.min else 5, 0, 1, 12, info.max], dtype=dtype)
    b = np.array([0, 1, 7, 8, 63, 64], dtype=dtype)
    agree(on_arrays, a, b)
    agree(on_arrays, a.reshape(2, 3), b[:3])
    if info.min:
        agree(on_arrays, a, np.array([-1, -64, -65, 3, 2, 1], dtype=dtype))


def test_bool_array_invert():
    agree(_looped("np.invert(a)"), np.array([True, False, True]), 0)


def int_array_sum(a, start):
    s = start
    for i in range(a.shape[0]):
        s += a[i]
    return s


@pytest.mark.parametrize("dtype", INT_DTYPES)
def test_sum_of_an_int_array_from_a_python_int(dtype):
    """``s = 0; s += a[i]``: ``s`` is ``int`` on entry and the numpy integer after.
    For int64 that is the union ``i64|int`` at the loop header (one machine
    representation), compiled member by member, with numpy's overflow warning
    for the scalar add as in CPython.  Other widths do not unify with ``int``
    (PJ0007, ir/types.py ``unify``): CPython runs them, with the same results."""
    native = dtype == "i8"
    info = np.iinfo(dtype)
    small = np.arange(6).astype(dtype)
    agree(int_array_sum, small, 0, native=native)
    agree(int_array_sum, np.zeros(0, dtype), 0, native=native)  # s stays the Python int
    agree(int_array_sum, np.array([info.max, 1, 0], dtype), 0, native=native)  # warns, wraps
    agree(int_array_sum, small, int(info.max), native=native)  # int + the dtype's scalar overflows
    agree(int_array_sum, small[::-2], 3, native=native)
    if info.min < 0:
        agree(int_array_sum, np.array([info.min, -1], dtype), 0, native=native)
    agree(int_array_sum, small, 2 ** 70, native=False)    # OverflowError: CPython's message
