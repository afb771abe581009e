"""The optimization pipeline per level: a readable list of steps (DESIGN.md, step 5).

    >>> optimized = optimize(typed_graph, Options(level="O1"))

- **O0**: no graph passes.  Each array op is its own kernel (nothing is fused);
  the backend uses LLVM's lowest optimization level: the fastest compile.
- **O1**: folding and exact simplification, branch folding, redundant loop
  parameters, CSE, loop-invariant
  code motion, DCE, then elementwise fusion; LLVM's default pipeline (speed 2).
- **O2**: O1's passes run twice around LICM (hoisting exposes more folding),
  then buffer reuse (an elementwise result written over a dead temporary
  operand, ``reuse.py``), and LLVM's most aggressive pipeline with loop and SLP
  vectorization.

At every level a region is one native function (the LLVM backend compiles the
whole graph, loops included).  Each step takes the typed graph, rewrites it in
place and returns how many changes it made (``graph.pass_log``: [(step, changes)]).
``graph.fastmath`` tells the backend whether ``fastmath=True`` allows it to
reassociate float arithmetic (the only opt-in to that).
The steps work on a copy; if one fails, the region compiles unoptimized and the
failure is logged (under ``PYJIT_CHECK=1`` it raises, and the verifier runs
after every step).
"""
from __future__ import annotations

from pyjit import config
from pyjit.ir.clone import clone
from pyjit.log import log

from . import branches, cse, dce, fusion, licm, params, reuse, rules

STEPS = {
    "O0": (),
    "O1": (
        ("rules", rules.run),          # fold constants, x*1 -> x, ...
        ("branches", branches.run),    # cbr on a constant -> br; drop unreachable blocks
        ("params", params.run),        # loop parameters that never change -> their value
        ("cse", cse.run),
        ("licm", licm.run),
        ("dce", dce.run),
        ("fusion", fusion.run),        # elementwise chains -> one kernel each
    ),
    "O2": (
        ("rules", rules.run),
        ("branches", branches.run),
        ("params", params.run),
        ("cse", cse.run),
        ("licm", licm.run),
        ("rules", rules.run),
        ("branches", branches.run),
        ("cse", cse.run),
        ("dce", dce.run),
        ("fusion", fusion.run),
        ("reuse", reuse.run),          # a result over a dead temporary's memory
    ),
}


def optimize(graph, options):
    level = getattr(options, "level", "O1")
    steps = STEPS[level]
    fastmath = bool(getattr(options, "fastmath", False))
    graph.fused, graph.reuse, graph.pass_log, graph.fastmath = {}, {}, [], fastmath
    if not steps:
        return graph
    work = clone(graph)
    work.fused, work.reuse, work.pass_log, work.fastmath = {}, {}, [], fastmath
    try:
        for name, step in steps:
            changes = step(work, options)
            work.pass_log.append((name, changes))
            if config.checking():
                from pyjit.ir.verify import verify
                verify(work, typed=True)
    except Exception as exc:
        if config.checking():
            raise
        log("errors", "PJ0010 pass %s failed on %s: %s: %s; compiling it unoptimized",
            name, graph.name, type(exc).__name__, exc)
        return graph
    return work
