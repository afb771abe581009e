"""Arithmetic on a loop's next item, computed one iteration early.

Note [next item early]
    mandelbrot's pixel loop starts each pixel with ``cr = -2.0 + 3.0 * px / w``
    and then runs a ``while`` loop whose exit the branch predictor cannot
    guess.  After that mispredicted exit the CPU starts the next pixel with
    ``cr``'s chain (a conversion, a multiply, a divide, an add: ~25 cycles)
    ahead of the first iteration, and nothing overlaps it.  So where the body
    of a range loop holds an inner loop and starts with pure arithmetic on the
    loop's item (and values fixed during the loop), that arithmetic is also
    computed for the *next* item at the top of the body, and for the first
    item on the edge into the loop; a phi at the header carries it, and the
    body uses the phi.  The next pixel's ``cr`` is then computed while the
    current pixel's inner loop runs.

    The body still lowers the arithmetic itself, with its checks (a division
    by zero bails out there as before); only its value goes unused, and LLVM
    deletes what the checks do not need.  The early copy has no checks
    (``Lowering.speculating``: ``cgutils.bail_if`` emits nothing, an int
    operation wraps): from the same inputs it computes the same bits whenever
    the checked copy succeeds, and past the last item its value is never used.
    Only Python ints and floats (``add sub mul truediv neg``), and not in a
    region that tests numpy's FPU flags, where an early ``1e308 * px`` past
    the last item could raise one.  The carried values pass through an empty
    asm (``cgutils.opaque``), or LLVM moves the divide back below the phi.

    mandelbrot 400x400x100 against Numba in one process, 21 alternating calls
    each, three runs (scratch /tmp/s9/earlyab.py): without this 1.005-1.006,
    without the asm 0.984-0.990, with it 0.968-0.988.  Of the other kernels in
    benchmarks/ none has such a loop.
"""
from __future__ import annotations

from dataclasses import dataclass

from llvmlite import ir

from pyjit.ir.types import FLOAT, INT

from . import cgutils as cg
from . import hoist

_OPS = frozenset({"add", "sub", "mul", "truediv", "neg"})
_SCALARS = (INT, FLOAT)


@dataclass
class Early:
    header: object
    pre: object      # the block entering the loop
    item: object     # the header's range_item node
    start: object    # the first item's value, from outside the loop
    body: object     # the block the header's test enters
    nodes: list      # the body block's nodes computed early, in order


def plan(graph, producers, dom) -> dict:
    """``{loop header: Early}`` for the range loops with an inner loop whose body
    starts with arithmetic on the item (Note [next item early])."""
    preds = hoist.predecessors(graph)
    out = {}
    for lp in hoist.range_loops(graph, producers, dom):
        if not _has_inner_loop(lp, preds, dom):
            continue
        body = lp.header.term.targets[0][0]
        inside = {n.outputs[0] for b in lp.blocks for n in b.nodes} | \
            {p for b in lp.blocks for p in b.params}

        def fixed(v):
            return v not in inside or v in producers and producers[v].op == "const"
        early_values = {lp.item.outputs[0]}
        nodes = []
        for n in body.nodes:
            ins = n.inputs
            if n.op in _OPS and n.outputs[0].type in _SCALARS and \
                    all(v.type in _SCALARS for v in ins) and \
                    all(v in early_values or fixed(v) for v in ins) and \
                    any(v in early_values for v in ins):
                nodes.append(n)
                early_values.add(n.outputs[0])
        if nodes:
            out[lp.header] = Early(lp.header, lp.pre, lp.item, lp.start, body, nodes)
    return out


def _has_inner_loop(lp, preds, dom) -> bool:
    """Some block of the loop but its header is the target of a back edge."""
    return any(b is not lp.header and any(b in dom.get(p, ()) for p in preds.get(b, ()))
               for b in lp.blocks)


def speculate(ctx, b: ir.IRBuilder, e: Early, item) -> list:
    """``e.nodes`` lowered without checks for the loop item ``item``: their
    values, in order, each through ``cgutils.opaque``."""
    from .lower import LOWERINGS, NodeView
    values = {e.item.outputs[0]: item}
    ctx.speculating = True
    try:
        for n in e.nodes:
            args = [values[v] if v in values else _value_of(ctx, b, v) for v in n.inputs]
            view = NodeView(n.op, n.attrs, [v.type for v in n.inputs], n.outputs[0].type, n.inputs)
            values[n.outputs[0]] = LOWERINGS[n.op](ctx, b, view, args)
    finally:
        ctx.speculating = False
    # Through an empty asm: without it instcombine turns phi(x0 / w, x1 / w) back
    # into phi(x0, x1) / w, and the divide is done after the inner loop again.
    return [cg.opaque(b, values[n.outputs[0]]) for n in e.nodes]


def _value_of(ctx, b, v):
    """``v``'s value: fixed during the loop, so lowered already, or a constant
    of the body, lowered here."""
    if v not in ctx.values:
        ctx.values[v] = ctx._lower_node(b, ctx.producers[v])
    return ctx.values[v]
