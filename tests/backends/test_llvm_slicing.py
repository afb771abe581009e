"""Views on the LLVM backend (lowerings/slicing.py): basic slicing as numpy does
it, the views boxed as views of the source, and slice assignment, compared with
CPython; every case must compile to native code."""
import itertools

import numpy as np
import pytest

import pyjit
from difftest import check, same
from nativecheck import native


def llvm_check(fn, *args):
    """check() on the LLVM backend at every level, and each level compiled natively."""
    for level in ("O0", "O1", "O2"):
        jf = check(fn, *args, backends=("llvm",), options={"level": level})
        native(jf)


# ---- slice indices: every bound against numpy ------------------------------------

def sl3(a, i, j, k):
    return a[i:j:k]


def sl_start(a, i):
    return a[i:]


def sl_stop_neg(a, j, k):
    return a[:j:k]


def sl_none_step(a, k):
    return a[::k]


BOUNDS = [-12, -7, -6, -5, -1, 0, 1, 2, 4, 5, 6, 11]


@pytest.mark.parametrize("level", ["O0", "O2"])
def test_slice_indices_exhaustive(level):
    """Every start, stop and step in BOUNDS (clamping, negative indices, empty
    results, negative steps, step 0 -> ValueError via a bailout)."""
    jf3 = pyjit.jit(sl3, backend="llvm", level=level)
    jfs = pyjit.jit(sl_start, backend="llvm", level=level)
    jfn = pyjit.jit(sl_stop_neg, backend="llvm", level=level)
    jfk = pyjit.jit(sl_none_step, backend="llvm", level=level)
    for n in (0, 1, 5):
        a = np.arange(float(n)) * 1.5
        cases = [(sl3, jf3, (i, j, k)) for i, j, k in itertools.product(BOUNDS, BOUNDS, BOUNDS[:-2])]
        cases += [(sl_start, jfs, (i,)) for i in BOUNDS]
        cases += [(sl_stop_neg, jfn, (j, k)) for j, k in itertools.product(BOUNDS, BOUNDS)]
        cases += [(sl_none_step, jfk, (k,)) for k in BOUNDS]
        for fn, jf, args in cases:
            try:
                want = fn(a, *args)
            except ValueError as e:
                with pytest.raises(ValueError, match=str(e)):
                    jf(a, *args)
                continue
            got = jf(a, *args)
            assert same(got, want), (fn.__name__, n, args)
            assert got.strides == want.strides, (fn.__name__, n, args)
            assert np.shares_memory(got, a) or got.size == 0, (fn.__name__, n, args)
    for jf in (jf3, jfs, jfn, jfk):
        native(jf)


# ---- views of 2-d arrays ------------------------------------------------------------

def views_2d(a, i, j):
    return a[1:-1], a[::2], a[i, :], a[:, j], a[1:-1, 2:], a[::-1, ::-2], a[i], a[..., j]


def newaxis(a):
    return a[None], a[:, None], a[None, 1:, None]


def view_arith(a):
    return (a[1:-1, 1:-1] + a[:-2, 1:-1] + a[2:, 1:-1]) * 0.25


def index_errors(a, i):
    return a[i, 1:]


@pytest.mark.parametrize("a", [
    np.arange(30.0).reshape(5, 6),
    np.arange(30.0).reshape(6, 5).T,              # F order
    np.arange(60, dtype=np.int32).reshape(6, 10)[::2, 1::3],  # strided source
    np.zeros((0, 6)),
])
def test_views_2d(a):
    if a.shape[0] == 0:
        llvm_check(index_errors, a, 0)  # IndexError through a bailout
        return
    llvm_check(views_2d, a, 1, -1)
    llvm_check(views_2d, a, -a.shape[0], a.shape[1] - 1)
    llvm_check(index_errors, a, a.shape[0])   # IndexError
    llvm_check(newaxis, a)
    llvm_check(view_arith, a)


def test_view_boxed_as_view_of_the_argument():
    a = np.arange(20.0).reshape(4, 5)
    jf = pyjit.jit(views_2d, backend="llvm")
    for got, want in zip(jf(a, 1, 2), views_2d(a, 1, 2)):
        assert same(got, want) and got.strides == want.strides
        assert np.shares_memory(got, a)
    native(jf)


def write_through(a, x):
    v = a[1:-1:2]
    v[0] = x
    b = a[::-1]
    b[0] = x + 1.0
    return v


def test_views_written_through():
    llvm_check(write_through, np.arange(9.0), 7.5)
    llvm_check(write_through, np.arange(18.0)[::2], -1.0)


def view_of_new_array(a):
    return (a * 2.0)[1:]


def test_view_of_an_array_allocated_in_the_region():
    llvm_check(view_of_new_array, np.arange(6.0))


def stencil_loop(u, n):
    for _ in range(n):
        u[1:-1] = 0.5 * (u[:-2] + u[2:])
    return u


def test_stencil_loop():
    llvm_check(stencil_loop, np.linspace(0.0, 1.0, 50) ** 2, 5)


# ---- slice assignment ---------------------------------------------------------------

def set_scalar(a, x):
    a[1:-1] = x
    a[::3] = 2 * x
    return a


def set_row_col(a, x):
    a[1, :] = x
    a[:, -1] = x + 1
    a[0] = -1.0
    return a


def set_array(a, b):
    a[1:-1] = b
    return a


def set_overlap(a):
    a[1:] = a[:-1]
    return a


def set_overlap_reversed(a):
    a[:] = a[::-1]
    return a


def set_aug(a, b):
    a[1:-1] += b
    return a


def set_step_zero(a, k):
    a[::k] = 1.0
    return a


def test_set_scalar():
    llvm_check(set_scalar, np.arange(10.0), 3.5)
    llvm_check(set_scalar, np.arange(10), 3)
    llvm_check(set_scalar, np.arange(10, dtype=np.int8), 300)   # OverflowError via bailout
    llvm_check(set_scalar, np.arange(10), float("nan"))         # ValueError via bailout
    llvm_check(set_scalar, np.zeros(0), 1.0)
    llvm_check(set_row_col, np.zeros((3, 4)), 2.0)
    llvm_check(set_row_col, np.zeros((4, 3)).T, 2.0)


def test_set_array_broadcast_and_casts():
    llvm_check(set_array, np.zeros(6), np.arange(4.0))
    llvm_check(set_array, np.zeros((4, 3)), np.arange(3.0))            # broadcast rows
    llvm_check(set_array, np.zeros((4, 3)), np.arange(2.0).reshape(2, 1))
    llvm_check(set_array, np.zeros(6), np.arange(4))                   # int -> float
    llvm_check(set_array, np.zeros(6, dtype=np.int8), np.arange(250, 254))  # wraps as numpy
    llvm_check(set_array, np.zeros(6), np.arange(5.0))                 # ValueError: shapes


def test_set_aliasing():
    llvm_check(set_overlap, np.arange(8.0))            # overlap: numpy decides, via bailout
    llvm_check(set_overlap_reversed, np.arange(7.0))
    llvm_check(set_aug, np.arange(8.0), np.ones(6))    # a view stored into itself
    llvm_check(set_aug, np.arange(8.0), np.arange(8.0)[1:-1])
    a = np.arange(8.0)
    llvm_check(set_array, a, a[2:8])                   # overlapping source and destination


def test_step_zero_raises():
    llvm_check(set_step_zero, np.arange(5.0), 0)
    llvm_check(sl_none_step, np.arange(5.0), 0)


def slice_escapes(a, i):
    s = slice(1, i)
    return a[s], s


def test_a_slice_value_that_escapes_is_not_lost():
    """A slice with another use than a subscript keeps the graph off LLVM."""
    check(slice_escapes, np.arange(5.0), 3)


# ---- reshape, ravel, strides ---------------------------------------------------------

def reshapes(a, m):
    return a.reshape(m, -1), a.reshape((-1,)), np.reshape(a, (m, -1, 1)), a.reshape(a.shape)


def ravels(a):
    return np.ravel(a), a.ravel()


def attrs(a):
    return a.strides, a.itemsize, a.nbytes, a[::-2].strides


@pytest.mark.parametrize("a, m", [
    (np.arange(12.0), 3), (np.arange(12.0).reshape(3, 4), 2), (np.arange(12.0), 5),  # ValueError
    (np.arange(12.0).reshape(3, 4), -1), (np.arange(12.0).reshape(3, 4), -2),        # ValueError
    (np.zeros((0, 3)), 2), (np.zeros(0), 0),                                          # ValueError
    (np.arange(24, dtype=np.int16).reshape(2, 3, 4)[:, 1:2, :], 2),   # A, contiguous
    (np.arange(24.0).reshape(4, 6)[:, ::2], 3),                        # not contiguous: numpy copies
    (np.arange(6.0).reshape(2, 3).T, 3),                               # F
])
def test_reshape(a, m):
    llvm_check(reshapes, a, m)
    jf = pyjit.jit(reshapes, backend="llvm")
    try:
        want = reshapes(a, m)
    except ValueError:
        return
    for got, w in zip(jf(a, m), want):
        assert got.strides == w.strides and np.shares_memory(got, a) == np.shares_memory(w, a)


@pytest.mark.parametrize("a", [np.arange(12.0).reshape(3, 4), np.arange(12.0).reshape(3, 4)[:, ::2],
                               np.arange(10)[::3], np.arange(6.0).reshape(2, 3).T, np.zeros((2, 0)),
                               (np.arange(8) % 3 == 0).reshape(2, 2, 2)])
def test_ravel(a):
    llvm_check(ravels, a)
    jf = pyjit.jit(ravels, backend="llvm")
    for got, w in zip(jf(a), ravels(a)):
        assert got.strides == w.strides and np.shares_memory(got, a) == np.shares_memory(w, a)


@pytest.mark.parametrize("a", [np.arange(12.0).reshape(3, 4), np.arange(10, dtype=np.int32)[::3]])
def test_strides_itemsize_nbytes(a):
    llvm_check(attrs, a)


def _scaled(a, b):
    return a * 2.0 + b


@pytest.mark.parametrize("a", [
    np.arange(24.0).reshape(2, 3, 4).transpose(1, 0, 2),       # a transposed 3-d view
    np.arange(24.0).reshape(2, 3, 4).transpose(1, 2, 0)[:, ::2],
    np.arange(30.0).reshape(5, 6).T[::2],                      # F-like: numpy's result is F
    np.arange(30.0).reshape(5, 6)[::-1, ::3],                  # C-like with a negative stride
])
def test_elementwise_results_keep_numpys_memory_order(a):
    # Note [result memory order]: difftest compares the result's contiguity flags
    check(_scaled, a, np.float64(0.5), backends=("llvm",))
    check(_scaled, a, a[:1], backends=("llvm",))   # a broadcast operand
