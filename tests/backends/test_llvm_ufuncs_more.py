"""numpy ufuncs lowered natively by backends/llvm/lowerings/npfloat.py (maximum,
minimum, fmax, fmin, clip, copysign, signbit, fmod, remainder, floor_divide,
heaviside, nextafter, spacing, ldexp), float_power through numpy's loop, and
math.degrees/radians: differential against CPython and numpy, bit for bit.

A result is compared by type, dtype, shape and bytes (NaN payloads and signs of
zero count); an exception by type and message; for integer results also the
warnings (numpy warns on a zero divisor, and the lowering bails out there so
that it does).  Operands come from hypothesis, drawn mostly from edge values
(NaNs with payloads of both signs, signed zeros, infinities, the largest and
smallest floats, int extremes, zero divisors), as Python scalars, numpy scalars
of several dtypes, and arrays: contiguous, strided, reversed, transposed and
broadcast, alone and fused into a larger expression.
"""
import math
import struct
import warnings

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import pyjit
from difftest import check

LEVELS = ("O0", "O1", "O2")


def _f64(bits: int) -> float:
    return struct.unpack("<d", struct.pack("<Q", bits))[0]


NAN1, NAN2 = _f64(0x7FF8000000000001), _f64(0xFFF8000000000002)  # payloads of both signs
SNAN1, SNAN2 = _f64(0x7FF4000000000000), _f64(0xFFF0000000000003)  # signaling
SPECIAL_FLOATS = [math.nan, -math.nan, NAN1, NAN2, SNAN1, SNAN2, 0.0, -0.0, math.inf, -math.inf, 1.0, -1.0,
                  0.5, -0.5, 1.5, 2.0, -2.0, 3.0, 7.0, -7.0, 5e-324, -5e-324,
                  2.2250738585072014e-308, 1.7976931348623157e308, -1.7976931348623157e308,
                  1e-300, 1e300, 3.4028234663852886e38, 1.401298464324817e-45, 2.0 ** 53 + 2]
SPECIAL_INTS = [0, 1, -1, 2, -2, 3, -3, 7, -7, 127, -128, 128, 255, 256, 2 ** 31 - 1, -2 ** 31,
                2 ** 53 + 1, 2 ** 63 - 1, -2 ** 63, 1023, -1074, 2000, -2000,
                2 ** 60 + 2 ** 36 + 1]  # rounds twice to a float32 through a double
FLOATS = st.one_of(st.sampled_from(SPECIAL_FLOATS), st.floats(allow_nan=True, allow_infinity=True))
INTS = st.one_of(st.sampled_from(SPECIAL_INTS), st.integers(-2 ** 63, 2 ** 63 - 1))
NUMBERS = st.one_of(FLOATS, INTS)

# How an operand is passed: a Python scalar, or a numpy scalar of this dtype.
KINDS = ["float", "int", "bool", "f8", "f4", "i8", "i4", "i1", "u1", "u8"]


def _as(kind: str, v):
    """``v`` (a float or an int) as an operand of ``kind``; numpy ints wrap."""
    with np.errstate(all="ignore"):
        if kind == "float":
            return float(v)
        if kind == "int":
            return int(v) if isinstance(v, int) else int(np.float64(v).astype(np.int64))
        if kind == "bool":
            return bool(v == v and v != 0)
        dt = np.dtype(kind)
        if dt.kind == "f":
            return dt.type(v)
        if isinstance(v, float):
            v = int(np.float64(v).astype(np.int64))
        return np.array(v, dtype=np.int64 if v < 2 ** 63 else np.uint64).astype(dt)[()]


# ---- the comparison -----------------------------------------------------------------------

def _value(r):
    if isinstance(r, tuple):
        return tuple(_value(x) for x in r)
    if type(r) is float:
        return ("float", struct.pack("<d", r))
    if isinstance(r, (np.ndarray, np.generic)):
        a = np.ascontiguousarray(r)
        return (type(r), a.dtype, a.shape, a.tobytes())
    return (type(r), r)


def _integer(r) -> bool:
    r = r[0] if isinstance(r, tuple) else r
    return isinstance(r, (np.integer, np.bool_, int)) or \
        isinstance(r, np.ndarray) and r.dtype.kind in "biu"


def outcome(fn, *args):
    """(result bits or exception, warnings) of ``fn(*args)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            r = fn(*args)
        except Exception as e:  # noqa: BLE001 - the exception is part of the outcome
            return ("raised", type(e), str(e)), [], True
    return _value(r), [(w.category, str(w.message)) for w in caught], _integer(r)


def _looped(expr: str, params: str = "a, b"):
    """``expr`` after a small loop: scalar code without a loop is left to CPython."""
    ns = {"np": np, "math": math}
    exec(f"def f({params}, n):\n    k = 0\n    for _ in range(n):\n        k += 1\n"
         f"    return {expr}, k\n", ns)
    return ns["f"]


_JITTED: dict = {}


def _jitted(expr: str, params: str, level: str):
    key = (expr, params, level)
    if key not in _JITTED:
        _JITTED[key] = (_looped(expr, params), pyjit.jit(_looped(expr, params), backend="llvm",
                                                          level=level))
    return _JITTED[key]


def same_as_cpython(expr: str, *args, params: str = "a, b", levels=LEVELS):
    """Every level gives CPython's result bits, exception, and (integer results)
    warnings.  Float results are compared without their warnings: native float
    code does not print numpy's (Note [numpy corners that bail out])."""
    for level in levels:
        fn, jf = _jitted(expr, params, level)
        want = outcome(fn, *args, 2)
        got = outcome(jf, *args, 2)
        assert got[0] == want[0], f"{expr} at {level} on {args!r}:\n pyjit {got[0]}\n numpy {want[0]}"
        if want[2]:
            assert got[1] == want[1], f"{expr} at {level} on {args!r}: warnings {got[1]} != {want[1]}"


def backends_of(jf) -> set:
    return {s.backend for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()}


# ---- scalars ------------------------------------------------------------------------------

BINARY = ["np.maximum", "np.minimum", "np.fmax", "np.fmin", "np.copysign", "np.fmod",
          "np.remainder", "np.floor_divide", "np.heaviside", "np.nextafter", "np.float_power"]
UNARY = ["np.signbit", "np.spacing", "math.degrees", "math.radians"]
PAIRS = [("float", "float"), ("f8", "f8"), ("f4", "f4"), ("f4", "float"), ("float", "f4"), ("f4", "int"),
         ("int", "int"), ("i8", "i8"), ("i1", "int"), ("int", "u1"), ("i4", "f4"), ("u8", "i8"),
         ("bool", "bool"), ("f8", "int"), ("u1", "u1")]


@pytest.mark.parametrize("op", BINARY)
@pytest.mark.parametrize("kinds", PAIRS, ids=["-".join(p) for p in PAIRS])
@given(x=NUMBERS, y=NUMBERS)
def test_binary_scalars(op, kinds, x, y):
    same_as_cpython(f"{op}(a, b)", _as(kinds[0], x), _as(kinds[1], y), levels=("O1",))


@pytest.mark.parametrize("op", UNARY)
@pytest.mark.parametrize("kind", ["float", "int", "bool", "f8", "f4", "i8", "i1", "u8"])
@given(x=NUMBERS)
def test_unary_scalars(op, kind, x):
    same_as_cpython(f"{op}(a)", _as(kind, x), params="a", levels=("O1",))


def _corner_pairs():
    """Every pair of the special values: the corners hypothesis may not draw."""
    vals = [math.nan, NAN1, NAN2, SNAN1, SNAN2, 0.0, -0.0, math.inf, -math.inf, 1.0, -1.0, 2.5,
            5e-324]
    return [(x, y) for x in vals for y in vals]


@pytest.mark.parametrize("op", BINARY)
def test_binary_float_corners(op):
    for x, y in _corner_pairs():
        same_as_cpython(f"{op}(a, b)", x, y, levels=("O2",))
        same_as_cpython(f"{op}(a, b)", np.float32(x), np.float32(y), levels=("O2",))


INT_CORNERS = [0, 1, -1, 7, -7, 127, -128, 255, 2 ** 63 - 1, -2 ** 63]


@pytest.mark.parametrize("op", ["np.fmod", "np.remainder", "np.floor_divide", "np.maximum",
                                "np.fmin"])
@pytest.mark.parametrize("kind", ["i1", "u1", "i8", "u8", "int"])
def test_integer_corners(op, kind):
    """Zero divisors and ``MIN // -1`` warn in numpy: they bail out and warn too."""
    for x in INT_CORNERS:
        for y in INT_CORNERS:
            same_as_cpython(f"{op}(a, b)", _as(kind, x), _as(kind, y), levels=("O1",))


CLIP_KINDS = [("float", "float", "float"), ("f8", "float", "float"), ("f4", "float", "f4"), ("f4", "int", "int"),
              ("i1", "int", "int"), ("u1", "int", "int"), ("i8", "int", "i8"), ("int", "int", "int"),
              ("i1", "float", "int"), ("f8", "none", "float"), ("i1", "int", "none"),
              ("u8", "int", "int"), ("bool", "int", "int")]


@pytest.mark.parametrize("kinds", CLIP_KINDS, ids=["-".join(k) for k in CLIP_KINDS])
@given(x=NUMBERS, lo=NUMBERS, hi=NUMBERS)
def test_clip_scalars(kinds, x, lo, hi):
    vals = [None if k == "none" else _as(k, v) for k, v in zip(kinds, (x, lo, hi))]
    same_as_cpython("np.clip(a, lo, hi)", *vals, params="a, lo, hi", levels=("O1",))


def test_clip_corners():
    vals = [math.nan, NAN1, NAN2, SNAN1, 0.0, -0.0, math.inf, -math.inf, 1.0, -1.0]
    for x in vals:
        for lo in vals:
            for hi in vals:
                same_as_cpython("np.clip(a, lo, hi)", x, lo, hi, params="a, lo, hi", levels=("O1",))
    for x in INT_CORNERS:  # Python int bounds beyond an int8's range are dropped or raise
        for lo in INT_CORNERS:
            same_as_cpython("np.clip(a, lo, hi)", np.int8(x % 256 - 128), lo, 5,
                            params="a, lo, hi", levels=("O1",))
            same_as_cpython("np.clip(a, lo, hi)", np.uint8(x % 256), -3, lo,
                            params="a, lo, hi", levels=("O1",))
    # a dropped bound is no bound at all, even where the other bound is beyond it
    for a, lo, hi in [(np.int8(0), 128.0, 127), (np.int8(5), 100.5, 2 ** 63 - 1),
                      (np.int8(0), -128, -200.5), (np.uint64(2 ** 64 - 1), 0, 2 ** 63 - 1),
                      (np.uint64(7), -1, 2.5), (np.int64(-2 ** 63), -2 ** 63, -2 ** 63 + 1.0)]:
        same_as_cpython("np.clip(a, lo, hi)", a, lo, hi, params="a, lo, hi")


LDEXP_KINDS = [("float", "int"), ("f8", "i8"), ("f4", "i4"), ("f4", "i8"), ("f8", "i1"), ("int", "int"),
               ("f8", "bool"), ("float", "u1")]


@pytest.mark.parametrize("kinds", LDEXP_KINDS, ids=["-".join(k) for k in LDEXP_KINDS])
@given(x=FLOATS, e=st.one_of(st.sampled_from([0, 1, -1, 1023, 1024, -1074, -1075, 2 ** 31,
                                               -2 ** 31 - 1, 2 ** 40, -2 ** 40, 2 ** 63 - 1, -2 ** 63]),
                             st.integers(-2 ** 63, 2 ** 63 - 1)))
def test_ldexp_scalars(kinds, x, e):
    same_as_cpython("np.ldexp(a, b)", _as(kinds[0], x), _as(kinds[1], e), levels=("O1",))


def test_degrees_radians_are_cpythons_bits():
    for x in SPECIAL_FLOATS + [math.pi, 180.0, 1e308, -1e308, 2 ** 62, True]:
        same_as_cpython("math.degrees(a)", x, params="a")
        same_as_cpython("math.radians(a)", x, params="a")


# ---- what compiles ------------------------------------------------------------------------

COMPILED = [
    ("np.maximum(a, b)", (1.0, np.float64(2.0))), ("np.minimum(a, b)", (np.int8(1), 2)),
    ("np.fmax(a, b)", (np.float32(1), np.float32(2))), ("np.fmin(a, b)", (1, 2.0)),
    ("np.clip(a, b, 2)", (np.int16(7), 0)), ("np.clip(a, None, b)", (1.5, 0.5)),
    ("np.copysign(a, b)", (1.0, -2)), ("np.signbit(a)", (np.float32(-0.0),)),
    ("np.fmod(a, b)", (7, -2)), ("np.remainder(a, b)", (7.5, -2.0)),
    ("np.floor_divide(a, b)", (np.uint8(7), np.uint8(2))), ("np.heaviside(a, b)", (0.0, 0.5)),
    ("np.nextafter(a, b)", (1.0, 0.0)), ("np.spacing(a)", (np.float32(3.0),)),
    ("np.ldexp(a, b)", (1.5, 3)), ("np.float_power(a, b)", (2, 3)),
    ("math.degrees(a)", (1,)), ("math.radians(a)", (np.float32(1.5),)),
]


@pytest.mark.parametrize("expr, args", COMPILED, ids=[c[0] for c in COMPILED])
def test_compiles_on_llvm(expr, args):
    params = "a, b" if len(args) == 2 else "a"
    jf = pyjit.jit(_looped(expr, params), backend="llvm")
    check(_looped(expr, params), *args, 2)
    jf(*args, 2)
    assert backends_of(jf) == {"llvm"}


def test_float16_loops_fall_back():
    """``np.copysign(int8, int8)`` runs numpy's float16 loop: not lowered, still right."""
    fn = _looped("np.copysign(a, b)")
    check(fn, np.int8(3), np.int8(-1), 2)
    jf = pyjit.jit(fn, backend="llvm")
    assert jf(np.int8(3), np.int8(-1), 2) == fn(np.int8(3), np.int8(-1), 2)
    assert backends_of(jf) == {"cpython"}


# ---- arrays -------------------------------------------------------------------------------

ARRAY_DTYPES = ["f8", "f4", "i8", "i1", "u1"]


def _array(dtype, vals, n):
    vals = (vals * (n // max(len(vals), 1) + 1))[:n] if vals else [0] * n
    return np.array([_as(dtype, v) for v in vals], dtype=dtype)


def _views(a):
    """Contiguous, strided, reversed, and a transposed 2-d view of ``a``'s data."""
    n = len(a)
    yield a
    yield a[::2]
    yield a[::-1]
    if n >= 6:
        m = (n // 6) * 6
        yield a[:m].reshape(-1, 3).T.ravel()
        yield a[:m].reshape(-1, 3).T


@pytest.mark.parametrize("op", ["np.maximum", "np.minimum", "np.fmax", "np.fmin", "np.copysign",
                                "np.fmod", "np.remainder", "np.floor_divide", "np.heaviside",
                                "np.nextafter", "np.ldexp", "np.float_power"])
@pytest.mark.parametrize("dtype", ARRAY_DTYPES)
@given(xs=st.lists(NUMBERS, max_size=6), ys=st.lists(NUMBERS, max_size=6),
       n=st.sampled_from([0, 1, 5, 8, 17, 40]))
@settings(max_examples=25)
def test_binary_arrays(op, dtype, xs, ys, n):
    """Same-shape views, a scalar operand, broadcasting (n,1) x (n,), and the op
    fused with a negation (exact: only the sign flips)."""
    y_dtype = "i4" if op == "np.ldexp" else dtype
    x = _array(dtype, xs, n)
    y = _array(y_dtype, ys, n)
    for xv, yv in zip(_views(x), _views(y)):
        same_as_cpython(f"{op}(a, b)", xv, yv, levels=("O1",))
    same_as_cpython(f"-{op}(a, b)", x, y, levels=("O2",))
    same_as_cpython(f"{op}(a, b)", x[:, None], y[: min(n, 3)], levels=("O1",))
    scalar = _as(y_dtype, ys[0]) if ys else _as(y_dtype, 2)
    same_as_cpython(f"{op}(a, b)", x, scalar, levels=("O1",))
    if op != "np.ldexp":
        same_as_cpython(f"{op}(b, a)", x, scalar, levels=("O1",))


@pytest.mark.parametrize("op", ["np.signbit", "np.spacing"])
@pytest.mark.parametrize("dtype", ["f8", "f4", "i8"])
@given(xs=st.lists(NUMBERS, max_size=8), n=st.sampled_from([0, 3, 17, 40]))
def test_unary_arrays(op, dtype, xs, n):
    x = _array(dtype, xs, n)
    for v in _views(x):
        same_as_cpython(f"{op}(a)", v, params="a", levels=("O1",))


@pytest.mark.parametrize("dtype", ["f8", "f4", "i1", "u8"])
@given(xs=st.lists(NUMBERS, max_size=8), lo=NUMBERS, hi=NUMBERS, n=st.sampled_from([1, 9, 40]))
def test_clip_arrays(dtype, xs, lo, hi, n):
    x = _array(dtype, xs, n)
    for v in _views(x):
        same_as_cpython("np.clip(a, lo, hi)", v, _as(dtype, lo), _as(dtype, hi), params="a, lo, hi",
                        levels=("O1",))
    same_as_cpython("np.clip(a, lo, hi) * 2", x, x[::-1], _as(dtype, hi), params="a, lo, hi",
                    levels=("O2",))
    same_as_cpython("np.clip(a, None, hi)", x, None, _as(dtype, hi), params="a, lo, hi",
                    levels=("O1",))


@pytest.mark.parametrize("n", [1, 3, 4, 7, 8, 9, 16, 17, 33, 64])
def test_min_max_every_special_pair_at_many_lengths(n):
    """maximum/minimum give the same zero and NaN in numpy's SIMD body and scalar
    tail (Note [numpy corners that bail out]): every pair, repeated ``n`` times."""
    vals = [math.nan, NAN1, NAN2, SNAN1, SNAN2, 0.0, -0.0, math.inf, -math.inf, 1.0, -1.0]
    pairs = np.array([(x, y) for x in vals for y in vals])
    for dt in ("f8", "f4"):
        a = np.repeat(pairs[:, 0], n).astype(dt)
        b = np.repeat(pairs[:, 1], n).astype(dt)
        for op in ("np.maximum", "np.minimum", "np.fmax", "np.fmin"):
            same_as_cpython(f"{op}(a, b)", a, b, levels=("O1",))
            same_as_cpython(f"{op}(a, b)", a[::-1], b[::-1], levels=("O2",))


def _inplace(a, b):
    a += np.fmax(a, b)
    return a


def _inplace_div(a, b):
    a -= np.floor_divide(a, b)
    return a


def _inplace_clip(a, b):
    a *= np.clip(a, -0.0, b)
    return a


@pytest.mark.parametrize("fn, a, b", [
    (_inplace, np.array([1.0, 0.0, np.nan, 2.0]), np.array([0.5, -0.0, np.nan, 3.0])),
    (_inplace_div, np.array([5, 7, 9, 11]), np.array([2, 3, 0, 4])),
    (_inplace_clip, np.array([3.0, 2.0, 0.0, 0.5]), 1.5),
])
def test_in_place_update_with_an_element_bailout(fn, a, b):
    """An in-place kernel must not be half-written when an element needs numpy:
    the bailout's corner comes after elements that computed natively."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        check(fn, a, b)


def test_warning_of_an_integer_zero_divisor_is_numpys():
    fn = _looped("np.floor_divide(a, b)")
    jf = pyjit.jit(fn, backend="llvm")
    jf(np.int32(1), np.int32(1), 2)
    with pytest.warns(RuntimeWarning, match="divide by zero encountered in floor_divide"):
        r = jf(np.int32(1), np.int32(0), 2)
    assert r == (np.int32(0), 2) and type(r[0]) is np.int32
    assert backends_of(jf) == {"llvm"}
