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

Note [bounded sums]
    The flag costs one ``or`` of an overflow bit per operation, and that bit
    depends on the running sum: a loop like ``s += a[i]`` over int64 items
    still adds one element at a time (``int_sum``: 8 ms for 1e7 items where a
    vectorized sum takes 4).  So where every deferred operation is a sum,
    ``bounded`` proves the absence of overflow differently.  Each operation
    ``r = s ± x`` has at most one operand from the *chain* (the deferred
    results and the block parameters they reach); the other is ORed, as
    ``x ^ (x >> 63)`` (|x|, or |x| - 1 when negative), into a magnitude ``A``,
    and a counter ``C`` counts the operands added.  A value entering the chain
    from outside (``s = 0``, a parameter's argument from before the loop) is
    ORed into ``A`` on its edge.  By induction over the run every chain value
    is a root plus at most ``C`` operands, so ``|v| <= (C + 1) * (A + 1)``;
    while that is at most ``2**63 - 1`` nothing overflowed.  A *term*, a sum
    with no operand on the chain (``b[i] - a[i]`` in ``t += b[i] - a[i]``),
    counts one itself (its value is at most ``2 * (A + 1)``, and ``C >= 1``
    once it ran) and two where it is added: ``t`` grows by two operands.
    ``A`` and ``C`` are reductions the loop vectorizer knows, and the loop
    becomes vector code.

    The test is conservative (big items that cancel fail it), and it runs
    where the flag would be tested.  When it fails the region does not go
    back to CPython: the lowering also lowers the same graph with every
    check in place (``Lowering(..., exact_of=...)``, the module's internal
    function ``<entry>.exact``) and calls it with the same inputs.  A re-run
    from the first statement is exactly what the checkpoint would have done,
    and the exact code bails out at the very operation that overflows, as
    it did before this existed.  Items so big that the bound fails though
    nothing overflows (timestamps in ns: 2**60) would cost two runs per call:
    after ``GIVE_UP`` failures (a counter of the module, per process) the
    region's calls go straight to the exact code.

    A region is lowered twice only when some bounded operation sits in an
    innermost loop (where vectorizing pays), and not at O0, whose LLVM
    pipeline vectorizes nothing; mandelbrot's per-pixel ``count += k`` keeps
    the flag.  numpy int64 scalars (``s += a[i]``: numpy warns on overflow)
    are bounded too; the flag, tried on them, ran slower than the
    per-operation check.
"""
from __future__ import annotations

import numpy as np

from pyjit.ir.registry import OPS
from pyjit.ir.types import BOOL, INT, UNDEF, NpScalar, PyScalar, UnionT, members
from pyjit.record import record

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
    found = _deferrable(graph, candidates, checkpoints, loop_blocks)
    return frozenset() if found is None else frozenset(found[0])


def _deferrable(graph, candidates: set, checkpoints, loop_blocks):
    """``(kept, first)``: the candidates that may be deferred (``_contained``) and
    the exit of the region's first statement, where a raised flag leaves; None
    if the region cannot be re-run from its start."""
    if not candidates or not _replayable(graph):
        return None
    first = _first_checkpoint(graph, *checkpoints(), loop_blocks)
    if first is None:
        return None
    kept = _contained(graph, candidates)
    results = {n.outputs[0] for n in kept}
    if any(v in results for v in graph.exits[first].all_values()):
        return None  # cannot happen: the first statement runs before any of them
    return kept, first


@record
class Bounds:
    """Note [bounded sums]: the deferred sums; for each, the positions of its
    operands ORed into the magnitude and what it adds to the count; the chain."""
    nodes: frozenset
    external: dict   # node -> input positions not on the chain
    counts: dict     # node -> how many operands of magnitude <= A + 1 it adds
    chain: frozenset  # results of ``nodes`` and the block parameters they reach


_SUMS = frozenset({"add", "iadd", "sub", "isub"})
GIVE_UP = 2  # failed bounds after which a region's calls go straight to its exact code
INT64 = NpScalar(np.dtype(np.int64))


def bounded(graph, guarded, checkpoints, loops) -> Bounds | None:
    """The region's deferred operations if every one is a sum bounded as in
    Note [bounded sums] and one of them is in an innermost loop of ``loops``
    (graphutil.natural_loops); else None (``plan`` decides)."""
    inner = {n for lp in loops if not any(o.header in lp.blocks for o in loops if o is not lp)
             for blk in lp.blocks for n in blk.nodes}
    sums = {n for n in graph.nodes() if _sum(n) and not guarded(n)}
    if not sums & inner:
        return None
    found = _deferrable(graph, sums, checkpoints, {blk for lp in loops for blk in lp.blocks})
    if found is None:
        return None
    kept, _ = found
    if not kept & inner:
        return None
    chain = _chain(graph, kept)
    if any(not _word(p.type) for p in chain):
        return None
    # a term adds two operands from off the chain (``b[i] - a[i]`` in ``t += b[i] - a[i]``)
    terms = {n.outputs[0]: len(n.inputs) for n in kept if not any(v in chain for v in n.inputs)}
    external, counts = {}, {}
    for n in kept:
        running = [v for v in n.inputs if v in chain and v not in terms]
        if len(running) > 1:
            return None  # s + s doubles: no bound by counting
        external[n] = tuple(i for i, v in enumerate(n.inputs) if v not in chain)
        counts[n] = 1 if n.outputs[0] in terms else \
            len(external[n]) + sum(terms.get(v, 0) for v in n.inputs)
    return Bounds(frozenset(kept), external, counts, frozenset(chain))


def _chain(graph, kept) -> set:
    """The results of ``kept`` and the block parameters they reach."""
    chain = {n.outputs[0] for n in kept}
    incoming = graph.incoming()
    grew = True
    while grew:
        grew = False
        for p, args in incoming.items():
            if p not in chain and any(a in chain for a in args):
                chain.add(p)
                grew = True
    return chain


def _sum(n) -> bool:
    """A Python int or numpy int64 ``+``/``-`` of words (Note [bounded sums])."""
    if n.op not in _SUMS:
        return False
    return _int_arith(n) or n.outputs[0].type == INT64 and all(_word(v.type) for v in n.inputs)


def _word(t) -> bool:
    """An i64 the magnitude can read: a Python int or bool, a numpy int64, or
    a union of Python int and numpy int64 (payload i64)."""
    if isinstance(t, UnionT):
        return set(members(t)) <= {INT, INT64}
    return t in (INT, BOOL, INT64)


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


# ---- lowering bounded sums (Note [bounded sums]) --------------------------------------

def start_bounds(ctx, b, exact):
    """At the entry of a region with bounded sums: the magnitude ``A`` and the
    count ``C``, zero; the exact function (``exact``, a Lowering of the same
    graph) and ``ctx.replay``, the block that calls it when the bound fails.
    After ``GIVE_UP`` failures in this process the entry calls it at once.
    Returns a builder where the fast code goes on."""
    from llvmlite import ir
    i64 = ir.IntType(64)
    exact.emit()
    failures = ir.GlobalVariable(ctx.module, i64, ctx.fn.name + ".bound_failures")
    failures.linkage = "internal"
    failures.initializer = ir.Constant(i64, 0)
    ctx.replay = ctx.fn.append_basic_block(name="bound.failed")
    given_up = ctx.fn.append_basic_block(name="bound.given_up")
    gb = ir.IRBuilder(given_up)
    gb.ret(gb.call(exact.fn, [ctx.inbuf, ctx.outbuf]))
    fast = ctx.fn.append_basic_block(name="bound.fast")
    b.position_at_end(b.block)
    n = b.load_atomic(failures, "monotonic", 8)
    b.cbranch(b.icmp_unsigned(">=", n, ir.Constant(i64, GIVE_UP)), given_up, fast)
    b = ir.IRBuilder(fast)
    ctx.magnitude, ctx.count = ctx.alloca(i64), ctx.alloca(i64)
    b.store(ir.Constant(i64, 0), ctx.magnitude)
    b.store(ir.Constant(i64, 0), ctx.count)
    # A raised numpy float flag replays too (lower.py, _checkpoint_block): only a
    # failed bound counts towards GIVE_UP, or flags would send later calls
    # straight to the exact code.
    rb = ir.IRBuilder(ctx.replay)
    with rb.if_then(exceeded(ctx, rb), likely=True):
        n = rb.load_atomic(failures, "monotonic", 8)
        rb.store_atomic(rb.add(n, ir.Constant(i64, 1)), failures, "monotonic", 8)
    rb.ret(rb.call(exact.fn, [ctx.inbuf, ctx.outbuf]))
    return b


def record(ctx, b, operands: list, count: int = 0) -> None:
    """OR the magnitudes of ``operands`` (``[(value, type)]``) into ``A``, and
    add ``count`` operands to ``C``."""
    from llvmlite import ir
    i64 = ir.IntType(64)
    if operands:
        m = b.load(ctx.magnitude)
        for v, t in operands:
            if isinstance(t, UnionT):
                v = b.extract_value(v, 0)
            elif v.type != i64:  # a bool
                v = b.zext(v, i64)
            m = b.or_(m, b.xor(v, b.ashr(v, ir.Constant(i64, 63))))
        b.store(m, ctx.magnitude)
    if count:
        b.store(b.add(b.load(ctx.count), ir.Constant(i64, count)), ctx.count)


def exceeded(ctx, b):
    """An i1: may a chain value have overflowed, ``(C + 1) * (A + 1) > 2**63 - 1``?"""
    from llvmlite import ir
    i64, one = ir.IntType(64), ir.Constant(ir.IntType(64), 1)
    a = b.add(b.load(ctx.magnitude), one)  # A <= 2**63 - 1: no unsigned wrap
    c = b.add(b.load(ctx.count), one)
    mul = ctx.intrinsic("llvm.umul.with.overflow.i64", ir.LiteralStructType([i64, ir.IntType(1)]),
                        [i64, i64])
    r = b.call(mul, [c, a])
    big = b.icmp_unsigned(">", b.extract_value(r, 0), ir.Constant(i64, 2 ** 63 - 1))
    return b.or_(b.extract_value(r, 1), big)
