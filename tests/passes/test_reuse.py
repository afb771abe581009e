"""Buffer reuse at O2 (pyjit/passes/reuse.py, kernels._reuse): which results are
written over a dead temporary, that the LLVM backend then allocates one array
fewer, and that results, exceptions and warnings stay CPython's."""
import warnings

import hypothesis.strategies as st
import numpy as np
import pytest
from hypothesis import given, settings

import pyjit
from pyjit.config import Options
from pyjit.passes.pipeline import optimize
from allocations import counted
from difftest import check
from tests.passes.test_buffers import typed_region


def row_norms(a):
    return np.sqrt((a * a).sum(axis=1)) * 2.0


def dense(x, w, b):
    return np.tanh(x @ w + b)


def walrus(x, m):
    return (d := x - m) * d + d


def named(x, m):
    d = x - m
    return d * d


def named_div(a, out):
    d = a.sum(axis=1) - 1.0
    out[0] = 1.0
    return 1.0 / d


def through_a_view(a):
    return (s := a.sum(axis=1)) * 2.0 + s[::-1]


def to_bool(a):
    return a.sum(axis=1) > 1.0


def in_place(out, a):
    out += a.sum(axis=1)
    return out


def accumulate(x, w, steps):
    acc = np.zeros((x.shape[0], w.shape[1]))
    for _ in range(steps):
        acc = acc + np.tanh(x @ w)
    return acc


def planned(fn, *args, level="O2"):
    """``{recipient op: donor's producer op}`` of ``fn``'s region at ``level``."""
    g = optimize(typed_region(fn, *args), Options(level=level))
    producer = {n.out: n for n in g.nodes() if n.outputs}
    return {n.op: producer[v].op for n, v in g.reuse.items()}


RNG = np.random.default_rng(0)
A = RNG.random((5, 3))
X, W, B = RNG.random((4, 3)), RNG.random((3, 5)), RNG.random(5)


def test_intermediates_are_donors():
    assert planned(row_norms, A) == {"mul": "np.sum"}
    assert planned(dense, X, W, B) == {"np.tanh": "matmul"}
    assert planned(walrus, X[0], 0.5) == {"add": "sub"}
    assert planned(accumulate, X, W, 3) == {"add": "matmul"}


def test_what_is_not_a_donor():
    # a named local is stored at the return statement's resume exit: a bailout or
    # a floating-point flag there re-runs ``d * d`` in CPython, which reads d
    assert planned(named, X[0], 0.5) == {}
    assert planned(named_div, A, np.zeros(2)) == {"sub": "np.sum"}  # not {"truediv": "sub"}
    # the last reader reads the donor through a view (reversed): elements it has
    # already overwritten
    assert planned(through_a_view, A) == {}
    # another dtype
    assert planned(to_bool, A) == {}
    # an in-place op writes its target, not a new result
    assert planned(in_place, np.zeros(5), A) == {}


def test_only_at_o2():
    assert planned(row_norms, A, level="O1") == {}
    assert planned(dense, X, W, B, level="O0") == {}


def allocations(fn, *args, level="O2"):
    """How many arrays one call of ``fn`` under pyjit allocates through numpy's
    callback (a product's result is numpy's own, not counted), and its result."""
    f = pyjit.jit(fn, level=level)
    f(*args)  # compile first
    with counted() as shapes:
        out = f(*args)
    assert f.__pyjit__.regions[0].dispatcher.cache, "the region did not compile"
    backends = {s.backend for s in f.__pyjit__.regions[0].dispatcher.cache.values()}
    assert backends == {"llvm"}, backends
    return len(shapes), out


@pytest.mark.parametrize("fn, args, o1, o2", [
    (row_norms, (A,), 2, 1),
    (dense, (X, W, B), 1, 0),
    (walrus, (X[0], 0.5), 2, 1),
    (accumulate, (X, W, 3), 4, 1),
])
def test_o2_allocates_one_array_fewer(fn, args, o1, o2):
    for level, expected in (("O1", o1), ("O2", o2)):
        n, out = allocations(fn, *args, level=level)
        assert n == expected, (level, n)
        assert out.flags.owndata and out.flags.c_contiguous  # the array numpy made
        np.testing.assert_array_equal(out, fn(*args))


def test_a_donor_of_another_shape_is_not_used():
    # x @ w is (4, 1), the result (4, 5): b broadcasts it, so tanh allocates
    w = RNG.random((3, 1))
    n, out = allocations(dense, X, w, B)
    assert n == 1
    np.testing.assert_array_equal(out, dense(X, w, B))
    check(dense, X, w, B)


@pytest.mark.parametrize("fn, args", [
    (row_norms, (A,)),
    (row_norms, (np.zeros((0, 3)),)),
    (row_norms, (np.zeros((4, 0)),)),
    (row_norms, (RNG.random((6, 3))[::2],)),
    (row_norms, (np.array([[np.inf, 1.0], [np.nan, -0.0]]),)),
    (dense, (X, W, B)),
    (dense, (X.T.copy().T, W[:, ::-1], B[::-1])),
    (walrus, (X[0], 0.5)),
    (walrus, (X[0], np.float32(0.5))),
    (accumulate, (X, W, 0)),
    (accumulate, (X, W, 3)),
    (through_a_view, (A,)),
    (named, (X[0], 0.5)),
    # were d reused, the division by zero's flag would send the region to the
    # return statement's checkpoint (after the write to out), and CPython would
    # divide 1.0 by the quotients: [0, 6] instead of [inf, 1/6]
    (named_div, (np.array([[0.5, 0.5], [3.0, 4.0]]), np.zeros(2))),
])
def test_differential(fn, args):
    check(fn, *args)


def sqrt_of_shifted(a):
    return np.sqrt((a * a).sum(axis=1) - 1.0)


def test_a_warning_in_the_recipient_reruns_the_statement():
    # sqrt of a negative sets the 'invalid' flag inside the kernel that writes over
    # the sum: CPython re-runs the statement from a, which reuse never touches
    a = np.array([[0.1, 0.2], [3.0, 4.0]])
    assert planned(sqrt_of_shifted, a) == {"np.sqrt": "np.sum"}
    check(sqrt_of_shifted, a)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check(sqrt_of_shifted, a)


@settings(max_examples=40, deadline=None)
@given(rows=st.integers(0, 5), inner=st.integers(0, 4), cols=st.integers(0, 5),
       w_cols=st.sampled_from(["cols", 1]), b_cols=st.sampled_from(["cols", 1]), data=st.data())
def test_dense_at_any_shapes(rows, inner, cols, w_cols, b_cols, data):
    # x @ w is (rows, 1) when w has one column: b broadcasts it to the result's
    # shape, and tanh cannot write over it
    wc = cols if w_cols == "cols" else 1
    x = data.draw(st.lists(st.floats(-3, 3), min_size=rows * inner, max_size=rows * inner))
    w = data.draw(st.lists(st.floats(-3, 3), min_size=inner * wc, max_size=inner * wc))
    b = np.linspace(-1, 1, cols if b_cols == "cols" else 1)
    check(dense, np.array(x).reshape(rows, inner), np.array(w).reshape(inner, wc), b,
          options={"level": "O2"})
