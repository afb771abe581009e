"""Each graph pass on printed graphs: the graph before, the graph after.

The cases are the edges of Note [exact rewrites only] (passes/rules.py) and
Note [what a pass may move] (passes/graphutil.py): what must change, and what
must not (``x + 0.0``, an unused ``a[i]``, an int add inside a loop).
"""
from __future__ import annotations

import textwrap

import pytest

from pyjit.ir.parser import parse
from pyjit.ir.printer import print_graph
from pyjit.ir.verify import verify
from pyjit.passes import branches, cse, dce, fusion, licm, params, rules


def g(text):
    return parse(textwrap.dedent(text).strip())


def after(text, *steps):
    graph = g(text)
    for step in steps:
        step(graph)
    verify(graph, typed=True)
    return print_graph(graph)


def ops(printed):
    """The op of every node line, in order."""
    out = []
    for line in printed.splitlines():
        line = line.strip()
        if line.startswith("%") and " = " in line:
            out.append(line.split(" = ", 1)[1].split()[0])
    return out


SCALAR = """
graph f(%0 = local x, %1 = local n) {
^0(%0 x:float, %1 n:int):
  %2:float = const {value=CONST}
  %3:float = OP %0, %2
  exit 0
exits:
  0 end y=%3
}
"""


@pytest.mark.parametrize("op,const,removed", [
    ("mul", "1.0", True),        # x * 1.0 is x for every float
    ("add", "-0.0", True),       # x + -0.0 is x, -0.0 included
    ("add", "0.0", False),       # -0.0 + 0.0 is +0.0: not x
    ("sub", "0.0", True),        # x - 0.0 is x
    ("truediv", "1.0", True),
    ("mul", "2.0", False),
    ("mul", "-1.0", False),
])
def test_float_identities_are_exact_only(op, const, removed):
    out = after(SCALAR.replace("CONST", const).replace("OP", op), rules.run, dce.run)
    assert ("end y=%0" in out) == removed, out
    if removed and op != "truediv":   # a float division by a value may raise: DCE keeps it
        assert op not in ops(out)


def test_folding_evaluates_the_reference():
    out = after("""
        graph f() {
        ^0():
          %0:int = const {value=6}
          %1:int = const {value=7}
          %2:int = mul %0, %1
          %3:float = const {value=0.5}
          %4:float = add %2, %3
          exit 0
        exits:
          0 end y=%4
        }""", rules.run, dce.run)
    assert ops(out) == ["const"] and "value=42.5" in out


@pytest.mark.parametrize("a,op,b,typ", [
    ("4611686018427387904", "mul", "4", "int"),   # 2**62 * 4 needs 65 bits: left to run time
    ("1.0", "truediv", "0.0", "float"),           # ZeroDivisionError at run time, not at compile time
    ("1", "floordiv", "0", "int"),
])
def test_folding_leaves_what_would_fail_or_overflow(a, op, b, typ):
    ta = "float" if "." in a else "int"
    tb = "float" if "." in b else "int"
    out = after(f"""
        graph f() {{
        ^0():
          %0:{ta} = const {{value={a}}}
          %1:{tb} = const {{value={b}}}
          %2:{typ} = {op} %0, %1
          exit 0
        exits:
          0 end y=%2
        }}""", rules.run, dce.run)
    assert op in ops(out)


def test_a_replacement_keeps_the_exact_type():
    # True * 1 is the int 1: the bool operand cannot stand for it
    out = after("""
        graph f(%0 = local b) {
        ^0(%0 b:bool):
          %1:int = const {value=1}
          %2:int = mul %0, %1
          exit 0
        exits:
          0 end y=%2
        }""", rules.run)
    assert "mul" in ops(out)


def test_array_results_are_never_replaced_by_an_operand():
    out = after("""
        graph f(%0 = local a) {
        ^0(%0 a:f64[?]):
          %1:float = const {value=1.0}
          %2:f64[?] = mul %0, %1
          exit 0
        exits:
          0 end y=%2
        }""", rules.run)
    assert "mul" in ops(out)   # a * 1.0 is a new array the caller may mutate


def test_constant_branch_folds_and_unreachable_block_goes():
    out = after("""
        graph f(%0 = local x) {
        ^0(%0 x:float):
          %1:bool = const {value=False}
          cbr %1, ^1(), ^2()
        ^1():
          %2:float = mul %0, %0
          exit 0
        ^2():
          exit 1
        exits:
          0 end y=%2
          1 end
        }""", branches.run)
    assert "cbr" not in out and "^1" not in out and "exit 1" in out
    assert "  0 end\n" in out and "  1 end" in out  # exits are never renumbered or dropped


LOOP = """
graph f(%0 = local a, %1 = local n, %2 = local s) {
^0(%0 a:f64[?], %1 n:int, %2 s:float):
  %3:float = const {value=0.0}
  %4:int = const {value=0}
  %5:int = const {value=1}
  br ^1(%0, %2, %3, %4)
^1(%6 a:f64[?], %7 s:float, %8 t:float, %9 i:int):
  %10:bool = lt %9, %1
  cbr %10, ^2(), ^3()
^2():
  %11:float = mul %7, %7 !0
  %12:f64 = getitem %6, %9 !0
  %13:f64 = getitem %6, %9 !0
  %14:f64 = mul %12, %13 !0
  %15:f64 = add %14, %11 !0
  %16:f64 = iadd %8, %15 !0
  %17:int = add %9, %5 !0
  %18:(int,) = attr.shape %6 !0
  SETITEM
  br ^1(%6, %7, %16, %17)
^3():
  exit 1
exits:
  0 resume 3 t=%8 i=%9
  1 end t=%8
}
"""


def test_params_cse_licm_on_a_loop():
    text = LOOP.replace("  SETITEM\n", "").replace("^1(%6 a:f64[?], %7 s:float, %8 t:float, %9 i:int)",
                                                    "^1(%6 a:f64[?], %7 s:float, %8 t:f64|float, %9 i:int)")
    out = after(text, params.run, cse.run, licm.run, dce.run)
    head, loop = out.split("^1(", 1)
    assert "mul %2, %2" in head            # s * s: invariant float math moves out of the loop
    assert ops(loop).count("getitem") == 1  # a[i] twice: one load
    assert "attr.shape" not in out         # unused and cannot fail: gone
    assert "add %9" in loop                # i + 1 on Python ints can overflow: it stays


def test_memory_reads_are_not_merged_across_a_write():
    out = after("""
        graph f(%0 = local a, %1 = local i) {
        ^0(%0 a:f64[?], %1 i:int):
          %2:f64 = getitem %0, %1 !0
          %3:f64 = getitem %0, %1 !0
          %4:None = setitem %0, %1, %3 !0
          %5:f64 = getitem %0, %1 !0
          exit 1
        exits:
          0 resume 1
          1 end x=%2 y=%3 z=%5
        }""", cse.run, dce.run)
    assert ops(out) == ["getitem", "setitem", "getitem"]  # merged before the store, not across it


def test_unused_node_that_can_fail_stays():
    out = after("""
        graph f(%0 = local a, %1 = local i) {
        ^0(%0 a:f64[?], %1 i:int):
          %2:f64 = getitem %0, %1 !0
          %3:float = const {value=2.0}
          exit 1
        exits:
          0 resume 1
          1 end
        }""", dce.run)
    assert ops(out) == ["getitem"]  # CPython raises IndexError here; so must we


def test_cse_keeps_negative_zero_apart():
    out = after("""
        graph f() {
        ^0():
          %0:float = const {value=0.0}
          %1:float = const {value=-0.0}
          exit 0
        exits:
          0 end a=%0 b=%1
        }""", cse.run)
    assert ops(out) == ["const", "const"]


def test_fusion_marks_single_use_chains():
    graph = g("""
        graph f(%0 = local a, %1 = local b) {
        ^0(%0 a:f64[?], %1 b:f64[?]):
          %2:f64[?] = mul %0, %0 !0
          %3:f64[?] = mul %1, %1 !0
          %4:f64[?] = add %2, %3 !0
          %5:f64[?] = add %4, %4 !0
          exit 1
        exits:
          0 resume 1
          1 end y=%5
        }""")
    fusion.run(graph)
    fused = {n.out.id: c.out.id for n, c in graph.fused.items()}
    assert fused == {2: 4, 3: 4}  # %4 is used twice: materialised once


def test_fusion_marks_reductions_of_single_use_results():
    """``np.sum(a * b)`` and ``(a - b).max(axis=0)`` are proposed to compute their
    operand as they reduce (the backend takes what it can: lowerings/fusedreduce.py);
    a result used twice is materialised."""
    graph = g("""
        graph f(%0 = local a, %1 = local b) {
        ^0(%0 a:f64[?,?], %1 b:f64[?]):
          %2:f64[?,?] = mul %0, %1 !0
          %3:f64 = np.sum %2 !0
          %4:f64[?,?] = sub %0, %1 !0
          %5:f64[?] = np.max %4 {axis=0} !0
          %6:f64[?,?] = add %0, %1 !0
          %7:f64 = np.min %6 !0
          %8:f64[?,?] = mul %6, %0 !0
          exit 1
        exits:
          0 resume 1
          1 end s=%3 m=%5 n=%7 p=%8
        }""")
    fusion.run(graph)
    fused = {n.out.id: c.out.id for n, c in graph.fused.items()}
    assert fused == {2: 3, 4: 5}


def test_licm_keeps_array_reads_in_the_loop():
    """``a.sum()`` in a loop that never writes ``a`` is invariant, but the backend may
    leave it through its statement's exit (LLVM's sum bails out on a NaN), and those
    values are not defined before the loop: it stays.  ``a.shape`` moves."""
    out = after("""
        graph f(%0 = local a, %1 = local n) {
        ^0(%0 a:f64[?], %1 n:int):
          %2:int = const {value=0}
          %3:float = const {value=0.0}
          br ^1(%2, %3)
        ^1(%4 i:int, %5 t:float|f64):
          %6:bool = lt %4, %1
          cbr %6, ^2(), ^3()
        ^2():
          %7:f64 = np.sum %0 !0
          %8:(int,) = attr.shape %0 !0
          %9:f64 = add %5, %7 !0
          %10:int = const {value=1}
          %11:int = add %4, %10 !0
          br ^1(%11, %9)
        ^3():
          exit 1
        exits:
          0 resume 3 i=%4 t=%5
          1 end t=%5 s=%8
        }""".replace("s=%8", ""), licm.run)
    loop = out.split("^2():")[1]
    assert "np.sum" in loop and "attr.shape" not in loop
