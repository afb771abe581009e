"""``pyjit.dryrun``: what the JIT would do with a call, without making it.

    >>> a = pyjit.spec((1000, 1000), np.float64)
    >>> print(pyjit.dryrun(f, a, a, 2.0))

After MindSpore's DryRun.  The function is analysed (regions and breaks, as
``jit`` finds them) and each region whose live-ins are known from the
arguments is type-inferred for them, as the dispatcher would on the call; its
shapes are propagated from the arguments' shapes (``report/shapes.py``); then
it reports, per region and in total, op counts, an estimate of the
floating-point work and the memory of its intermediate arrays with and without
buffer reuse (``passes/buffers.py``).  Nothing of the function runs: no
argument is read except for its type, shape and, for a Python int, tuple or
slice, its value.

What is known without running
    A live-in is known when it is a function argument that no statement can have
    rebound before the region starts (no store to it reaches the region), a
    global or closure variable (its current value), or a static object.  Other
    live-ins are computed by earlier code: such a region is reported as
    "types unknown without running", with their names.  Figures are for the
    typed graph as inferred, before the level's passes.

The work model (``flops``)
    Only ops computing in floating point (an operand or the result of a float
    or complex dtype) count.  An elementwise op counts one per element of its
    result (a scalar op one; ``sqrt``, ``exp`` … count one like ``+``), a
    reduction or scan one per element of its input, ``a @ b`` and ``np.dot``
    ``2·m·n·k`` (``2·k`` per result element), ``np.outer`` one per result
    element, ``np.vdot`` and ``np.inner`` ``2·k`` per result element; a
    ``math`` function counts one.  An op inside a ``range`` loop whose trip
    count is static (from the arguments or constants) counts once per
    iteration; in a loop of unknown trip count it counts once and the region
    says its figure is per iteration.  An op of unknown shape adds nothing and
    is listed under ``unknown``.

The memory model
    See ``passes/buffers.py``: every array a region allocates (live-outs
    included, views and inputs not), without reuse each in its own buffer for
    the whole region, with reuse in the planned buffers.  Regions run one after
    another, so the function's figure is the largest region's.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import inspect
import math
import types

import numpy as np

from pyjit import config
from pyjit.ir.types import Array, Const, members, scalar_dtype, typeof
from pyjit.report.reasons import Unsupported

# `import pyjit` stays light: the analysis modules load on the first dryrun().

UNKNOWN_TYPES = "types unknown without running"


class Spec:
    """A placeholder argument: an array of this shape and dtype, with no data.

        >>> pyjit.spec((3, 4), "f4")
        spec((3, 4), float32)
    """

    def __init__(self, shape, dtype=np.float64, layout: str = "C"):
        self.shape = (shape,) if isinstance(shape, int) else tuple(int(d) for d in shape)
        self.dtype = np.dtype(dtype)
        if self.dtype.kind not in "biufc":
            raise TypeError(f"spec() needs a numeric dtype, not {self.dtype}")
        if layout not in ("C", "F", "A"):
            raise ValueError(f"layout must be 'C', 'F' or 'A', not {layout!r}")
        self.layout = "C" if len(self.shape) <= 1 and layout == "F" else layout

    @property
    def type(self) -> Array:
        return Array(self.dtype, len(self.shape), self.layout)

    @property
    def nbytes(self) -> int:
        return math.prod(self.shape) * self.dtype.itemsize

    def __repr__(self) -> str:
        return f"spec({self.shape}, {self.dtype})"


def spec(shape, dtype=np.float64, layout: str = "C") -> Spec:
    """A placeholder for an array argument of ``dryrun``: its shape and dtype only."""
    return Spec(shape, dtype, layout)


def _describe(value):
    """(type, shape, static value) of an argument or a placeholder."""
    if isinstance(value, Spec):
        return value.type, value.shape, None
    t = typeof(value)
    shape = value.shape if isinstance(value, np.ndarray) else None
    static = value if type(value) in (int, bool, tuple, slice) else None
    return t, shape, static


@dataclass
class RegionDryRun:
    """One region: where it is, whether its types are known, and its figures."""

    number: int
    lines: tuple
    status: str                     # "compiled", "eager", "too small", UNKNOWN_TYPES
    detail: str = ""
    unknown_live_ins: list = field(default_factory=list)
    graph: str = ""
    op_counts: dict = field(default_factory=dict)
    flops: int = 0
    flops_per_iteration: bool = False   # some loop's trip count is unknown
    loops: list = field(default_factory=list)    # (first line, trips or None)
    unknown: list = field(default_factory=list)  # ops whose work or size is unknown
    plan: object = None

    def to_dict(self) -> dict:
        p = self.plan
        return {
            "number": self.number, "lines": list(self.lines), "status": self.status,
            "detail": self.detail, "unknown_live_ins": list(self.unknown_live_ins),
            "graph": self.graph, "op_counts": dict(self.op_counts), "flops": self.flops,
            "flops_per_iteration": self.flops_per_iteration,
            "loops": [{"line": line, "trips": trips} for line, trips in self.loops],
            "unknown": list(self.unknown),
            "memory": None if p is None else {
                "arrays": len(p.assignment), "buffers": len(p.buffers),
                "bytes_without_reuse": _json_bytes(p.peak_bytes_without_reuse),
                "bytes_with_reuse": _json_bytes(p.peak_bytes_with_reuse),
                "max_live_bytes": p.max_live_bytes,
                "unknown_size": len(p.unknown)},
        }


def _json_bytes(b):
    return b if isinstance(b, int) else str(b)


@dataclass
class DryRun:
    """What ``dryrun`` found; ``str()`` is a table, ``to_dict()`` JSON-ready."""

    function: str
    arguments: list
    regions: list
    breaks: list            # Unsupported records from the analysis
    skipped: str | None = None

    @property
    def op_counts(self) -> dict:
        total: dict = {}
        for r in self.regions:
            for op, n in r.op_counts.items():
                total[op] = total.get(op, 0) + n
        return dict(sorted(total.items()))

    @property
    def flops(self) -> int:
        return sum(r.flops for r in self.regions)

    def _peak(self, attr):
        figures = [getattr(r.plan, attr) for r in self.regions if r.plan is not None]
        return max(figures, default=0)

    @property
    def peak_bytes_without_reuse(self) -> int:
        return self._peak("peak_bytes_without_reuse")

    @property
    def peak_bytes_with_reuse(self) -> int:
        return self._peak("peak_bytes_with_reuse")

    def to_dict(self) -> dict:
        return {
            "function": self.function, "arguments": self.arguments, "skipped": self.skipped,
            "regions": [r.to_dict() for r in self.regions],
            "breaks": [_break_dict(u) for u in self.breaks],
            "op_counts": self.op_counts, "flops": self.flops,
            "peak_bytes_without_reuse": self.peak_bytes_without_reuse,
            "peak_bytes_with_reuse": self.peak_bytes_with_reuse,
        }

    def __str__(self) -> str:
        out = [f"dryrun of {self.function}({', '.join(self.arguments)}): nothing was executed"]
        if self.skipped:
            out.append(f"  not compiled: {self.skipped}")
        out.append(f"regions: {len(self.regions)}")
        for r in self.regions:
            lines = f"lines {r.lines[0]}-{r.lines[1]}" if r.lines else "lines ?"
            head = f"  region {r.number} ({lines}): {r.status}"
            if r.status == UNKNOWN_TYPES:
                head += f" (computed before it: {', '.join(r.unknown_live_ins)})"
            elif r.detail:
                head += f": {r.detail}"
            out.append(head)
            if r.op_counts:
                ops = ", ".join(f"{op} {n}" for op, n in sorted(r.op_counts.items()))
                out.append(f"    ops: {ops}")
                per = " per iteration of a loop of unknown trip count" \
                    if r.flops_per_iteration else ""
                out.append(f"    flops: {_num(r.flops)}{per}")
                for line, trips in r.loops:
                    trips = "?" if trips is None else trips
                    out.append(f"    loop at line {line}: {trips} trips")
            if r.plan is not None and r.plan.assignment:
                p = r.plan
                out.append(f"    memory: {len(p.assignment)} arrays in {len(p.buffers)} buffers; "
                           f"{_bytes(p.peak_bytes_without_reuse)} without reuse, "
                           f"{_bytes(p.peak_bytes_with_reuse)} with reuse")
            if r.unknown:
                out.append(f"    unknown sizes: {', '.join(r.unknown)}")
        out.append(f"breaks: {len(self.breaks)}")
        for u in self.breaks:
            detail = f": {u.detail}" if u.detail else ""
            instr = f" [{u.instr}]" if u.instr else ""
            chain = f" (inlined from {' < '.join(u.inlined_from)})" if u.inlined_from else ""
            out.append(f"  {u.filename}:{u.lineno}: {u.code} {u.reason.title}{detail}{instr}"
                       f"{chain}")
        out.append(f"total: flops {_num(self.flops)}; intermediates "
                   f"{_bytes(self.peak_bytes_without_reuse)} without reuse, "
                   f"{_bytes(self.peak_bytes_with_reuse)} with reuse (largest region)")
        return "\n".join(out)


def _num(n) -> str:
    return f"{n:,}" if isinstance(n, int) else str(n)


def _bytes(b) -> str:
    return f"{b:,} B" if isinstance(b, int) else f"{b} B"


def _break_dict(u: Unsupported) -> dict:
    return {"code": u.code, "title": u.reason.title, "detail": u.detail,
            "filename": u.filename, "lineno": u.lineno, "instruction": u.instr,
            "inlined_from": list(u.inlined_from), "hints": list(u.reason.hints)}


def dryrun(fn, *args, **kwargs) -> DryRun:
    """Analyse ``fn`` for a call ``fn(*args, **kwargs)`` without executing it.

    Arguments may be real values or ``spec(shape, dtype)`` placeholders.  ``fn``
    may be plain or jitted.  See the module docstring for what is reported.
    """
    from pyjit.frontend.analyze import analyze
    from pyjit.frontend.cpython import table

    analysis = getattr(fn, "__pyjit__", None)
    base = analysis.fn if analysis is not None else fn
    if not isinstance(base, types.FunctionType):
        raise TypeError(f"dryrun() expects a Python function, not {type(base).__name__}")
    binding = inspect.signature(base).bind(*args, **kwargs)
    binding.apply_defaults()
    shown = [f"{k}={v!r}" if isinstance(v, Spec) else f"{k}: {typeof(v)}"
             for k, v in binding.arguments.items()]
    name = getattr(base, "__qualname__", repr(base))
    if not table.SUPPORTED or config.disabled():
        why = "pyjit is disabled" if config.disabled() else \
            f"no bytecode table for CPython {table.VERSION_TEXT}"
        return DryRun(name, shown, [], [], skipped=why)
    if analysis is None:
        analysis = analyze(base, config.Options())
    if analysis.skipped is not None:
        return DryRun(name, shown, [], [], skipped=str(analysis.skipped))
    regions = [_region(analysis, r, binding.arguments) for r in analysis.regions]
    return DryRun(name, shown, regions, [b.reason for b in analysis.breaks])


def _region(analysis, region, arguments) -> RegionDryRun:
    from pyjit.ir.infer import infer
    from pyjit.passes import buffers
    from pyjit.passes.cost import worth_compiling
    from pyjit.report import shapes as shapes_mod

    graph = region.graph
    out = RegionDryRun(region.number, region.lines, "compiled", graph=str(graph))
    types, shapes, values, missing = [], [], [], []
    for li in graph.inputs:
        known, value = _live_in(analysis, region, li, arguments)
        if not known:
            missing.append(li.name)
            continue
        t, shape, static = _describe(value)
        types.append(Const(li.static) if li.is_static else t)
        shapes.append(shape)
        values.append(static)
    if missing:
        out.status, out.unknown_live_ins = UNKNOWN_TYPES, missing
        return out
    typed = infer(graph, types)
    if isinstance(typed, Unsupported):
        out.status, out.detail = "eager", str(typed)
        return out
    out.graph = str(typed)
    options = getattr(analysis, "options", None)
    if not (worth_compiling(typed) or getattr(options, "fullgraph", False) or
            config.keep_small_regions()):
        out.status, out.detail = "too small", "scalar code without a loop: left to CPython"
    facts = shapes_mod.propagate(typed, shapes, values)
    out.op_counts = _op_counts(typed)
    _work(typed, facts, out)
    out.plan = buffers.plan(typed, facts)
    out.unknown += [f"%{v.id} ({v.type})" for v in out.plan.unknown]
    return out


def _live_in(analysis, region, li, arguments):
    """(known, value) of a live-in at the region's entry; see the module docstring."""
    fn = analysis.fn
    if li.is_static:
        return True, li.static
    if li.source == "local":
        if li.name in arguments and not _rebound_before(analysis.decoded, li.name, region.start):
            return True, arguments[li.name]
        return False, None
    if li.source == "global":
        if li.name in fn.__globals__:
            return True, fn.__globals__[li.name]
        b = fn.__globals__.get("__builtins__", {})
        b = b if isinstance(b, dict) else b.__dict__
        return (True, b[li.name]) if li.name in b else (False, None)
    freevars = fn.__code__.co_freevars
    if li.name in freevars and fn.__closure__ is not None:
        try:
            return True, fn.__closure__[freevars.index(li.name)].cell_contents
        except ValueError:  # an empty cell
            return False, None
    return False, None


def _rebound_before(d, name: str, start: int) -> bool:
    """Whether a store or ``del`` of local ``name`` may run before control reaches
    instruction ``start`` (on some path from the function's entry)."""
    from bytecode import Instr, TryBegin
    from pyjit.frontend.cpython import table
    stores = [i for i, ins in enumerate(d.instrs) if isinstance(ins, Instr) and
              name in table.stores(ins) + table.deletes(ins)]
    if not stores:
        return False
    handlers = [d.label_index[ins.target] for ins in d.instrs if isinstance(ins, TryBegin)]
    entry = _reach([0] + handlers, d)
    for s in stores:
        if s in entry and start in _reach(d.successors(s) + handlers, d):
            return True
    return False


def _reach(starts, d) -> set:
    seen, todo = set(starts), list(starts)
    while todo:
        for j in d.successors(todo.pop()):
            if j not in seen:
                seen.add(j)
                todo.append(j)
    return seen


def _op_counts(graph) -> dict:
    counts: dict = {}
    for n in graph.nodes():
        if n.op != "const":
            counts[n.op] = counts.get(n.op, 0) + 1
    return dict(sorted(counts.items()))


# --- work --------------------------------------------------------------------

_PRODUCTS = frozenset({"matmul", "imatmul", "np.matmul", "np.dot", "np.inner", "np.vdot"})
_SCANS = frozenset({"np.cumsum", "np.cumprod"})


def _floating(n) -> bool:
    """Whether an operand or the result has a float or complex type (a union
    such as ``float|f64`` counts if a member does)."""
    types = [m for v in list(n.inputs) + list(n.outputs) if v.type is not None
             for m in members(v.type)]
    return any(scalar_dtype(t) is not None and scalar_dtype(t).kind in "fc" for t in types)


def _elements(facts, v):
    """Elements of value ``v``: 1 for a scalar, None if its shape is unknown."""
    from pyjit.report.shapes import size_of
    if isinstance(v.type, Array):
        return size_of(facts.shape(v))
    return 1


def node_flops(n, facts) -> int | None:
    """The floating-point work of one execution of ``n`` (see the module
    docstring), or None when a size it needs is unknown."""
    from pyjit.ir import registry
    if not _floating(n):
        return 0
    op = registry.OPS.get(n.op)
    if n.op in _PRODUCTS:
        out, a = _elements(facts, n.out), n.inputs[0]
        k = facts.shape(a)[-1] if isinstance(a.type, Array) and a.type.ndim else 1
        if n.op == "np.vdot":
            k, out = _elements(facts, a), 1
        return None if out is None or not isinstance(k, int) else 2 * out * k
    if n.op == "np.outer":
        return _elements(facts, n.out)
    if op is not None and (op.reduction or n.op in _SCANS):
        return _elements(facts, n.inputs[0])
    if op is not None and op.elementwise:
        return _elements(facts, n.out)
    if n.op.startswith("math."):
        return 1
    return 0


def _loops(graph, facts):
    """Natural loops: ``(header, body blocks, trip count or None)``.  The trip count
    of a compiled ``range`` loop is the static bound its header compares against."""
    from pyjit.ir.verify import reverse_postorder
    order = reverse_postorder(graph)
    pos = {b: i for i, b in enumerate(order)}
    preds: dict = {b: [] for b in order}
    for b in order:
        for s in b.successors:
            preds[s].append(b)
    loops = []
    for b in order:
        for h in b.successors:
            if pos[h] <= pos[b]:
                body, todo = {h, b}, [b]
                while todo:
                    for p in preds[todo.pop()]:
                        if p not in body:
                            body.add(p)
                            todo.append(p)
                loops.append((h, body, _trips(h, facts)))
    return loops


def _trips(header, facts):
    term = header.term
    if term is None or term.kind != "cbr":
        return None
    cond = next((n for n in header.nodes if term.cond in n.outputs), None)
    if cond is None or cond.op != "lt":
        return None
    bound = facts.value(cond.inputs[1])
    return bound if type(bound) is int else None


def _work(graph, facts, out: RegionDryRun) -> None:
    from pyjit.ir.verify import reverse_postorder
    loops = _loops(graph, facts)
    for h, _, trips in loops:
        line = next((n.loc[1] for n in h.nodes if n.loc is not None), None)
        out.loops.append((line, trips))
    total = 0
    for b in reverse_postorder(graph):
        times = 1
        for _, body, trips in loops:
            if b in body:
                if trips is None:
                    out.flops_per_iteration = True
                else:
                    times *= trips
        for n in b.nodes:
            w = node_flops(n, facts)
            if w is None:
                out.unknown.append(f"{n.op} %{n.out.id}")
            else:
                total += w * times
    out.flops = total


__all__ = ["dryrun", "spec", "Spec", "DryRun", "RegionDryRun", "node_flops", "UNKNOWN_TYPES"]
