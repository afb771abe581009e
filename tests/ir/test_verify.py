"""The verifier accepts well-formed graphs and names the broken invariant otherwise."""
import numpy as np
import pytest

from pyjit.ir import Exit, Graph, Node, StackItem, Value
from pyjit.ir.parser import parse
from pyjit.ir.types import BOOL, FLOAT, INT, Array, NpScalar
from pyjit.ir.verify import VerifyError, maybe_verify, reverse_postorder, verify

# A counting loop over core ops only: k runs 0, 1, ... while truth(k) says so.
LOOP = """\
graph loop(%0 = local n, %1 = local t) {
^0(%0 n:int, %1 t:(int, float)):
  %2:int = const {value=0}
  %3:int = const {value=1}
  %4:int = range_len %2, %0, %3 !1
  br ^1(%2)
^1(%5 k:int):
  %6:bool = truth %5
  cbr %6, ^2(), ^3()
^2():
  %7:int = range_item %2, %3, %5
  %8:float = tuple_get %1 {index=1} !1
  br ^1(%7)
^3():
  exit 0
exits:
  0 end k=%5
  1 resume 0 k=%2 [range_iter %2 %0 %3 %2]
}"""

# A diamond: ^1 and ^2 both reach ^3; neither dominates it.
DIAMOND = """\
graph diamond(%0 = local x) {
^0(%0 x:int):
  %1:bool = truth %0
  cbr %1, ^1(), ^2()
^1():
  %2:int = const {value=1}
  br ^3(%2)
^2():
  %3:int = const {value=2}
  br ^3(%3)
^3(%4 y:int):
  exit 0
exits:
  0 end y=%4
}"""


def test_well_formed_graphs_pass():
    for text in (LOOP, DIAMOND):
        verify(parse(text))
        verify(parse(text), typed=True)


def test_frontend_ops_are_allowed_untyped_only():
    g = parse("""\
graph f(%0 = local x, %1 = global np) {
^0(%0 x, %1 np):
  %2 = getattr %1 {name='sin'}
  %3 = call %2, %0 {kwnames=()}
  %4 = method %0 {name='sum', kwnames=()}
  exit 0
exits:
  0 end y=%3
}""")
    verify(g)
    with pytest.raises(VerifyError, match="has no type"):
        verify(g, typed=True)
    for v in [*g.entry.params, *(n.out for n in g.entry.nodes)]:
        v.type = INT
    with pytest.raises(VerifyError, match=r"\^0 node 0 \(getattr\): untyped frontend op"):
        verify(g, typed=True)


def test_reverse_postorder_of_loop():
    assert [b.id for b in reverse_postorder(parse(LOOP))] == [0, 1, 2, 3]


def _broken(text, old, new):
    assert old in text, old
    return parse(text.replace(old, new, 1))


@pytest.mark.parametrize("text, old, new, message", [
    (LOOP, "^0(%0 n:int, %1 t:(int, float)):", "^0(%1 t:(int, float), %0 n:int):",
     r"entry block \^0 parameters .* are not the live-in values"),
    (LOOP, "  %7:int = range_item %2, %3, %5", "  %7:int = range_item %2, %3, %9",
     r"\^2 node 0 \(range_item\) uses %9, which is never defined"),
    (LOOP, "  %6:bool = truth %5", "  %6:bool = truth %7",
     r"\^1 node 0 \(truth\) uses %7:int, defined in \^2, which does not dominate \^1"),
    (LOOP, "  %4:int = range_len %2, %0, %3 !1", "  %4:int = range_len %2, %0, %4 !1",
     r"\^0 node 2 \(range_len\) uses its own result %4:int"),
    (LOOP, "  cbr %6, ^2(), ^3()", "  <no terminator>", r"\^1 has no terminator"),
    (LOOP, "  br ^1(%7)", "  br ^1(%7, %7)", r"\^2: br passes 2 arguments to \^1, which has 1"),
    (LOOP, "  br ^1(%7)", "  br ^1()", r"\^2: br passes 0 arguments"),
    (LOOP, "  cbr %6, ^2(), ^3()", "  cbr <no cond>, ^2(), ^3()", r"\^1: cbr has no condition"),
    (LOOP, "  cbr %6, ^2(), ^3()", "  cbr %6, ^2()", r"cbr needs 2 targets, has 1"),
    (LOOP, "  exit 0\n", "  exit 2\n", r"\^3: exit 2 does not exist \(the graph has 2 exits\)"),
    (LOOP, "%8:float = tuple_get %1 {index=1} !1", "%8:float = tuple_get %1 {index=1} !5",
     r"\^2 node 1 \(tuple_get\): exit 5 does not exist"),
    (LOOP, "  0 end k=%5", "  0 end k=%99",
     r"the terminator of \^3 \(exit 0\) uses %99, which is never defined"),
    (LOOP, "  %7:int = range_item", "  %7:int = frobnicate", r"unknown op 'frobnicate'"),
    (LOOP, "  %7:int = range_item %2, %3, %5", "  %7:int = range_item %2, %3",
     r"range_item takes 3 inputs \('start', 'step', 'k'\), not 2"),
    (LOOP, "{index=1}", "{index=1, spam=2}", "tuple_get has no attribute 'spam'"),
    (DIAMOND, "^3(%4 y:int):\n  exit 0", "^3(%4 y:int):\n  %5:int = tuple_get %2\n  exit 0",
     r"uses %2:int, defined in \^1, which does not dominate \^3"),
    (DIAMOND, "^2():\n  %3:int = const {value=2}\n  br ^3(%3)",
     "^2():\n  %3:int = const {value=2}\n  br ^3(%2)",
     r"the terminator of \^2 \(br argument\) uses %2:int, defined in \^1"),
])
def test_broken_graphs(text, old, new, message):
    g = _broken(text, old, new)
    with pytest.raises(VerifyError, match=message):
        verify(g)


def test_same_value_defined_twice():
    g = parse(DIAMOND)
    v = g.blocks[1].nodes[0].out
    g.blocks[2].nodes[0].outputs = [v]
    with pytest.raises(VerifyError, match=r"%2:int is defined twice: as \^1 node 0 \(const\) "
                                          r"and as \^2 node 0"):
        verify(g)


def test_two_values_with_one_id():
    g = parse(LOOP)
    g.blocks[2].nodes[0].out.id = 5
    with pytest.raises(VerifyError, match=r"two values are numbered %5: a parameter of \^1 and "
                                          r"\^2 node 0 \(range_item\)"):
        verify(g)


def test_node_exit_values_must_dominate_the_node():
    g = parse(LOOP)
    body = g.blocks[2]
    g.entry.nodes[2].exit = None
    # The exit a node may take holds the state before the node, never its own result.
    g.exits[1].values = [body.nodes[1].out]
    with pytest.raises(VerifyError, match=r"\^2 node 1 \(tuple_get\), through exit 1, uses "
                                          r"its own result %8:float"):
        verify(g)
    g.exits[1].values = [body.nodes[0].out]
    verify(g)
    body.nodes.reverse()
    with pytest.raises(VerifyError, match=r"\^2 node 0 \(tuple_get\), through exit 1, uses %7:int "
                                          r"before its definition at \^2 node 1 \(range_item\)"):
        verify(g)


def test_exit_counts_must_match():
    g = parse(LOOP)
    g.exits[0].names = ("k", "j")
    with pytest.raises(VerifyError, match="exit 0 names 2 locals but has 1 values"):
        verify(g)


def test_branch_to_foreign_block():
    g, other = parse(LOOP), parse(DIAMOND)
    g.blocks[2].term.targets[0] = (other.blocks[3], [g.blocks[2].nodes[0].out])
    with pytest.raises(VerifyError, match=r"br to \^3, which is not a block of the graph"):
        verify(g)


def test_unreachable_blocks_are_exempt_from_dominance():
    g = parse(DIAMOND)
    dead = g.new_block()
    dead.nodes.append(Node("truth", [g.blocks[1].nodes[0].out], {},
                           [Value(50, BOOL)]))
    dead.exit(0)
    verify(g, typed=True)


@pytest.mark.parametrize("mutate, message", [
    (lambda g: setattr(g.blocks[1].params[0], "type", None),
     r"%5 k, a parameter of \^1, has no type"),
    (lambda g: setattr(g.entry.nodes[2], "outputs", [Value(4, FLOAT)]),
     r"\^0 node 2 \(range_len\): %4:float should have type int"),
    (lambda g: setattr(g.entry.params[1], "type", INT),
     r"\^2 node 1 \(tuple_get\) rejects its input types \(int\): "
     r"cannot take item 1 of int"),
    (lambda g: setattr(g.blocks[1].params[0], "type", FLOAT),
     r"\^0: br passes %2:int to \^1 parameter %5 k:float"),
    (lambda g: setattr(g.blocks[1].nodes[0].out, "type", INT),
     r"\^1 node 0 \(truth\): %6:int should have type bool"),
])
def test_typed_checks(mutate, message):
    g = parse(LOOP)
    mutate(g)
    verify(g)
    with pytest.raises(VerifyError, match=message):
        verify(g, typed=True)


def test_cbr_condition_must_be_boolean_when_typed():
    g = parse(DIAMOND)
    g.entry.term.cond = g.entry.params[0]
    verify(g)
    with pytest.raises(VerifyError, match=r"cbr condition %0 x:int|cbr condition %0:int"):
        verify(g, typed=True)
    g.entry.params[0].type = NpScalar(np.dtype(np.bool_))
    g.inputs[0].value.type = g.entry.params[0].type
    g.entry.nodes.clear()
    verify(g, typed=True)


def test_union_params_and_conditions():
    g = parse("""\
graph f(%0 = local x, %1 = local y, %2 = local c) {
^0(%0 x:float, %1 y:f64, %2 c:bool|b1):
  cbr %2, ^1(%0), ^1(%1)
^1(%3 s:f64|float):
  %4:bool = truth %3
  exit 0
exits:
  0 end s=%3
}""")
    verify(g, typed=True)
    g.blocks[1].params[0].type = FLOAT
    with pytest.raises(VerifyError, match=r"passes %1 y:f64 to \^1 parameter %3 s:float"):
        verify(g, typed=True)


def test_array_params_accept_narrower_layouts():
    g = Graph("f")
    a = g.add_input("a", "local", type=Array(np.dtype(np.float64), 1))
    join = g.new_block()
    join.add_param(Array(np.dtype(np.float64), 1, "A"))
    g.entry.br(join, [a])
    join.exit(g.add_exit(Exit("end", stack=[StackItem("value", [join.params[0]])])))
    verify(g, typed=True)


def test_empty_graph():
    with pytest.raises(VerifyError, match="no blocks"):
        verify(Graph("f"))


def test_maybe_verify_follows_pyjit_check(monkeypatch):
    g = parse(LOOP)
    g.blocks[1].term = None
    monkeypatch.setenv("PYJIT_CHECK", "0")
    maybe_verify(g)
    monkeypatch.setenv("PYJIT_CHECK", "1")
    with pytest.raises(VerifyError):
        maybe_verify(g)
