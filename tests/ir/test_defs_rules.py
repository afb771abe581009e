"""The layout claims of ``pyjit/ir/defs/_rules.py`` against the arrays numpy allocates.

``elementwise_layout`` may say 'A' where numpy's result happens to be
contiguous, but C or F only where it is: each test builds operands with
awkward strides (transposed, stepped, reversed, odd strides on axes of length
1), types them as the dispatcher does (``typeof``) and checks the claim on
numpy's own result.
"""
from __future__ import annotations

import operator

import numpy as np
import pytest
from hypothesis import assume, given, settings, strategies as st

from pyjit.ir import registry
from pyjit.ir.defs._rules import by_example, elementwise_layout, matmul_layout
from pyjit.ir.types import FLOAT, INT, Array, TupleT, typeof

F64 = np.dtype("f8")


def holds(layout: str, result: np.ndarray) -> bool:
    """Whether ``result`` is what the claim ``layout`` says ('A' claims nothing)."""
    return {"A": True, "C": result.flags.c_contiguous,
            "F": result.flags.f_contiguous}[layout]


@st.composite
def strided(draw, shape):
    """An array of ``shape`` with any of the layouts a region may be handed."""
    kind = draw(st.sampled_from(["C", "F", "step", "perm", "reversed", "odd1"]))
    if kind in ("C", "F"):
        return np.ones(shape, order=kind)
    if kind == "step":
        return np.ones(tuple(2 * n for n in shape))[tuple(slice(None, None, 2) for _ in shape)]
    if kind == "perm":
        perm = draw(st.permutations(range(len(shape))))
        return np.ones(tuple(shape[perm.index(i)] for i in range(len(shape)))).transpose(perm)
    base = np.ones(shape, order=draw(st.sampled_from("CF")))
    if kind == "reversed":
        return base[tuple(slice(None, None, draw(st.sampled_from([1, -1]))) for _ in shape)]
    # numpy ignores the stride of an axis of length 1 when it sets the contiguity flags.
    strides = [draw(st.sampled_from([0, 8, 800, -8])) if n == 1 else s
               for n, s in zip(shape, base.strides)]
    return np.lib.stride_tricks.as_strided(base, shape, strides)


@st.composite
def broadcast_operands(draw, count):
    shape = tuple(draw(st.lists(st.integers(0, 3), max_size=4)))
    operands = []
    for _ in range(count):
        if draw(st.integers(0, 4)) == 0:
            operands.append(2.0)
            continue
        ndim = draw(st.integers(0, len(shape)))
        operands.append(draw(strided(tuple(n if draw(st.booleans()) else 1
                                           for n in shape[len(shape) - ndim:]))))
    return operands


@settings(max_examples=600)
@given(broadcast_operands(2), st.sampled_from([np.add, np.where, np.clip]))
def test_elementwise_layout_holds(operands, fn):
    args = [True, *operands] if fn is np.where else operands
    if fn is np.clip:
        args = [*operands, operands[0]]
    try:
        result = fn(*args)
    except ValueError:  # shapes that do not broadcast
        assume(False)
    assume(isinstance(result, np.ndarray))
    claim = elementwise_layout(result.ndim, *map(typeof, args))
    assert holds(claim, result), ([(a.shape, a.strides) for a in args
                                   if isinstance(a, np.ndarray)], claim, result.strides)


def _f(ndim):
    return Array(F64, ndim, "F")


def _c(ndim):
    return Array(F64, ndim, "C")


@pytest.mark.parametrize("types, expected", [
    ((_c(2), FLOAT), "C"), ((_c(3), _c(1), INT), "C"), ((_c(2), _c(2)), "C"),
    ((_f(2), FLOAT), "F"), ((_f(3), Array(F64, 0)), "F"),
    # F(3,4) + C(3,1) is F, F(2,3,1) + (3,) neither, F + F either: no claim
    ((_f(2), _c(2)), "A"), ((_f(3), _c(1)), "A"), ((_f(2), _f(2)), "A"),
    # a strided operand: np.ones((4, 6)).T[::2] + 1 is F
    ((Array(F64, 2, "A"), INT), "A"),
])
def test_elementwise_layout_cases(types, expected):
    ndim = max(t.ndim if isinstance(t, Array) else 0 for t in types)
    assert elementwise_layout(ndim, *types) == expected


def test_strided_and_mixed_operands_are_not_c():
    """The cases the first version of the rule got wrong."""
    transposed = np.ones((4, 6)).T[::2]
    assert (transposed + 1).flags.f_contiguous and not (transposed + 1).flags.c_contiguous
    assert elementwise_layout(2, typeof(transposed), INT) == "A"
    mixed = np.ones((3, 4), order="F") + np.ones((3, 1))
    assert not mixed.flags.c_contiguous
    assert elementwise_layout(2, _f(2), _c(2)) == "A"
    neither = np.ones((2, 3, 1), order="F") + np.ones(3)
    assert not (neither.flags.c_contiguous or neither.flags.f_contiguous)
    assert elementwise_layout(3, _f(3), _c(1)) == "A"


def test_by_example_lays_out_arrays_in_tuples():
    assert by_example(divmod, _f(2), INT) == TupleT((_f(2), _f(2)))
    assert by_example(divmod, _f(2), _c(2)) == TupleT((Array(F64, 2, "A"),) * 2)


@settings(max_examples=300)
@given(st.data(), st.sampled_from([np.matmul, operator.matmul]))
def test_matmul_layout_holds(data, fn):
    shapes = [tuple(data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=4)))
              for _ in range(2)]
    a, b = (data.draw(strided(shape)) for shape in shapes)
    try:
        result = fn(a, b)
    except ValueError:  # mismatched inner or stacking dimensions
        assume(False)
    assume(isinstance(result, np.ndarray))
    assert holds(matmul_layout(result.ndim, typeof(a), typeof(b)), result)


@pytest.mark.parametrize("name", ["np.matmul", "matmul"])
def test_matmul_of_a_stack_and_a_vector_is_c(name):
    """A 3-d F stack times a vector is a 2-d result, allocated C."""
    assert registry.get(name).infer([_f(3), _c(1)], {}) == _c(2)
    assert (np.ones((2, 3, 4), order="F") @ np.ones(4)).flags.c_contiguous


def test_products_with_a_scalar_claim_no_order():
    """np.dot with a scalar is a multiply, but not in order 'K'."""
    assert np.dot(np.ones((3, 4), order="F"), 2.0).flags.c_contiguous
    assert registry.get("np.dot").infer([_f(2), FLOAT], {}) == Array(F64, 2, "A")
