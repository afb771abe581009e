"""Bounds checks of a range loop, evaluated once before the loop.

In ``for j in range(1, m - 1): out[i, j] = u[i, j - 1] + u[i, j + 1]`` every
element access is bounds-checked, and a check that fails bails out at that
iteration (Note [exits carry state] in pyjit/ir/graph.py).  The checks keep
LLVM from vectorizing the loop, and LLVM cannot drop them itself: their exits
store the loop's state.  ``plan(graph, facts, producers)`` finds the checks that
can be decided for all iterations at once, before the loop; see Note [hoisted
bounds checks].

Note [hoisted bounds checks]
    A check qualifies when, in a loop whose header tests ``k < n`` with
    ``n = range_len(start, stop, 1)`` and item ``start + k``:

    * its index is the item or a value fixed during the loop, plus a literal
      (``j``, ``j - 1``, ``i + 1``); the array is fixed during the loop;
    * its block runs on every iteration (it dominates every back edge) and the
      loop has no other way out than its header's test and bailouts.

    The indexes of such a check over the whole loop form the interval
    ``[start + c, start + n - 1 + c]`` (one value for a fixed index), and the
    valid indexes of a dimension of length ``d`` are ``[-d, d)``, so "no
    iteration fails" is ``n == 0 or (lo >= -d and hi < d)``: computed in i128
    on the edge into the loop.  If it is false, some iteration would bail out
    (or an earlier bailout comes first): the region leaves right there
    through the loop header's resume exit, with the state the loop starts
    with, and CPython runs the loop and raises where it should.  Inside the
    loop each check becomes ``bail_if(not all_ok and out_of_bounds)``: the
    same condition (``all_ok`` implies in-bounds), but now LLVM sees
    ``all_ok`` is true there and drops the branch.  Index wrapping for
    negative values is kept.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from pyjit.ir.types import INT, Array, TupleT
from pyjit.ir.verify import _dominators

from .facts import const_value


@dataclass
class Check:
    node: object            # the getitem / setitem
    dim: int
    array: object           # graph value of the array, fixed during the loop
    index: object           # the fixed base of the index, or None for the loop item
    offset: int = 0         # the index is base + offset


@dataclass
class LoopPlan:
    header: object
    pre: object             # the block entering the loop (``br header(args)``)
    start: object
    n: object
    checks: list = field(default_factory=list)
    exit: int | None = None
    item: object = None     # the header's range_item node
    blocks: frozenset = frozenset()  # the loop's blocks, header included


def plan(graph, producers, dom=None) -> dict:
    """``{preheader block: LoopPlan}`` for the loops with hoistable checks."""
    return {p.pre: p for p in range_loops(graph, producers, dom) if p.checks}


def range_loops(graph, producers, dom=None) -> list:
    """A LoopPlan for every loop over ``range(start, stop)`` (step 1) entered from
    one block and left only through its header's test or a bailout, with the
    checks it can hoist (maybe none); early.py uses the loops themselves."""
    dom = dom if dom is not None else _dominators(graph)
    preds = predecessors(graph)
    where = {}
    for blk in graph.blocks:
        for n in blk.nodes:
            where[n.outputs[0]] = blk
    found = (_loop_plan(graph, h, dom, preds, producers, where) for h in graph.blocks)
    return [p for p in found if p is not None]


def predecessors(graph) -> dict:
    preds: dict = {}
    for blk in graph.blocks:
        if blk.term is not None:
            for target, _ in blk.term.targets:
                preds.setdefault(target, []).append(blk)
    return preds


def _loop_plan(graph, h, dom, preds, producers, where):
    t = h.term
    if t is None or t.kind != "cbr" or h not in dom:
        return None
    test = producers.get(t.cond)
    if test is None or test.op != "lt" or test not in h.nodes:
        return None
    k, n = test.inputs
    if k.type != INT or n.type != INT or k not in h.params:
        return None
    item = next((x for x in h.nodes if x.op == "range_item" and x.inputs[2] is k), None)
    if item is None or const_value(producers, item.inputs[1]) != 1:
        return None
    latches = [b for b in preds.get(h, []) if h in dom.get(b, ())]
    entries = [b for b in preds.get(h, []) if b not in latches]
    if len(entries) != 1 or not latches or entries[0].term.kind != "br":
        return None
    pre = entries[0]
    body = _natural_loop(h, latches, preds)
    body_t = t.targets[0][0]
    for b in body:
        if b is h:
            continue
        if b.term is None or b.term.kind == "exit" or \
                any(s not in body for s, _ in b.term.targets):
            return None  # a break or return: later iterations may not run
    if t.targets[1][0] in body or body_t not in body:
        return None
    entry_args = dict(zip(h.params, pre.term.targets[0][1]))

    def fixed(v):
        """The value ``v`` has on entry, if it does not change in the loop."""
        if v in entry_args:
            for latch in latches:
                args = dict(zip(h.params, _args_to(latch, h)))
                if args.get(v) is not v:
                    return None
            return entry_args[v]
        blk = where.get(v)
        if blk is None:  # a graph input or a parameter of another block
            for b in graph.blocks:
                if v in b.params:
                    blk = b
                    break
        if blk is None or blk in body or blk not in dom.get(pre, ()):
            return None
        return v

    start = fixed(item.inputs[0])
    n_in = fixed(n)
    if start is None or n_in is None or start.type != INT or test.exit is None:
        return None
    lp = LoopPlan(h, pre, start, n_in, exit=test.exit, item=item, blocks=frozenset(body))
    for b in body:
        if b is h or not all(b in dom.get(latch, ()) for latch in latches) or \
                body_t not in dom.get(b, ()):
            continue
        for node in b.nodes:
            if node.op not in ("getitem", "setitem") or not isinstance(node.inputs[0].type, Array):
                continue
            arr = fixed(node.inputs[0])
            if arr is None:
                continue
            idx_v = node.inputs[1]
            if isinstance(idx_v.type, TupleT):
                src = producers.get(idx_v)
                if src is None or src.op != "build_tuple":
                    continue
                items = src.inputs
            else:
                items = [idx_v]
            if len(items) != node.inputs[0].type.ndim:
                continue
            for d, iv in enumerate(items):
                base, c = _offset(iv, producers)
                if base is item.outputs[0]:
                    lp.checks.append(Check(node, d, arr, None, c))
                elif base.type == INT and fixed(base) is not None:
                    lp.checks.append(Check(node, d, arr, fixed(base), c))
    return lp


def inner_latches(graph, dom=None) -> set:
    """The blocks that branch back to the header of an innermost loop (no loop
    inside it) nested in another loop: the lowering marks those back edges
    with loop hints (lower.py, Note [loop hints])."""
    dom = dom if dom is not None else _dominators(graph)
    preds = predecessors(graph)
    loops = {}
    for h in graph.blocks:
        if h not in dom:
            continue
        latches = [b for b in preds.get(h, []) if b in dom and h in dom[b]]
        if latches:
            loops[h] = (latches, _natural_loop(h, latches, preds))
    out = set()
    for h, (latches, body) in loops.items():
        innermost = not any(o is not h and o in body for o in loops)
        nested = any(o is not h and h in ob for o, (_, ob) in loops.items())
        if innermost and nested:
            out.update(latches)
    return out


def _args_to(src, target):
    for t, args in src.term.targets:
        if t is target:
            return args
    return []


def _offset(v, producers):
    """``(base, c)`` with ``v == base + c`` for a literal ``c`` (``base - c``
    too), else ``(v, 0)``."""
    n = producers.get(v)
    if n is None or n.op not in ("add", "sub") or v.type != INT or n.inputs[0].type != INT:
        return v, 0
    c = const_value(producers, n.inputs[1])
    if type(c) is not int or abs(c) > 2 ** 32:
        return v, 0
    return n.inputs[0], (c if n.op == "add" else -c)


def _natural_loop(h, latches, preds) -> set:
    body = {h}
    stack = list(latches)
    while stack:
        b = stack.pop()
        if b in body:
            continue
        body.add(b)
        stack.extend(preds.get(b, []))
    return body


__all__ = ["plan", "range_loops", "predecessors", "inner_latches", "LoopPlan", "Check"]
