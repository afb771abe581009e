"""Finding a function's regions: the largest single-entry runs of statements
that translate, with a break recorded for every statement that does not.

The finder is optimistic: it translates the longest runs of consecutive
statements, and when a translation fails at an instruction it marks that
instruction's statement and tries again with the runs that remain.  A failure
that is only a consequence of a break elsewhere (the ``for`` header of a loop
whose body has a ``print``: the loop must stay a Python loop) is *structural*:
the statement stays in CPython without being reported as a break.

    >>> regions, breaks = find_regions(fn_info)
"""
from __future__ import annotations

import bisect

from bytecode import Instr, TryEnd

from ..ir.graph import Graph
from ..record import field, record
from ..report.reasons import Unsupported
from . import items as it
from .cpython import table
from .decode import STRUCT
from .translate import FnInfo, State, Translator

# Ops that do no work of their own: a run made only of them is not worth a region.
_TRIVIAL = frozenset({"const"})


@record
class Region:
    """A compiled region: instructions ``[start, end)`` of the code and their graph."""

    number: int
    start: int
    end: int
    graph: Graph
    guards: list
    lines: tuple
    ninstrs: int
    dispatcher: object = None
    on_too_small: object = None   # set by analyze: drop this region from the code


@record
class Break:
    """A statement that runs in CPython, and why."""

    reason: Unsupported
    start: int
    end: int
    lines: tuple = ()


@record
class _Search:
    fn: FnInfo
    statements: list
    bad: dict = field(default_factory=dict)
    excluded: set = field(default_factory=set)
    cuts: set = field(default_factory=set)
    built: dict = field(default_factory=dict)


def statements(d) -> list[tuple[int, int]]:
    """Statement ranges ``[a, b)`` between consecutive boundaries, prologue skipped."""
    n = len(d.instrs)
    first = 0
    while first < n and (not isinstance(d.instrs[first], Instr) or table.is_prologue(d.instrs[first])):
        first += 1
    bounds = [i for i in range(first, n) if d.boundary[i]]
    out = []
    # Exception handlers hold the exception on the stack: their code never
    # belongs to a region, and starts no statement of one.
    in_handler = {i for i in bounds if STRUCT in d.kinds[i]}
    pending = None  # a range of labels only belongs to the statement after it
    for k, a in enumerate(bounds):
        b = bounds[k + 1] if k + 1 < len(bounds) else n
        a = pending if pending is not None else a
        if a in in_handler:
            pending = None
        elif any(isinstance(x, Instr) for x in d.instrs[a:b]):
            out.append((a, b))
            pending = None
        elif any(isinstance(x, TryEnd) for x in d.instrs[a:b]):
            # The end of a try block belongs to no statement: the statement after
            # it starts outside the block (3.12+ often fall through from a try
            # body into the code after the handler, where 3.11 had a jump).
            pending = None
        else:
            pending = a
    return out


def find_regions(fn: FnInfo) -> tuple[list[Region], list[Break]]:
    s = _Search(fn, statements(fn.d))
    starts = [a for a, _ in s.statements]
    while True:
        failed = False
        for run in _runs(s):
            result = _build(s, run)
            if isinstance(result, Unsupported):
                _record(s, starts, run, result)
                failed = True
                break
        if not failed:
            break
    regions = []
    for run in _runs(s):
        graph, guards = s.built[run]
        if all(n.op in _TRIVIAL for n in graph.nodes()):
            continue
        a, b = run
        regions.append(Region(len(regions), a, b, graph, guards, _lines(fn.d, a, b),
                              sum(isinstance(x, Instr) for x in fn.d.instrs[a:b])))
    breaks = [Break(u, a, b, _lines(fn.d, a, b)) for (a, b), u in sorted(s.bad.items())]
    return regions, breaks


def _runs(s: _Search) -> list[tuple[int, int]]:
    runs, cur = [], None
    for a, b in s.statements:
        ok = (a, b) not in s.bad and (a, b) not in s.excluded
        if ok and cur is not None and cur[1] == a and a not in s.cuts:
            cur = (cur[0], b)
        else:
            if cur is not None:
                runs.append(cur)
            cur = (a, b) if ok else None
    if cur is not None:
        runs.append(cur)
    return runs


def _build(s: _Search, run):
    if run in s.built:
        return s.built[run]
    a, b = run
    d = s.fn.d
    graph = Graph(f"{d.code.co_name}@{d.lineno(a)}")
    entry = graph.new_block()
    tx = Translator(s.fn, graph, a, b)
    base = [it.Below() for _ in d.kinds[a]]
    err = tx.run(State({}, base), entry)
    if err is not None:
        return err
    for sa, sb in s.statements:
        if a < sa < b and not tx.visited.intersection(range(sa, sb)):
            # Only reachable from outside the run (the code after an eager loop):
            # it starts a run of its own.
            return Unsupported("PJ0011", "statement unreachable from the region's entry",
                               index=sa, cut=True)
    s.built[run] = (graph, tx.guards)
    return s.built[run]


def _record(s: _Search, starts, run, u: Unsupported) -> None:
    idx = u.index if u.index is not None else run[0]
    if u.cut and idx != run[0] and idx in starts:
        s.cuts.add(idx)
        return
    k = bisect.bisect_right(starts, idx) - 1
    stmt = s.statements[max(k, 0)]
    if u.structural or u.cut:
        s.excluded.add(stmt)
    else:
        s.bad[stmt] = u


def _lines(d, a: int, b: int) -> tuple:
    """First and last source line of the instructions of ``[a, b)`` that run when
    control enters at ``a``.  A range can hold code only reached from outside it:
    from 3.12 the last statement of a ``for`` body ends with the loop's END_FOR
    (on the ``for`` line), which only the loop header's FOR_ITER jumps to."""
    seen, todo = {a}, [a]
    while todo:
        for j in d.successors(todo.pop()):
            if a <= j < b and j not in seen:
                seen.add(j)
                todo.append(j)
    lines = [d.instrs[i].lineno for i in seen
             if isinstance(d.instrs[i], Instr) and d.instrs[i].lineno is not None]
    return (min(lines), max(lines)) if lines else ()
