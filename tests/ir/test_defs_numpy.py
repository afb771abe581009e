"""Differential tests of the numpy op declarations against numpy itself.

Every op declared in ``pyjit/ir/defs/{ufuncs,reductions,indexing,attributes,
creation,linalg}.py`` is found in the registry and run on generated inputs:
arrays of nine dtypes in many shapes and layouts (0-d, empty, 1-d, 2-d and 3-d,
C, F, strided views), Python and numpy scalars with NaN, inf, -0.0 and ints
beyond int64, and per-parameter pools (indices, shapes, dtypes, axes).  For
each input the op's type rule must agree with the type of what the reference
implementation returns (see ``check``), the reference must agree with the
numpy callable, method or attribute the op stands for, and an op whose
reference raises must be ``may_raise``.  A rule may reject inputs
(TypeRuleError), but ``MUST_SUPPORT`` lists inputs no rule may reject.
"""
from __future__ import annotations

import operator
import random
import warnings
from collections import Counter

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from pyjit.ir import registry
from pyjit.ir.registry import OPS, Deopt, TypeRuleError
from pyjit.ir.types import FLOAT, INT, NONE, Array, Const, NpScalar, TupleT, typeof, unify

MODULES = ("ufuncs", "reductions", "indexing", "attributes", "creation", "linalg")
NUMPY_OPS = sorted((op for op in OPS.values()
                    if op.impl.__module__.rsplit(".", 1)[-1] in MODULES), key=lambda o: o.name)
DTYPES = [np.dtype(t) for t in (np.bool_, np.int8, np.int32, np.int64, np.uint8, np.uint64,
                                np.float32, np.float64, np.complex128)]
F64, I64, I32 = np.dtype("f8"), np.dtype("i8"), np.dtype("i4")
SPECIAL_FLOATS = [0.5, -0.0, np.nan, np.inf, -np.inf, 2.0, -1.5, 3.25, 0.0, 1e300, -7.0, 0.1]
BUDGET = 1500  # cases per op beyond the single-input ones


# --- input values ------------------------------------------------------------

def filled(dtype: np.dtype, shape) -> np.ndarray:
    """An array of ``shape`` cycling through edge values of its dtype."""
    if dtype.kind == "b":
        values = np.array([True, False, True])
    elif dtype.kind in "iu":
        values = np.array([0, 1, -1, 2, 127, -128, 3, 100, 5]).astype(dtype)
    elif dtype.kind == "f":
        values = np.array(SPECIAL_FLOATS)
    else:
        values = np.array([complex(x, y) for x, y in zip(SPECIAL_FLOATS, SPECIAL_FLOATS[::-1])])
    with np.errstate(over="ignore"):  # 1e300 as a float32 is inf: intended
        return np.resize(values.astype(dtype), shape)


VIEWS = {  # name -> (dtype -> array); layouts noted where they are not C
    "0d": lambda d: filled(d, ()),
    "empty": lambda d: filled(d, (0,)),
    "3x0": lambda d: filled(d, (3, 0)),
    "1d": lambda d: filled(d, (4,)),
    "1x4": lambda d: filled(d, (1, 4)),                         # both C and F
    "2dC": lambda d: filled(d, (3, 4)),
    "2dF": lambda d: np.asfortranarray(filled(d, (3, 4))),
    "T": lambda d: filled(d, (4, 3)).T,                          # F
    "step": lambda d: filled(d, (8,))[::2],                      # A
    "col": lambda d: filled(d, (3, 4))[:, 1],                    # A
    "strided": lambda d: filled(d, (6, 8))[::2, ::2],            # A, C-like order
    "Fstrided": lambda d: np.asfortranarray(filled(d, (6, 4)))[::2],  # A, F-like order
    "3dC": lambda d: filled(d, (2, 3, 4)),
    "3dF": lambda d: np.asfortranarray(filled(d, (2, 3, 4))),
    "3dperm": lambda d: filled(d, (2, 3, 4)).transpose(1, 0, 2),  # A
}


class Sample:
    """A named input; ``make()`` builds a fresh value, so ops may mutate it."""

    def __init__(self, label, make):
        self.label, self.make = label, make
        value = make()
        self.shape = value.shape if isinstance(value, np.ndarray) else None

    def __repr__(self):
        return self.label


def const(label, value):
    return Sample(label, lambda: value)


ARRAYS = [Sample(f"{name}:{d}", lambda f=f, d=d: f(d))
          for d in DTYPES for name, f in VIEWS.items()]
PY_SCALARS = [const(repr(v), v) for v in
              (0, 3, -2, True, False, 1.5, float("nan"), -0.0, float("inf"), 2 + 3j,
               2 ** 63, -2 ** 63, 2 ** 64)]
NP_SCALARS = [const(f"{d}({v!r})", d.type(v)) for d in DTYPES
              for v in ((1, 0) if d.kind in "biu" else (2.5, np.nan))]
SCALARS = PY_SCALARS + NP_SCALARS
VALUES = ARRAYS + SCALARS
TUPLES = [const(repr(t), t) for t in
          ((1.0, 2.0, 3.0), (1, 2), (1, 2.0), (), (np.float64(1), np.float64(2)))]

INDICES = [const(repr(i), i) for i in (
    0, -1, 2, 7, True, False, np.int64(1), np.uint8(0), np.array(1), np.bool_(True), 1.0,
    slice(None), slice(1, 3), slice(None, None, 2), slice(None, None, -1), None, Ellipsis,
    (), (0, 0), (1, -1), (0, slice(None)), (slice(None), 0), (Ellipsis, 0), (0, Ellipsis),
    (None, 0), (0, None, Ellipsis), (slice(1, 2), None, 1), (Ellipsis, Ellipsis), (0, 0, 0, 0),
    np.array([0, 1]), np.array([2, -1, 0]), np.array([True, False, True]),
    np.array([[True, False, True, False]] * 3), (np.array([0, 1]), 0),
    (slice(None), np.array([0, 2])), (np.array([0, 1]), np.array([1, 0])),
    (np.array([0, 1]), slice(None), np.array([1, 0])), np.array([[0, 1], [1, 0]]),
    (0, True), (Ellipsis, np.array([1])), np.array([0.5]))]
DIMS = [const(repr(d), d) for d in (0, 1, 3, -1, np.int64(2), np.uint8(4), 2 ** 63)]
SHAPES = DIMS + [const(repr(s), s) for s in
                 ((), (2, 3), (0, 4), (3,), (2, -1), (np.int32(2), 3), (2, 3, 2), np.array(2),
                  True, 2.0, (2, 2.0), (12,), (3, 4), (4, 3), (-1,), (2, 2, 3))]
NUMBERS = [const(repr(v), v) for v in (0, 1, 5, -3, 0.5, 2.5, -1.0, np.nan, True, 1j, 2 ** 63,
                                       np.int32(4), np.float32(1.5), np.uint8(3))]


def operand(dtype, shape, order):
    """C, F, or with its first two axes swapped ('S'): a stack not in C order."""
    if order == "S" and len(shape) > 2:
        return filled(dtype, (shape[1], shape[0]) + shape[2:]).swapaxes(0, 1)
    return np.asarray(filled(dtype, shape), order="F" if order == "F" else "C")


PRODUCT_OPERANDS = [Sample(f"{shape}:{order}:{d}", lambda d=d, s=shape, o=order: operand(d, s, o))
                    for d in (np.dtype("?"), I32, F64, np.dtype("f4"), np.dtype("c16"))
                    for shape in ((), (4,), (3,), (3, 4), (4, 3), (4, 4), (2, 3, 4), (2, 4, 3),
                                  (3, 2, 4, 3))
                    for order in "CFS"] + SCALARS[:6]

ARG_POOLS = {
    "idx": INDICES, "shape": SHAPES, "N": DIMS, "M": DIMS + [const("None", None)],
    "k": DIMS + [const("None", None)], "n": DIMS, "num": DIMS + [const("None", None)],
    "start": NUMBERS, "stop": NUMBERS + [const("None", None)],
    "step": NUMBERS + [const("None", None)],
    "a_min": SCALARS + ARRAYS[::5] + [const("None", None)],
    "a_max": SCALARS + ARRAYS[::5] + [const("None", None)],
}
MODULE_POOLS = {
    "linalg": {"a": PRODUCT_OPERANDS, "b": PRODUCT_OPERANDS},
    "indexing": {"x": ARRAYS + TUPLES + SCALARS[:4]},
}
DTYPE_ATTRS = [None, float, int, bool, complex, np.float32, np.int8, np.dtype("u8"), "f8",
               "float32", "c16", object, "U3"]
ATTR_POOLS = {
    "axis": [None, 0, 1, -1, 2, -4, (0, 1), (), (1, 0), (0, 0), 1.5],
    "dtype": DTYPE_ATTRS, "order": ["C", "F", "A", "K"], "keepdims": [False, True],
    "decimals": [0, 1, -1], "ddof": [0, 1], "out": [None], "endpoint": [True, False],
    "retstep": [False],
}


def pool(op, name):
    module = op.impl.__module__.rsplit(".", 1)[-1]
    return MODULE_POOLS.get(module, {}).get(name) or ARG_POOLS.get(name) or VALUES


def pick(rng, candidates, first):
    """Mostly an operand of the first's shape, so that broadcasting succeeds often."""
    r = rng.random()
    if first.shape is not None and r < 0.5:
        same = [c for c in candidates if c.shape == first.shape]
        if same:
            return rng.choice(same)
    if r < 0.7:
        scalars = [c for c in candidates if c.shape is None]
        if scalars:
            return rng.choice(scalars)
    return rng.choice(candidates)


def cases(op):
    """Inputs for one op: every first input with every attribute combination's
    defaults, then ``BUDGET`` random combinations of all parameters."""
    rng = random.Random(op.name)
    if op.varargs:  # a.reshape(*shape): the receiver, then a shape or several dims
        for _ in range(BUDGET):
            if rng.random() < 0.5:
                rest = [rng.choice(SHAPES)]
            else:
                rest = rng.choices(DIMS[:5], k=rng.randint(1, 3))
            yield [rng.choice(VALUES)] + rest, {}
        return
    pools = [pool(op, name) for name in op.args]
    for first in pools[0]:
        yield [first] + [rng.choice(p) for p in pools[1:]], {}
    for _ in range(BUDGET if len(op.args) > 1 or op.attrs else 0):
        first = rng.choice(pools[0])
        args = [first] + [pick(rng, p, first) for p in pools[1:]]
        attrs = {k: rng.choice(ATTR_POOLS.get(k, [v])) for k, v in op.attrs.items()
                 if rng.random() < 0.7}
        yield args, attrs


# --- the check -----------------------------------------------------------------

_INFERRED: dict = {}


def infer(op, types, attrs):
    key = (op.name, tuple(types), tuple(sorted(attrs.items(), key=lambda kv: kv[0])))
    try:
        hit = _INFERRED.get(key)
    except TypeError:  # an unhashable attribute value
        return op.infer(types, attrs)
    if hit is None:
        try:
            hit = ("ok", op.infer(types, attrs))
        except TypeRuleError as exc:
            hit = ("rejected", exc)
        _INFERRED[key] = hit
    if hit[0] == "rejected":
        raise hit[1]
    return hit[1]


def assert_type_of(expected, result, where):
    """``expected`` is the type of ``result``; an array layout the rule claims must hold
    ('A' claims nothing; an array both C- and F-contiguous satisfies either claim)."""
    actual = typeof(result)
    if isinstance(expected, Array):
        assert isinstance(actual, Array), f"{where}: rule says {expected}, numpy gives {actual}"
        assert (actual.dtype, actual.ndim) == (expected.dtype, expected.ndim), \
            f"{where}: rule says {expected}, numpy gives {actual}"
        if expected.layout == "C":
            assert result.flags.c_contiguous, f"{where}: rule claims C of {actual}"
        if expected.layout == "F":
            assert result.flags.f_contiguous and expected.ndim > 1, \
                f"{where}: rule claims F of {actual}"
    else:
        assert actual == expected, f"{where}: rule says {expected}, numpy gives {actual}"


def outcome(fn):
    try:
        return "ok", fn()
    except Deopt as exc:
        return "deopt", exc
    except Exception as exc:  # the reference's own error: compared, not hidden
        return "raised", exc


def references(op, make_args, attrs):
    """Each numpy spelling the op stands for (its callables, methods and
    attributes), as a thunk on fresh arguments; returns (args, thunk) pairs."""
    if op.name in ("getitem", "setitem"):
        args = make_args()
        yield args, lambda: getattr(operator, op.name)(*args)
        return
    spellings = [lambda a, c=c: c(*a, **attrs) for c in op.callables[:1]]
    family = registry.family(typeof(make_args()[0]))
    spellings += [lambda a, n=name: getattr(a[0], n)(*a[1:], **attrs)
                  for fam, name in op.methods if fam == family]
    spellings += [lambda a, n=name: getattr(a[0], n)
                  for fam, name in op.attributes if fam == family]
    for spelling in spellings:
        args = make_args()
        while args and args[-1] is None and op.args[len(args) - 1] in op.optional:
            args = args[:-1]
        yield args, lambda s=spelling, a=args: s(a)


def same_value(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, (np.ndarray, np.generic)):
        return a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=True)
    if isinstance(a, tuple):
        return len(a) == len(b) and all(same_value(x, y) for x, y in zip(a, b))
    return a == b or a != a and b != b


def has_wide_int(args) -> bool:
    return any(type(v) is int and not -2 ** 63 <= v < 2 ** 63 for v in args)


def check(op, samples, attrs) -> str:
    """Run one case; returns 'ok', 'rejected', 'raised' or 'deopt'."""
    args = [s.make() for s in samples]
    where = f"{op.name}{tuple(samples)} {attrs}"
    try:
        expected = infer(op, [typeof(a) for a in args], attrs)
    except TypeRuleError:
        return "rejected"
    status, result = outcome(lambda: op.impl(*args, **attrs))
    if status == "deopt":
        assert op.may_raise and has_wide_int(args), f"{where}: unexpected Deopt {result}"
        return status
    for ref_args, ref in references(op, lambda: [s.make() for s in samples], attrs):
        ref_status, ref_result = outcome(ref)
        assert ref_status == status, \
            f"{where}: numpy {ref_status} {ref_result!r}, the op {status} {result!r}"
        if status == "raised":
            assert type(ref_result) is type(result), f"{where}: {ref_result!r} vs {result!r}"
        elif op.mutates:
            assert same_value(ref_args[0], args[0]), f"{where}: stores differ"
        elif "empty" not in op.name:
            assert same_value(ref_result, result), f"{where}: {ref_result!r} vs {result!r}"
    if status == "raised":
        assert op.may_raise, f"{where}: raised {result!r} but the op is not may_raise"
        return status
    assert_type_of(expected, result, where)
    return "ok"


def run_all(op, case_iter) -> Counter:
    counts = Counter()
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for samples, attrs in case_iter:
            counts[check(op, samples, attrs)] += 1
    return counts


@pytest.mark.parametrize("op", NUMPY_OPS, ids=lambda op: op.name)
def test_rule_matches_numpy(op):
    counts = run_all(op, cases(op))
    assert counts["ok"] > 0, f"{op.name}: no input was both accepted and computed: {counts}"


def test_ops_are_declared():
    names = {op.name for op in NUMPY_OPS}
    for required in ("np.sqrt", "np.absolute", "np.add", "np.where", "np.sum", "np.argmax",
                     "getitem", "setitem", "attr.shape", "np.zeros", "array.astype", "np.dot",
                     "np.matmul"):
        assert required in names
    assert all(op.rule is not None for op in NUMPY_OPS)


def test_lookup():
    assert registry.op_for_callable(np.abs) is registry.get("np.absolute")
    assert registry.op_for_callable(np.amin) is registry.get("np.min")
    assert registry.op_for_callable(np.true_divide) is registry.get("np.divide")
    assert registry.op_for_method("array", "sum") is registry.get("np.sum")
    assert registry.op_for_method("array", "astype") is registry.get("array.astype")
    assert registry.op_for_attribute("array", "T") is registry.get("attr.T")
    # np.sum(a, axis, dtype, out, keepdims): numpy's positional order.
    assert registry.get("np.sum").bind(3, ()) == ([0], {"axis": 1, "dtype": 2})
    assert registry.get("np.min").bind(3, ("keepdims",)) == ([0], {"axis": 1, "keepdims": 2})


# --- inputs no rule may reject ---------------------------------------------------

def arr(dtype, shape, order="C"):
    return np.asarray(filled(np.dtype(dtype), shape), order=order)


C2, F2, V1 = arr(F64, (3, 4)), arr(F64, (3, 4), "F"), arr(F64, (4,))
MUST_SUPPORT = [
    ("np.sqrt", [V1], {}, Array(F64, 1)),
    ("np.sqrt", [2.0], {}, NpScalar(F64)),
    ("np.sqrt", [arr(F64, ())], {}, NpScalar(F64)),
    ("np.absolute", [arr(I32, (3, 4))], {}, Array(I32, 2)),
    ("np.add", [F2, 1], {}, Array(F64, 2, "F")),
    ("np.add", [arr(I32, (4,)), arr(np.int8, (4,))], {}, Array(I32, 1)),
    ("np.multiply", [C2, V1], {}, Array(F64, 2)),
    ("np.less", [V1, 0.5], {}, Array(np.dtype("?"), 1)),
    ("np.maximum", [np.float32(1), 2.0], {}, NpScalar(np.dtype("f4"))),
    ("np.where", [V1 > 0, V1, 0.0], {}, Array(F64, 1)),
    # Fortran broadcast against a 1-d array: numpy's result is neither C nor F.
    ("np.add", [arr(F64, (2, 2, 1), "F"), arr(F64, (2,))], {}, Array(F64, 3, "A")),
    ("np.sqrt", [arr(F64, (4, 3), "F")[::2]], {}, Array(F64, 2, "A")),
    ("np.clip", [V1, 0.0, 1.0], {}, Array(F64, 1)),
    ("np.sum", [C2], {"axis": 0}, Array(F64, 1)),
    ("np.sum", [arr(I32, (4,))], {}, NpScalar(I64)),
    ("np.sum", [arr(np.bool_, (4,))], {}, NpScalar(I64)),
    ("np.sum", [V1], {"axis": 0}, NpScalar(F64)),
    ("np.sum", [C2], {"axis": 1, "keepdims": True}, Array(F64, 2)),
    ("np.mean", [arr(I64, (3, 4))], {"axis": -1}, Array(F64, 1)),
    ("np.max", [C2], {"axis": (0, 1)}, NpScalar(F64)),
    ("np.argmax", [C2], {}, NpScalar(I64)),
    ("np.argmin", [C2], {"axis": 1}, Array(I64, 1)),
    ("np.any", [C2], {}, NpScalar(np.dtype("?"))),
    ("np.std", [C2], {"axis": 0, "ddof": 1}, Array(F64, 1)),
    ("getitem", [C2, (1, 2)], {}, NpScalar(F64)),
    ("getitem", [C2, 1], {}, Array(F64, 1)),
    ("getitem", [C2, np.int64(1)], {}, Array(F64, 1)),
    ("getitem", [V1, slice(1, 3)], {}, Array(F64, 1, "A")),
    ("getitem", [C2, (slice(None), 1)], {}, Array(F64, 1, "A")),
    ("getitem", [F2, (Ellipsis, 1)], {}, Array(F64, 1)),
    ("getitem", [C2, None], {}, Array(F64, 3)),
    ("getitem", [V1, np.array([0, 2])], {}, Array(F64, 1)),
    ("getitem", [V1, V1 > 0], {}, Array(F64, 1)),
    ("getitem", [(1.0, 2.0), 1], {}, FLOAT),
    ("setitem", [V1, 0, 1.5], {}, NONE),
    ("setitem", [C2, (slice(None), 0), arr(F64, (3,))], {}, NONE),
    ("setitem", [arr(I32, (4,)), slice(None), 2.7], {}, NONE),
    ("attr.shape", [C2], {}, TupleT((INT, INT))),
    ("attr.ndim", [C2], {}, INT),
    ("attr.size", [C2], {}, INT),
    ("attr.dtype", [C2], {}, Const(F64)),
    ("attr.T", [C2], {}, Array(F64, 2, "F")),
    ("attr.real", [arr(np.complex128, (4,))], {}, Array(F64, 1, "A")),
    ("np.zeros", [(3, 4)], {}, Array(F64, 2)),
    ("np.zeros", [3], {"dtype": np.int32}, Array(I32, 1)),
    ("np.ones", [(2, 3)], {"dtype": "f4", "order": "F"}, Array(np.dtype("f4"), 2, "F")),
    ("np.empty", [(2, 2)], {"dtype": complex}, Array(np.dtype("c16"), 2)),
    ("np.full", [(2, 2), 1.5], {}, Array(F64, 2)),
    ("np.arange", [10], {}, Array(I64, 1)),
    ("np.arange", [0.0, 1.0, 0.1], {}, Array(F64, 1)),
    ("np.linspace", [0, 1, 5], {}, Array(F64, 1)),
    ("np.zeros_like", [F2], {}, Array(F64, 2, "F")),
    ("np.copy", [C2], {}, Array(F64, 2)),
    ("array.copy", [F2], {}, Array(F64, 2)),
    ("array.astype", [arr(I32, (4,))], {"dtype": np.float64}, Array(F64, 1)),
    ("array.reshape", [arr(F64, (12,)), 3, 4], {}, Array(F64, 2)),
    ("array.reshape", [arr(F64, (12,)), (3, 4)], {}, Array(F64, 2)),
    ("np.reshape", [C2, (4, 3)], {}, Array(F64, 2)),
    ("np.ravel", [F2], {}, Array(F64, 1)),
    ("np.dot", [V1, V1], {}, NpScalar(F64)),
    ("np.dot", [C2, V1], {}, Array(F64, 1)),
    ("np.matmul", [C2, arr(F64, (4, 2))], {}, Array(F64, 2)),
    ("np.matmul", [F2, arr(F64, (4, 2), "F")], {}, Array(F64, 2)),
]


@pytest.mark.parametrize("name, args, attrs, expected", MUST_SUPPORT,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(MUST_SUPPORT)])
def test_must_support(name, args, attrs, expected):
    op = registry.get(name)
    assert op.infer([typeof(a) for a in args], attrs) == expected
    samples = [Sample(repr(a), lambda a=a: np.copy(a) if isinstance(a, np.ndarray) else a)
               for a in args]
    assert run_all(op, [(samples, attrs)]) == Counter(ok=1)


def test_union_items():
    """A tuple item joined from an int and an np.int64 indexes, and sizes, alike."""
    u = unify(INT, NpScalar(I64))
    assert registry.get("getitem").infer([Array(F64, 2), TupleT((u, u))], {}) == NpScalar(F64)
    assert registry.get("np.zeros").infer([TupleT((u, INT))], {"dtype": float, "order": "C"}) \
        == Array(F64, 2)


# --- hypothesis: shapes, layouts, indices and axes drawn at random ------------------

def build(dtype, shape, kind, perm):
    """An array of ``shape`` laid out as ``kind``: C, F, a strided view, or a
    transposed (``perm``) view of a C array."""
    if not shape:
        return filled(dtype, ())
    if kind == "step":
        every_other = tuple(slice(None, None, 2) for _ in shape)
        return filled(dtype, tuple(2 * n for n in shape))[every_other]
    if kind == "perm":
        base = filled(dtype, tuple(shape[perm.index(i)] for i in range(len(shape))))
        return base.transpose(perm)
    return np.asarray(filled(dtype, shape), order=kind)


@st.composite
def array_samples(draw, shape=None, dtypes=tuple(DTYPES)):
    if shape is None:
        shape = tuple(draw(st.lists(st.integers(0, 4), max_size=3)))
    dtype = draw(st.sampled_from(dtypes))
    kind = draw(st.sampled_from(["C", "F", "step", "perm"]))
    perm = draw(st.permutations(range(len(shape))))
    return Sample(f"{kind}{list(perm)}{shape}:{dtype}", lambda: build(dtype, shape, kind, perm))


@st.composite
def indices(draw, shape):
    """An index for an array of ``shape``: mostly valid, sometimes not."""
    items, dim = [], 0
    for _ in range(draw(st.integers(0, len(shape) + 1))):
        size = shape[dim] if dim < len(shape) else 1
        kind = draw(st.sampled_from(["int", "npint", "slice", "slice", "None", "...", "bool",
                                     "intarray", "mask"]))
        dim += kind in ("int", "npint", "slice", "intarray", "mask")
        position = st.integers(-size - 1, size)
        if kind == "int":
            items.append(draw(position))
        elif kind == "npint":
            items.append(draw(st.sampled_from([np.intp, np.int8, np.uint16]))(abs(draw(position))))
        elif kind == "slice":
            bound = st.none() | position
            step = draw(st.sampled_from([None, 1, 2, -1, -3]))
            items.append(slice(draw(bound), draw(bound), step))
        elif kind == "intarray":
            items.append(np.array(draw(st.lists(st.integers(-size, max(size - 1, 0)), max_size=3)),
                                  dtype=np.intp).reshape(draw(st.sampled_from([(-1,), (1, -1)]))))
        elif kind == "mask":
            mask = draw(st.lists(st.booleans(), min_size=size, max_size=size))
            items.append(np.array(mask, dtype=bool))
        else:
            items.append({"None": None, "...": Ellipsis, "bool": draw(st.booleans())}[kind])
    if len(items) == 1 and draw(st.booleans()):
        return items[0]
    return tuple(items)


@settings(max_examples=400)
@given(st.data())
def test_getitem_random(data):
    x = data.draw(array_samples())
    idx = data.draw(indices(x.shape))
    run_all(registry.get("getitem"), [([x, const(repr(idx), idx)], {})])


@settings(max_examples=300)
@given(st.data())
def test_setitem_random(data):
    x = data.draw(array_samples())
    idx = data.draw(indices(x.shape))
    status, view = outcome(lambda: x.make()[idx])
    shape = view.shape if status == "ok" else ()
    v = data.draw(st.sampled_from(SCALARS) | array_samples(shape=shape) |
                  array_samples(shape=shape[-1:]) | array_samples())
    run_all(registry.get("setitem"), [([x, const(repr(idx), idx), v], {})])


AXIS_OPS = [op for op in NUMPY_OPS if "axis" in op.attrs]


@settings(max_examples=400)
@given(st.data())
def test_axis_random(data):
    op = data.draw(st.sampled_from(AXIS_OPS))
    x = data.draw(array_samples())
    ndim = len(x.shape)
    axis = data.draw(st.none() | st.integers(-ndim - 1, ndim) |
                     st.lists(st.integers(-ndim, max(ndim - 1, 0)), max_size=3).map(tuple))
    attrs = {"axis": axis}
    if "keepdims" in op.attrs:
        attrs["keepdims"] = data.draw(st.booleans())
    if "dtype" in op.attrs:
        attrs["dtype"] = data.draw(st.sampled_from([None, None, np.float32, "i8", complex]))
    run_all(op, [([x], attrs)])


ELEMENTWISE = [op for op in NUMPY_OPS if op.elementwise and len(op.args) >= 2]


@settings(max_examples=400)
@given(st.data())
def test_broadcast_layouts_random(data):
    """Operands of broadcast-compatible shapes in every layout: the result's layout."""
    op = data.draw(st.sampled_from(ELEMENTWISE))
    shape = tuple(data.draw(st.lists(st.integers(1, 3), min_size=1, max_size=3)))
    operands = []
    for _ in op.args:
        ndim = data.draw(st.integers(0, len(shape)))
        sub = tuple(n if data.draw(st.booleans()) else 1 for n in shape[len(shape) - ndim:])
        operands.append(data.draw(array_samples(shape=sub) | st.sampled_from(SCALARS)))
    run_all(op, [(operands, {})])


@settings(max_examples=200)
@given(st.data())
def test_reshape_random(data):
    x = data.draw(array_samples())
    size = int(np.prod(x.shape))
    dims = data.draw(st.lists(st.sampled_from([1, 2, 3, size, -1]), max_size=3))
    shape = const(repr(tuple(dims)), tuple(dims))
    order = data.draw(st.sampled_from(["C", "F", "A"]))
    run_all(registry.get("np.reshape"), [([x, shape], {"order": order})])
    # a.reshape(2, 3) and a.reshape((2, 3)); a.reshape(()) needs the tuple.
    spelled = [const(repr(d), d) for d in dims] if dims and data.draw(st.booleans()) else [shape]
    run_all(registry.get("array.reshape"), [([x] + spelled, {})])


@settings(max_examples=200)
@given(st.data())
def test_creation_random(data):
    op = data.draw(st.sampled_from([op for op in NUMPY_OPS if op.args[:1] == ("shape",)]))
    dims = tuple(data.draw(st.lists(st.integers(-1, 3), max_size=4)))
    args = [const(repr(dims), dims)] + [data.draw(st.sampled_from(SCALARS)) for _ in op.args[1:]]
    attrs = {"dtype": data.draw(st.sampled_from(DTYPE_ATTRS[:10])),
             "order": data.draw(st.sampled_from("CF"))}
    run_all(op, [(args, attrs)])
