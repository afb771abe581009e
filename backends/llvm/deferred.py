"""Deferred overflow checks: an accumulator's ``count += k`` without an exit in its loop.

Note [deferred overflow checks]
    A Python int is an i64 whose every ``+``, ``-`` and ``*`` checks for
    overflow and bails out on it (CPython then computes the big int).  In
    mandelbrot's pixel loop the one such check, ``count += k``, is an exit of
    the loop: LLVM does not unroll a loop with two exits, and the kernel ran
    1–2% behind Numba's (which wraps).  Yet nothing in that loop looks at
    ``count``: it is only added to and returned.

    So where it is safe the check is deferred.  The operation computes the
    wrapped sum and ORs its overflow bit into one sticky flag of the function
    (an ``i1`` on the stack, which LLVM keeps in a register); the region tests
    the flag wherever it leaves and, when it is up, leaves through its
    checkpoint instead: CPython re-runs the region from its first statement
    and computes the big int itself.  It is the fpflags.py mechanism (Note
    [floating-point flags and checkpoints]) with a flag of our own.  The
    overflow costs a re-run; the common case costs one ``or`` per operation
    and a test per call.

    Deferring is exact only where a wrapped value can do nothing before the
    test.  ``plan`` defers an int ``add``/``sub``/``mul`` (or its in-place
    form) when

    - re-running the region from its start is harmless: no node writes to an
      array or another mutable object, and none calls numpy (a call clears the
      floating-point flags);
    - the first statement is the checkpoint in effect at every node and every
      exit (``fpflags.plan``: true of a region without writes), so every exit
      tests the flag; and it is in no loop of the graph (natural loops: the
      frontend's graphs are reducible), so it runs once per call and its
      state (the region's inputs) is never a wrapped value;
    - its result is used only by other deferred operations, as a block
      argument whose parameter is used so too, in a tuple so used
      (``return p, q``), or in an exit's state.  Never
      as a branch condition (a wrapped counter could make a loop that ends in
      CPython run on), an index, a size or the input of any other op.
      A greatest fixpoint over the graph: optimistically every candidate is
      deferred, and one with another use is dropped until nothing changes.

    Operations a proof already frees of their check (facts.py's guarded
    counters and offsets) keep that; every other int operation keeps its own
    check and exit.
"""
from __future__ import annotations

from pyjit.ir.registry import OPS
from pyjit.ir.types import BOOL, INT, UNDEF, NpScalar, PyScalar, members

from . import fpflags

_ARITH = frozenset({"add", "iadd", "sub", "isub", "mul", "imul"})
# Ops that only hold values for an exit (``return p, q`` builds a tuple): their
# result is as contained as their uses.
_CARRIERS = frozenset({"build_tuple"})


def plan(graph, guarded, checkpoints, loop_blocks) -> frozenset:
    """The nodes whose overflow check is deferred to the region's exits.
    ``guarded(node)``: facts.py's proof; ``checkpoints()``: ``fpflags.plan``'s
    result for this graph (computed only if some node could be deferred);
    ``loop_blocks``: the blocks of its loops (graphutil.natural_loops)."""
    candidates = {n for n in graph.nodes() if _int_arith(n) and not guarded(n)}
    if not candidates or not _replayable(graph):
        return frozenset()
    first = _first_checkpoint(graph, *checkpoints(), loop_blocks)
    if first is None:
        return frozenset()
    kept = _contained(graph, candidates)
    results = {n.outputs[0] for n in kept}
    if any(v in results for v in graph.exits[first].all_values()):
        return frozenset()  # cannot happen: the first statement runs before any of them
    return frozenset(kept)


def _int_arith(n) -> bool:
    return n.op in _ARITH and n.outputs[0].type == INT and \
        all(v.type in (INT, BOOL) for v in n.inputs)


def _replayable(graph) -> bool:
    """Re-running the region from its first statement repeats nothing anyone sees."""
    for n in graph.nodes():
        op = OPS[n.op]
        if fpflags.writes(n) or fpflags.calls_numpy(n):
            return False
        if (op.mutates or not op.pure) and any(not _immutable(v.type) for v in n.inputs):
            return False  # e.g. an in-place op on something other than a number
    return True


def _immutable(t) -> bool:
    return all(isinstance(m, (PyScalar, NpScalar)) or m == UNDEF for m in members(t))


def _first_checkpoint(graph, before: dict, at_end: dict, loop_blocks):
    """The exit of the region's first statement, if it is the checkpoint in effect
    everywhere (else None)."""
    found = {k for n, k in before.items() if n.exit is not None} | \
        {k for blk, k in at_end.items() if blk.term is not None and blk.term.kind == "exit"}
    if len(found) != 1 or None in found:
        return None
    (k,) = found
    homes = {blk for blk in graph.blocks for n in blk.nodes if n.exit == k}
    if len(homes) != 1 or homes & loop_blocks:
        return None  # the checkpoint's statement must run once per call
    return k


def _contained(graph, candidates: set) -> set:
    """The candidates whose results reach nothing but candidates, block
    parameters and tuples so used, and exit states (the greatest such set)."""
    users: dict = {}      # value -> nodes using it
    passed: dict = {}     # value -> block parameters it is passed to
    steers: set = set()   # branch conditions
    for blk in graph.blocks:
        for n in blk.nodes:
            for v in n.inputs:
                users.setdefault(v, []).append(n)
        t = blk.term
        if t is None:
            continue
        if t.cond is not None:
            steers.add(t.cond)
        for target, args in t.targets:
            for p, a in zip(target.params, args):
                passed.setdefault(a, []).append(p)
    kept = set(candidates)
    safe = {n.outputs[0] for n in kept} | {p for blk in graph.blocks for p in blk.params} | \
        {n.outputs[0] for n in graph.nodes() if n.op in _CARRIERS}

    def fine(u) -> bool:
        return u in kept or (u.op in _CARRIERS and u.outputs[0] in safe)
    changed = True
    while changed:
        changed = False
        for v in list(safe):
            ok = v not in steers and \
                all(fine(u) for u in users.get(v, ())) and \
                all(p in safe for p in passed.get(v, ()))
            if not ok:
                safe.discard(v)
                changed = True
        dropped = {n for n in kept if n.outputs[0] not in safe}
        if dropped:
            kept -= dropped
            changed = True
    return kept
