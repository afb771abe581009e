"""The ``Report`` that ``pyjit.explain`` returns.

    >>> report = pyjit.explain(f, x)
    >>> report.graph_count, len(report.graph_breaks)
    (2, 1)
    >>> print(report)

A report lists every region (its lines, graph, specializations with compile
times and run counts), every graph break (reason code, title, file, line,
instruction; static ones from the analysis and type-driven ones from
specializations that ran eagerly), and coverage: the share of bytecode inside
compiled regions and the share of the run's wall time spent in compiled code.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class GraphBreak:
    code: str
    reason: str
    filename: str
    lineno: int | None
    instruction: str
    detail: str = ""
    hints: tuple = ()
    inlined_from: tuple = ()
    kind: str = "static"  # "static": the bytecode; "type": a specialization's types

    def __str__(self) -> str:
        where = f"{self.filename}:{self.lineno}"
        detail = f" ({self.detail})" if self.detail else ""
        return f"{self.code} {self.reason}{detail} at {where} [{self.instruction}]"


@dataclass
class RegionReport:
    number: int
    lines: tuple
    graph: str
    specializations: list = field(default_factory=list)  # (key text, status, compile s, calls)
    calls: int = 0
    bailouts: int = 0
    compiled: bool = False


@dataclass
class Report:
    function: str
    regions: list
    graph_breaks: list
    coverage: dict
    skipped: str | None = None
    result: object = None
    error: BaseException | None = None

    @property
    def graph_count(self) -> int:
        """Regions with at least one compiled specialization."""
        return sum(r.compiled for r in self.regions)

    @classmethod
    def from_analysis(cls, analysis, total_seconds: float, before: dict, result=None, error=None):
        breaks = [_break(b.reason, "static") for b in analysis.breaks]
        regions = []
        compiled_seconds = 0.0
        for r in analysis.regions:
            rr = RegionReport(r.number, r.lines, str(r.graph), calls=r.dispatcher.stats.calls,
                              bailouts=r.dispatcher.stats.bailouts)
            for key, spec in r.dispatcher.cache.items():
                key_text = "(" + ", ".join(str(t) for t in key) + ")"
                if spec.entry is not None:
                    rr.compiled = True
                    status = spec.backend + (f" ({spec.note})" if spec.note else "")
                    rr.specializations.append((key_text, status, spec.compile_seconds, spec.calls))
                else:
                    rr.specializations.append((key_text, "eager", 0.0, 0))
                    breaks.append(_break(spec.reason, "type"))
            compiled_seconds += sum(s.seconds for s in r.dispatcher.cache.values()) - before.get(r.number, 0.0)
            regions.append(rr)
        for r in analysis.dropped:
            regions.append(RegionReport(r.number, r.lines, str(r.graph), calls=r.dispatcher.stats.calls,
                                        specializations=[("", "left to CPython: too small to gain "
                                                               "from compiling", 0.0, 0)]))
        total = analysis.ninstrs or 1
        coverage = {
            "bytecode": analysis.compiled_instrs / total,
            "runtime": (compiled_seconds / total_seconds) if total_seconds > 0 else 0.0,
            "seconds_total": total_seconds,
            "seconds_compiled": compiled_seconds,
        }
        skipped = str(analysis.skipped) if analysis.skipped is not None else None
        return cls(analysis.fn.__qualname__, regions, breaks, coverage, skipped, result, error)

    @classmethod
    def unsupported(cls, fn, why: str, total_seconds: float, result):
        """The report of a function that ran without the JIT at all."""
        coverage = {"bytecode": 0.0, "runtime": 0.0, "seconds_total": total_seconds,
                    "seconds_compiled": 0.0}
        return cls(fn.__qualname__, [], [], coverage, skipped=why, result=result)

    def __str__(self) -> str:
        lines = [f"pyjit report for {self.function}"]
        if self.skipped:
            lines.append(f"  not compiled: {self.skipped}")
        lines.append(f"  regions: {len(self.regions)} ({self.graph_count} compiled)   "
                     f"graph breaks: {len(self.graph_breaks)}")
        lines.append(f"  coverage: {self.coverage['bytecode']:.0%} of bytecode in regions, "
                     f"{self.coverage['runtime']:.0%} of run time in compiled code")
        for r in self.regions:
            span = f"lines {r.lines[0]}-{r.lines[1]}" if r.lines else "?"
            lines.append(f"  region {r.number} ({span}): {r.calls} calls, {r.bailouts} bailouts")
            for key, status, secs, calls in r.specializations:
                lines.append(f"    {key}: {status}, compile {secs * 1e3:.1f} ms, {calls} runs")
        for b in self.graph_breaks:
            lines.append(f"  break {b}")
            for hint in b.hints[:1]:
                lines.append(f"    hint: {hint}")
        return "\n".join(lines)


def _break(u, kind: str) -> GraphBreak:
    chain = tuple(u.inlined_from)
    return GraphBreak(u.code, u.reason.title, u.filename, u.lineno, u.instr, u.detail,
                      u.reason.hints, chain, kind)
