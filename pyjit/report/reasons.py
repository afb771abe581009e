"""The registry of graph-break and fallback reasons.

Every place where pyjit leaves code to CPython names one of these records, so
``explain``, ``fullgraph=True`` errors and the logs all print the same code,
title, explanation and hints.  A test fails if any code in pyjit uses a code
that is not registered here, and ``docs/reasons.md`` is ``markdown()``'s output
(``python -m pyjit reasons --markdown``), checked to be current.

    >>> r = unsupported("PJ0001", "call to print", instr="CALL 1")
    >>> r.reason.title
    'Call to a function pyjit cannot compile'
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Reason:
    code: str
    title: str
    explanation: str
    hints: tuple = ()


REASONS: dict[str, Reason] = {}


def _reason(code: str, title: str, explanation: str, *hints: str) -> Reason:
    assert code not in REASONS, code
    r = REASONS[code] = Reason(code, title, explanation, tuple(hints))
    return r


_reason("PJ0001", "Call to a function pyjit cannot compile",
        "The callee is neither a registered op nor a Python function whose body compiles "
        "(it prints, mutates state, takes *args, or is a C function pyjit does not know), so "
        "the call runs in CPython and the code around it is split into separate regions.",
        "Move the call (printing, logging, I/O) out of the hot loop.",
        "Register the function as an op with pyjit.ir.registry.defop.")
_reason("PJ0002", "Unsupported bytecode instruction",
        "The instruction has no translation (dicts, lists, strings, generators, with-blocks, "
        "imports, exception handling, ...); the statement runs in CPython.",
        "Keep numeric work in plain locals, arrays and scalars.",
        "Build dicts, lists and strings outside the loop that does the numeric work.")
_reason("PJ0003", "Unsupported attribute",
        "The attribute is not a registered array or scalar attribute or a module member "
        "pyjit can resolve.",
        "Read the attribute once outside the hot code and pass the value in a local.")
_reason("PJ0004", "Unsupported method",
        "The method is not registered for the value's type, so the call runs in CPython.",
        "Call the equivalent numpy function (np.sum(a) rather than a custom method), or call "
        "the method outside the hot code.")
_reason("PJ0005", "Variable may be unbound",
        "A local is read, or must be stored at the end of the region, on a path where it "
        "may not have been assigned.",
        "Assign the variable before the loop or the if statement.")
_reason("PJ0006", "Type not supported by an op",
        "Type inference found an op that does not accept its inputs' types for this call's "
        "argument types (a list where an array is expected, a dict, a string, an array of "
        "objects); this specialization runs in CPython.",
        "Pass numpy arrays (np.asarray(values)) rather than lists, dicts or strings.",
        "Check the dtypes of the arrays passed in; pyjit compiles numeric dtypes only.")
_reason("PJ0007", "Type changes across a loop or branch",
        "A variable has different types on different paths (for example an int before the "
        "loop and a float after one iteration). CPython's result type would depend on the "
        "trip count, so pyjit does not compile it.",
        "Initialise the variable with the type it has in the loop, e.g. `total = 0.0`.")
_reason("PJ0008", "Global or closure value changed",
        "A global or closure variable the region was built against was rebound; the region's "
        "guard fails and its eager copy runs until the function is analysed again.",
        "Do not rebind module globals that hot functions read; pass the value as an argument.")
_reason("PJ0009", "Function not compiled: generator, coroutine or async",
        "Generators, coroutines and async functions run in CPython unchanged.",
        "Move the numeric work into a plain helper function that the generator calls.")
_reason("PJ0010", "Internal error in pyjit",
        "pyjit failed while analysing, compiling or running this code and fell back to "
        "CPython. This is a bug: please report it with the log (PYJIT_LOG=all).",
        "Run with PYJIT_LOG=all and report the message; PYJIT_DISABLE=1 turns pyjit off.")
_reason("PJ0011", "Statement touches control-flow state",
        "The statement manipulates the interpreter's block state (break out of a Python "
        "for-loop, with/try blocks, exception handlers) and stays in CPython.",
        "Keep try/with blocks outside the loop that does the numeric work.")
_reason("PJ0012", "Inlining depth limit",
        "A call to a Python function was not inlined because the chain of inlined calls is "
        "already at the depth limit.",
        "Flatten deep helper chains in hot code.")
_reason("PJ0013", "Unsupported constant or argument form",
        "An op's compile-time parameter (such as axis= or dtype=) was not a constant, or a "
        "constant of an unsupported type was used.",
        "Pass axis, dtype and similar parameters as literals.")
_reason("PJ0014", "Unsupported value type",
        "A live-in value has a type pyjit does not compile (a list, a dict, an object, an "
        "array of non-numeric dtype); this specialization runs in CPython.",
        "Convert lists to arrays (np.asarray) before the hot code.")
_reason("PJ0015", "Unsupported loop",
        "The loop iterates over something other than range(...), an array, or zip(...) or "
        "enumerate(...) of those, or changes control state pyjit does not model.",
        "Iterate over range(len(x)), an ndarray, zip(a, b) or enumerate(a).")
_reason("PJ0016", "Region not compiled to native code",
        "The region's graph uses an op the LLVM backend cannot lower yet: a region without "
        "a loop runs on the numpy backend (one numpy call per op), a loop runs in CPython.",
        "Check the note for the op that was not lowered; expressing it with elementwise "
        "operations and loops lets LLVM compile it.")
_reason("PJ0017", "Region too small to gain from compiling",
        "A few scalar statements without a loop cost less in CPython than a call into "
        "compiled code, so the region is left to CPython (PYJIT_KEEP_SMALL=1 keeps it).",
        "Nothing to do: this is pyjit choosing the faster path.")
_reason("PJ0018", "Bailout to CPython",
        "Compiled code reached something it does not finish natively (an exception about to "
        "be raised, a Python int leaving 64 bits, an index out of range) and handed the "
        "statement to CPython, which re-ran it with the same locals.",
        "Frequent bailouts from one statement cost a region call each: check the indices "
        "and values reaching that statement.")
_reason("PJ0019", "JIT not active",
        "The code ran unchanged: pyjit is turned off (PYJIT_DISABLE=1), this CPython has no "
        "bytecode table, or capture() found no native runtime.",
        "Use CPython 3.11-3.13 with pyjit's native runtime built (pip install -e .); "
        "unset PYJIT_DISABLE.")


def markdown() -> str:
    """``docs/reasons.md``: every reason as a section (``python -m pyjit reasons --markdown``)."""
    out = ["# pyjit break and fallback reasons", "",
           "Generated from `pyjit/report/reasons.py` by `python -m pyjit reasons --markdown`; "
           "do not edit by hand (a test checks that this file is current).", ""]
    for r in REASONS.values():
        out += [f"## {r.code}: {r.title}", "", r.explanation, ""]
        out += [f"- {h}" for h in r.hints]
        out.append("")
    return "\n".join(out)


@dataclass
class Unsupported:
    """A value saying "this cannot be translated", with its reason.

    Frontend handlers and type rules return it instead of raising, so support is
    decided in a pure pass.
    """

    code: str
    detail: str = ""
    instr: str = ""
    filename: str = ""
    lineno: int | None = None
    inlined_from: tuple = field(default_factory=tuple)
    index: int | None = None      # instruction index in the analysed code
    structural: bool = False      # a consequence of a break elsewhere, not a break itself
    cut: bool = False             # the run must be split at ``index`` (a second entry)

    def __post_init__(self):
        if self.code not in REASONS:
            raise KeyError(f"unregistered break reason {self.code}")

    @property
    def reason(self) -> Reason:
        return REASONS[self.code]

    def __str__(self) -> str:
        where = f"{self.filename}:{self.lineno}: " if self.filename else ""
        detail = f": {self.detail}" if self.detail else ""
        instr = f" [{self.instr}]" if self.instr else ""
        return f"{where}{self.code} {self.reason.title}{detail}{instr}"


def unsupported(code: str, detail: str = "", **kw) -> Unsupported:
    return Unsupported(code, detail, **kw)
