"""The LLVM backend: typed graphs to native code through llvmlite.

``compile_graph(graph, options)`` lowers the graph (lower.py, lowerings/),
JIT-compiles it at the options' level (engine.py) and returns
``run(args) -> (exit number, values)`` that packs the live-ins into slots, calls
the native entry and boxes the exit's values to the exact Python types
(reprs.py).  A graph using something this backend cannot lower yet runs on the
numpy backend instead (``run.backend`` says which; ``explain`` shows it).
"""
from __future__ import annotations

import ctypes
import itertools

from pyjit.ir.types import Array
from pyjit.log import log, on

from . import engine, lowerings  # noqa: F401  (registers the lowerings)
from .lower import Lowering
from .reprs import DoesNotFit, NotLowerable, boxer, new_buffers, packer, slots

_names = itertools.count()
_ENTRY = ctypes.PYFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p)


def compile_graph(graph, options=None):
    from pyjit.backends.numpy import compile_graph as reference
    level = getattr(options, "level", "O1")
    try:
        return _compile(graph, level, reference(graph))
    except NotLowerable as why:
        run = reference(graph)
        run.backend, run.note = "numpy", f"not lowered to LLVM: {why}"
        log("llvm", "%s runs on the numpy backend: %s", graph.name, why)
        return run


def _compile(graph, level: str, fallback):
    name = f"pyjit_region_{next(_names)}"
    low = Lowering(graph, name)
    text = low.run()
    if on("llvm"):
        log("llvm", "%s", text)
    types = [li.value.type for li in graph.inputs]
    pack, nin = packer(types)
    exits = [_exit_plan(e, low.alias) for e in graph.exits]
    nout = max((n for _, n in exits), default=1)
    entry = _ENTRY(engine.compile_ir(text, name, level))
    materialize = _materializer()

    def run(args):
        ibuf, fbuf = new_buffers(nin)
        try:
            pack(args, ibuf, fbuf)
        except DoesNotFit:
            return fallback(args)
        obuf, ofbuf = new_buffers(nout)
        k = entry(ibuf.ctypes.data, obuf.ctypes.data)
        box, _ = exits[k]
        return k, box(obuf, ofbuf, args, materialize)

    run.backend, run.note = "llvm", ""
    run.ir = text
    return run


def _exit_plan(e, alias):
    """How to box exit ``e``'s values from the out slots: (function, slot count)."""
    steps, k = [], 0
    for v in e.values:
        steps.append(_value_step(v, k, alias))
        k += 0 if isinstance(v.type, Array) else slots(v.type)
    stack = []
    for item in e.stack:
        parts = []
        for v in item.values:
            parts.append(_value_step(v, k, alias))
            k += 0 if isinstance(v.type, Array) else slots(v.type)
        stack.append((item.kind, parts))

    def box(obuf, ofbuf, args, materialize):
        out = [step(obuf, ofbuf, args) for step in steps]
        for kind, parts in stack:
            out.append(materialize(kind, [p(obuf, ofbuf, args) for p in parts]))
        return tuple(out)

    return box, k


def _value_step(v, k, alias):
    if isinstance(v.type, Array):
        i = alias[v]
        return lambda obuf, ofbuf, args: args[i]
    bx = boxer(v.type)
    return lambda obuf, ofbuf, args: bx(obuf, ofbuf, k)


def _materializer():
    from pyjit.backends.numpy.interpreter import materialize
    return materialize
