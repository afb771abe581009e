"""Differential tests of the operator, builtin and ``math`` ops (``ir/defs/arith.py``,
``builtins.py``, ``mathfns.py``) against CPython and numpy.

Every op those files declare is found in the registry, so a new op is covered
without touching this file.  Each op runs over arguments of every kind the
dispatcher can key on (Python int, float, bool and complex with their corner
values, numpy scalars of several dtypes, arrays of every layout, broadcasting
against each other), and for each call:

1. wiring: the op's reference gives what the plain Python expression gives
   (``a + b``, ``a += b``, ``math.sqrt(x)``): same type, value, exception;
2. the type rule predicts the runtime type exactly (for arrays it may say
   ``A`` where the result happens to be contiguous, never C or F wrongly);
3. a call that raises belongs to a ``may_raise`` op, never raises TypeError
   (that verdict belongs to the rule), and ``Deopt`` is raised only where
   CPython's result does not have the rule's type;
4. once per op: every type combination CPython computes for some values is
   accepted by the rule, apart from the documented exclusions, so a rule
   cannot pass by rejecting everything; a list of combinations pins exact types.

Hypothesis then draws scalar values for the same checks.
"""
from __future__ import annotations

import builtins
import itertools
import math
import operator
import random
import warnings

import numpy as np
import pytest
from hypothesis import assume, given, strategies as st

from pyjit.ir import registry
from pyjit.ir.registry import Deopt, TypeRuleError
from pyjit.ir.types import (BOOL, COMPLEX, FLOAT, INT, NONE, Array, Const, NpScalar, Opaque,
                            TupleT, UnionT, array_layout, members, typeof)

MODULES = {"pyjit.ir.defs.arith", "pyjit.ir.defs.builtins", "pyjit.ir.defs.mathfns"}
OPS = {op.name: op for op in registry.OPS.values() if op.impl.__module__ in MODULES}

# ---------------------------------------------------------------- the plain expressions

BINARY = {"add": "+", "sub": "-", "mul": "*", "truediv": "/", "floordiv": "//", "mod": "%",
          "pow": "**", "matmul": "@", "lshift": "<<", "rshift": ">>", "and_": "&", "or_": "|",
          "xor": "^", "lt": "<", "le": "<=", "eq": "==", "ne": "!=", "gt": ">", "ge": ">="}
INPLACE = {"i" + name.rstrip("_"): symbol + "=" for name, symbol in BINARY.items()
           if name not in ("lt", "le", "eq", "ne", "gt", "ge")}
UNARY = {"neg": "-", "pos": "+", "invert": "~"}


def _compiled(source: str):
    """The expression as CPython compiles it from source, bytecode and all."""
    namespace = {}
    exec(source, namespace)
    return namespace["f"]


def expression(name: str):
    """The plain Python spelling of op ``name``, built independently of the op."""
    if name in BINARY:
        return _compiled(f"def f(a, b):\n    return a {BINARY[name]} b")
    if name in INPLACE:
        return _compiled(f"def f(a, b):\n    a {INPLACE[name]} b\n    return a")
    if name in UNARY:
        return _compiled(f"def f(a):\n    return {UNARY[name]}a")
    if name.startswith("math."):
        return getattr(math, name[len("math."):])
    return getattr(builtins, name)


def expected_callable(name: str):
    if name in BINARY or name in INPLACE or name in UNARY:
        return getattr(operator, name)
    return expression(name)


# ---------------------------------------------------------------- argument pools

NAN, INF = math.nan, math.inf
PY_VALUES = {
    "int": [0, 1, -3, 7, 1000, 2**63 + 5, -(2**70)],
    "float": [0.0, -0.0, 1.5, -2.5, 0.5, NAN, INF, -INF, 1e308],
    "bool": [True, False],
    "complex": [0j, 1 + 2j, complex(-1.5, 0.5), complex(NAN, 1.0), complex(1e308, 1e308)],
}
NP_DTYPES = [np.dtype(c) for c in ("int8", "int32", "int64", "uint8", "uint64",
                                   "float32", "float64", "bool", "complex128")]


def np_values(dtype: np.dtype) -> list:
    if dtype.kind == "b":
        return [np.True_, np.False_]
    if dtype.kind in "iu":
        signed = [-1] if dtype.kind == "i" else []
        return [dtype.type(v) for v in [0, 1, 5, *signed, np.iinfo(dtype).max]]
    if dtype.kind == "f":
        return [dtype.type(v) for v in (0.0, -0.0, 1.5, -2.5, NAN, INF)]
    return [dtype.type(v) for v in (0, 1 + 2j, complex(NAN, 0))]


def _filled(n: int, dtype: np.dtype) -> np.ndarray:
    if dtype.kind == "b":
        return np.arange(n) % 2 == 0
    return (np.arange(n) % 5 + 1).astype(dtype)


# Arrays by how they are laid out; square matrices so that ``@`` applies too.
ARRAY_SHAPES = {
    "empty": lambda d: _filled(0, d),
    "0d": lambda d: _filled(1, d).reshape(()),
    "1d": lambda d: _filled(3, d),
    "1d[::2]": lambda d: _filled(6, d)[::2],
    "1d[::-1]": lambda d: _filled(3, d)[::-1],
    "2d": lambda d: _filled(9, d).reshape(3, 3),
    "2d.F": lambda d: np.asfortranarray(_filled(9, d).reshape(3, 3)),
    "2d.T": lambda d: _filled(9, d).reshape(3, 3).T,
    "2d[::2,::2]": lambda d: _filled(36, d).reshape(6, 6)[::2, ::2],
    "2d.T[::2]": lambda d: _filled(18, d).reshape(3, 6).T[::2],
    "col": lambda d: _filled(3, d).reshape(3, 1),
    "row": lambda d: _filled(3, d).reshape(1, 3),
    "3d": lambda d: _filled(18, d).reshape(2, 3, 3),
    "3d.F(2,1,3)": lambda d: np.asfortranarray(_filled(6, d).reshape(2, 1, 3)),
}
EVERY_DTYPE_SHAPES = ("0d", "1d")  # dtypes and layouts do not interact: layouts in f64, i64


def _const(value):
    return lambda: value


def scalar_args() -> list:
    """(label, maker) for every scalar value; makers return the same immutable value."""
    args = [(f"{v!r}", _const(v)) for values in PY_VALUES.values() for v in values]
    args += [(f"{d.name}({v!r})", _const(v)) for d in NP_DTYPES for v in np_values(d)]
    return args


def array_args() -> list:
    """(label, maker) for arrays; makers build a fresh array, as in-place ops mutate."""
    args = []
    for shape, make in ARRAY_SHAPES.items():
        dtypes = NP_DTYPES if shape in EVERY_DTYPE_SHAPES else [np.dtype("f8"), np.dtype("i8")]
        args += [(f"{d.name}[{shape}]", (lambda m=make, d=d: m(d))) for d in dtypes]
    return args


SCALARS, ARRAYS = scalar_args(), array_args()


def too_costly(name: str, args) -> bool:
    """Values whose evaluation costs memory or time rather than semantics:
    ``7 ** 2**63``, ``1 << 2**40`` and ``round(7, -2**70)`` build gigantic ints,
    ``round(np.float64(1), 2**31 - 1)`` takes seconds."""
    if len(args) < 2 or not isinstance(args[1], (int, np.integer)):
        return False
    a, b = args[0], int(args[1])
    python_ints = type(a) in (int, bool) and type(args[1]) in (int, bool)
    if name in ("pow", "ipow"):
        return python_ints and abs(a) > 1 and b > 256
    if name in ("lshift", "ilshift"):
        return python_ints and a != 0 and b > 4096
    if name == "round":
        return abs(b) > 4096
    return False


def arities(op) -> list:
    if op.varargs:
        return [2, 3]
    return list(range(len(op.args) - len(op.optional), len(op.args) + 1))


def argument_sets(op, arity: int):
    """Makers for every combination of arguments that op is tried on."""
    pool = SCALARS + ARRAYS
    if arity == 1:
        return [(m,) for m in pool]
    if arity == 2:
        return list(itertools.product(pool, repeat=2))
    # Three arguments (min, max, hypot): all of one kind, then a mixed sample.
    sets = []
    for _, group in itertools.groupby(SCALARS, key=lambda m: typeof(m[1]())):
        group = list(group)[:3]
        sets += itertools.product(group, repeat=3)
    rng = random.Random(0)
    sets += [tuple(rng.choice(pool) for _ in range(3)) for _ in range(300)]
    return sets


# ---------------------------------------------------------------- the check of one call


def same(x, y) -> bool:
    """Equal type and value, with nan equal to itself and -0.0 distinct from 0.0."""
    if type(x) is not type(y):
        return False
    if isinstance(x, tuple):
        return len(x) == len(y) and all(same(i, j) for i, j in zip(x, y))
    if isinstance(x, np.ndarray):
        return (x.dtype == y.dtype and x.shape == y.shape and array_layout(x) == array_layout(y)
                and np.array_equal(x, y, equal_nan=x.dtype.kind in "fc"))
    if isinstance(x, (complex, np.complexfloating)):
        return same(x.real, y.real) and same(x.imag, y.imag)
    if isinstance(x, (float, np.floating)):
        if math.isnan(x) or math.isnan(y):
            return math.isnan(x) and math.isnan(y)
        return x == y and math.copysign(1, x) == math.copysign(1, y)
    return x == y


def predicts(rule, actual) -> bool:
    """Whether the rule's type describes a value of type ``actual``."""
    if isinstance(rule, Array) and isinstance(actual, Array):
        return (rule.dtype == actual.dtype and rule.ndim == actual.ndim
                and rule.layout in ("A", actual.layout))
    if isinstance(rule, TupleT) and isinstance(actual, TupleT):
        return len(rule.items) == len(actual.items) and all(
            predicts(r, a) for r, a in zip(rule.items, actual.items))
    if isinstance(rule, UnionT):   # max(0, np.int64(5)): whichever argument won
        return any(predicts(m, actual) for m in members(rule))
    return rule == actual


def infer(op, types):
    """The rule's type, or the TypeRuleError it raised (any other error fails the test)."""
    try:
        return op.infer(types, {})
    except TypeRuleError as exc:
        return exc


def outcome(fn, args):
    try:
        return fn(*args), None
    except Exception as exc:  # the exception is the outcome compared
        return None, exc


def check_call(op, expr, args_a, args_b, rules: dict) -> tuple:
    """Run the op's reference on ``args_a`` and the expression on ``args_b`` (fresh,
    equal copies); check 1-3 of the module docstring.  Returns the argument
    types and whether the plain expression computed a value."""
    omitted = 0 if op.varargs else len(op.args) - len(args_a)
    padded = list(args_a) + [None] * omitted  # the reference gets None for an omitted input
    types = tuple(typeof(a) for a in args_a) + (None,) * omitted  # and the rule None for its type
    if types not in rules:
        rules[types] = infer(op, types)
    rule = rules[types]
    result, error = outcome(op.impl, padded)
    expected, expected_error = outcome(expr, args_b)

    def where():  # built only on failure: printing arrays is slow
        return f"{op.name}{tuple(args_b)!r} with types {types}"

    if isinstance(error, Deopt):
        assert not isinstance(rule, TypeRuleError), where()
        assert expected_error is not None or not predicts(rule, typeof(expected)), \
            f"{where()}: Deopt, yet CPython's {expected!r} has the rule's type {rule}"
        return types, expected_error is None
    if error is not None or expected_error is not None:
        assert type(error) is type(expected_error), f"{where()}: {error!r} vs {expected_error!r}"
    else:
        assert same(result, expected), f"{where()}: {result!r} vs {expected!r}"
        assert (result is args_a[0]) == (expected is args_b[0]), f"{where()}: in-place identity"
    if isinstance(rule, TypeRuleError):
        return types, expected_error is None
    if error is not None:
        assert op.may_raise, f"{where()} raised {error!r} but the op is not may_raise"
        assert not isinstance(error, TypeError), f"{where()}: rule {rule} accepts, yet {error!r}"
    else:
        assert predicts(rule, typeof(result)), f"{where()}: rule {rule}, runtime {typeof(result)}"
    return types, expected_error is None


def deliberately_unsupported(name: str, types) -> bool:
    """Combinations CPython computes that the rules reject on purpose (see the
    op files): min/max of unequal types or of several arrays, min/max/sum over
    anything but a 1-d real array, sum from a start of another type than the
    running sum's, math functions of arrays or numpy complex
    scalars, and real conversions of numpy complex values."""
    complex_np = any(isinstance(t, (NpScalar, Array)) and t.dtype.kind == "c" for t in types)
    if name in ("min", "max") and len(types) > 1:
        return len(set(types)) > 1 or any(isinstance(t, Array) for t in types)
    if name == "sum" and len(types) == 2 and types[1] is not None:
        return True  # a start whose type is not the running sum's: the rule checks which
    if name in ("min", "max", "sum"):
        return any(isinstance(t, Array) and (t.ndim != 1 or t.dtype.kind not in "biuf") for t in types)
    if name.startswith("math."):
        return complex_np or any(isinstance(t, Array) for t in types)
    if name in ("float", "int"):
        return complex_np
    return False


@pytest.fixture(autouse=True)
def _quiet():
    """numpy warns on overflow and division by zero; the values are what is compared."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


# ---------------------------------------------------------------- the tests


def test_the_op_families_are_all_here():
    names = set(OPS)
    assert set(BINARY) | set(INPLACE) | set(UNARY) <= names
    assert {"abs", "min", "max", "sum", "round", "float", "int", "bool", "divmod"} <= names
    assert {"math.sqrt", "math.log", "math.floor", "math.isnan", "math.hypot", "math.pow"} <= names


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_declaration(name):
    op = OPS[name]
    fn = expected_callable(name)
    assert op.callables == (fn,) and registry.op_for_callable(fn) is op
    assert op.rule is not None
    if name in INPLACE:
        assert op.mutates == ("a",) and not op.pure


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_against_cpython(name):
    op, expr = OPS[name], expression(name)
    rules, computed = {}, {}
    for arity in arities(op):
        for makers in argument_sets(op, arity):
            probe = [m() for _, m in makers]
            if too_costly(name, probe):
                continue
            types, ok = check_call(op, expr, probe, [m() for _, m in makers], rules)
            computed[types] = computed.get(types, False) or ok
    missing = [t for t, ok in computed.items() if ok and isinstance(rules[t], TypeRuleError)
               and not deliberately_unsupported(name, t)]
    assert not missing, f"{name}: CPython computes these, the rule rejects them: {missing[:8]} " \
                        f"({rules[missing[0]]})"
    assert any(not isinstance(r, TypeRuleError) for r in rules.values())


def _a(dtype, ndim, layout="C"):
    return Array(np.dtype(dtype), ndim, layout)


def _s(dtype):
    return NpScalar(np.dtype(dtype))


F8, F4, I1, I8 = _s("f8"), _s("f4"), _s("i1"), _s("i8")
F8_1, F8_2, F8_2F, F8_2A = _a("f8", 1), _a("f8", 2), _a("f8", 2, "F"), _a("f8", 2, "A")

# (op, argument types, exact result type): the combinations that must be supported.
SUPPORTED = [
    # CPython's own promotion; ``int ** int`` says int (negative exponents deopt)
    ("add", (INT, INT), INT), ("add", (INT, FLOAT), FLOAT), ("mul", (FLOAT, FLOAT), FLOAT),
    ("truediv", (INT, INT), FLOAT), ("floordiv", (INT, INT), INT), ("mod", (FLOAT, INT), FLOAT),
    ("pow", (INT, INT), INT), ("pow", (FLOAT, FLOAT), FLOAT), ("pow", (INT, FLOAT), FLOAT),
    ("add", (COMPLEX, FLOAT), COMPLEX), ("add", (BOOL, BOOL), INT), ("and_", (BOOL, BOOL), BOOL),
    ("lshift", (INT, INT), INT), ("lt", (INT, FLOAT), BOOL), ("eq", (COMPLEX, COMPLEX), BOOL),
    ("neg", (BOOL,), INT), ("invert", (INT,), INT), ("pos", (FLOAT,), FLOAT),
    ("iadd", (INT, INT), INT), ("imul", (FLOAT, INT), FLOAT), ("ipow", (INT, INT), INT),
    # numpy scalars, NEP 50: Python scalars are weak
    ("add", (F8, INT), F8), ("add", (FLOAT, F8), F8), ("mul", (I1, INT), I1),
    ("add", (F4, FLOAT), F4), ("add", (_s("i4"), F4), F8), ("lt", (F8, FLOAT), _s("?")),
    ("add", (COMPLEX, F8), COMPLEX), ("truediv", (I8, INT), F8),
    # arrays: dtypes, broadcasting, layouts
    ("add", (F8_2, FLOAT), F8_2), ("mul", (F8_2F, FLOAT), F8_2F), ("add", (F8_2, F8_1), F8_2),
    ("add", (_a("i1", 1), INT), _a("i1", 1)), ("add", (_a("f4", 1), F8_1), F8_1),
    ("lt", (F8_2, FLOAT), _a("?", 2)), ("neg", (F8_2F,), F8_2F),
    ("add", (_a("f8", 1, "A"), INT), F8_1), ("add", (F8_2F, F8_2), F8_2A),
    ("iadd", (F8_2F, INT), F8_2F), ("iadd", (F8_2A, F8_2), F8_2A),
    ("imul", (_a("f4", 1), FLOAT), _a("f4", 1)),
    ("matmul", (F8_2F, F8_2F), F8_2), ("matmul", (F8_1, F8_1), F8), ("matmul", (F8_2, F8_1), F8_1),
    # builtins
    ("abs", (INT,), INT), ("abs", (COMPLEX,), FLOAT), ("abs", (I1,), I1), ("abs", (F8_2F,), F8_2F),
    ("min", (FLOAT, FLOAT), FLOAT), ("max", (INT, INT, INT), INT), ("min", (F4, F4), F4),
    ("round", (FLOAT, None), INT), ("round", (FLOAT, NONE), INT), ("round", (FLOAT, INT), FLOAT),
    ("round", (F8, None), INT), ("round", (F4, INT), F4), ("round", (INT, INT), INT),
    ("float", (INT,), FLOAT), ("int", (FLOAT,), INT), ("int", (F4,), INT), ("bool", (FLOAT,), BOOL),
    ("complex", (FLOAT, FLOAT), COMPLEX), ("complex", (INT, None), COMPLEX),
    ("divmod", (INT, INT), TupleT((INT, INT))), ("divmod", (FLOAT, INT), TupleT((FLOAT, FLOAT))),
    ("divmod", (F8_1, INT), TupleT((F8_1, F8_1))),
    # math
    ("math.sqrt", (FLOAT,), FLOAT), ("math.sqrt", (INT,), FLOAT), ("math.sqrt", (F4,), FLOAT),
    ("math.sin", (_s("u8"),), FLOAT), ("math.floor", (FLOAT,), INT), ("math.ceil", (F8,), INT),
    ("math.trunc", (FLOAT,), INT), ("math.isnan", (F8,), BOOL), ("math.isinf", (INT,), BOOL),
    ("math.log", (FLOAT, None), FLOAT), ("math.log", (INT, FLOAT), FLOAT),
    ("math.hypot", (FLOAT, INT), FLOAT), ("math.pow", (INT, INT), FLOAT),
    ("math.atan2", (FLOAT, FLOAT), FLOAT), ("math.fmod", (BOOL, FLOAT), FLOAT),
]

# (op, argument types): combinations that must be rejected.
REJECTED = [
    ("math.sqrt", (_a("f8", 1),)), ("math.sqrt", (_a("f8", 0),)), ("math.sqrt", (COMPLEX,)),
    ("math.sqrt", (_s("c16"),)), ("math.floor", (_s("c16"),)), ("min", (INT, FLOAT)),
    ("max", (_a("f8", 1), _a("f8", 1))), ("min", (INT,)), ("iadd", (_a("i8", 1), FLOAT)),
    ("iadd", (_a("f8", 1), _a("f8", 2))), ("invert", (FLOAT,)), ("lt", (COMPLEX, COMPLEX)),
    ("float", (_s("c16"),)), ("int", (COMPLEX,)), ("round", (COMPLEX, None)),
    ("math.log", (FLOAT, NONE)), ("complex", (INT, NONE)),
    ("round", (FLOAT, FLOAT)), ("neg", (_s("?"),)), ("sub", (_a("?", 1), _a("?", 1))),
    ("matmul", (FLOAT, FLOAT)), ("floordiv", (COMPLEX, INT)),
]


@pytest.mark.parametrize("name, types, result", SUPPORTED, ids=lambda v: str(v))
def test_supported(name, types, result):
    assert registry.get(name).infer(types, {}) == result


@pytest.mark.parametrize("name, types", REJECTED, ids=lambda v: str(v))
def test_rejected(name, types):
    with pytest.raises(TypeRuleError):
        registry.get(name).infer(types, {})


@pytest.mark.parametrize("name", sorted(OPS))
def test_non_numbers_are_rejected(name):
    op = OPS[name]
    for odd in (Const("text"), Const(math), Opaque(list)):
        for arity in arities(op):
            for position in range(arity):
                types = [FLOAT] * arity
                types[position] = odd
                with pytest.raises(TypeRuleError):
                    op.infer(tuple(types) + (None,) * (len(op.args) - arity), {})


def test_pow_deopts_where_the_type_changes():
    pow_, ipow = registry.get("pow"), registry.get("ipow")
    for op in (pow_, ipow):
        for a, b in ((2, -1), (0, -1), (True, -2), (-8.0, 1 / 3), (-8, 0.5), (-1e300, 2.5)):
            with pytest.raises(Deopt):
                op.impl(a, b)
        assert op.impl(2, 10) == 1024 and type(op.impl(2, 0)) is int
        assert op.impl(2.0, -1) == 0.5 and op.impl(-8.0, 2.0) == 64.0
        assert op.impl(-math.inf, 0.5) == math.inf and math.isnan(op.impl(-1.0, math.nan))
        assert math.isnan(op.impl(np.float64(-8.0), 1 / 3))
        assert type(op.impl(-8.0, np.float64(0.5))) is np.float64
        assert type(op.impl(2 + 0j, -1)) is complex


def test_inplace_ops_mutate_arrays_and_rebind_scalars():
    a = np.arange(3.0)
    assert registry.get("iadd").impl(a, 1) is a and a.tolist() == [1.0, 2.0, 3.0]
    b = np.ones((2, 2))
    assert registry.get("imatmul").impl(b, np.eye(2) * 2) is b and b.tolist() == [[2, 2], [2, 2]]
    assert registry.get("iadd").impl(1, 2) == 3
    c = np.ones(3)
    out = registry.get("iadd").impl(1, c)
    assert out is not c and c.tolist() == [1, 1, 1]


def test_min_max_follow_cpython_on_nan():
    mn, mx = registry.get("min"), registry.get("max")
    assert math.isnan(mn.impl(math.nan, 1.0)) and mn.impl(1.0, math.nan) == 1.0
    assert math.isnan(mx.impl(math.nan, 1.0)) and mx.impl(1.0, math.nan) == 1.0
    assert mn.infer((FLOAT, FLOAT), {}) == FLOAT


# ---------------------------------------------------------------- hypothesis


def _np_scalar(dtype):
    if dtype.kind == "b":
        return st.booleans().map(np.bool_)
    if dtype.kind in "iu":
        info = np.iinfo(dtype)
        return st.integers(int(info.min), int(info.max)).map(dtype.type)
    if dtype.kind == "f":
        return st.floats(width=dtype.itemsize * 8).map(dtype.type)
    return st.complex_numbers().map(dtype.type)


SCALAR_VALUES = st.one_of(
    st.integers(-(2**80), 2**80), st.integers(-300, 300), st.floats(), st.booleans(),
    st.complex_numbers(), st.sampled_from(NP_DTYPES).flatmap(_np_scalar))


@st.composite
def call_args(draw, op):
    arity = draw(st.sampled_from(arities(op)))
    if op.varargs and draw(st.booleans()):
        dtype = draw(st.sampled_from(NP_DTYPES + [None]))
        kind = st.floats() if dtype is None else _np_scalar(dtype)
        return [draw(kind) for _ in range(arity)]
    return [draw(SCALAR_VALUES) for _ in range(arity)]


@pytest.mark.parametrize("name", sorted(OPS))
def test_op_on_hypothesis_scalars(name):
    op, expr = OPS[name], expression(name)
    rules = {}

    @given(call_args(op))
    def run(args):
        assume(not too_costly(name, args))
        with np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            check_call(op, expr, args, list(args), rules)

    run()
