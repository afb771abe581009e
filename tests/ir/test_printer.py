"""The text form: golden prints, parse(print(g)) == g for every construct, clone."""
import math

import numpy as np
import pytest
from hypothesis import given, strategies as st

from pyjit.ir import Exit, Graph, Node, StackItem
from pyjit.ir.clone import clone
from pyjit.ir.compare import graphs_equal, same_object
from pyjit.ir.parser import ParseError, Unresolved, parse, parse_type, parse_value, resolve
from pyjit.ir.printer import attr_text, print_graph
from pyjit.ir.types import (BOOL, COMPLEX, ELLIPSIS, FLOAT, INT, NONE, NUMERIC_DTYPES, SLICE,
                            Array, Const, NpScalar, Opaque, TupleT, UnionT, unify)
from pyjit.ir.verify import verify

F64 = np.dtype(np.float64)


def straight_line() -> Graph:
    """``y = math.sqrt(x) * 2.0`` as the frontend builds it: untyped, with a resume exit."""
    g = Graph("f")
    x = g.add_input("x", "local")
    m = g.add_input("math", "global", static=math, is_static=True)
    b = g.entry
    fn = b.add("getattr", [m], name="sqrt")
    r = b.add("call", [fn, x], exit=1, loc=("f.py", 3, "CALL 1"), kwnames=())
    y = b.add("mul", [r, b.add("const", [], value=2.0)])
    b.exit(g.add_exit(Exit("end", names=("y",), values=[y])))
    g.add_exit(Exit("resume", target=0, names=("x",), values=[x]))
    return g


STRAIGHT_LINE = """\
graph f(%0 = local x, %1 = static global math <math>) {
^0(%0 x, %1 math):
  %2 = getattr %1 {name='sqrt'}
  %3 = call %2, %0 {kwnames=()} !1
  %4 = const {value=2.0}
  %5 = mul %3, %4
  exit 0
exits:
  0 end y=%5
  1 resume 0 x=%0
}"""


def typed_loop() -> Graph:
    """``for i in range(n): total += a[i]`` after inference, with its range exit state."""
    g = Graph("loop")
    n = g.add_input("n", "local", type=INT)
    a = g.add_input("a", "local", type=Array(F64, 1, "A"))
    entry = g.entry
    zero = entry.add("const", [], value=0, type=INT)
    one = entry.add("const", [], value=1, type=INT)
    start = entry.add("const", [], value=0.0, type=FLOAT)
    trips = entry.add("range_len", [zero, n, one], exit=1, type=INT)
    head, body, done = g.new_block(), g.new_block(), g.new_block()
    entry.br(head, [start, zero])
    total = head.add_param(FLOAT, hint="total")
    k = head.add_param(INT)
    more = head.add("lt", [k, trips], type=BOOL)
    head.cbr(more, body, [], done, [])
    i = body.add("range_item", [zero, one, k], type=INT)
    item = body.add("getitem", [a, i], exit=2, type=NpScalar(F64))
    body.br(head, [body.add("add", [total, item], type=NpScalar(F64)),
                   body.add("add", [k, one], type=INT)])
    done.exit(g.add_exit(Exit("end", names=("total",), values=[total])))
    g.add_exit(Exit("resume", target=0, names=("total",), values=[start]))
    g.add_exit(Exit("resume", target=2, names=("total", "i"), values=[total, i],
                    stack=[StackItem("range_iter", [zero, n, one, k])]))
    return g


TYPED_LOOP = """\
graph loop(%0 = local n, %1 = local a) {
^0(%0 n:int, %1 a:f64[?]:A):
  %2:int = const {value=0}
  %3:int = const {value=1}
  %4:float = const {value=0.0}
  %5:int = range_len %2, %0, %3 !1
  br ^1(%4, %2)
^1(%6 total:float, %7:int):
  %8:bool = lt %7, %5
  cbr %8, ^2(), ^3()
^2():
  %9:int = range_item %2, %3, %7
  %10:f64 = getitem %1, %9 !2
  %11:f64 = add %6, %10
  %12:int = add %7, %3
  br ^1(%11, %12)
^3():
  exit 0
exits:
  0 end total=%6
  1 resume 0 total=%4
  2 resume 2 total=%6 i=%9 [range_iter %2 %0 %3 %7]
}"""


def every_construct() -> Graph:
    """A graph using every printable form: static and plain live-ins, quoted
    names, all type forms, every kind of attribute value, multi-output and
    zero-output nodes, br/cbr/exit, exits with targets and stack items."""
    g = Graph("<lambda>")
    x = g.add_input("x", "local", type=Array(F64, 2, "F"))
    c = g.add_input("c", "deref", type=TupleT((INT, NpScalar(np.dtype(np.int32)))))
    s = g.add_input("s", "global", static=np.sin, is_static=True, type=Const(np.sin))
    q = g.add_input(".0", "local", type=TupleT((FLOAT,)))
    b0 = g.entry
    b0.add("const", [], value=(), type=TupleT(()))
    b0.add("const", [], value=None, type=NONE)
    b0.add("const", [], value=slice(None), type=SLICE)
    b0.add("const", [], value=..., type=ELLIPSIS)
    b0.add("const", [], value=1 + 2j, type=COMPLEX)
    b0.add("const", [], value=np.dtype("u1"), type=Const(np.dtype("u1")))
    b0.add("const", [], value="a 'quoted' > str", type=Const("a 'quoted' > str"))
    b0.add("const", [], value=len, type=Const(len))
    b0.add("const", [], value=math, type=Const(math))
    b0.add("opaque_thing", [], type=Opaque(list))
    b0.add("array0d", [], type=Array(np.dtype(np.complex64), 0))
    b0.add("weird", [x, c, s, q], exit=0, values=(
        1, -7, 10**30, 1.5, -0.0, float("nan"), float("-inf"), complex(-0.0, float("inf")),
        True, None, "s", b"b", (1,), ((), (2, 3)), np.float32(0.1), np.int8(-3),
        np.bool_(True), np.complex64(1 - 2j), np.float16(0.5), math.sqrt, np.add, range,
        np.dtype(np.float64), FLOAT, Array(np.dtype(np.uint16), 3, "A"), Const(np)))
    b1, b2 = g.new_block(), g.new_block()
    p = b1.add_param(Array(F64, 2, "F"), hint="a b")
    b1.add_param(None, hint="untyped")
    b1.add_param(None)
    cond = b0.add("truth", [x], type=BOOL)
    b0.cbr(cond, b1, [x, c, q], b2, [])
    b1.nodes.append(Node("store", [p], {"where": "here"}))
    b1.br(b2, [])
    b2.exit(1)
    g.add_exit(Exit("resume", target=4, names=("x",), values=[x]))
    g.add_exit(Exit("return", stack=[StackItem("value", [x])]))
    g.add_exit(Exit("jump", target="L12", names=("x", "c"), values=[x, c],
                    stack=[StackItem("seq_iter", [q, cond]), StackItem("value", [])]))
    g.add_exit(Exit("end"))
    return g


def test_golden_straight_line():
    assert print_graph(straight_line()) == STRAIGHT_LINE


def test_golden_typed_loop():
    assert print_graph(typed_loop()) == TYPED_LOOP


@pytest.mark.parametrize("build", [straight_line, typed_loop, every_construct])
def test_round_trip(build):
    g = build()
    text = print_graph(g)
    parsed = parse(text)
    assert graphs_equal(parsed, g)
    assert print_graph(parsed) == text
    assert graphs_equal(parse(print_graph(parsed)), parsed)


def test_round_trip_keeps_objects():
    g = parse(print_graph(every_construct()))
    values = g.entry.nodes[11].attrs["values"]
    assert values[19] is math.sqrt and values[20] is np.add and values[21] is range
    assert values[22] == np.dtype(np.float64) and values[23] == FLOAT
    assert type(values[14]) is np.float32 and values[14] == np.float32(0.1)
    assert math.copysign(1, values[4]) == -1 and math.isnan(values[5])
    assert g.inputs[2].static is np.sin and g.inputs[2].is_static
    assert g.inputs[2].value.type == Const(np.sin)
    assert g.blocks[1].params[0].hint == "a b"
    assert g.exits[2].target == "L12"
    assert next(g._ids) == max(v.id for v in g.blocks[0].params + [
        o for b in g.blocks for n in b.nodes for o in n.outputs]) + 1


def test_parsed_typed_loop_verifies():
    verify(parse(TYPED_LOOP), typed=False)


def test_loc_is_not_printed_or_compared():
    g = straight_line()
    assert graphs_equal(parse(print_graph(g)), g)
    assert parse(print_graph(g)).entry.nodes[1].loc is None


TYPE_TEXTS = ["int", "float", "bool", "complex", "f64", "i32", "u8", "b1", "c128", "f16",
              "f64[?,?]", "f64[?]:A", "f32[?,?,?]:F", "f64[]", "(int, f64)", "(int,)", "()",
              "((int, (f64[?],)), bool)", "None", "slice", "ellipsis", "opaque<list>",
              "opaque<ndarray>", "const<numpy>", "const<numpy.sin>", "const<math.sqrt>",
              "const<len>", "const<range>", "const<dtype:float64>", "const<'a>b'>",
              "(const<math>, opaque<dict>)", "f64|float", "(b1|bool, i64|int)"]


@pytest.mark.parametrize("text", TYPE_TEXTS)
def test_type_round_trip(text):
    assert str(parse_type(text)) == text


def test_types_resolve_to_objects():
    assert parse_type("const<numpy>") == Const(np)
    assert parse_type("const<numpy.sin>") == Const(np.sin)
    assert parse_type("const<math.sqrt>") == Const(math.sqrt)
    assert parse_type("const<len>") == Const(len)
    assert parse_type("const<dtype:float64>").value == np.dtype(np.float64)
    assert parse_type("opaque<list>") == Opaque(list)
    assert parse_type("f64[?]:A") == Array(F64, 1, "A")
    assert parse_type("(int,)") == TupleT((INT,))
    assert parse_type("f64|float") == UnionT([FLOAT, NpScalar(F64)])


def test_unresolved_names_become_stable_placeholders():
    t = parse_type("const<tests.nowhere.f.<locals>.g>")
    assert isinstance(t.value, Unresolved)
    assert str(t) == "const<tests.nowhere.f.<locals>.g>"
    assert parse_type(str(t)) == t
    o = parse_type("opaque<SomeUserClass>")
    assert str(o) == "opaque<SomeUserClass>" and parse_type(str(o)) == o


def test_resolve():
    assert resolve("numpy") is np
    assert resolve("numpy.linalg.norm") is np.linalg.norm
    assert resolve("math.pi") == math.pi
    assert resolve("len") is len and resolve("range") is range
    assert resolve("dtype:int8") == np.dtype(np.int8)
    assert resolve("'abc'") == "abc"
    assert resolve("type:(int, f64)") == TupleT((INT, NpScalar(F64)))


_scalars = st.sampled_from([INT, FLOAT, BOOL, COMPLEX, NONE, SLICE, ELLIPSIS] +
                           [NpScalar(d) for d in NUMERIC_DTYPES])
_arrays = st.builds(Array, st.sampled_from(NUMERIC_DTYPES), st.integers(0, 4),
                    st.sampled_from("CFA"))
_unions = st.sampled_from([unify(FLOAT, NpScalar(F64)), unify(INT, NpScalar(np.dtype(np.int64))),
                           unify(BOOL, NpScalar(np.dtype(np.bool_)))])
_types = st.recursive(_scalars | _arrays | _unions,
                      lambda inner: st.lists(inner, max_size=3).map(lambda xs: TupleT(tuple(xs))),
                      max_leaves=8)


@given(_types)
def test_any_type_round_trips(t):
    assert parse_type(str(t)) == t


_leaves = (st.integers() | st.floats(allow_nan=True) | st.complex_numbers() | st.booleans()
           | st.none() | st.text(max_size=5) | st.binary(max_size=3)
           | st.sampled_from([np.float32(1.25), np.int64(-5), np.bool_(False), np.sin, len,
                              np.dtype("c8"), math]))
_attr_values = st.recursive(_leaves, lambda inner: st.lists(inner, max_size=3).map(tuple),
                            max_leaves=6)


@given(_attr_values)
def test_any_attribute_value_round_trips(v):
    parsed = parse_value(attr_text(v))
    assert same_object(parsed, v), (v, attr_text(v), parsed)


def test_graphs_equal_matches_values_by_position():
    g = typed_loop()
    renumbered = clone(g)
    renumbered.renumber()
    for v in renumbered.entry.params:
        v.id += 100
    assert graphs_equal(g, renumbered)


def _mutations():
    def swap_inputs(g):
        n = g.blocks[2].nodes[1]
        n.inputs.reverse()

    def attr(g):
        g.entry.nodes[2].attrs["value"] = -0.0

    def type_(g):
        g.blocks[1].params[1].type = FLOAT

    def exit_names(g):
        g.exits[0].names = ("t",)

    def exit_index(g):
        g.blocks[2].nodes[1].exit = 1

    def target(g):
        g.blocks[1].term.targets.reverse()

    def branch_arg(g):
        g.entry.term.targets[0][1].reverse()

    def stack(g):
        g.exits[2].stack[0].values[3] = g.exits[2].stack[0].values[0]

    def static(g):
        g.inputs[0].is_static = True

    def op(g):
        g.blocks[2].nodes[2].op = "sub"

    return [swap_inputs, attr, type_, exit_names, exit_index, target, branch_arg, stack,
            static, op]


@pytest.mark.parametrize("mutate", _mutations(), ids=lambda f: f.__name__)
def test_graphs_equal_sees_every_difference(mutate):
    g = typed_loop()
    h = clone(g)
    mutate(h)
    assert not graphs_equal(g, h) and not graphs_equal(h, g)


def test_clone_is_deep():
    g = every_construct()
    vmap = {}
    h = clone(g, value_map=vmap)
    assert graphs_equal(g, h) and print_graph(g) == print_graph(h)
    old = {id(o) for b in g.blocks for o in [b, *b.params, *b.nodes, *(x for n in b.nodes
                                                                        for x in n.outputs)]}
    new = {id(o) for b in h.blocks for o in [b, *b.params, *b.nodes, *(x for n in b.nodes
                                                                        for x in n.outputs)]}
    assert not old & new
    assert all(b.graph is h for b in h.blocks)
    assert h.entry.term.targets[0][0] is h.blocks[1]
    assert vmap[g.inputs[0].value] is h.inputs[0].value is h.entry.params[0]
    assert h.exits[0] is not g.exits[0] and h.exits[2].stack[0] is not g.exits[2].stack[0]
    h.entry.nodes[0].attrs["value"] = 5
    assert g.entry.nodes[0].attrs["value"] == ()
    assert h.new_value().id > max(vmap[v].id for v in vmap)


def test_clone_keeps_locations():
    h = clone(straight_line())
    assert h.entry.nodes[1].loc == ("f.py", 3, "CALL 1")


@pytest.mark.parametrize("text, message", [
    ("", "empty"),
    ("graph f() {\n^0():\n  exit 0\nexits:\n", "closing"),
    ("graph f() {\n  %1 = const\n}", "line 2: expected a block"),
    ("graph f() {\n^0():\n  %1:int = const\n  %1:int = const\n  exit 0\nexits:\n}",
     "line 4: %1 is defined twice"),
    ("graph f() {\n^0():\n  %1:f99 = const\n  exit 0\nexits:\n}", "unknown type 'f99'"),
    ("graph f() {\n^0():\n  br ^3()\nexits:\n}", "undefined block ^3"),
    ("graph f() {\n^0():\n  %1 = const {value=spam}\n  exit 0\nexits:\n}", "unknown value"),
    ("graph f() {\n^0():\n  exit 0\nexits:\n  1 end\n}", "expected exit 0"),
])
def test_parse_errors(text, message):
    with pytest.raises(ParseError, match=message.replace("^", r"\^")):
        parse(text)
