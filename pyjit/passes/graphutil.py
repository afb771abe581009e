"""What the passes ask about a typed graph: uses, dominators, loops, and what a node may do.

    >>> counts = use_counts(graph)            # value -> number of uses (nodes, branches, exits)
    >>> idom = dominators(graph)              # block -> immediate dominator (entry -> None)
    >>> for loop in natural_loops(graph): loop.header, loop.blocks, loop.preheader

Note [what a pass may move]
    A node's ``exit`` names the resume exit of its statement; the LLVM backend
    takes it when a check fails (bounds, overflow, a failed allocation).  The
    values that exit stores are those at the statement's start, so a node that
    can take its exit must stay where those values are defined: such nodes are
    never hoisted and never deleted (deleting one would also drop an exception
    CPython raises).  ``can_raise`` answers per types, not per op: ``add`` on two
    Python floats cannot fail; on Python ints it can overflow 64 bits; on arrays it can
    fail to broadcast or to allocate; with a numpy float result it bails out on
    the floating-point flags numpy warns about (Note [numpy's floating-point
    warnings] in backends/llvm/cgutils.py).  Any op reading an array (but its
    attributes) counts as one that can fail: a backend may leave a reduction
    through its exit even where numpy would not raise (the LLVM sum bails out to
    numpy on a NaN).
"""
from __future__ import annotations


from pyjit.record import field, record
from pyjit.ir.registry import OPS
from pyjit.ir.types import Array, NpScalar, PyScalar, TupleT, UnionT

# Ops that cannot fail on float or numpy-scalar operands (numpy scalar ints wrap).
_TOTAL_ON_FLOATS = frozenset({"add", "sub", "mul", "neg", "pos", "abs", "lt", "le", "eq", "ne",
                              "gt", "ge", "not_", "truth", "min", "max"})
_TOTAL_ON_INTS = frozenset({"lt", "le", "eq", "ne", "gt", "ge", "not_", "truth"})


def is_scalar(t) -> bool:
    return isinstance(t, (PyScalar, NpScalar))


def _floatish(t) -> bool:
    if isinstance(t, PyScalar):
        return t.name in ("float", "bool")
    return isinstance(t, NpScalar)  # numpy scalars: floats never raise, ints wrap


def is_pure(node) -> bool:
    """No side effect: the node can be removed or merged if nothing else stops it."""
    op = OPS[node.op]
    return op.pure and not op.mutates and node.op != "setitem"


def can_raise(node) -> bool:
    """Whether the node can take its resume exit; see Note [what a pass may move]."""
    op = OPS[node.op]
    if any(isinstance(o.type, Array) for o in node.outputs):
        return True  # allocation, broadcasting
    if op.elementwise and any(isinstance(o.type, NpScalar) and o.type.dtype.kind == "f"
                              for o in node.outputs):
        return True  # numpy reacts to its FP flags: a bailout (backends/llvm/cgutils.py)
    if not node.op.startswith("attr.") and any(isinstance(v.type, Array) for v in node.inputs):
        return True  # reading arrays: bounds, and the backend may bail out (a NaN in a sum)
    if not op.may_raise:
        return False
    types = [v.type for v in node.inputs]
    if node.op in _TOTAL_ON_FLOATS and types and all(_floatish(t) for t in types):
        return False
    if node.op in _TOTAL_ON_INTS and types and all(is_scalar(t) for t in types):
        return False
    return True


def reads_memory(node) -> bool:
    """The result depends on array contents, which a mutating op may change."""
    return any(isinstance(v.type, (Array, TupleT)) for v in node.inputs)


def mutates(node) -> bool:
    op = OPS[node.op]
    return bool(op.mutates) or node.op == "setitem" or not op.pure


def values_used(graph):
    """Every use of a value: node inputs, branch conditions and arguments, exits."""
    for b in graph.blocks:
        for n in b.nodes:
            yield from n.inputs
        if b.term is not None:
            if b.term.cond is not None:
                yield b.term.cond
            for _, args in b.term.targets:
                yield from args
    for e in graph.exits:
        yield from e.all_values()


def use_counts(graph) -> dict:
    counts: dict = {}
    for v in values_used(graph):
        if v is not None:
            counts[v] = counts.get(v, 0) + 1
    return counts


def replace_uses(graph, mapping: dict) -> None:
    """Replace every use of ``old`` by ``mapping[old]`` (chains are followed)."""
    if not mapping:
        return

    def m(v):
        while v in mapping:
            v = mapping[v]
        return v

    for b in graph.blocks:
        for n in b.nodes:
            n.inputs = [m(v) if v is not None else None for v in n.inputs]
        t = b.term
        if t is not None:
            if t.cond is not None:
                t.cond = m(t.cond)
            t.targets = [(tb, [m(a) for a in args]) for tb, args in t.targets]
    for e in graph.exits:
        e.values = [m(v) for v in e.values]
        for item in e.stack:
            item.values = [m(v) for v in item.values]


def holds_arrays(t) -> bool:
    """Whether a value of type ``t`` may hold an array (``f64[?]|undef`` may)."""
    if isinstance(t, UnionT):
        return any(holds_arrays(m) for m in t.members)
    if isinstance(t, Array):
        return True
    return isinstance(t, TupleT) and any(holds_arrays(i) for i in t.items)


def may_be_inputs(graph) -> dict:
    """Array value -> the live-in indexes it may be *itself* (not a view of):
    the live-ins, the results of in-place ops on them (``a += b`` returns ``a``),
    and block parameters some incoming argument of which may be one (``x`` after
    a loop of ``x = x * 2`` is the argument if the loop ran no iteration); for a
    built tuple, a tuple of its items' answers."""
    maybe = {li.value: frozenset([i]) for i, li in enumerate(graph.inputs)
             if isinstance(li.value.type, Array)}
    inplace = [n for n in graph.nodes() if OPS[n.op].mutates and n.inputs and
               isinstance(n.outputs[0].type, Array) and isinstance(n.inputs[0].type, Array)]
    incoming = graph.incoming()
    changed = True
    while changed:
        changed = False
        pairs = [(n.outputs[0], [n.inputs[0]]) for n in inplace] + list(incoming.items())
        for v, sources in pairs:
            old = maybe.get(v, frozenset())
            new = old.union(*(maybe.get(a, frozenset()) for a in sources if isinstance(maybe.get(a), frozenset)))
            if new != old:
                maybe[v] = new
                changed = True
    for n in graph.nodes():  # a tuple: what each item may be
        if n.op == "build_tuple" and any(x in maybe for x in n.inputs):
            maybe[n.outputs[0]] = tuple(maybe.get(x, frozenset()) for x in n.inputs)
    return maybe


def input_spec(maybe: dict, v):
    """``may_be_inputs``'s answer for ``v`` as boxing plans take it: sorted live-in
    indexes for an array, a tuple of such per item for a tuple."""
    def spec(m):
        return tuple(spec(x) for x in m) if isinstance(m, tuple) else tuple(sorted(m))
    return spec(maybe.get(v, frozenset()))


def node_uses(graph, n) -> list:
    """The values node ``n`` reads: its inputs, and the values of its exit (a node
    may take its statement's resume exit, Note [what a pass may move])."""
    vals = list(n.inputs)
    if n.exit is not None:
        vals += graph.exits[n.exit].all_values()
    return vals


def term_uses(graph, term) -> list:
    """The values a terminator reads: its condition, its targets' arguments, the
    values of the exit it leaves through."""
    vals = [term.cond] if term.cond is not None else []
    for _, args in term.targets:
        vals += args
    if term.kind == "exit":
        vals += graph.exits[term.exit].all_values()
    return vals


def live_in(graph, order) -> dict:
    """SSA liveness: block -> the values live on entry to it, its own parameters
    excluded (they are defined at its start).  ``order`` is the blocks to analyse
    (reachable ones; reverse post-order converges fastest)."""
    live_at = {b: set() for b in order}
    changed = True
    while changed:
        changed = False
        for b in reversed(order):
            live = set().union(*(live_at[s] for s in b.successors if s in live_at))
            live |= set(term_uses(graph, b.term))
            for n in reversed(b.nodes):
                live -= set(n.outputs)
                live |= set(node_uses(graph, n))
            live -= set(b.params)
            live.discard(None)
            if live != live_at[b]:
                live_at[b] = live
                changed = True
    return live_at


def predecessors(graph) -> dict:
    preds = {b: [] for b in graph.blocks}
    for b in graph.blocks:
        for s in b.successors:
            if s in preds:
                preds[s].append(b)
    return preds


def reachable(graph) -> list:
    seen, order, stack = set(), [], [graph.entry]
    while stack:
        b = stack.pop()
        if b in seen:
            continue
        seen.add(b)
        order.append(b)
        stack.extend(reversed(b.successors))
    return [b for b in graph.blocks if b in seen]


def dominators(graph) -> dict:
    """Immediate dominators (Cooper, Harvey and Kennedy's iterative algorithm)."""
    blocks = reachable(graph)
    rpo = _reverse_postorder(graph)
    index = {b: i for i, b in enumerate(rpo)}
    preds = predecessors(graph)
    idom = {graph.entry: graph.entry}

    def intersect(a, b):
        while a is not b:
            while index[a] > index[b]:
                a = idom[a]
            while index[b] > index[a]:
                b = idom[b]
        return a

    changed = True
    while changed:
        changed = False
        for b in rpo[1:]:
            done = [p for p in preds[b] if p in idom]
            if not done:
                continue
            new = done[0]
            for p in done[1:]:
                new = intersect(p, new)
            if idom.get(b) is not new:
                idom[b] = new
                changed = True
    idom[graph.entry] = None
    return {b: idom.get(b) for b in blocks}


def _reverse_postorder(graph) -> list:
    seen, post = set(), []

    def visit(b):
        stack = [(b, iter(b.successors))]
        seen.add(b)
        while stack:
            blk, it = stack[-1]
            nxt = next((s for s in it if s not in seen), None)
            if nxt is None:
                post.append(blk)
                stack.pop()
            else:
                seen.add(nxt)
                stack.append((nxt, iter(nxt.successors)))

    visit(graph.entry)
    return post[::-1]


def dominator_children(idom: dict) -> dict:
    kids = {b: [] for b in idom}
    for b, d in idom.items():
        if d is not None:
            kids[d].append(b)
    return kids


def dominates(idom: dict, a, b) -> bool:
    while b is not None:
        if b is a:
            return True
        b = idom.get(b)
    return False


@record
class Loop:
    header: object
    blocks: set = field(default_factory=set)
    preheader: object = None  # the single outside predecessor ending in ``br``, if any


def natural_loops(graph) -> list:
    """Loops from back edges (an edge to a block that dominates its source),
    innermost last; one ``Loop`` per header."""
    idom = dominators(graph)
    preds = predecessors(graph)
    loops: dict = {}
    for b in idom:
        for s in b.successors:
            if s in idom and dominates(idom, s, b):
                loop = loops.setdefault(s, Loop(s, {s}))
                work = [b]
                while work:
                    x = work.pop()
                    if x not in loop.blocks:
                        loop.blocks.add(x)
                        work.extend(preds[x])
    for loop in loops.values():
        outside = [p for p in preds[loop.header] if p not in loop.blocks]
        if len(outside) == 1 and outside[0].term.kind == "br":
            loop.preheader = outside[0]
    return sorted(loops.values(), key=lambda lp: -len(lp.blocks))
