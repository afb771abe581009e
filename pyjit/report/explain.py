"""The ``Report`` that ``pyjit.explain`` returns (and ``capture().report()`` combines).

    >>> report = pyjit.explain(f, x)
    >>> report.graph_count, len(report.graph_breaks)
    (2, 1)
    >>> print(report)                 # a readable table
    >>> json.dumps(report.to_dict())  # the same, JSON-ready
    >>> report.to_html("f.html")      # one self-contained page (report/html.py)

A report holds:

* **regions**: source lines, the printed graph, each specialization (its key, how
  it ran, compile time per stage, run count, time spent);
* **graph breaks**: reason code and title, file:line, instruction, the chain of
  inlined calls that led there, hints.  ``kind`` is ``static`` (the bytecode) or
  ``type`` (a specialization whose types could not compile);
* **recompiles, bailouts, guard failures**: which key changed (and which live-in
  made it change), from which statement a region bailed out and how often, which
  global was rebound;
* **coverage**: the share of bytecode in compiled regions, and of run time: compiled
  regions (timed by their dispatchers), eager code (sampled per line: report/sampler.py,
  Note [eager time by sampling]) and pyjit's own compiling; per function and per line.

Every time figure lives in a field named ``seconds*`` or ``*_seconds`` (or
``stages``): ``format(timings=False)`` and ``to_dict(timings=False)`` leave them out,
which is what the golden tests compare.
"""
from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
import os

from .reasons import REASONS
from .sampler import function_key

NOT_NATIVE, TOO_SMALL, BAILOUT, NOT_ACTIVE = "PJ0016", "PJ0017", "PJ0018", "PJ0019"


@dataclass
class GraphBreak:
    code: str
    reason: str                # the registered title
    filename: str
    lineno: int | None
    instruction: str
    detail: str = ""
    hints: tuple = ()
    inlined_from: tuple = ()   # the inlined callees the break is in, innermost first
    kind: str = "static"       # "static": the bytecode; "type": a specialization's types
    function: str = ""         # the function analysed (the caller, for an inlined break)
    statement: tuple = ()      # that function's lines (first, last) the break keeps in CPython

    def chain(self) -> list[str]:
        """The calls that led to the break: ``["spring_forces, line 29", "clamp"]``."""
        if not self.inlined_from:
            return []
        first = f"{self.function}, line {self.statement[0]}" if self.statement else self.function
        return [first] + list(reversed(self.inlined_from))

    def __str__(self) -> str:
        where = f"{_short(self.filename)}:{self.lineno}"
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.code} {self.reason}{detail} at {where} [{self.instruction}]"


@dataclass
class Specialization:
    """One key of a region and how it ran."""

    key: str
    status: str                # "compiled", "eager" (types), "fallback" (not native / too small)
    backend: str = ""          # "llvm", "numpy", "cpython" (compiled entries)
    code: str = ""             # the reason when not compiled natively
    note: str = ""
    runs: int = 0
    compile_seconds: float = 0.0
    stages: dict = field(default_factory=dict)
    seconds: float = 0.0

    def describe(self) -> str:
        if self.status == "compiled":
            return self.backend + (f" ({self.note})" if self.note else "")
        title = REASONS[self.code].title if self.code else ""
        return f"{self.status}: {self.code} {title}" + (f" ({self.note})" if self.note else "")


@dataclass
class Recompile:
    region: int
    key: str
    previous: str
    changed: tuple             # ("x: int -> float", ...)


@dataclass
class Bailout:
    region: int
    line: int | None           # the statement CPython re-ran
    instruction: str
    count: int
    checks: tuple = ()         # the ops of that statement that can bail out
    code: str = BAILOUT


@dataclass
class GuardFailure:
    region: int
    name: str
    count: int
    code: str = "PJ0008"


@dataclass
class RegionReport:
    number: int
    lines: tuple
    graph: str
    specializations: list = field(default_factory=list)
    calls: int = 0
    bailouts: int = 0
    compiled: bool = False     # some key runs compiled code
    function: str = ""
    filename: str = ""
    eager_calls: int = 0
    dropped: bool = False      # left to CPython by capture (too small, or its first key failed)
    seconds: float = 0.0       # time in compiled code (the dispatcher's timers)


@dataclass
class Report:
    function: str
    regions: list
    graph_breaks: list
    coverage: dict
    skipped: str | None = None
    result: object = None
    error: BaseException | None = None
    filename: str = ""
    span: tuple = ()           # the function's source lines (first, last)
    code_lines: tuple = ()     # lines that hold bytecode
    recompiles: list = field(default_factory=list)
    bailouts: list = field(default_factory=list)
    guard_failures: list = field(default_factory=list)
    line_seconds: dict = field(default_factory=dict)   # (filename, line) -> sampled eager seconds

    @property
    def graph_count(self) -> int:
        """Regions with at least one compiled specialization."""
        return sum(r.compiled for r in self.regions)

    # ---- building ---------------------------------------------------------------------

    @classmethod
    def from_analysis(cls, analysis, timing, before: dict, result=None, error=None, own_total=True):
        """The report of one analysed function.  ``timing`` is the run's ``Timing``;
        ``before`` the seconds each region had spent before the run; with
        ``own_total`` the run was this function's call (``explain``), otherwise the
        function's share of run time is of its own compiled + eager time (capture)."""
        fn = analysis.fn
        code = analysis.code
        name = fn.__qualname__
        breaks = [_break(b.reason, "static", name, b.lines) for b in analysis.breaks]
        regions, recompiles, bailouts, guards = [], [], [], []
        for r in list(analysis.regions) + list(analysis.dropped):
            rr = _region(r, name, code.co_filename, before.get(r.number, 0.0))
            rr.dropped = r in analysis.dropped
            regions.append(rr)
            breaks += [_break(s.reason, "type", name, r.lines) for s in r.dispatcher.cache.values()
                       if s.entry is None and s.reason is not None]
            recompiles += _recompiles(r)
            bailouts += _bailouts(r, analysis.decoded)
            guards += [GuardFailure(r.number, n, c)
                       for n, c in sorted(r.dispatcher.stats.guards_failed.items())]
        regions.sort(key=lambda r: r.number)
        compiled = sum(r.seconds for r in regions)
        key = function_key(code)
        eager = timing.functions.get(key, 0.0)
        code_lines = _code_lines(code)
        own = set(code_lines)
        lines = {k: v for k, v in timing.lines.items() if k[0] == code.co_filename and k[1] in own}
        total = timing.total if own_total else compiled + eager
        coverage = {
            "bytecode": analysis.compiled_instrs / (analysis.ninstrs or 1),
            "runtime": compiled / total if total > 0 else 0.0,
            "seconds_total": total,
            "seconds_compiled": compiled,
            "seconds_eager": timing.eager if own_total else eager,
            "seconds_compiling": timing.compiling if own_total else 0.0,
            "sampled": timing.sampled,
            "timed": timing.timed,
        }
        skipped = str(analysis.skipped) if analysis.skipped is not None else None
        span = _span(code)
        return cls(name, regions, breaks, coverage, skipped, result, error, code.co_filename, span,
                   code_lines, recompiles, bailouts, guards, lines)

    @classmethod
    def without_jit(cls, fn, why: str, total_seconds: float, result):
        """The report of a function that ran without the JIT at all (PJ0019)."""
        coverage = {"bytecode": 0.0, "runtime": 0.0, "seconds_total": total_seconds,
                    "seconds_compiled": 0.0, "seconds_eager": total_seconds,
                    "seconds_compiling": 0.0, "sampled": False, "timed": True}
        code = fn.__code__
        return cls(fn.__qualname__, [], [], coverage, skipped=f"{NOT_ACTIVE}: {why}", result=result,
                   filename=code.co_filename, span=_span(code), code_lines=_code_lines(code))

    # ---- text -------------------------------------------------------------------------

    def __str__(self) -> str:
        return self.format()

    def format(self, timings: bool = True) -> str:
        """The readable table; ``timings=False`` leaves out every time figure."""
        out = [f"pyjit report for {self.function} ({_short(self.filename)}:{self.span[0] if self.span else '?'})"]
        if self.skipped:
            out.append(f"  not compiled: {self.skipped}")
        out.append(f"  regions: {len(self.regions)} ({self.graph_count} compiled)   "
                   f"graph breaks: {len(self.graph_breaks)}")
        out.append("  coverage: " + _coverage_text(self.coverage, timings))
        out += _body(self, timings and self.coverage.get("timed", True))
        return "\n".join(out)

    # ---- JSON and HTML ----------------------------------------------------------------

    def to_dict(self, timings: bool = True) -> dict:
        """Everything ``str()`` shows, JSON-ready; ``timings=False`` drops time figures."""
        d = {
            "function": self.function,
            "filename": self.filename,
            "span": list(self.span),
            "skipped": self.skipped,
            "error": None if self.error is None else f"{type(self.error).__name__}: {self.error}",
            "coverage": dict(self.coverage),
            "regions": [_plain(r) for r in self.regions],
            "graph_breaks": [dict(_plain(b), chain=b.chain()) for b in self.graph_breaks],
            "recompiles": [_plain(r) for r in self.recompiles],
            "bailouts": [_plain(b) for b in self.bailouts],
            "guard_failures": [_plain(g) for g in self.guard_failures],
            "lines": _line_list(self.line_seconds),
        }
        return _strip_timings(d) if not timings else d

    def to_html(self, path: str) -> str:
        """Write one self-contained page (no network) to ``path``; returns ``path``."""
        from .html import write_html
        return write_html(self, path)

    def function_reports(self) -> list:
        return [self]


# ---- building helpers -------------------------------------------------------------------

@dataclass
class Timing:
    """What a run measured: its wall time, and the sampler's eager time per line and
    function (empty when it could not sample: Note [eager time by sampling])."""

    total: float = 0.0
    eager: float = 0.0
    compiling: float = 0.0
    compiled_sampled: float = 0.0
    other: float = 0.0
    lines: dict = field(default_factory=dict)
    functions: dict = field(default_factory=dict)
    sampled: bool = False
    samples: int = 0
    timed: bool = True         # the dispatchers timed compiled calls (explain; not a plain capture)

    @classmethod
    def from_sampler(cls, s) -> "Timing":
        return cls(s.wall_seconds, s.eager_seconds + s.other_seconds, s.compiling_seconds,
                   s.compiled_seconds, s.other_seconds, dict(s.lines), dict(s.functions),
                   s.samples > 0, s.samples)


def _region(r, function: str, filename: str, before: float) -> RegionReport:
    d = r.dispatcher
    stats = d.stats
    rr = RegionReport(r.number, tuple(r.lines), str(r.graph), calls=stats.calls, bailouts=stats.bailouts,
                      function=function, filename=filename, eager_calls=stats.eager_calls)
    from pyjit.runtime.dispatcher import TOO_SMALL as TOO_SMALL_NOTE
    for key, spec in d.cache.items():
        key_text = _key_text(key)
        if spec.entry is not None:
            backend = getattr(spec.entry, "backend", spec.backend) or spec.backend
            native = backend != "cpython"
            rr.compiled |= native
            status = "compiled" if native else "fallback"
            code = "" if backend == "llvm" else NOT_NATIVE
            rr.specializations.append(Specialization(key_text, status, backend, code, spec.note, spec.calls,
                                                     spec.compile_seconds, dict(spec.stages), spec.seconds))
        elif spec.reason is not None:
            rr.specializations.append(Specialization(key_text, "eager", "", spec.reason.code,
                                                     spec.reason.detail))
        else:
            note = "" if spec.note == TOO_SMALL_NOTE else spec.note
            rr.specializations.append(Specialization(key_text, "fallback", "", TOO_SMALL, note))
    rr.seconds = max(0.0, sum(s.seconds for s in d.cache.values()) - before)
    return rr


def _key_text(key) -> str:
    return "(" + ", ".join(str(t) for t in key) + ")"


def _recompiles(r) -> list:
    """Each key after the first, with the live-ins whose type differs from the key before."""
    d = r.dispatcher
    names = [r.graph.inputs[i].name for i in d.dynamic]
    keys = list(d.cache)
    out = []
    for prev, key in zip(keys, keys[1:]):
        changed = tuple(f"{n}: {a} -> {b}" for n, a, b in zip(names, prev, key) if a != b)
        out.append(Recompile(r.number, _key_text(key), _key_text(prev), changed))
    return out


def _bailouts(r, decoded) -> list:
    """Bailouts per resume exit: the statement CPython re-ran, and the ops there that
    can bail out (the candidates for the check that failed)."""
    out = []
    exits = r.dispatcher.stats.bailout_exits
    for k, count in sorted(exits.items()):
        target = r.graph.exits[k].target
        line, instr = None, ""
        if decoded is not None and isinstance(target, int):
            line = decoded.lineno(target)
            ins = decoded.instrs[target] if target < len(decoded.instrs) else None
            instr = getattr(ins, "name", "")
        out.append(Bailout(r.number, line, instr, count, _checks(r, k)))
    return out


# A bailout to the region's first statement may also come from a check made on the
# way out: a numpy floating-point flag (backends/llvm/fpflags.py) or an int overflow
# deferred to the exits (backends/llvm/deferred.py); CPython then re-ran the region.
_RERUN = "a check deferred to the region's exit (int overflow, numpy float flags)"


def _checks(r, k: int) -> tuple:
    from pyjit.ir.registry import OPS
    graphs = [s.graph for s in r.dispatcher.cache.values() if s.graph is not None] or [r.graph]
    ops = []
    for g in graphs:
        for n in g.nodes():
            if n.exit == k and n.op not in ops and getattr(OPS.get(n.op), "may_raise", True):
                ops.append(n.op)
    if any(k == _first_exit(g) for g in graphs):
        ops.append(_RERUN)
    return tuple(ops)


def _first_exit(g):
    """The exit of the region's first statement (its checkpoint, fpflags.py)."""
    block, seen = g.entry, set()
    while block is not None and block not in seen:
        seen.add(block)
        for n in block.nodes:
            if n.exit is not None:
                return n.exit
        t = block.term
        block = t.targets[0][0] if t is not None and t.kind == "br" else None
    return None


def _break(u, kind: str, function: str = "", statement: tuple = ()) -> GraphBreak:
    return GraphBreak(u.code, u.reason.title, u.filename, u.lineno, u.instr, u.detail,
                      u.reason.hints, tuple(u.inlined_from), kind, function, tuple(statement))


def _span(code) -> tuple:
    lines = _code_lines(code)
    return (code.co_firstlineno, max(lines)) if lines else (code.co_firstlineno, code.co_firstlineno)


def _code_lines(code) -> tuple:
    lines = set()
    stack = [code]
    while stack:
        c = stack.pop()
        lines.update(line for _, _, line in c.co_lines() if line is not None)
        stack.extend(k for k in c.co_consts if hasattr(k, "co_lines"))
    return tuple(sorted(lines))


# ---- text helpers -----------------------------------------------------------------------

def _short(filename: str) -> str:
    """``filename`` relative to the working directory when it is under it."""
    if not filename or not os.path.isabs(filename):
        return filename or "?"
    rel = os.path.relpath(filename)
    return filename if rel.startswith("..") else rel


def _ms(seconds: float, timings: bool) -> str:
    return f"{seconds * 1e3:.1f} ms" if timings else "- ms"


def _coverage_text(c: dict, timings: bool) -> str:
    text = f"{c['bytecode']:.0%} of bytecode in regions"
    if timings and not c.get("timed", True):
        text += "; run time not measured (python -m pyjit explain measures it)"
    elif timings:
        text += (f"; run time {_ms(c['seconds_total'], True)}: {c['runtime']:.0%} compiled "
                 f"({_ms(c['seconds_compiled'], True)}), eager {_ms(c.get('seconds_eager', 0.0), True)}, "
                 f"compiling {_ms(c.get('seconds_compiling', 0.0), True)}")
        if not c.get("sampled"):
            text += " (eager time not sampled)"
    return text


def _body(report, timings: bool) -> list:
    out = []
    for r in report.regions:
        span = f"lines {r.lines[0]}-{r.lines[1]}" if r.lines else "no lines"
        extra = ", left to CPython" if r.dropped else ""
        time = f", {_ms(r.seconds, True)} compiled" if timings else ""
        out.append(f"  region {r.number} ({span}): {r.calls} calls, {r.eager_calls} eager, "
                   f"{r.bailouts} bailouts{time}{extra}")
        for s in r.specializations:
            line = f"    {s.key}: {s.describe()}"
            if s.status == "compiled":
                line += f", {s.runs} runs"
                if timings:
                    stages = " + ".join(f"{k} {v * 1e3:.1f}" for k, v in s.stages.items())
                    line += f", {_ms(s.seconds, True)}; compile {_ms(s.compile_seconds, True)}"
                    line += f" ({stages})" if stages else ""
            out.append(line)
    for b in report.graph_breaks:
        out.append(f"  break {b}" + ("" if b.kind == "static" else " (with this call's types)"))
        chain = b.chain()
        if chain:
            out.append(f"    inlined: {' -> '.join(chain)}")
        for hint in b.hints[:1]:
            out.append(f"    hint: {hint}")
    for rc in report.recompiles:
        out.append(f"  recompile region {rc.region}: {rc.previous} -> {rc.key}"
                   + (f" ({', '.join(rc.changed)})" if rc.changed else ""))
    for b in report.bailouts:
        checks = f" (can bail out: {', '.join(b.checks)})" if b.checks else ""
        out.append(f"  bailout {b.code} region {b.region}: {b.count}x to line {b.line} [{b.instruction}]{checks}")
    for g in report.guard_failures:
        out.append(f"  guard {g.code} region {g.region}: {g.name} rebound, {g.count}x")
    if timings and report.line_seconds:
        top = sorted(report.line_seconds.items(), key=lambda kv: -kv[1])[:5]
        out.append("  eager time by line: " + ", ".join(
            f"{_short(f)}:{line} {s * 1e3:.1f} ms" for (f, line), s in top))
    return out


# ---- dict helpers -----------------------------------------------------------------------

def _plain(obj) -> dict:
    d = {}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        if isinstance(v, list):
            v = [_plain(x) if dataclasses.is_dataclass(x) else x for x in v]
        elif isinstance(v, tuple):
            v = list(v)
        d[f.name] = v
    return d


def _line_list(line_seconds: dict) -> list:
    return [{"filename": f, "line": line, "seconds": s} for (f, line), s in sorted(line_seconds.items())]


def _is_timing(key: str) -> bool:
    return key.startswith("seconds") or key.endswith("seconds") or key in ("stages", "runtime", "lines",
                                                                          "sampled", "samples", "timed")


def _strip_timings(obj):
    if isinstance(obj, dict):
        return {k: _strip_timings(v) for k, v in obj.items() if not _is_timing(k)}
    if isinstance(obj, list):
        return [_strip_timings(x) for x in obj]
    return obj


__all__ = ["Report", "GraphBreak", "RegionReport", "Specialization", "Recompile", "Bailout",
           "GuardFailure", "Timing"]
