"""The Python half of the C dispatcher (dispatch.c): what it is told about a region
and about each specialization it may serve without entering Python.

``configure(d)`` hands the C side the region's guards and which live-ins are
keyed; ``serve(d, args, spec)`` installs a specialization under the C key of
``args`` after the Python dispatcher found or built it:

* no entry (the key runs eagerly)          -> ``(-1, ())`` from C;
* an LLVM entry                            -> the native function, called with the
                                              slot ABI (backends/llvm/reprs.py,
                                              Note [slot ABI]) and boxed in C; arrays
                                              it allocates are collected around the
                                              call (runtime/arrays.c) and an exit's
                                              array is found among them (BOX_ARRAY),
                                              or is a live-in returned as it is (BOX_ARG);
* any other entry                          -> ``entry(args)`` called from C.

The native plans mirror reprs.packer/boxer exactly: a value C cannot box the
same way makes the whole specialization a Python-entry one.
"""
from __future__ import annotations

import functools

import numpy as np

from pyjit.ir.types import (BOOL, FLOAT, INT, UNBOUND, UNDEF, Array, Const, NpScalar, Singleton,
                            TupleT, UnionT, members)
from pyjit.log import on

from . import native

_rt = native()
BASE = _rt.Dispatcher if _rt is not None else object

# in-plan and box kinds: the enums of dispatch.c
IN_NONE, IN_F64, IN_I64, IN_BOOL, IN_ARRAY = range(5)
(BOX_FLOAT, BOX_INT, BOX_BOOL, BOX_CONST, BOX_NPFLOAT, BOX_NPINT, BOX_NPUINT64, BOX_NPBOOL, BOX_UNION,
 BOX_CALL, BOX_ARRAY, BOX_ARG) = range(1, 13)
MODE_EAGER, MODE_PYENTRY, MODE_NATIVE = range(3)

if _rt is not None:
    _SCALAR_TYPES = tuple(np.dtype(c).type for c in "?bBhHiIlLqQefdgFDG")
    _rt.set_types(UNBOUND, np.ndarray, tuple(dict.fromkeys(_SCALAR_TYPES)))


class DispatcherType(type):
    """``RegionDispatcher.timing = True`` (explain) sends every call to the Python
    path, where calls are timed."""

    def __setattr__(cls, name, value):
        super().__setattr__(name, value)
        if name == "timing" and _rt is not None:
            _rt.set_fast(not value)


def enabled() -> bool:
    # Bailout logging and checking mode want every call to go through Python.
    return _rt is not None and not on("bailouts")


def configure(d) -> bool:
    """Tell the C side about ``d``'s region; False when C serves nothing for it."""
    if not enabled():
        return False
    g = d.region.graph
    statics = tuple((i, obj) for i, obj in d.static)
    guards = tuple((dct, name, obj) for dct, name, obj in d.region.guards)
    if not all(isinstance(dct, dict) for dct, _, _ in guards):
        return False
    d._c_configure(len(g.inputs), statics, guards, tuple(d.dynamic))
    return True


def serve(d, args: tuple, spec) -> None:
    """Install ``spec`` under the C key of ``args``, if C can serve it."""
    key = d._c_key(args)
    if key is None or key in d._c_keys:
        return
    if spec.entry is None:
        if d.options.fullgraph and spec.reason is not None:
            return  # the Python path raises GraphBreakError
        plan = (MODE_EAGER, None, 0, (), ())
    else:
        plan = _native_plan(spec) or (MODE_PYENTRY, spec.entry, 0, (), _exit_flags(d.region.graph))
    mode, entry, address, in_plan, exits = plan
    allocates = mode == MODE_NATIVE and _computes_arrays(spec.graph)
    if d._c_install(key, spec, mode, entry, address, in_plan, exits, allocates):
        d._c_keys.add(key)


def _exit_flags(graph) -> tuple:
    return tuple((e.kind == "resume", ()) for e in graph.exits)


# ---- native plans ------------------------------------------------------------------

def _native_plan(spec):
    entry, graph = spec.entry, spec.graph
    if getattr(entry, "backend", None) != "llvm" or graph is None:
        return None
    address = _native_address(entry)
    alias = getattr(entry, "alias", None)
    if not address or (alias is None and _computes_arrays(graph)):
        return None
    alias = alias or {}
    from pyjit.backends.llvm.slots import NotLowerable, slots
    maybe = getattr(entry, "maybe", None)
    if maybe is None:
        from pyjit.passes.graphutil import may_be_inputs
        maybe = may_be_inputs(graph)  # value -> the live-ins it may be itself
    try:
        in_plan, k = [], 0
        for li in graph.inputs:
            t = li.value.type
            n = slots(t)
            kind = _in_kind(t) if n else IN_NONE
            if kind is None:
                return None
            in_plan.append((kind, k, t.ndim if isinstance(t, Array) else 0))
            k += n
        exits = []
        for e in graph.exits:
            boxes, k = [], 0
            for v in e.values:
                box, width = _value_box(v, k, alias, maybe)
                if box is None:
                    return None
                boxes.append(box)
                k += width
            for item in e.stack:   # a return value, or a loop iterator to rebuild
                parts = []
                for v in item.values:
                    part, width = _value_box(v, k, alias, maybe)
                    if part is None:
                        return None
                    parts.append(part)
                    k += width
                if item.kind == "value":
                    boxes.append(parts[0])
                else:
                    boxes.append((BOX_CALL, 0, functools.partial(_materialize, item.kind), tuple(parts)))
            exits.append((e.kind == "resume", tuple(boxes)))
    except NotLowerable:
        return None
    return MODE_NATIVE, entry, address, tuple(in_plan), tuple(exits)


def _value_box(v, k, alias, maybe):
    """``(box, slots taken)`` for exit value ``v`` at slot ``k``, as the run
    wrapper's ``_exit_plan`` lays them out: a live-in array returned as it is
    takes no slot; ``maybe``: graphutil.may_be_inputs."""
    from pyjit.backends.llvm.slots import slots
    from pyjit.passes.graphutil import input_spec
    if isinstance(v.type, Array) and alias.get(v) is not None:
        return (BOX_ARG, alias[v], None, ()), 0
    items = alias.get(v)
    spec = input_spec(maybe, v)
    if isinstance(v.type, TupleT) and isinstance(items, (tuple, list)):
        parts, off = [], k   # as the run wrapper's _value_step: aliased items are the live-ins
        specs = spec if len(spec) == len(items) else ((),) * len(items)
        for item_t, i, s in zip(v.type.items, items, specs):
            part = (BOX_ARG, i, None, ()) if i is not None else _box(item_t, off, s)
            if part is None:
                return None, 0
            parts.append(part)
            off += slots(item_t)
        return (BOX_CALL, k, tuple, tuple(parts)), slots(v.type)
    return _box(v.type, k, spec), slots(v.type)


def _native_address(run) -> int | None:
    """The native entry of an LLVM ``run`` (backends/llvm sets ``native_address``)."""
    return getattr(run, "native_address", None) or None


def _materialize(kind: str, values: list):
    """An exit's stack item rebuilt (a loop's iterator) by the numpy backend's
    interpreter, imported on the first such exit, not with the plan."""
    from pyjit.backends.numpy.interpreter import materialize
    return materialize(kind, values)


def _has_array(t) -> bool:
    if isinstance(t, Array):
        return True
    if isinstance(t, TupleT):
        return any(_has_array(i) for i in t.items)
    return False


def _computes_arrays(graph) -> bool:
    """Native code that makes arrays allocates through the backend's per-call
    context (alloc.begin_call), which only its Python entry sets up.  Arrays
    that only flow in (live-ins, block arguments) are fine; exits that carry
    arrays have no C boxing (``_box``)."""
    return any(_has_array(o.type) for n in graph.nodes() for o in n.outputs)


def _in_kind(t):
    if t == FLOAT or isinstance(t, NpScalar) and t.dtype == np.float64:
        return IN_F64
    if t == INT:
        return IN_I64
    if t == BOOL:
        return IN_BOOL
    if isinstance(t, Array):
        return IN_ARRAY
    return None


def _box(t, k, maybe=()):
    """``(kind, slot, obj, members)`` boxing a value of type ``t`` from slot ``k``
    exactly as reprs.boxer does, or None."""
    if isinstance(t, Array):
        from pyjit.backends.llvm import array_at
        return BOX_ARRAY, k, functools.partial(array_at, t.dtype, maybe=maybe), t.ndim
    if isinstance(t, TupleT):
        from pyjit.backends.llvm.slots import slots
        parts, off = [], k
        specs = maybe if len(maybe) == len(t.items) else ((),) * len(t.items)
        for item, s in zip(t.items, specs):
            part = _box(item, off, s)
            if part is None:
                return None
            parts.append(part)
            off += slots(item)
        return BOX_CALL, k, tuple, tuple(parts)
    if isinstance(t, UnionT):
        from pyjit.backends.llvm.slots import union_tag_offset
        parts = []
        for m in members(t):
            part = (BOX_CONST, k, UNBOUND, ()) if m == UNDEF else _box(m, k, maybe)
            if part is None or part[0] == BOX_UNION:
                return None
            parts.append(part)
        return BOX_UNION, k, union_tag_offset(t), tuple(parts)
    if isinstance(t, Const):
        return BOX_CONST, k, t.value, ()
    if isinstance(t, Singleton) and t != UNDEF:
        return BOX_CONST, k, None, ()
    if t == FLOAT:
        return BOX_FLOAT, k, None, ()
    if t == INT:
        return BOX_INT, k, None, ()
    if t == BOOL:
        return BOX_BOOL, k, None, ()
    if isinstance(t, NpScalar):
        d, cls = t.dtype, t.dtype.type
        if d.kind == "f" and d.itemsize in (4, 8):
            return BOX_NPFLOAT, k, cls, ()
        if d.kind == "b":
            return BOX_NPBOOL, k, cls, ()
        if d.kind == "u" and d.itemsize == 8:
            return BOX_NPUINT64, k, cls, ()
        if d.kind in "iu":
            return BOX_NPINT, k, cls, ()
    return None
