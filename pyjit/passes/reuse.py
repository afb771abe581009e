"""Buffer reuse (O2): an elementwise result written over a dead operand's memory.

    r = (x - m) * (x - m)        # CSE: d = x - m, used twice, so not fused
                                 # d is allocated; r is written over d's memory

The pass records ``graph.reuse = {recipient node: donor value}``.  The LLVM
backend honours a pair only where it can see that the donor's memory is a fresh
C-ordered allocation of exactly the donor's shape (``kernels._allocate``), and
only when, at run time, the donor's shape equals the result's; otherwise it
allocates as usual.  The numpy backend ignores the mark.

Note [which buffers may be reused]
    pyjit's bailouts re-run code in CPython from an exit: every value an exit
    stores must still hold its contents when that exit is taken, and an exit
    may be taken late (a floating-point flag test at a checkpoint exits to a
    statement before the op that raised the flag, fpflags.py).  So a donor is
    an array no exit ever stores, nor any value that may alias it: an
    intermediate value no name holds at a statement where code can bail out.
    That is numpy's own rule for temporary elision (it reuses a temporary only
    when nothing but the expression refers to it), for a different reason.
    Besides that, the donor ``r`` (a root of buffers.aliases: an array the
    region allocates) must

    - have every use, of itself or of a value that may alias it, by a node of
      its own block (no terminator argument, no other block);
    - be read last by the recipient: a node fused into a consumer reads its
      operands where the consumer runs, so a use counts at its consumer's place;
    - be read there as itself, at the recipient's own index: not through a view
      (``r.T``), which would read elements the recipient has already written;
    - reach every user without losing track of it: a user either makes a view
      or a tuple (buffers.aliases follows those), or its results hold no array
      (a scalar), or are arrays numpy allocates anew (an elementwise op without
      ``out=``, a reduction);
    - have the recipient's dtype and number of dimensions.

    The recipient is an elementwise op that allocates its result (not in-place,
    not fused into a consumer).  Its kernel loads every operand's element before
    it stores the result's, at the same index, so writing over an operand of
    the same shape and strides is the same as writing elsewhere.
"""
from __future__ import annotations

from pyjit.ir.registry import OPS
from pyjit.ir.types import Array, Const, NpScalar, PyScalar, Singleton, TupleT
from pyjit.ir.verify import reverse_postorder

from .buffers import aliases_of, gathers, view_source
from .fusion import fusible


def run(graph, options=None) -> int:
    graph.reuse = plan(graph)
    return len(graph.reuse)


def plan(graph) -> dict:
    """``{recipient node: donor value}`` (Note [which buffers may be reused])."""
    fused = getattr(graph, "fused", None) or {}
    order = reverse_postorder(graph)
    aliases, roots = aliases_of(graph, order)
    roots = [r for r in roots if isinstance(r.type, Array)]
    if not roots:
        return {}
    stored = set()
    for e in graph.exits:
        for v in e.all_values():
            stored |= aliases.get(v, frozenset())
    in_terms = set()
    for b in order:
        if b.term is not None:
            for v in ([b.term.cond] if b.term.cond is not None else []) + \
                    [a for _, args in b.term.targets for a in args]:
                in_terms |= aliases.get(v, frozenset())
    home, place = {}, {}
    for b in order:
        for i, n in enumerate(b.nodes):
            home[n] = b
            place[n] = i
    readers: dict = {r: [] for r in roots}   # root -> [(node, the value it reads)]
    for b in order:
        for n in b.nodes:
            for v in n.inputs:
                for r in aliases.get(v, ()):
                    if r in readers:
                        readers[r].append((n, v))
    producer = {o: n for b in order for n in b.nodes for o in n.outputs}

    def consumer(n):
        seen = set()
        while n in fused and n not in seen:
            seen.add(n)
            n = fused[n]
        return n

    out: dict = {}
    for r in roots:
        p = producer.get(r)
        if p is None or p in fused or r in stored or r in in_terms or not readers[r]:
            continue
        block = home[p]
        uses = [(consumer(n), n, v) for n, v in readers[r]]
        if any(home.get(c) is not block for c, _, _ in uses):
            continue
        if not all(_keeps_track(n) for _, n, _ in uses):
            continue
        last = max(place[c] for c, _, _ in uses)
        n = block.nodes[last]
        if n in out or not _recipient(n, fused, r.type):
            continue
        at_last = [(m, v) for c, m, v in uses if c is n]
        if any(v is not r or not _reads_elements(m) for m, v in at_last):
            continue
        out[n] = r
    return out


def _recipient(n, fused, t: Array) -> bool:
    return (_reads_elements(n) and n not in fused and n.attrs.get("out") is None
            and n.out.type.dtype == t.dtype and n.out.type.ndim == t.ndim)


def _reads_elements(n) -> bool:
    """Whether ``n`` (the recipient or an op fused into it) reads its array
    operands element by element, at the result's index."""
    return fusible(n) and not OPS[n.op].mutates


def _keeps_track(n) -> bool:
    """Whether whatever ``n`` makes of its inputs is a view or tuple that
    buffers.aliases follows, or holds no array numpy did not allocate anew."""
    if view_source(n) is not None or gathers(n):
        return True
    op = OPS.get(n.op)
    if op is None:
        return False
    fresh = (op.elementwise or op.reduction) and not op.mutates and n.attrs.get("out") is None
    return all(_no_reference(o.type, fresh) for o in n.outputs)


def _no_reference(t, fresh_arrays: bool) -> bool:
    if isinstance(t, Array):
        return fresh_arrays
    if isinstance(t, TupleT):
        return all(_no_reference(i, fresh_arrays) for i in t.items)
    return isinstance(t, (PyScalar, NpScalar, Const, Singleton))


__all__ = ["run", "plan"]
