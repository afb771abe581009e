"""Buffer-reuse planning: which arrays of a typed region can share memory.

    >>> p = plan(typed_graph, [(10**6,), (10**6,), (10**6,)])
    >>> p.peak_bytes_without_reuse, p.peak_bytes_with_reuse
    (24000000, 16000000)

Requires a typed graph (``ir.infer``); changes nothing in it.  Guarantees: two
values given the same buffer are never live at the same position, and a
buffer is only handed to a value no larger than the buffer.

The model
---------
*Storage.*  Every node whose result is an array it allocates (an elementwise
op, a reduction to an array, a product, ``np.zeros`` …) is a **root**: it needs
a buffer.  Other array values do not allocate; each *may alias* a set of roots
(``aliases``):

- views of an input (``a.T``, ``a[1:]``, ``a.reshape(…)``, ``a.ravel()``,
  ``a.real`` …; see ``view_source``) alias what their source aliases.  A
  reshape or ravel copies when it cannot make a view; counting it as a view
  only lengthens its source's life, which is safe;
- an in-place op (``a += b``: the op ``mutates`` its first input) returns ``a``;
- a block parameter aliases what every incoming argument aliases, a tuple what
  its items alias, ``tuple_get`` what the tuple aliases;
- live-ins and array constants are roots the region does not allocate: they
  are never given to another value.

*Sizes* are ``itemsize × number of elements``, from ``report.shapes``: an ``int``
for concrete shapes, a ``Size`` monomial over symbolic dimensions (``8·a.0·a.1``)
when only types are known.  Sizes over different symbols are not comparable,
so such values never share; a value of unknown size gets a buffer of its own.

*Live ranges.*  Blocks are laid out in reverse post-order, and every block
parameter list, node and terminator gets a position.  A value is live at a
position when a later use may read it: SSA liveness over the CFG, with the
arguments of a branch used at the branch and the values of an exit used by
every node that may take it (``node.exit``: the LLVM backend may bail out of any
node, an allocation failing included) and by the terminator that leaves
through it.  So a value used inside a loop and defined before it is live over
the whole loop, and a value stored at an exit is live up to it; a named local
stays live until the last statement whose resume exit stores it (an exit stores
a local only where the code after it may read it: Note [dead locals at exits]
in pyjit/frontend/decode.py).  A root's
range is the hull ``[first, last]`` of the positions where it, or any value that
may alias it, is live.

*Sharing.*  Roots are visited by definition position; each takes the smallest
free buffer of its own size or larger whose occupants' ranges all ended before
it is defined (so an op never writes its result over an operand it reads, even
one it is the last reader of: that, numpy's temporary elision, is what the
backend does at O2, reuse.py, and this plan does not count it).
These roots get a **dedicated** buffer, shared with nothing (``Buffer.reason``):

- ``live-out``: returned, or stored at a normal exit (``end``, ``jump``,
  ``return``), so handed to CPython; a value stored only at *resume* exits leaves
  the region only on a bailout, after which no region code runs, so it may share;
- ``mutated``: written in place after its definition (``x[i] = v``, ``x += y``);
- ``loop-carried``: a value of the previous iteration that aliases it is still
  live where it is recomputed (``x = x * 2`` in a loop, or ``x`` stored at a
  resume exit of a later statement, where it is read again): each iteration
  needs a fresh allocation,
  and two instances exist at once (counted twice in every figure);
- ``unknown size``.

*Figures.*  ``peak_bytes_without_reuse``: every root its own buffer, all of them
held for the whole region (an allocation per value, none freed early).
``peak_bytes_with_reuse``: the sum of the planned buffers.  ``max_live_bytes``:
the largest sum of sizes of roots live at one position, a lower bound for any
plan.  Each is an ``int`` when every size is, a ``Bytes`` polynomial when sizes
are symbolic (``Bytes.evaluate(env)``), and leaves out roots of unknown size
(``unknown``); ``max_live_bytes`` is None when sizes are symbolic.
"""
from __future__ import annotations

from dataclasses import dataclass, field
import math

from pyjit.ir import registry
from pyjit.ir.types import Array, TupleT, UnionT
from pyjit.ir.verify import reverse_postorder
from pyjit.report import shapes as shapes_mod
from pyjit.report.shapes import ShapeFacts, Sym

from . import graphutil


# --- sizes ---------------------------------------------------------------------

@dataclass(frozen=True)
class Size:
    """``coef × product of syms``: a byte count over symbolic dimensions."""

    coef: int
    syms: tuple = ()

    @staticmethod
    def of(shape, itemsize: int) -> "Size | None":
        if shape is None or any(d is None for d in shape):
            return None
        coef = itemsize * math.prod(d for d in shape if isinstance(d, int))
        syms = tuple(sorted((d for d in shape if isinstance(d, Sym)), key=str))
        return Size(coef, syms if coef else ())

    def fits_in(self, other: "Size") -> bool:
        return self.syms == other.syms and self.coef <= other.coef

    def evaluate(self, env: dict) -> int:
        return self.coef * math.prod(s.evaluate(env) for s in self.syms)

    def __str__(self) -> str:
        return "*".join([str(self.coef)] + [str(s) for s in self.syms])


class Bytes:
    """A sum of ``Size`` monomials; ``int(...)`` of it when it has no symbols."""

    def __init__(self, terms=None):
        self.terms: dict = dict(terms or {})

    def add(self, size: Size, times: int = 1) -> "Bytes":
        self.terms[size.syms] = self.terms.get(size.syms, 0) + size.coef * times
        return self

    def simplify(self):
        """An ``int`` when no term has a symbol, else ``self``."""
        if all(not syms for syms in self.terms):
            return sum(self.terms.values())
        return self

    def evaluate(self, env: dict) -> int:
        return sum(Size(c, s).evaluate(env) for s, c in self.terms.items())

    def __str__(self) -> str:
        parts = [str(Size(c, s)) for s, c in sorted(self.terms.items(), key=str) if c]
        return " + ".join(parts) or "0"

    __repr__ = __str__


# --- aliasing ----------------------------------------------------------------

# Ops whose array result is (or may be) a view of input 0.  The registry has
# no "view" property yet; this table is the one place that knows.
_VIEW_OPS = frozenset({"attr.T", "attr.real", "attr.imag", "array.reshape", "np.reshape",
                       "np.ravel", "check_bound"})


def view_source(node) -> int | None:
    """The index of the input whose memory ``node``'s result may share, or None."""
    if node.op in _VIEW_OPS:
        return 0
    if node.op == "array.conjugate":   # a real array's conjugate is the array itself
        return 0 if node.inputs[0].type.dtype.kind != "c" else None
    if node.op == "getitem":
        return None if _advanced(node.inputs[1].type) else 0
    op = registry.OPS.get(node.op)
    if op is not None and op.mutates and isinstance(node.out.type, Array):
        return list(op.args).index(op.mutates[0])
    return None


def _advanced(idx) -> bool:
    """Whether an index selects by array (or bool): numpy copies then."""
    items = idx.items if isinstance(idx, TupleT) else (idx,)
    return any(isinstance(t, Array) and t.ndim > 0 or str(t) in ("bool", "b1") for t in items)


_holds_arrays = graphutil.holds_arrays


# --- the plan ------------------------------------------------------------------

@dataclass
class Buffer:
    """One allocation: its size, the roots it holds in turn, and why it is not
    shared when it is dedicated."""

    id: int
    size: Size | None
    occupants: list = field(default_factory=list)
    reason: str = ""          # "", "live-out", "mutated", "loop-carried", "unknown size"
    end: int = -1


@dataclass
class BufferPlan:
    """The result of ``plan``; see the module docstring for every field's meaning.

    ``assignment`` maps each allocating value (root) to its ``Buffer``;
    ``aliases`` maps every array-holding value to the roots it may alias
    (live-ins included); ``live`` maps each root to its range ``(first, last)``.
    """

    assignment: dict
    buffers: list
    aliases: dict
    live: dict
    sizes: dict
    unknown: list
    peak_bytes_without_reuse: object
    peak_bytes_with_reuse: object
    max_live_bytes: object

    def __str__(self) -> str:
        lines = [f"buffers: {len(self.buffers)} for {len(self.assignment)} arrays; "
                 f"bytes without reuse {self.peak_bytes_without_reuse}, with reuse "
                 f"{self.peak_bytes_with_reuse}"]
        for b in self.buffers:
            who = ", ".join(f"%{v.id}" for v in b.occupants)
            why = f" ({b.reason})" if b.reason else ""
            size = b.size if b.size is not None else "?"
            lines.append(f"  buffer {b.id}: {size} bytes: {who}{why}")
        return "\n".join(lines)


def plan(graph, shapes=None) -> BufferPlan:
    """Plan the buffers of the typed ``graph``.

    ``shapes``: a ``ShapeFacts`` (``report.shapes.propagate``), or a list of the
    live-ins' shapes (None for non-arrays), or None for symbolic shapes.
    """
    if not isinstance(shapes, ShapeFacts):
        shapes = shapes_mod.propagate(graph, shapes)
    order = reverse_postorder(graph)
    aliases, roots = aliases_of(graph, order)
    positions, live_at = _liveness(graph, order)
    live = _ranges(roots, aliases, live_at, positions)
    escaping = _escaping(graph, aliases)
    mutated = _mutated(graph, aliases)
    sizes = {r: Size.of(shapes.shape(r), r.type.dtype.itemsize) if isinstance(r.type, Array)
             else None for r in roots}
    carried = {r for r in roots if _loop_carried(r, aliases, live_at, positions)}

    buffers, assignment = [], {}
    for r in sorted(roots, key=lambda v: (positions[v], v.id)):
        reason = ("live-out" if r in escaping else "mutated" if r in mutated else
                  "loop-carried" if r in carried else "unknown size" if sizes[r] is None else "")
        start, end = live[r]
        chosen = None
        if not reason:
            free = [b for b in buffers
                    if not b.reason and b.end < start and sizes[r].fits_in(b.size)]
            chosen = min(free, key=lambda b: (b.size.coef, b.id), default=None)
        if chosen is None:
            chosen = Buffer(len(buffers), sizes[r], reason=reason)
            buffers.append(chosen)
        chosen.occupants.append(r)
        chosen.end = max(chosen.end, end)
        assignment[r] = chosen

    unknown = [r for r in roots if sizes[r] is None]
    without, with_ = Bytes(), Bytes()
    for r in roots:
        if sizes[r] is not None:
            without.add(sizes[r], 2 if r in carried else 1)
    for b in buffers:
        if b.size is not None:
            with_.add(b.size, 2 if any(r in carried for r in b.occupants) else 1)
    return BufferPlan(assignment, buffers, aliases, live, sizes, unknown,
                      without.simplify(), with_.simplify(),
                      _max_live(roots, sizes, carried, live))


def aliases_of(graph, order):
    """``{value: frozenset(roots)}`` for every array-holding value, and the roots
    the region allocates (live-ins and array constants are roots it does not)."""
    aliases: dict = {}
    roots: dict = {}     # insertion-ordered set
    live_ins = {li.value for li in graph.inputs}
    for v in live_ins:
        if _holds_arrays(v.type):
            aliases[v] = frozenset({v})
    incoming: dict = {}
    for b in order:
        for target, args in b.term.targets:
            for p, a in zip(target.params, args):
                incoming.setdefault(p, []).append(a)
    # Parameters join over back edges: sweep until nothing grows.
    changed = True
    while changed:
        changed = False
        for b in order:
            for p in b.params:
                if p in live_ins or not _holds_arrays(p.type):
                    continue
                s = frozenset().union(*(aliases.get(a, frozenset()) for a in incoming.get(p, ())))
                if aliases.get(p) != s:
                    aliases[p] = s
                    changed = True
            for n in b.nodes:
                for out in n.outputs:
                    if not _holds_arrays(out.type):
                        continue
                    s = _node_aliases(n, aliases) if len(n.outputs) == 1 else None
                    if s is None:
                        s = frozenset({out})
                        if n.op != "const":
                            roots[out] = None
                    if aliases.get(out) != s:
                        aliases[out] = s
                        changed = True
    return aliases, list(roots)


def gathers(n) -> bool:
    """Whether ``n``'s result holds its inputs' arrays themselves (a tuple)."""
    return n.op == "build_tuple" or n.op == "tuple_get"


def _node_aliases(n, aliases):
    """The roots ``n``'s result may alias, or None when it allocates."""
    if gathers(n):
        return frozenset().union(*(aliases.get(v, frozenset()) for v in n.inputs))
    k = view_source(n)
    if k is None:
        return None
    return aliases.get(n.inputs[k], frozenset())


def _liveness(graph, order):
    """Positions of every definition, and the values live at each position."""
    positions, pos = {}, 0
    layout = []
    for b in order:
        start = pos
        for p in b.params:
            positions[p] = start
        pos += 1
        node_pos = []
        for n in b.nodes:
            for o in n.outputs:
                positions[o] = pos
            node_pos.append(pos)
            pos += 1
        layout.append((b, start, node_pos, pos))
        pos += 1
    live_in = graphutil.live_in(graph, order)
    live_at: dict = {}
    for b, start, node_pos, term_pos in layout:
        live = set().union(*(live_in[s] for s in b.successors if s in live_in))
        live |= set(graphutil.term_uses(graph, b.term))
        live_at[term_pos] = set(live)
        for n, p in zip(reversed(b.nodes), reversed(node_pos)):
            live -= set(n.outputs)
            live |= set(graphutil.node_uses(graph, n))
            live_at[p] = live | set(n.outputs)
        live_at[start] = (live - set(b.params)) | set(b.params)
    return positions, live_at


def _ranges(roots, aliases, live_at, positions):
    """Each root's hull of positions where it or a value aliasing it is live."""
    spots: dict = {r: [positions[r]] for r in roots}
    for p, values in live_at.items():
        for v in values:
            for r in aliases.get(v, ()):
                if r in spots:
                    spots[r].append(p)
    return {r: (min(ps), max(ps)) for r, ps in spots.items()}


def _escaping(graph, aliases) -> set:
    out = set()
    for e in graph.exits:
        if e.kind != "resume":
            for v in e.all_values():
                out |= aliases.get(v, frozenset())
    return out


def _mutated(graph, aliases) -> set:
    out = set()
    for n in graph.nodes():
        op = registry.OPS.get(n.op)
        if op is None:
            continue
        for name in op.mutates:
            out |= aliases.get(n.inputs[list(op.args).index(name)], frozenset())
    return out


def _loop_carried(r, aliases, live_at, positions) -> bool:
    """Whether another value that may alias ``r`` is live where ``r`` is defined
    (it can only hold ``r``'s value from an earlier iteration)."""
    return any(v is not r and r in aliases.get(v, ()) for v in live_at[positions[r]])


def _max_live(roots, sizes, carried, live):
    if any(s is not None and s.syms for s in sizes.values()):
        return None
    if not roots:
        return 0
    best = 0
    for p in sorted({s for s, _ in live.values()}):
        total = sum(sizes[r].coef * (2 if r in carried else 1) for r in roots
                    if sizes[r] is not None and live[r][0] <= p <= live[r][1])
        best = max(best, total)
    return best


__all__ = ["plan", "BufferPlan", "Buffer", "Size", "Bytes", "view_source", "aliases_of", "gathers"]
