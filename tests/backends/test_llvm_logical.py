"""``np.any``/``np.all`` on the LLVM backend (lowerings/logical.py) against numpy:
NaN is true, ``-0.0`` false, empty arrays give the identities, any layout and
ndim, and scalars."""

import numpy as np
import pytest
from hypothesis import assume, given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bitwise import compare
from difftest import check

DTYPES = ["f8", "f4", "i1", "i2", "i4", "i8", "u1", "u2", "u4", "u8", "?"]


def any_(a):
    return np.any(a)


def all_(a):
    return a.all()


def any_axis0(a):
    return a.any(axis=0)


def all_axis_last(a):
    return np.all(a, axis=-1)


FNS = [any_, all_]


@pytest.mark.parametrize("dtype", DTYPES)
@pytest.mark.parametrize("fn", FNS, ids=lambda f: f.__name__)
def test_every_position_decides(fn, dtype):
    """One deciding element at each position (around the 256-element blocks of
    contiguous arrays too), in views of every kind: the walk must reach it
    (and stop early without changing the answer)."""
    for n in [0, 1, 2, 9, 33, 256, 257, 700]:
        base = np.ones(n, dtype) if fn is all_ else np.zeros(n, dtype)
        compare(fn, base)
        compare(fn, base[::-2])
        edges = {0, 1, 255, 256, 257, 511, 512, n // 2, n - 1}
        positions = range(n) if n < 40 else sorted(edges & set(range(n)))
        for i in positions:
            a = base.copy()
            a[i] = 0 if fn is all_ else 1
            compare(fn, a)
            compare(fn, a[::-1])
            compare(fn, a[i % 3::3])


@pytest.mark.parametrize("level", ["O0", "O2"])
@pytest.mark.parametrize("fn", FNS, ids=lambda f: f.__name__)
def test_levels_and_2d_blocks(fn, level):
    for shape in [(30, 20), (3, 300)]:
        base = np.ones(shape, "f4") if fn is all_ else np.zeros(shape, "f4")
        compare(fn, base, level=level)
        for i in [0, 255, 256, base.size - 1]:
            a = base.copy()
            a.flat[i] = 0 if fn is all_ else np.nan
            compare(fn, a, level=level)
            compare(fn, np.asfortranarray(a), level=level)
            compare(fn, a.T, level=level)


@pytest.mark.parametrize("fn", FNS, ids=lambda f: f.__name__)
def test_float_truth(fn):
    for a in ([np.nan], [-0.0], [0.0, -0.0], [np.nan, 0.0], [-np.inf], [5e-324], [-0.0, 1.0]):
        for dtype in ("f8", "f4"):
            compare(fn, np.array(a, dtype))


@pytest.mark.parametrize("fn", FNS, ids=lambda f: f.__name__)
def test_multidimensional(fn):
    for shape in [(3, 4), (2, 3, 5), (0, 4), (4, 0), ()]:
        for fill in (0, 1):
            a = np.full(shape, fill, np.int32)
            if a.size:
                a.flat[a.size // 2] = 1 - fill
            compare(fn, a)
            compare(fn, np.asfortranarray(a))
            compare(fn, a.T)
            if a.ndim:
                compare(fn, a[..., ::2])
                compare(fn, a[::-1])


@pytest.mark.parametrize("fn", FNS, ids=lambda f: f.__name__)
def test_scalars(fn):
    for x in (np.float64(0.0), np.float64(-0.0), np.float32(np.nan), np.int8(0), np.uint64(7),
              np.bool_(True)):
        compare(fn, x)


def any_axis1(a):
    return np.any(a, axis=1)


def all_axis_neg2(a):
    return a.all(axis=-2)


AXIS_FNS = [any_axis0, all_axis_last, any_axis1, all_axis_neg2]


def test_axis_of_1d_is_the_full_reduction():
    compare(any_axis0, np.array([0.0, 0.0, 2.0]))
    compare(all_axis_last, np.array([1, 0, 3])[::-1])


@pytest.mark.parametrize("fn", AXIS_FNS, ids=lambda f: f.__name__)
def test_axis(fn):
    """One axis of a 2-d or 3-d array: a C-ordered bool array, natively where
    numpy's result is C-ordered (any 1-d result; a C-contiguous input)."""
    rng = np.random.default_rng(17)
    for shape in [(4, 5), (1, 7), (6, 1), (0, 3), (3, 0), (3, 4, 5), (2, 0, 3)]:
        for p in (0.05, 0.5, 0.95):
            a = rng.random(shape) < p
            for v in (a, a.astype("f8") * rng.choice([-0.0, np.nan, 2.0], shape), a.astype("i2")):
                compare(fn, v)
                c3 = v.ndim == 3  # numpy lays out a 2-d result of an F or strided input itself
                compare(fn, np.asfortranarray(v), backend=None if c3 else "llvm")
                compare(fn, v[::-1, ..., ::2], backend=None if c3 else "llvm")
                compare(fn, v.T, backend=None if c3 else "llvm")


def rows_with_nan(m):
    k = 0
    for i in range(m.shape[0]):
        if np.any(m[i] != m[i]) or not m[i].all():
            k += 1
    return k


def test_in_a_compiled_loop():
    """any/all inside a native loop, at every level and on the numpy backend."""
    m = np.random.default_rng(13).standard_normal((40, 300))
    m[3, 299] = np.nan
    m[17, 0] = 0.0
    m[29, 150] = np.nan
    jf = check(rows_with_nan, m)
    specs = [s for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]
    assert specs and all(s.backend == "llvm" for s in specs), [(s.backend, s.note) for s in specs]
    check(rows_with_nan, m.T)
    check(rows_with_nan, m[:, ::3])


VIEWS = {
    "whole": lambda a: a,
    "step2": lambda a: a[::2],
    "reversed": lambda a: a[::-1],
    "T": lambda a: a.T,
    "cols2": lambda a: a[..., ::2],
}


@given(a=hnp.arrays(st.sampled_from(DTYPES),
                    hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=6)),
       view=st.sampled_from(sorted(VIEWS)),
       fn=st.sampled_from(FNS + AXIS_FNS),
       level=st.sampled_from(["O0", "O1", "O2"]))
def test_hypothesis(a, view, fn, level):
    """Any data and dtype, any view, full or along an axis: numpy's outcome;
    native for every full reduction."""
    v = VIEWS[view](a) if a.ndim else a
    if fn in AXIS_FNS:
        assume(v.ndim >= 2)
    compare(fn, v, level=level, backend="llvm" if fn in FNS else None)
