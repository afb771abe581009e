"""Type inference and call resolution on hand-written untyped graphs.

The graphs are written in the printed form and parsed.  Ops other than the
core ones are looked up by name and skipped if not declared yet; the tests
rely only on their names, parameter names and Python's own result types.
"""
import builtins
import math

import numpy as np
import pytest

from pyjit.ir import registry
from pyjit.ir.infer import infer
from pyjit.ir.compare import graphs_equal
from pyjit.ir.parser import parse
from pyjit.ir.printer import print_graph
from pyjit.ir.types import (BOOL, FLOAT, INT, NONE, Array, Const, NpScalar, TupleT, UnionT,
                            unify)
from pyjit.ir.verify import verify
from pyjit.report.reasons import Unsupported

F64 = np.dtype(np.float64)
F32 = np.dtype(np.float32)


def need(*names):
    missing = [n for n in names if n not in registry.OPS]
    if missing:
        pytest.skip(f"ops {missing} are not declared yet")


def typed(text, *types):
    """Infer ``text`` for ``types``; check the input is untouched and the result verifies."""
    g = parse(text)
    before = print_graph(g)
    t = infer(g, list(types))
    assert print_graph(g) == before, "infer changed its input graph"
    if not isinstance(t, Unsupported):
        verify(t, typed=True)
    return t


def unsupported(text, *types, code):
    t = typed(text, *types)
    assert isinstance(t, Unsupported), print_graph(t)
    assert t.code == code, str(t)
    return t


SQUARE_PLUS_ONE = """\
graph f(%0 = local x) {
^0(%0 x):
  %1 = mul %0, %0
  %2 = const {value=1}
  %3 = add %1, %2
  exit 0
exits:
  0 end y=%3
}"""


def test_straight_line_on_int_and_float():
    need("add", "mul")
    t = typed(SQUARE_PLUS_ONE, FLOAT)
    assert print_graph(t) == """\
graph f(%0 = local x) {
^0(%0 x:float):
  %1:float = mul %0, %0
  %2:int = const {value=1}
  %3:float = add %1, %2
  exit 0
exits:
  0 end y=%3
}"""
    assert typed(SQUARE_PLUS_ONE, INT).entry.nodes[2].out.type == INT


@pytest.mark.parametrize("x, y", [
    (NpScalar(F32), NpScalar(F32)),          # NEP 50: the Python int is weak
    (Array(F64, 2), Array(F64, 2)),
    (BOOL, INT),
])
def test_straight_line_follows_python_and_numpy(x, y):
    need("add", "mul")
    assert typed(SQUARE_PLUS_ONE, x).entry.nodes[2].out.type == y


def test_one_graph_many_specializations():
    need("add", "mul")
    g = parse(SQUARE_PLUS_ONE)
    a, b = infer(g, [INT]), infer(g, [FLOAT])
    assert a.entry.nodes[0] is not b.entry.nodes[0]
    assert (a.entry.nodes[2].out.type, b.entry.nodes[2].out.type) == (INT, FLOAT)
    assert all(v.type is None for v in [*g.entry.params, *(n.out for n in g.entry.nodes)])


def sum_loop(init, item="%8", step="0.5"):
    """``total = init; for i in range(n): total += item * 1``, ``%12`` is ``step``."""
    return f"""\
graph total(%0 = local n) {{
^0(%0 n):
  %1 = const {{value=0}}
  %2 = const {{value=1}}
  %3 = const {{value={init}}}
  %4 = range_len %1, %0, %2 !1
  %12 = const {{value={step}}}
  br ^1(%3, %1)
^1(%5 total, %6):
  %7 = lt %6, %4
  cbr %7, ^2(), ^3()
^2():
  %8 = range_item %1, %2, %6
  %9 = mul {item}, %2
  %10 = add %5, %9
  %11 = add %6, %2
  br ^1(%10, %11)
^3():
  exit 0
exits:
  0 end total=%5
  1 resume 0
}}"""


@pytest.mark.parametrize("init, item, total", [
    ("0", "%8", INT),
    ("0.0", "%8", FLOAT),
    ("0.0", "%12", FLOAT),
    ("f64(0.0)", "%8", NpScalar(F64)),
])
def test_loop_carried_types(init, item, total):
    need("add", "mul", "lt")
    t = typed(sum_loop(init, item), INT)
    head = t.blocks[1]
    assert [p.type for p in head.params] == [total, INT]
    assert head.nodes[0].out.type == BOOL


def test_float_accumulator_of_numpy_floats_is_a_union():
    # s = 0.0; s += f64(...): CPython's result is float if the loop never runs,
    # np.float64 otherwise; both are doubles, so the join is float|f64.
    need("add", "mul", "lt")
    t = typed(sum_loop("0.0", "%12", "f64(0.5)"), INT)
    head, body = t.blocks[1], t.blocks[2]
    assert head.params[0].type == UnionT([FLOAT, NpScalar(F64)])
    assert body.nodes[2].out.type == NpScalar(F64)      # float|f64 + f64 is f64 either way


def test_rules_run_per_union_member():
    need("add")
    graph = """\
graph f(%0 = local x, %1 = local y) {
^0(%0 x, %1 y):
  %2 = add %0, %1
  exit 0
exits:
  0 end z=%2
}"""
    float_or_f64 = unify(FLOAT, NpScalar(F64))
    assert typed(graph, float_or_f64, INT).entry.nodes[0].out.type == float_or_f64
    assert typed(graph, float_or_f64, NpScalar(F64)).entry.nodes[0].out.type == NpScalar(F64)
    # int + f32 is f32 (a Python int is weak), i64 + f32 is f64: no single type.
    r = unsupported(graph, unify(INT, NpScalar(np.dtype(np.int64))), NpScalar(F32),
                    code="PJ0006")
    assert "on one path" in r.detail


def test_int_accumulator_gaining_floats_is_pj0007():
    need("add", "mul", "lt")
    g = parse(sum_loop("0", "%12"))
    g.blocks[1].nodes[0].loc = ("sum.py", 4, "FOR_ITER 12")
    r = infer(g, [INT])
    assert isinstance(r, Unsupported) and r.code == "PJ0007"
    assert "total" in r.detail and "int" in r.detail and "float" in r.detail
    assert (r.filename, r.lineno, r.instr) == ("sum.py", 4, "FOR_ITER 12")


def test_loop_over_float_bound_is_pj0006():
    need("add", "mul", "lt")
    r = unsupported(sum_loop("0.0"), FLOAT, code="PJ0006")
    assert r.detail.startswith("range_len: ")


def test_array_layout_widens_around_a_loop():
    # a = x (C order) before the loop; a = a.T[::1] style reassignment would give A:
    # here the back edge carries the loop input y of layout A.
    g = parse("""\
graph f(%0 = local x, %1 = local y, %2 = local c) {
^0(%0 x, %1 y, %2 c):
  br ^1(%0)
^1(%3 a):
  %4 = truth %2
  cbr %4, ^1(%1), ^2()
^2():
  exit 0
exits:
  0 end a=%3
}""")
    t = infer(g, [Array(F64, 1, "C"), Array(F64, 1, "A"), BOOL])
    assert t.blocks[1].params[0].type == Array(F64, 1, "A")
    r = infer(g, [Array(F64, 1, "C"), Array(F32, 1, "A"), BOOL])
    assert r.code == "PJ0007" and "a is f64[?]" in r.detail


CALL = """\
graph f(%0 = local a, %1 = static global fn <len>) {{
^0(%0 a, %1 fn):
{body}
  exit 0
exits:
  0 end r=%2
}}"""


def call(body, *types):
    return typed(CALL.format(body=body), *types)


def test_call_resolves_to_the_registered_op():
    t = call("  %2 = call %1, %0 {kwnames=()}", Array(F64, 2), Const(len))
    node = t.entry.nodes[0]
    assert (node.op, node.inputs, node.attrs) == ("len", [t.entry.params[0]], {})
    assert node.out.type == INT
    assert call("  %2 = call %1, %0 {kwnames=()}", TupleT((INT, FLOAT)), Const(len)) \
        .entry.nodes[0].out.type == INT


def test_call_unsupported_paths():
    body = "  %2 = call %1, %0 {kwnames=()}"
    r = unsupported(CALL.format(body=body), INT, Const(print), code="PJ0001")
    assert "print" in r.detail
    r = unsupported(CALL.format(body=body), INT, FLOAT, code="PJ0001")
    assert "fn" in r.detail and "float" in r.detail
    r = unsupported(CALL.format(body="  %2 = call %1, %0, %0 {kwnames=()}"), INT, Const(len),
                    code="PJ0001")
    assert "at most 1" in r.detail
    r = unsupported(CALL.format(body="  %2 = call %1, %0 {kwnames=('obj',)}"), INT, Const(len),
                    code="PJ0001")
    assert "'obj'" in r.detail
    r = unsupported(CALL.format(body=body), FLOAT, Const(len), code="PJ0006")
    assert r.detail == "len: len() of float"


def test_unsupported_carries_the_node_location():
    g = parse(CALL.format(body="  %2 = call %1, %0 {kwnames=()}"))
    g.entry.nodes[0].loc = ("f.py", 7, "CALL 1")
    r = infer(g, [FLOAT, Const(len)])
    assert (r.code, r.filename, r.lineno, r.instr) == ("PJ0006", "f.py", 7, "CALL 1")
    assert str(r).startswith("f.py:7: PJ0006")


def test_missing_optional_input_becomes_const_none():
    need("round")
    t = call("  %2 = call %1, %0 {kwnames=()}", FLOAT, Const(round))
    none, node = t.entry.nodes
    assert (none.op, none.attrs, none.out.type) == ("const", {"value": None}, NONE)
    assert node.op == "round" and node.inputs == [t.entry.params[0], none.out]
    assert node.out.type == INT
    assert none.out.id not in {v.id for v in t.entry.params}


def test_attribute_arguments_must_be_constants():
    sum_op = registry.op_for_callable(np.sum)
    if sum_op is None or "axis" not in sum_op.attrs:
        pytest.skip("np.sum with an axis attribute is not declared yet")
    t = call("  %3 = const {value=1}\n  %2 = call %1, %0, %3 {kwnames=('axis',)}",
             Array(F64, 2), Const(np.sum))
    node = t.entry.nodes[1]
    assert node.op == sum_op.name and node.inputs == [t.entry.params[0]]
    assert node.attrs == {**sum_op.attrs, "axis": 1}
    assert node.out.type == Array(F64, 1)
    r = unsupported(CALL.format(body="  %2 = call %1, %0, %0 {kwnames=('axis',)}"),
                    Array(F64, 2), Const(np.sum), code="PJ0013")
    assert "axis" in r.detail


METHOD = """\
graph f(%0 = local a, %1 = local k) {{
^0(%0 a, %1 k):
  %2 = method %0{args} {{name={name!r}, kwnames={kwnames!r}}}
  exit 0
exits:
  0 end r=%2
}}"""


def method(name, *types, args="", kwnames=()):
    return typed(METHOD.format(name=name, args=args, kwnames=kwnames), *types)


def test_method_resolves_by_receiver_family():
    op = registry.op_for_method("array", "sum")
    if op is None:
        pytest.skip("the reductions do not declare ('array', 'sum') yet")
    t = method("sum", Array(F64, 2), INT)
    node = t.entry.nodes[0]
    assert node.op == op.name and node.inputs == [t.entry.params[0]]
    assert node.out.type == NpScalar(F64)
    if "axis" in op.attrs:
        r = method("sum", Array(F64, 2), INT, args=", %1", kwnames=("axis",))
        assert r.code == "PJ0013"


def test_method_on_a_constant_is_a_call_of_its_attribute():
    t = method("len", Const(builtins), TupleT((INT,)), args=", %1")
    node = t.entry.nodes[0]
    assert (node.op, node.inputs, node.out.type) == ("len", [t.entry.params[1]], INT)
    r = method("no_such_function", Const(builtins), INT)
    assert r.code == "PJ0003" and r.detail == "builtins.no_such_function"


def test_method_unsupported_paths():
    r = method("_pyjit_no_such_method", Array(F64, 1), INT)
    assert r.code == "PJ0004" and "f64[?]._pyjit_no_such_method()" in r.detail
    r = method("sum", TupleT(()), INT)
    assert r.code == "PJ0004"


GETATTR = """\
graph f(%0 = local m) {{
^0(%0 m):
  %1 = getattr %0 {{name={name!r}}}
  exit 0
exits:
  0 end r=%1
}}"""


def test_getattr_on_a_constant_becomes_a_const():
    t = typed(GETATTR.format(name="pi"), Const(math))
    node = t.entry.nodes[0]
    assert (node.op, node.inputs, node.attrs, node.out.type) == \
        ("const", [], {"value": math.pi}, FLOAT)
    t = typed(GETATTR.format(name="float64"), Const(np))
    assert t.entry.nodes[0].out.type == Const(np.float64)
    r = unsupported(GETATTR.format(name="tau2"), Const(math), code="PJ0003")
    assert r.detail == "math.tau2"


def test_getattr_on_a_value_is_an_attribute_op():
    op = registry.op_for_attribute("array", "shape")
    if op is None:
        pytest.skip("('array', 'shape') is not declared yet")
    t = typed(GETATTR.format(name="shape"), Array(F64, 2))
    node = t.entry.nodes[0]
    assert node.op == op.name and node.inputs == [t.entry.params[0]]
    assert node.out.type == TupleT((INT, INT))
    r = unsupported(GETATTR.format(name="nope"), FLOAT, code="PJ0003")
    assert r.detail == "float.nope"


def test_resolved_constant_feeds_a_call():
    # np.sum(a, axis=1) as the frontend builds it: np.sum read through getattr.
    sum_op = registry.op_for_callable(np.sum)
    if sum_op is None:
        pytest.skip("np.sum is not declared yet")
    t = typed("""\
graph f(%0 = local a, %1 = static global np <numpy>) {
^0(%0 a, %1 np):
  %2 = getattr %1 {name='sum'}
  %3 = call %2, %0 {kwnames=()}
  exit 0
exits:
  0 end r=%3
}""", Array(F32, 1), Const(np))
    assert [n.op for n in t.entry.nodes] == ["const", sum_op.name]
    assert t.entry.nodes[1].out.type == NpScalar(F32)


def test_unreachable_blocks_are_dropped():
    t = typed("""\
graph f(%0 = local x) {
^0(%0 x):
  exit 0
^1():
  %1 = truth %0
  exit 0
exits:
  0 end x=%0
}""", FLOAT)
    assert [b.id for b in t.blocks] == [0]


def test_typed_copy_equals_an_independent_parse():
    need("add", "mul")
    t = typed(SQUARE_PLUS_ONE, FLOAT)
    assert graphs_equal(parse(print_graph(t)), t)


def test_input_type_count_is_checked():
    with pytest.raises(ValueError, match="1 live-ins, got 2 types"):
        infer(parse(SQUARE_PLUS_ONE), [INT, INT])


TUPLE_ITEM = """
graph f(%0 = local t) {{
^0(%0 t):
  %1 = const {{value={index}}}
  %2 = getitem %0, %1
  exit 0
exits:
  0 return [value %2]
}}
"""


def test_tuple_item_at_a_constant_index_has_that_items_type():
    pair = TupleT((Array(F64, 1), FLOAT))
    for index, expected in ((0, Array(F64, 1)), (1, FLOAT), (-1, FLOAT), (-2, Array(F64, 1))):
        t = typed(TUPLE_ITEM.format(index=index), pair)
        node = t.entry.nodes[1]
        assert (node.op, node.attrs, node.out.type) == ("tuple_get", {"index": index % 2}, expected)
    # out of range stays a getitem, which types only homogeneous tuples (CPython raises)
    unsupported(TUPLE_ITEM.format(index=2), pair, code="PJ0006")
    t = typed(TUPLE_ITEM.format(index=5), TupleT((INT, INT)))
    assert t.entry.nodes[1].op == "getitem"
    # a bool index is not an int index here
    unsupported(TUPLE_ITEM.format(index=True), pair, code="PJ0006")
