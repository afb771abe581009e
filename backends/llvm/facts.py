"""Facts about a graph's integers that let the lowering skip checks that cannot fail.

Python ints are i64 with an overflow check on every operation (a failed check
bails out, Note [exits carry state]).  A ``for i in range(...)`` loop would then
pay a check for the counter's ``k + 1`` and two for ``start + k * step`` on
every iteration, and a negative-index wrap on every ``a[i]``.  ``Facts(graph)``
proves the few facts that remove those costs without changing what any check
guards:

``nonneg(v)``
    ``v < 0`` is never true.  For a float: a literal, ``x * x``, or a sum,
    product, square root or absolute value of such floats (NaN and ``-0.0``
    may occur: neither is ``< 0``); ``math.sqrt`` then needs no domain check.
    For an ``int``, ``v`` is never negative: a literal ``>= 0``, a length,
    a shape item, a sum or product of such values, a range item with a
    non-negative start and step, or a block parameter all of whose incoming
    values are non-negative (an optimistic fixpoint, so loop counters qualify).
    ``a[v]`` then needs no negative-index wrap (the bounds check stays).

``last_items()``
    The loop variable of a ``for x in range(...)`` loop as the header sees it
    (the previous iteration's item), recomputed from the counter instead of
    carried: Note [last item].

``guarded(node)``
    ``node`` is the loop counter's ``k + 1`` or the loop item
    ``range_item(start, step, k)`` of a ``range`` loop header, and cannot
    overflow whenever its result is used.  See Note [guarded range arithmetic].
    Also an ``item + 1`` of such an item, and ``x - c`` of a non-negative ``x``
    (a stencil's ``j + 1``, ``j - 1``, ``a.shape[0] - 1``), which cannot
    overflow: Note [item offsets].  A range loop's variable at the header is
    recomputed from the counter: Note [last item].

Note [guarded range arithmetic]
    The frontend lowers ``FOR_ITER`` over a range to a header block computing
    ``more = k < n``, ``k + 1`` and ``range_item(start, step, k)`` and then
    branching on ``more`` (pyjit/frontend/handlers.py, ``for_iter_step``); the
    two values are passed only to the loop body.  When they are used, ``k < n``
    holds, so

    * ``k + 1 <= n <= 2**63 - 1``: no overflow, lowered as ``add nsw``;
    * if ``n`` is ``range_len(start, stop, step)`` of the same ``start`` and
      ``step`` and ``k >= 0``, the item lies between ``start`` and ``stop``,
      two i64s, so it fits: two's-complement ``start + k * step`` is exact even
      where the product alone wraps (``range(-2**63, 2**63 - 1, 2**62)``).  With
      a literal step of 1 the sum cannot wrap either and carries ``nsw``.

    The same holds for a ``k + 1`` (or ``k += 1``) in any block the true
    target dominates: it runs only after ``k < n`` held (a ``while k < n``
    loop's counter, mandelbrot's iteration count), and for a block parameter
    every incoming value of which was tested ``< n`` on its edge
    (``_counters_below``).

    When ``k == n`` (the loop's last test) the values may wrap, but no
    instruction sees them: that is why every use must be an argument of the
    header's true branch or in a block it dominates (exits included: an exit's
    state is read where a node bails out).  Anything else (a use in the header
    itself, after the loop) keeps the checked form.  The proof looks
    at the graph as the lowering gets it, so a pass that moves these nodes
    simply loses the fact, never the check.

Note [last item]
    In ``for j in range(start, stop, step)`` the header of the loop has the
    counter ``k`` (``0`` on entry, ``k + 1`` from every back edge) and a
    parameter ``j`` for the Python variable: its value on entry, then the
    previous iteration's item ``range_item(start, step, k)``.  ``j`` is
    mostly read by exits only (the state CPython resumes with), but as a phi
    it is a second induction variable one iteration behind ``k``, which LLVM
    keeps in registers and copies on every iteration.  When ``start`` and
    ``step`` are defined outside the loop (a block strictly dominating the
    header), the header has one entry edge passing ``k = 0`` and every back
    edge passes ``k + 1`` and the item, then at the header ``j`` is exactly
    ``k == 0 ? entry value : start + (k - 1) * step``: the item of iteration
    ``k - 1`` was computed without bailing out, so it fits in an i64 and the
    wrapping i64 arithmetic gives it exactly.  ``k`` never wraps back to 0
    (``k + 1`` is checked, or guarded by ``k < n``).  The lowering computes
    ``j`` so (lower.py), and LLVM sinks the computation into the exits.

Note [item offsets]
    A guarded item of a range with a literal step ``> 0`` satisfies
    ``start <= item < stop`` wherever it is used (Note [guarded range
    arithmetic]).  So ``item + c`` cannot overflow for ``c`` in ``{0, 1}``
    (``item + 1 <= stop <= 2**63 - 1``).  And ``x - c`` for a literal ``c`` in
    ``[0, 2**62]`` cannot when ``x`` is non-negative (``nonneg``; a range item
    with a non-negative start and step is): ``x - c >= -2**62``.  Such an
    addition is lowered ``nsw`` with no overflow check: in ``out[i, j] =
    u[i, j - 1] + u[i, j + 1]`` the check would keep LLVM from vectorizing
    the loop.  A larger offset (``j + 2``) keeps its check.
"""
from __future__ import annotations

from pyjit.ir.types import BOOL, FLOAT, INT, NpScalar, UnionT, members
from pyjit.ir.verify import _dominators

# Ops whose int result is >= 0 whenever their int inputs are (checked arithmetic:
# when the op does not bail out, the result is the exact mathematical one).
_MONOTONE = frozenset({"add", "iadd", "mul", "imul", "floordiv", "ifloordiv"})
# Ops whose lowerings never branch to the node's exit (a hoisted literal keeps
# the exit of the statement it came from).
_NEVER_BAIL = frozenset({"const", "build_tuple", "tuple_get", "attr.shape", "attr.ndim",
                         "attr.size", "attr.dtype", "attr.T", "unpack_check"})
_ALWAYS_NONNEG = frozenset({"range_len", "len", "attr.size", "attr.ndim"})


class Facts:
    def __init__(self, graph, producers: dict, dom: dict | None = None):
        self.graph = graph
        self.producers = producers
        self._nonneg = _nonneg_values(graph, producers)
        self._guarded = _guarded_nodes(graph, producers, self._nonneg, dom)
        self._guarded |= _item_offsets(graph, producers, self._nonneg, self._guarded)

    def nonneg(self, v) -> bool:
        return v in self._nonneg

    def guarded(self, node) -> bool:
        return node in self._guarded


def const_value(producers: dict, v):
    n = producers.get(v)
    if n is not None and n.op == "const":
        return n.attrs.get("value")
    return None


def _is_int(v) -> bool:
    return v.type == INT


def _is_float(v) -> bool:
    """A Python float, a numpy float, or a union of those (no ``undef``)."""
    ms = members(v.type) if isinstance(v.type, UnionT) else [v.type]
    return all(m == FLOAT or isinstance(m, NpScalar) and m.dtype.kind == "f" for m in ms)


def _is_num(v) -> bool:
    return _is_int(v) or _is_float(v)


def _nonneg_values(graph, producers) -> set:
    incoming = graph.incoming()
    # Optimistic: every int block parameter with incoming values starts as
    # non-negative; one with a possibly negative incoming value is dropped.
    params = {p for p in incoming if _is_num(p)}
    while True:
        known = set(params)
        for blk in graph.blocks:
            for n in blk.nodes:
                out = n.outputs[0]
                if _is_int(out) and _node_nonneg(n, known, producers) or \
                        _is_float(out) and _float_nonneg(n, known):
                    known.add(out)
        dropped = {p for p in params if not all(a in known for a in incoming[p])}
        if not dropped:
            return known
        params -= dropped


def _node_nonneg(n, known, producers) -> bool:
    if n.op == "const":
        v = n.attrs.get("value")
        return type(v) is int and v >= 0
    if n.op in _ALWAYS_NONNEG:
        return True
    if n.op in ("getitem", "tuple_get"):
        src = producers.get(n.inputs[0])
        return src is not None and src.op == "attr.shape"
    if n.op in _MONOTONE:
        return all(_is_int(v) and v in known for v in n.inputs)
    if n.op == "range_item":
        return all(_is_int(v) and v in known for v in n.inputs)
    return False


def _use_sites(graph) -> dict:
    """For each value, the blocks where it is used: by a node, a terminator, or
    the state of an exit taken from that block.  A use as an argument of a
    ``cbr``'s true branch is recorded as ``(block, "true")``."""
    exit_blocks: dict = {}
    for blk in graph.blocks:
        for n in blk.nodes:
            if n.exit is not None and n.op not in _NEVER_BAIL:
                exit_blocks.setdefault(n.exit, set()).add(blk)
        if blk.term is not None and blk.term.kind == "exit":
            exit_blocks.setdefault(blk.term.exit, set()).add(blk)
    sites: dict = {}
    for blk in graph.blocks:
        for n in blk.nodes:
            for v in n.inputs:
                sites.setdefault(v, set()).add(blk)
        t = blk.term
        if t is None:
            continue
        if t.cond is not None:
            sites.setdefault(t.cond, set()).add(blk)
        for i, (_, args) in enumerate(t.targets):
            for v in args:
                where = (blk, "true") if t.kind == "cbr" and i == 0 else blk
                sites.setdefault(v, set()).add(where)
    for k, e in enumerate(graph.exits):
        if k not in exit_blocks:
            continue  # never taken: its values are never stored
        for v in e.all_values():
            sites.setdefault(v, set()).update(exit_blocks[k])
    return sites


def _float_nonneg(n, known) -> bool:
    """``x < 0`` is never true of the float ``n`` computes (it may be NaN or -0.0)."""
    if n.op == "const":
        v = n.attrs.get("value")
        return isinstance(v, float) and not v < 0.0
    ins = n.inputs
    if n.op in ("mul", "imul") and len(ins) == 2 and ins[0] is ins[1] and _is_float(ins[0]):
        return True  # x * x
    if n.op in ("add", "iadd", "mul", "imul"):  # no -inf, no negative finite value
        return all(_is_float(v) and v in known for v in ins)
    return n.op in ("math.sqrt", "np.sqrt", "abs", "math.fabs", "np.abs", "np.fabs") and \
        all(_is_float(v) for v in ins)


def _guarded_nodes(graph, producers, nonneg, dom=None) -> set:
    """Nodes of a ``k < n`` header whose every use runs only after the header took
    its true branch: every use site is the true branch's arguments or a block
    dominated by the true target, and that target has the header as its only
    predecessor (so the most recent run of the header branched there)."""
    preds: dict = {}
    for blk in graph.blocks:
        if blk.term is not None:
            for target, _ in blk.term.targets:
                preds.setdefault(target, []).append(blk)
    dom = dom if dom is not None else _dominators(graph)
    sites = _use_sites(graph)
    out = set()
    below: dict = {}  # k -> [(n, T)]: k < n holds in blocks T dominates
    for blk in graph.blocks:
        t = blk.term
        if t is None or t.kind != "cbr" or t.targets[0][0] is t.targets[1][0]:
            continue
        body = t.targets[0][0]
        if preds.get(body) != [blk]:
            continue
        test = producers.get(t.cond)
        if test is not None and test.op == "truth" and test.inputs[0].type == BOOL:
            test = producers.get(test.inputs[0])  # truth of a bool: the bool (unfolded at O0)
        if test is None or test.op != "lt" or not all(_is_int(v) for v in test.inputs):
            continue
        k, n = test.inputs

        def after_true(site):
            if site == (blk, "true"):
                return True
            return isinstance(site, type(blk)) and body in dom.get(site, ())

        for node in blk.nodes:
            v = node.outputs[0]
            if not sites.get(v) or not all(after_true(s) for s in sites[v]):
                continue
            if node.op == "add" and node.inputs[0] is k and _is_int(v) and \
                    const_value(producers, node.inputs[1]) == 1:
                out.add(node)
            elif node.op == "range_item" and node.inputs[2] is k and k in nonneg:
                rl = producers.get(n)
                if rl is not None and rl.op == "range_len" and \
                        rl.inputs[0] is node.inputs[0] and rl.inputs[2] is node.inputs[1]:
                    out.add(node)
        below.setdefault(k, []).append((n, body))
    out |= _counters_below(graph, producers, dom, below, preds)
    return out


def _counters_below(graph, producers, dom, below, preds) -> set:
    """``k + 1`` nodes where ``k < n`` is known to hold (Note [guarded range
    arithmetic]): ``below[k]`` lists ``(n, T)``, T the single-predecessor true
    target of a ``k < n`` test, so ``k < n`` holds in every block T dominates.  A
    block parameter is below ``n`` when every incoming value is, on its edge (a
    ``while k < n`` loop rotated by the compiler tests the new ``k`` at the
    bottom and enters with a tested ``0``)."""
    def holds(v, n, site) -> bool:
        return any(m is n and t in dom.get(site, ()) for m, t in below.get(v, ()))

    changed = True
    while changed:  # block parameters, to a fixed point
        changed = False
        for blk in graph.blocks:
            for i, p in enumerate(blk.params):
                if not _is_int(p):
                    continue
                edges = [(src, args[i]) for src in preds.get(blk, ())
                         for tgt, args in src.term.targets if tgt is blk]
                if not edges:
                    continue
                for n, _ in below.get(edges[0][1], ()):
                    if all(holds(a, n, src) for src, a in edges) and \
                            not any(m is n and t is blk for m, t in below.get(p, ())):
                        below.setdefault(p, []).append((n, blk))
                        changed = True
    out = set()
    for blk in graph.blocks:
        for node in blk.nodes:
            if node.op in ("add", "iadd") and _is_int(node.outputs[0]) and \
                    const_value(producers, node.inputs[1]) == 1 and \
                    any(t in dom.get(blk, ()) for _, t in below.get(node.inputs[0], ())):
                out.add(node)
    return out


def last_items(graph, producers, dom=None) -> dict:
    """``{header parameter: (counter, range_item node, entry block)}`` for the
    loop variables recomputed from the counter (Note [last item])."""
    dom = dom if dom is not None else _dominators(graph)
    preds: dict = {}
    for blk in graph.blocks:
        if blk.term is not None:
            for target, args in blk.term.targets:
                preds.setdefault(target, []).append((blk, args))
    where: dict = {}
    for blk in graph.blocks:
        for v in blk.params:
            where[v] = blk
        for n in blk.nodes:
            where[n.outputs[0]] = blk
    out = {}
    for h in graph.blocks:
        t = h.term
        if h is graph.entry or h not in dom or t is None or t.kind != "cbr":
            continue
        test = producers.get(t.cond)
        if test is None or test.op != "lt" or test not in h.nodes:
            continue
        k = test.inputs[0]
        if k not in h.params or not _is_int(k):
            continue
        item = next((n for n in h.nodes if n.op == "range_item" and n.inputs[2] is k), None)
        nxt = next((n for n in h.nodes if n.op in ("add", "iadd") and n.inputs[0] is k and
                    const_value(producers, n.inputs[1]) == 1), None)
        if item is None or nxt is None or not all(_is_int(v) for v in item.inputs[:2]):
            continue
        if not all(v not in where or where[v] is not h and where[v] in dom[h] for v in item.inputs[:2]):
            continue  # start and step: graph inputs or defined before the loop
        ki = h.params.index(k)
        edges = preds.get(h, [])
        latches = [(p, a) for p, a in edges if p in dom and h in dom[p]]
        entries = [(p, a) for p, a in edges if (p, a) not in latches]
        if len(entries) != 1 or not latches or const_value(producers, entries[0][1][ki]) != 0 \
                or type(const_value(producers, entries[0][1][ki])) is not int:
            continue
        if any(a[ki] is not nxt.outputs[0] for _, a in latches):
            continue
        for pi, p in enumerate(h.params):
            if p is not k and all(a[pi] is item.outputs[0] for _, a in latches):
                out[p] = (k, item, entries[0][0])
    return out


def _item_offsets(graph, producers, nonneg, guarded) -> set:
    """``x + c`` / ``x - c`` nodes that cannot overflow (Note [last item]
    In ``for j in range(start, stop, step)`` the header of the loop has the
    counter ``k`` (``0`` on entry, ``k + 1`` from every back edge) and a
    parameter ``j`` for the Python variable: its value on entry, then the
    previous iteration's item ``range_item(start, step, k)``.  ``j`` is
    mostly read by exits only (the state CPython resumes with), but as a phi
    it is a second induction variable one iteration behind ``k``, which LLVM
    keeps in registers and copies on every iteration.  When ``start`` and
    ``step`` are defined outside the loop (a block strictly dominating the
    header), the header has one entry edge passing ``k = 0`` and every back
    edge passes ``k + 1`` and the item, then at the header ``j`` is exactly
    ``k == 0 ? entry value : start + (k - 1) * step``: the item of iteration
    ``k - 1`` was computed without bailing out, so it fits in an i64 and the
    wrapping i64 arithmetic gives it exactly.  ``k`` never wraps back to 0
    (``k + 1`` is checked, or guarded by ``k < n``).  The lowering computes
    ``j`` so (lower.py), and LLVM sinks the computation into the exits.

Note [item offsets])."""
    out = set()
    for n in graph.nodes():
        if n.op not in ("add", "iadd", "sub", "isub") or not all(_is_int(v) for v in n.inputs) \
                or not _is_int(n.outputs[0]):
            continue
        c = const_value(producers, n.inputs[1])
        if type(c) is not int or not -2 ** 62 <= c <= 2 ** 62:
            continue
        shift = c if n.op in ("add", "iadd") else -c
        if shift <= 0 and n.inputs[0] in nonneg:
            out.add(n)  # x >= 0, so x - |c| >= -2**62
            continue
        item = producers.get(n.inputs[0])
        if item is None or item.op != "range_item" or item not in guarded:
            continue
        step = const_value(producers, item.inputs[1])
        if type(step) is int and step > 0 and shift in (0, 1):
            out.add(n)  # item + 1 <= stop
    return out


__all__ = ["Facts", "const_value", "last_items"]
