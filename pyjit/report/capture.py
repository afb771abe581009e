"""The report of a ``pyjit.capture()`` block: one ``Report`` per function, combined.

    >>> with pyjit.capture() as cap:
    ...     simulate()
    >>> report = cap.report()
    >>> [f.function for f in report.functions], report.graph_count
    (['simulate', 'step'], 3)
    >>> print(report)

The combined report is a ``Report`` (regions and graph breaks of every function,
coverage weighted by bytecode size) whose ``functions`` hold the per-function
reports, each exactly what ``explain`` would show for that function.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from .explain import Report, _break


@dataclass
class CaptureReport(Report):
    functions: list = field(default_factory=list)

    def __str__(self) -> str:
        lines = [f"pyjit capture report: {len(self.functions)} functions, "
                 f"{len(self.regions)} regions ({self.graph_count} compiled), "
                 f"{len(self.graph_breaks)} graph breaks",
                 f"  coverage: {self.coverage['bytecode']:.0%} of bytecode in regions, "
                 f"{self.coverage['runtime']:.0%} of run time in compiled code"]
        for f in self.functions:
            lines.append("")
            lines.extend("  " + line for line in str(f).splitlines())
        return "\n".join(lines)


def capture_report(analyses: list, total_seconds: float, befores: list) -> CaptureReport:
    """Combine the reports of ``analyses`` (each with its region seconds before the capture)."""
    functions = [Report.from_analysis(a, total_seconds, b) for a, b in zip(analyses, befores)]
    for a, f in zip(analyses, functions):   # regions capture dropped keep their type breaks
        for r in getattr(a, "dropped", ()):
            f.graph_breaks.extend(_break(s.reason, "type") for s in r.dispatcher.cache.values()
                                  if s.reason is not None)
    instrs = sum(a.ninstrs for a in analyses)
    compiled = sum(a.compiled_instrs for a in analyses)
    seconds_compiled = sum(f.coverage["seconds_compiled"] for f in functions)
    coverage = {
        "bytecode": compiled / instrs if instrs else 0.0,
        "runtime": seconds_compiled / total_seconds if total_seconds > 0 else 0.0,
        "seconds_total": total_seconds,
        "seconds_compiled": seconds_compiled,
    }
    regions = [r for f in functions for r in f.regions]
    breaks = [b for f in functions for b in f.graph_breaks]
    return CaptureReport("capture", regions, breaks, coverage, functions=functions)


__all__ = ["CaptureReport", "capture_report"]
