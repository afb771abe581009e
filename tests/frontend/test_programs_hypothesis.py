"""Hypothesis-generated programs, run under CPython and under pyjit.

A strategy writes the source of a small function ``f(x, y, a, b)`` over two
scalars and two 1-d arrays: assignments of arithmetic over parameters and
locals (``+ - * / // % **``, comparisons, unary minus, ``abs``/``min``/``max``,
``math.sqrt``/``math.floor``), numpy ufuncs and reductions on arrays (and the
builtins ``sum``/``min``/``max`` over them), element
reads and stores with indices that may be out of range, ``if``/``else``,
``for`` loops over ranges (one to three arguments) and arrays, bounded
``while`` loops (all nested at most two deep), occasional ``break``,
``continue``, early ``return`` and ``print`` (a graph break), and a final
``return`` of every local.  Locals are assigned at the top, or first inside a
top-level loop over a non-empty constant range and used only after it, so no
path reads an unbound name.  A ``typed`` variant keeps every local's type
fixed so that its regions compile instead of falling back to CPython.

``difftest.check`` then compares results and their types, exceptions (type,
message, line), the arguments afterwards and the printed output, for
arguments including big ints, ``nan``, ``inf``, ``-0.0``, numpy scalars and
empty arrays: so division by zero, domain errors, overflow and bad indices
must surface exactly as in CPython.

Growth is kept polynomial: products and powers never multiply two
local-dependent factors, so a loop cannot square a big int on every turn.
"""
from __future__ import annotations

import math
import traceback

import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, note, reject, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from difftest import check

SCALAR_LOCALS = ("s0", "s1", "s2", "s3")
ARRAY_LOCALS = ("v0", "v1")
SCALAR_PARAMS = ("x", "y")
ARRAY_PARAMS = ("a", "b")
ARRAYS = ARRAY_PARAMS + ARRAY_LOCALS
LOOP_VARS = ("i", "j")  # one per loop nesting level
MAX_DEPTH = 2          # loops (and ifs) nest at most this deep
FILENAME = "<pyjit-generated>"


class ProgramWriter:
    """Draws one program; ``program()`` returns its text.

    ``loops`` is the stack of enclosing loop variables; ``in_loop`` tells
    whether ``break``/``continue`` may appear.  With ``typed``, every scalar
    local is always a Python float and every array local a float64 array
    (assignments go through ``float(...)`` and ``* 1.0``), so that no local
    changes type across a branch or loop and the regions really compile
    instead of running their eager copies.
    """

    def __init__(self, draw, typed: bool = False):
        self.draw = draw
        self.typed = typed
        # Locals first assigned in the body of a top-level loop over a non-empty
        # constant range: bound after that loop on every path, usable from then on.
        self.fresh: list[str] = []
        self.lines: list[str] = []
        self.while_counters = 0

    # ------------------------------------------------------------------ expressions

    def leaf(self, loops, locals_ok: bool) -> tuple[str, bool]:
        """A leaf and whether it reads a local (scalar local or array element)."""
        choices = ["param", "int", "float"]
        if locals_ok:
            choices += ["local", "local", "read"]
        if loops:
            choices += ["loopvar"]
        kind = self.draw(st.sampled_from(choices))
        if kind == "param":
            return self.draw(st.sampled_from(SCALAR_PARAMS)), False
        if kind == "int":
            return str(self.draw(st.sampled_from([0, 1, 2, 3, -1, 7, 2**31, 2**62, 2**64]))), False
        if kind == "float":
            return self.draw(st.sampled_from(["0.5", "1.0", "-2.5", "0.0", "1e300", "3.25"])), False
        if kind == "local":
            return self.draw(st.sampled_from(self.scalar_locals())), True
        if kind == "loopvar":
            return self.draw(st.sampled_from(loops)), False
        return f"{self.draw(st.sampled_from(ARRAYS))}[{self.index(loops)}]", True

    def scalar_locals(self) -> tuple:
        return SCALAR_LOCALS + tuple(self.fresh)

    def index(self, loops) -> str:
        """Mostly in range (a loop variable, a small constant), sometimes not."""
        choices = ["small"] * 6 + ["const", "const", "param", "local", "len"]
        choices += ["loopvar"] * 10 * bool(loops)
        kind = self.draw(st.sampled_from(choices))
        if kind == "small":
            return self.draw(st.sampled_from(["0", "1", "-1"]))
        if kind == "const":
            return str(self.draw(st.integers(-6, 6)))
        if kind == "param":
            return self.draw(st.sampled_from(SCALAR_PARAMS))
        if kind == "local":  # typed locals are floats: a float index would not compile
            local = self.draw(st.sampled_from(self.scalar_locals()))
            return f"int({local})" if self.typed else local
        if kind == "len":
            return f"len({self.draw(st.sampled_from(ARRAYS))}) - 1"
        return self.draw(st.sampled_from(loops))

    def expr(self, depth: int, loops, locals_ok: bool = True) -> tuple[str, bool]:
        """A scalar expression and whether it reads locals (it is then linear in them)."""
        if depth <= 0 or self.draw(st.integers(0, 3)) == 0:
            return self.leaf(loops, locals_ok)
        kind = self.draw(st.sampled_from(
            ["add", "sub", "mul", "div", "floordiv", "mod", "pow", "cmp", "neg", "abs",
             "minmax", "sqrt", "floor", "reduce"]))
        if kind in ("add", "sub", "div", "floordiv", "mod"):
            op = {"add": "+", "sub": "-", "div": "/", "floordiv": "//", "mod": "%"}[kind]
            left, lu = self.expr(depth - 1, loops, locals_ok)
            right, ru = self.expr(depth - 1, loops, locals_ok)
            return f"({left} {op} {right})", lu or ru
        if kind == "mul":  # at most one factor reads locals: no squaring in loops
            left, lu = self.expr(depth - 1, loops, locals_ok)
            right, ru = self.expr(depth - 1, loops, locals_ok and not lu)
            return f"({left} * {right})", lu or ru
        if kind == "pow":  # the base never reads locals, the exponent is a constant
            base, _ = self.expr(depth - 1, loops, False)
            exp = self.draw(st.sampled_from(["2", "3", "0", "-1", "0.5", "-2"]))
            return f"({base} ** {exp})", False
        if kind == "cmp":
            op = self.draw(st.sampled_from(["<", "<=", "==", "!=", ">", ">="]))
            left, lu = self.expr(depth - 1, loops, locals_ok)
            right, ru = self.expr(depth - 1, loops, locals_ok)
            return f"({left} {op} {right})", False  # a bool: no growth
        if kind == "neg":
            e, u = self.expr(depth - 1, loops, locals_ok)
            return f"(-{e})", u
        if kind == "abs":
            e, u = self.expr(depth - 1, loops, locals_ok)
            return f"abs({e})", u
        if kind == "minmax":
            fn = self.draw(st.sampled_from(["min", "max"]))
            left, lu = self.expr(depth - 1, loops, locals_ok)
            right, ru = self.expr(depth - 1, loops, locals_ok)
            if self.typed:  # min(int, float) has a value-dependent type: keep it compiled
                left, right = self.float_of(left), self.float_of(right)
            return f"{fn}({left}, {right})", lu or ru
        if kind == "sqrt":
            e, u = self.expr(depth - 1, loops, locals_ok)
            return f"math.sqrt({e})", u
        if kind == "floor":
            e, u = self.expr(depth - 1, loops, locals_ok)
            return f"math.floor({e})", u
        arr = self.draw(st.sampled_from(ARRAYS))
        red = self.draw(st.sampled_from(["np.sum({})", "{}.sum()", "np.max({})", "len({})",
                                         "{}.shape[0]", "np.min({})", "sum({})", "max({})",
                                         "min({})"]))
        return red.format(arr), locals_ok

    def float_of(self, e: str) -> str:
        return f"float({e})" if self.typed else e

    def array_expr(self, loops) -> str:
        e = self.untyped_array_expr(loops)
        return f"({e}) * 1.0" if self.typed else e

    def untyped_array_expr(self, loops) -> str:
        x = self.draw(st.sampled_from(ARRAYS))
        y = self.draw(st.sampled_from(ARRAYS))
        kind = self.draw(st.sampled_from(["sqrtabs", "add", "scale", "shift", "neg", "abs",
                                          "maximum", "sqrt", "floor"]))
        if kind == "sqrtabs":
            return f"np.sqrt(np.abs({x}))"
        if kind == "add":
            return f"{x} + {y}"
        if kind in ("scale", "shift"):
            s, _ = self.expr(1, loops)
            return f"{x} {'*' if kind == 'scale' else '-'} {s}"
        if kind == "neg":
            return f"-{x}"
        if kind == "abs":
            return f"np.abs({x})"
        if kind == "maximum":
            return f"np.maximum({x}, {y})"
        if kind == "sqrt":
            return f"np.sqrt({x})"
        return f"np.floor({x})"

    def cond(self, loops) -> str:
        op = self.draw(st.sampled_from(["<", "<=", "==", "!=", ">", ">="]))
        left, _ = self.expr(1, loops)
        right, _ = self.expr(1, loops)
        return f"{left} {op} {right}"

    # ------------------------------------------------------------------ statements

    def emit(self, indent: int, text: str) -> None:
        self.lines.append("    " * indent + text)

    def block(self, indent: int, loops, in_loop: bool, depth: int) -> None:
        n = self.draw(st.integers(1, 6 if depth == 0 else 3))
        for _ in range(n):
            self.statement(indent, loops, in_loop, depth)

    def statement(self, indent: int, loops, in_loop: bool, depth: int) -> None:
        kinds = ["assign"] * 4 + ["augassign"] * 2 + ["store"] * 2 + ["arrayassign", "print"]
        if depth < MAX_DEPTH:
            kinds += ["if", "for", "for", "while"]
        if in_loop:
            kinds += ["break", "continue"]
        if in_loop or depth > 0:
            kinds += ["return"]
        kind = self.draw(st.sampled_from(kinds))
        if kind == "assign":
            target = self.draw(st.sampled_from(self.scalar_locals()))
            e, _ = self.expr(3, loops)
            self.emit(indent, f"{target} = {self.float_of(e)}")
        elif kind == "augassign":
            target = self.draw(st.sampled_from(self.scalar_locals()))
            op = self.draw(st.sampled_from(["+=", "-=", "*=", "/=", "//=", "%="]))
            e, _ = self.expr(2, loops, locals_ok=op != "*=")
            self.emit(indent, f"{target} {op} {self.float_of(e)}")
        elif kind == "store":
            arr = self.draw(st.sampled_from(ARRAYS))
            e, _ = self.expr(2, loops)
            self.emit(indent, f"{arr}[{self.index(loops)}] = {e}")
        elif kind == "arrayassign":
            target = self.draw(st.sampled_from(ARRAY_LOCALS))
            self.emit(indent, f"{target} = {self.array_expr(loops)}")
        elif kind == "print":
            names = self.draw(st.lists(st.sampled_from(self.scalar_locals() + loops), min_size=1,
                                       max_size=3))
            self.emit(indent, f"print({', '.join(['{!r}'.format('at')] + names)})")
        elif kind in ("break", "continue"):
            self.emit(indent, f"if {self.cond(loops)}:")
            self.emit(indent + 1, kind)
        elif kind == "if":
            self.emit(indent, f"if {self.cond(loops)}:")
            self.block(indent + 1, loops, in_loop, depth + 1)
            if self.draw(st.booleans()):
                self.emit(indent, "else:")
                self.block(indent + 1, loops, in_loop, depth + 1)
        elif kind == "return":
            self.emit(indent, f"if {self.cond(loops)}:")
            self.emit(indent + 1, self.return_statement())
        elif kind == "for" and depth == 0 and self.draw(st.integers(0, 3)) == 0:
            # A local first assigned in the loop, read after it.
            var, fresh = LOOP_VARS[0], f"t{len(self.fresh)}"
            self.emit(indent, f"for {var} in range({self.draw(st.integers(1, 4))}):")
            e, _ = self.expr(2, (var,))
            self.emit(indent + 1, f"{fresh} = {self.float_of(e)}")
            self.block(indent + 1, (var,), True, depth + 1)
            self.fresh.append(fresh)
        elif kind == "for":
            var = LOOP_VARS[len(loops)]
            self.emit(indent, f"for {var} in {self.iterable()}:")
            self.block(indent + 1, loops + (var,), True, depth + 1)
        else:
            w = f"w{self.while_counters}"
            self.while_counters += 1
            self.emit(indent, f"{w} = 0")
            self.emit(indent, f"while {w} < {self.draw(st.integers(0, 4))}:")
            self.emit(indent + 1, f"{w} += 1")  # first, so a continue cannot skip it
            self.block(indent + 1, loops, True, depth + 1)

    def iterable(self) -> str:
        """What a ``for`` runs over: a short range (1 to 3 arguments) or an array."""
        bound = self.draw(st.sampled_from(["3", "0", "4", "len(a)", "len(b)", "min(len(a), 4)",
                                           "2"]))
        start = self.draw(st.sampled_from(["1", "-2", "0"]))
        return self.draw(st.sampled_from([
            f"range({bound})", f"range({bound})", f"range({bound})", f"range({start}, {bound})",
            f"range({bound}, {start}, -1)", f"range({start}, {bound}, 2)",
            self.draw(st.sampled_from(ARRAYS))]))

    def return_statement(self) -> str:
        names = self.scalar_locals() + LOOP_VARS + ARRAY_LOCALS
        return f"return ({', '.join(names)},)"

    def program(self) -> str:
        self.emit(0, "def f(x, y, a, b):")
        if self.typed:
            inits = {"s0": ["float(x)", "0.0"], "s1": ["float(y)", "1.0"],
                     "s2": ["0.0", "float(x + y)"], "s3": ["1.5", "float(-x)"],
                     "v0": ["a * 1.0", "np.abs(b) * 1.0"], "v1": ["b * 1.0", "np.sqrt(np.abs(a))"]}
        else:
            inits = {"s0": ["x", "0", "y"], "s1": ["y", "0.0", "1"], "s2": ["0", "x + y", "1.5"],
                     "s3": ["1", "-x", "0.0"], "v0": ["a", "b * 1", "np.abs(a)"],
                     "v1": ["b", "a + 0", "np.sqrt(np.abs(b))"]}
        for name, options in inits.items():
            self.emit(1, f"{name} = {self.draw(st.sampled_from(options))}")
        for var in LOOP_VARS:  # loop variables are returned too: they must be bound
            self.emit(1, f"{var} = 0")
        self.block(1, (), False, 0)
        self.emit(1, self.return_statement())
        return "\n".join(self.lines) + "\n"


@st.composite
def programs(draw, typed: bool = False) -> str:
    return ProgramWriter(draw, typed).program()


def compile_program(source: str):
    namespace = {"np": np, "math": math}
    exec(compile(source, FILENAME, "exec"), namespace)
    return namespace["f"]


# ---------------------------------------------------------------------- arguments

BIG_INTS = [0, 1, -1, 2, -7, 2**31, 2**62, 2**62 + 1, 2**63 - 1, -2**63, 2**64, 2**64 + 1,
            -2**65, 2**100, 3**50]
SPECIAL_FLOATS = [0.0, -0.0, float("nan"), float("inf"), float("-inf"), 0.5, -2.5, 1e308,
                  5e-324, 1.0, 3.0]

ints = st.one_of(st.sampled_from(BIG_INTS), st.integers(-10, 10), st.integers(-2**70, 2**70))
floats = st.one_of(st.sampled_from(SPECIAL_FLOATS), st.floats(allow_nan=True, allow_infinity=True))
numpy_scalars = st.one_of(st.builds(np.float64, floats),
                          st.builds(np.int64, st.integers(-2**63, 2**63 - 1)))
scalars = st.one_of(ints, floats, numpy_scalars)

sizes = st.integers(0, 5)
float_arrays = hnp.arrays(np.float64, sizes,
                          elements=st.one_of(st.sampled_from(SPECIAL_FLOATS),
                                             st.floats(-1e6, 1e6, width=64)))
int_arrays = hnp.arrays(np.int64, sizes,
                        elements=st.one_of(st.integers(-100, 100),
                                           st.sampled_from([2**62, -2**63, 2**63 - 1])))
arrays = st.one_of(float_arrays, int_arrays)


SUPPRESS = [HealthCheck.too_slow, HealthCheck.filter_too_much]


# Known pyjit bugs that generated programs hit often.  A program that hits one
# is rejected (not counted), so the tests keep hunting for new bugs; each bug
# has a minimal repro at the end of this file, marked xfail(strict=True): when
# the bug is fixed that test XPASSes (a failure), and its entry here must go.
def _raised_in(exc, function: str) -> bool:
    return any(fr.name == function and "pyjit" in fr.filename
               for fr in traceback.extract_tb(exc.__traceback__))


KNOWN_BUGS: dict = {}  # none known; add entries here with a repro test below


def _known_bug(exc) -> str | None:
    return next((name for name, hit in KNOWN_BUGS.items() if hit(exc)), None)


def _run(source, x, y, a, b):
    note(source)
    note(f"args: x={x!r}, y={y!r}, a={a!r}, b={b!r}")
    fn = compile_program(source)
    try:
        with np.errstate(all="ignore"):  # warnings are not part of what check compares
            check(fn, x, y, a, b)
    except Exception as exc:  # noqa: BLE001 -- only known pyjit bugs are filtered
        bug = _known_bug(exc)
        if bug is None:
            raise
        event(f"known pyjit bug: {bug}")
        reject()


@settings(max_examples=200, deadline=None, suppress_health_check=SUPPRESS)
@given(programs(), scalars, scalars, arrays, arrays)
def test_generated_programs(source, x, y, a, b):
    _run(source, x, y, a, b)


@settings(max_examples=200, deadline=None, suppress_health_check=SUPPRESS)
@given(programs(typed=True), scalars, scalars, arrays, arrays)
def test_generated_typed_programs(source, x, y, a, b):
    """Type-stable programs: the regions compile rather than fall back to CPython."""
    _run(source, x, y, a, b)


@settings(max_examples=100, deadline=None, suppress_health_check=SUPPRESS)
@given(programs(), ints, ints, int_arrays, int_arrays)
def test_generated_programs_int_only(source, x, y, a, b):
    """All-int arguments: the big-int and int64-wrapping paths."""
    _run(source, x, y, a, b)


@settings(max_examples=100, deadline=None, suppress_health_check=SUPPRESS)
@given(programs(), floats, floats, float_arrays, float_arrays)
def test_generated_programs_float_only(source, x, y, a, b):
    """All-float arguments: nan, inf, -0.0 and float overflow."""
    _run(source, x, y, a, b)


@pytest.mark.parametrize("typed", [False, True], ids=["untyped", "typed"])
def test_writer_produces_valid_programs(typed):
    """The strategy itself: sources compile, no path reads an unbound local, and
    typed programs keep their scalar locals Python floats."""
    @settings(max_examples=100, deadline=None)
    @given(programs(typed=typed), st.sampled_from([(1, 2), (2.5, -1.0), (0, 3)]))
    def inner(source, xy):
        note(source)
        fn = compile_program(source)
        assert fn.__code__.co_argcount == 4
        try:
            with np.errstate(all="ignore"):
                result = fn(*xy, np.arange(5.0), np.arange(1.0, 6.0))
        except (NameError, UnboundLocalError):
            raise
        except Exception:  # noqa: BLE001 -- other errors are fine: the programs may raise
            return
        if typed:
            nscalars = len(result) - len(LOOP_VARS) - len(ARRAY_LOCALS)
            assert all(type(v) is float for v in result[:nscalars]), result
            assert all(v.dtype == np.float64 for v in result[-len(ARRAY_LOCALS):]), result

    inner()


# ------------------------------------------- regressions (bugs these tests once found)


def test_regression_reassigned_after_break():
    source = ("def f(n):\n"
              "    b = 1\n"
              "    print(n)\n"
              "    if n:\n"
              "        b = 2\n"
              "    return b\n")
    namespace = {}
    exec(source, namespace)
    check(namespace["f"], 1)


def test_regression_reassigned_after_try():
    source = ("def f(x, y):\n"
              "    try:\n"
              "        c = 1 / x\n"
              "    except ZeroDivisionError:\n"
              "        return 0\n"
              "    if c:\n"
              "        y = 2\n"
              "    return y\n")
    namespace = {}
    exec(source, namespace)
    check(namespace["f"], 1, 5)


@pytest.mark.parametrize("source", [
    "def f(n):\n    for i in range(n):\n        t = i * 2\n    return t\n",
    "def f(n):\n    for i in range(n):\n        pass\n    return i\n",
    "def f(n):\n    s = 0\n    for i in range(n):\n        for j in range(i):\n"
    "            s += j\n    return s, j\n",
], ids=["body-local", "loop-variable", "inner-loop-variable"])
def test_regression_loop_local_stored_after_loop(source):
    namespace = {}
    exec(source, namespace)
    check(namespace["f"], 3)
