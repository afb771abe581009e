"""``Report.to_html(path)``: one self-contained page (inline CSS and JS, no network).

    >>> pyjit.explain(f, x).to_html("f.html")
    >>> cap.report().to_html("run.html")      # python -m pyjit explain s.py --html run.html

The page has a summary (coverage of bytecode and of run time, a table per
function, the graph breaks, recompiles and bailouts) and then the source of
every file the report covers, one table row per line:

* ``line compiled``: inside a region that runs compiled code;
* ``line eager``: bytecode that ran in CPython (outside regions, or in a region
  left to CPython: too small, or types it cannot compile);
* ``line break``: a graph break, with its reason code and title visible on the
  line (hints and the chain of inlined calls in the tooltip and the break table);
* the time column: eager time sampled on that line, and on a region's first line
  the time spent in its compiled code.

Each region's graph and specializations are in a ``<details>`` row after its
last line.  The script at the end only adds conveniences (filter to the lines
that matter, mark the page ``data-ready``); the page reads fine without it.
"""
from __future__ import annotations

import html
import linecache
import os

from .explain import _short


def write_html(report, path: str) -> str:
    with open(path, "w", encoding="utf-8") as f:
        f.write(render(report))
    return path


def render(report) -> str:
    functions = report.function_reports()
    by_file: dict = {}
    for fr in functions:
        by_file.setdefault(fr.filename, []).append(fr)
    for b in report.graph_breaks:   # a break inside an inlined callee of another file
        by_file.setdefault(b.filename, [])
    files = sorted(f for f in by_file if f)
    parts = [_HEAD.format(title=html.escape(_title(report)), css=_CSS),
             f"<h1>{html.escape(_title(report))}</h1>", _summary(report, functions)]
    for i, filename in enumerate(files):
        parts.append(_file_section(i, filename, by_file[filename], report))
    parts.append(f"<script>{_JS}</script></body></html>")
    return "\n".join(parts)


def _title(report) -> str:
    return "pyjit report: " + ("whole run" if report.function == "capture" else report.function)


# ---- summary ----------------------------------------------------------------------------

def _ms(s: float) -> str:
    return f"{s * 1e3:.1f} ms"


def _summary(report, functions) -> str:
    c = report.coverage
    total = c.get("seconds_total", 0.0) or 1e-12
    parts = ["<section class='summary'>"]
    shares = [("compiled", c.get("seconds_compiled", 0.0)), ("eager", c.get("seconds_eager", 0.0)),
              ("compiling", c.get("seconds_compiling", 0.0))]
    bar = "".join(f"<span class='bar {k}' style='width:{max(0.0, min(1.0, v / total)) * 100:.2f}%' "
                  f"title='{k}: {_ms(v)}'></span>" for k, v in shares)
    parts.append(f"<p><b>{c['bytecode']:.0%}</b> of bytecode in compiled regions; run time "
                 f"<b>{_ms(c.get('seconds_total', 0.0))}</b>: " +
                 ", ".join(f"<span class='key {k}'>{k}</span> {_ms(v)} ({v / total:.0%})" for k, v in shares) +
                 ("" if c.get("sampled") else " <i>(eager time not sampled)</i>") + "</p>")
    parts.append(f"<div class='bars'>{bar}</div>")
    parts.append("<h2>Functions</h2><table class='functions'><tr><th>function</th><th>file</th>"
                 "<th>regions</th><th>breaks</th><th>bytecode compiled</th><th>compiled</th>"
                 "<th>eager</th><th>run time compiled</th></tr>")
    for fr in functions:
        fc = fr.coverage
        parts.append(
            f"<tr><td><a href='#{_fn_anchor(fr)}'>{html.escape(fr.function)}</a></td>"
            f"<td>{html.escape(_short(fr.filename))}:{fr.span[0] if fr.span else ''}</td>"
            f"<td>{fr.graph_count}/{len(fr.regions)}</td><td>{len(fr.graph_breaks)}</td>"
            f"<td>{fc['bytecode']:.0%}</td><td>{_ms(fc.get('seconds_compiled', 0.0))}</td>"
            f"<td>{_ms(fc.get('seconds_eager', 0.0))}</td><td>{fc.get('runtime', 0.0):.0%}</td></tr>")
    parts.append("</table>")
    parts.append(_breaks_table(report))
    if report.recompiles or report.bailouts or report.guard_failures:
        parts.append("<h2>Recompiles, bailouts, guard failures</h2><ul class='events'>")
        for rc in report.recompiles:
            parts.append(f"<li>recompile of region {rc.region}: {html.escape(rc.previous)} &rarr; "
                         f"{html.escape(rc.key)} {html.escape(', '.join(rc.changed))}</li>")
        for b in report.bailouts:
            parts.append(f"<li>{b.code} bailout from region {b.region}: {b.count}&times; to line {b.line} "
                         f"[{html.escape(b.instruction)}] (can bail out: {html.escape(', '.join(b.checks))})</li>")
        for g in report.guard_failures:
            parts.append(f"<li>{g.code} region {g.region}: {html.escape(g.name)} rebound, {g.count}&times;</li>")
        parts.append("</ul>")
    parts.append("<p class='legend'><span class='key compiled'>compiled</span> "
                 "<span class='key eager'>eager (CPython)</span> <span class='key break'>graph break</span> "
                 "<label><input type='checkbox' id='only'> show only lines with code</label></p>")
    parts.append("</section>")
    return "\n".join(parts)


def _breaks_table(report) -> str:
    if not report.graph_breaks:
        return "<h2>Graph breaks</h2><p>none</p>"
    rows = ["<h2>Graph breaks</h2><table class='breaks'><tr><th>code</th><th>reason</th>"
            "<th>where</th><th>instruction</th><th>inlined calls</th><th>hint</th></tr>"]
    for b in report.graph_breaks:
        detail = f": {b.detail}" if b.detail else ""
        rows.append(f"<tr><td>{b.code}</td><td>{html.escape(b.reason + detail)}</td>"
                    f"<td>{html.escape(_short(b.filename))}:{b.lineno}</td>"
                    f"<td>{html.escape(b.instruction)}</td><td>{html.escape(' → '.join(b.chain()))}</td>"
                    f"<td>{html.escape(b.hints[0] if b.hints else '')}</td></tr>")
    rows.append("</table>")
    return "\n".join(rows)


# ---- source -----------------------------------------------------------------------------

def _fn_anchor(fr) -> str:
    return f"fn-{abs(hash((fr.filename, fr.function, fr.span))) % 10**9}"


def _file_section(index: int, filename: str, functions: list, report) -> str:
    lines = linecache.getlines(filename)
    head = f"<section class='file'><h2>{html.escape(_short(filename))}</h2>"
    if not lines:
        return head + "<p>source not available</p></section>"
    kind, notes, anchors, seconds, after = _marks(filename, functions, report)
    rows = [head, f"<table class='source' data-file='{html.escape(os.path.basename(filename))}'>"]
    for n, text in enumerate(lines, 1):
        text = text.rstrip("\n").rstrip("\r")
        cls = kind.get(n, "none")
        t = seconds.get(n, 0.0)
        time = _ms(t) if t >= 5e-5 else ""
        note = "".join(notes.get(n, ()))
        anchor = "".join(f"<a id='{a}'></a>" for a in anchors.get(n, ()))
        rows.append(f"<tr class='line {cls}' id='L{index}-{n}'><td class='no'>{anchor}{n}</td>"
                    f"<td class='t'>{time}</td><td class='src'>{html.escape(text)}</td>"
                    f"<td class='note'>{note}</td></tr>")
        for extra in after.get(n, ()):
            rows.append(f"<tr class='graph'><td></td><td></td><td colspan='2'>{extra}</td></tr>")
    rows.append("</table></section>")
    return "\n".join(rows)


def _marks(filename: str, functions: list, report):
    """Per line: its class, its notes (badges), anchors, time, and rows after it."""
    kind, notes, anchors, seconds, after = {}, {}, {}, {}, {}
    for (f, line), s in report.line_seconds.items():
        if f == filename and line is not None:
            seconds[line] = seconds.get(line, 0.0) + s
    for fr in functions:
        if fr.span:
            anchors.setdefault(fr.span[0], []).append(_fn_anchor(fr))
        for line in fr.code_lines:
            kind[line] = "eager"
        for r in fr.regions:
            if not r.lines:
                continue
            first, last = r.lines
            compiled = r.compiled and not r.dropped
            for line in fr.code_lines:
                if first <= line <= last and compiled:
                    kind[line] = "compiled"
            status = "compiled" if compiled else "left to CPython"
            notes.setdefault(first, []).append(
                f"<span class='badge region'>region {r.number}: {status}</span>")
            if r.seconds > 0:
                seconds[first] = seconds.get(first, 0.0) + r.seconds
            after.setdefault(last, []).append(_region_details(fr, r))
    for fr in report.function_reports():
        for b in fr.graph_breaks:
            _mark_break(b, fr, filename, kind, notes)
    for b in report.bailouts:
        for fr in functions:
            if b.line is not None and fr.code_lines and b.line in fr.code_lines and b in fr.bailouts:
                notes.setdefault(b.line, []).append(
                    f"<span class='badge bail'>{b.code} {b.count}&times; bailout</span>")
    return kind, notes, anchors, seconds, after


def _mark_break(b, fr, filename: str, kind: dict, notes: dict) -> None:
    """A break marks the line CPython runs because of it: its own line, or for a
    break inside an inlined callee the caller's statement (the callee's line only
    gets a note: run on its own, the callee may well compile there)."""
    detail = f": {b.detail}" if b.detail else ""
    chain = b.chain()
    tip = " | ".join([*(f"hint: {h}" for h in b.hints), *(["inlined: " + " → ".join(chain)] if chain else [])])
    text = f"{b.code} {html.escape(b.reason + detail)}"
    if chain and b.statement:
        if fr.filename == filename:
            kind[b.statement[0]] = "break"
            notes.setdefault(b.statement[0], []).append(
                f"<span class='badge break' title='{html.escape(tip, quote=True)}'>{text} "
                f"(in inlined {html.escape(chain[-1])}, {html.escape(_short(b.filename))}:{b.lineno})</span>")
        if b.filename == filename and b.lineno is not None:
            notes.setdefault(b.lineno, []).append(
                f"<span class='badge inl' title='{html.escape(tip, quote=True)}'>{b.code} when inlined "
                f"into {html.escape(fr.function)}</span>")
        return
    if b.filename != filename or b.lineno is None:
        return
    kind[b.lineno] = "break"
    notes.setdefault(b.lineno, []).append(
        f"<span class='badge break' title='{html.escape(tip, quote=True)}'>{text}</span>")


def _region_details(fr, r) -> str:
    specs = []
    for s in r.specializations:
        stages = ", ".join(f"{k} {_ms(v)}" for k, v in s.stages.items())
        specs.append(f"<tr><td>{html.escape(s.key)}</td><td>{html.escape(s.describe())}</td>"
                     f"<td>{s.runs}</td><td>{_ms(s.seconds)}</td><td>{_ms(s.compile_seconds)}"
                     f"{' (' + stages + ')' if stages else ''}</td></tr>")
    table = ("<table class='specs'><tr><th>key</th><th>how it ran</th><th>runs</th><th>time</th>"
             "<th>compile</th></tr>" + "".join(specs) + "</table>")
    return (f"<details><summary>region {r.number} of {html.escape(fr.function)} "
            f"(lines {r.lines[0]}-{r.lines[1]}): {r.calls} calls, {r.bailouts} bailouts</summary>"
            f"{table}<pre class='ir'>{html.escape(r.graph)}</pre></details>")


_HEAD = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>{css}</style></head><body>"""

_CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 20px; } h2 { font-size: 16px; margin-top: 1.4em; }
table { border-collapse: collapse; }
table.functions td, table.functions th, table.breaks td, table.breaks th, table.specs td, table.specs th
  { border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }
.bars { display: flex; width: 600px; height: 14px; border: 1px solid #999; }
.bar.compiled, .key.compiled { background: #8fd19e; } .bar.eager, .key.eager { background: #f5c27a; }
.bar.compiling { background: #b9b9f0; } .key.break { background: #f29b9b; }
.key { padding: 0 4px; border-radius: 3px; }
table.source { font: 12.5px/1.35 ui-monospace, monospace; width: 100%; }
table.source td { padding: 0 6px; vertical-align: top; }
td.no { color: #888; text-align: right; width: 3em; user-select: none; }
td.t { color: #555; text-align: right; width: 5.5em; white-space: nowrap; }
td.src { white-space: pre; }
td.note { font: 12px system-ui, sans-serif; }
tr.compiled td.src { background: #dff3e3; border-left: 4px solid #3a9a52; }
tr.eager td.src { background: #fdf0dc; border-left: 4px solid #e0a040; }
tr.break td.src { background: #fbdada; border-left: 4px solid #c43c3c; }
tr.none td.src { border-left: 4px solid transparent; }
.badge { display: inline-block; margin: 0 4px 1px 0; padding: 0 5px; border-radius: 3px; }
.badge.break { background: #c43c3c; color: #fff; }
.badge.region { background: #e8e8e8; } .badge.inl { background: #f7dede; color: #933; } .badge.bail { background: #7a5cc4; color: #fff; }
tr.graph td { padding: 2px 6px 6px; } pre.ir { background: #f6f6f6; padding: 6px; overflow-x: auto; }
body.only tr.none { display: none; }
"""

_JS = """
(function () {
  var box = document.getElementById('only');
  if (box) box.addEventListener('change', function () {
    document.body.classList.toggle('only', box.checked);
  });
  document.body.dataset.ready = String(document.querySelectorAll('tr.line').length);
})();
"""

__all__ = ["write_html", "render"]
