"""The report of a ``pyjit.capture()`` block: one ``Report`` per function, combined.

    >>> with pyjit.capture() as cap:
    ...     simulate()
    >>> report = cap.report()
    >>> [f.function for f in report.functions], report.graph_count
    (['simulate', 'step'], 3)
    >>> print(report)

The combined report is a ``Report`` (regions, graph breaks, recompiles and
bailouts of every function) whose ``functions`` hold the per-function reports,
each what ``explain`` would show for that function.  Coverage is of the whole
run: bytecode weighted by size; run time split into compiled regions (timed),
eager code (sampled per line) and pyjit's compiling, when the run was measured
(``python -m pyjit explain`` times regions and samples eager code); a plain
``capture().report()`` says its run time was not measured.  A function's own
``runtime`` share is of its own time: its regions' compiled time against the
eager time sampled on its lines.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .explain import Report, Timing, _coverage_text, _line_list, _strip_timings


@dataclass
class CaptureReport(Report):
    functions: list = field(default_factory=list)

    def format(self, timings: bool = True) -> str:
        files = sorted({f.filename for f in self.functions})
        out = [f"pyjit capture report: {len(self.functions)} functions in {len(files)} files, "
               f"{len(self.regions)} regions ({self.graph_count} compiled), "
               f"{len(self.graph_breaks)} graph breaks",
               "  coverage: " + _coverage_text(self.coverage, timings)]
        if timings and self.coverage.get("sampled") and self.coverage.get("timed", True):
            out.append(f"  eager time outside the functions pyjit handled (module bodies, "
                       f"generators, ...): {self.coverage['seconds_eager_elsewhere'] * 1e3:.1f} ms")
        for f in self.functions:
            out.append("")
            out.extend("  " + line for line in f.format(timings).splitlines())
        return "\n".join(out)

    def to_dict(self, timings: bool = True) -> dict:
        d = {
            "function": self.function,
            "coverage": dict(self.coverage),
            "functions": [f.to_dict(timings) for f in self.functions],
            "lines": _line_list(self.line_seconds),
        }
        return _strip_timings(d) if not timings else d

    def function_reports(self) -> list:
        return list(self.functions)


def capture_report(analyses: list, total_seconds: float, befores: list, timing: Timing | None = None
                   ) -> CaptureReport:
    """Combine the reports of ``analyses`` (each with its region seconds before the capture).

    ``timing`` is what the run measured; without one, eager time is the block's
    time not spent in compiled regions and nothing is known per line."""
    sampled = timing is not None and timing.sampled
    timing = timing or Timing(total=total_seconds, timed=False)
    functions = [Report.from_analysis(a, timing, b, own_total=False) for a, b in zip(analyses, befores)]
    functions.sort(key=lambda f: (f.filename, f.span[:1]))
    instrs = sum(a.ninstrs for a in analyses)
    compiled_instrs = sum(a.compiled_instrs for a in analyses)
    seconds_compiled = sum(f.coverage["seconds_compiled"] for f in functions)
    total = timing.total
    eager = timing.eager if sampled else max(0.0, total - seconds_compiled)
    coverage = {
        "bytecode": compiled_instrs / instrs if instrs else 0.0,
        "runtime": seconds_compiled / total if total > 0 else 0.0,
        "seconds_total": total,
        "seconds_compiled": seconds_compiled,
        "seconds_eager": eager,
        "seconds_compiling": timing.compiling,
        "seconds_compiled_sampled": timing.compiled_sampled,
        "seconds_eager_elsewhere": max(0.0, eager - sum(f.coverage["seconds_eager"] for f in functions)),
        "sampled": sampled,
        "samples": timing.samples,
        "timed": timing.timed,
    }
    regions = [r for f in functions for r in f.regions]
    breaks = [b for f in functions for b in f.graph_breaks]
    report = CaptureReport("capture", regions, breaks, coverage, functions=functions,
                           line_seconds=dict(timing.lines))
    report.recompiles = [x for f in functions for x in f.recompiles]
    report.bailouts = [x for f in functions for x in f.bailouts]
    report.guard_failures = [x for f in functions for x in f.guard_failures]
    return report


__all__ = ["CaptureReport", "capture_report"]
