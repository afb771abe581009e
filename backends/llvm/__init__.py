"""The LLVM backend: typed graphs to native code through llvmlite.

``compile_graph(graph, options)`` lowers the graph (lower.py, lowerings/),
JIT-compiles it at the options' level (engine.py) and returns
``run(args) -> (exit number, values)`` that packs the live-ins into slots, calls
the native entry and boxes the exit's values to the exact Python types
(reprs.py).  A graph using something this backend cannot lower yet runs on the
numpy backend instead (``run.backend`` says which; ``explain`` shows it).

With ``options.cache`` the object code comes from, or goes to, the disk cache
(cache.py); a hit needs neither the lowering nor, when the entry has a shared
library, LLVM itself — both are imported on the first real compile.
"""
from __future__ import annotations

import ctypes
import itertools
import threading

import numpy as np
from numpy.lib.array_utils import byte_bounds

from pyjit.errors import InternalError
from pyjit.ir.types import UNBOUND, UNDEF, Array, TupleT, UnionT, members
from pyjit.log import log, on
from pyjit.passes.cost import has_loop
from pyjit.passes.graphutil import holds_arrays as _holds_arrays, input_spec, may_be_inputs

from . import addresses, cache
from .slots import DoesNotFit, NotLowerable, boxer, data_address, new_buffers, packer, slots
from .slots import union_tag_offset

_names = itertools.count()
_ENTRY = ctypes.PYFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_void_p)
_NO_ARRAYS = ()
_cached_lock = threading.Lock()  # one thread at a time per process: a key's symbol is defined once


def _lowering():
    """The lowering machinery, imported on the first compile (a process that
    only loads code from the disk cache never needs it, nor LLVM itself)."""
    from . import engine, lowerings, ufuncs  # noqa: F401  (registers the lowerings)
    from .alloc import begin_call
    from .lower import Lowering
    ufuncs.register_all()
    return engine, Lowering, begin_call


def compile_graph(graph, options=None):
    level = getattr(options, "level", "O1")
    fallback = _Reference(graph)
    try:
        if getattr(options, "cache", False):
            return _compile_cached(graph, level, options, fallback)
        return _compile(graph, level, fallback)
    except NotLowerable as why:
        if has_loop(graph):
            # The reference interpreter is far slower than CPython on loops: let
            # CPython run the region's eager copy instead.
            run = _run_eager
            run_note = f"not lowered to LLVM ({why}): CPython runs this loop"
            log("llvm", "%s runs in CPython: %s", graph.name, why)
            return _tagged(run, "cpython", run_note)
        log("llvm", "%s runs on the numpy backend: %s", graph.name, why)
        return _tagged(fallback.run(), "numpy", f"not lowered to LLVM: {why}")


def _run_eager(args):
    return (-1, ())


def _tagged(run, backend: str, note: str):
    def tagged(args):
        return run(args)
    tagged.backend, tagged.note = backend, note
    return tagged


class _Reference:
    """The numpy backend's run for a graph, built on first use: the keys whose
    live-ins do not fit the native slots (a Python int beyond 64 bits) run there."""

    def __init__(self, graph):
        self.graph, self._run = graph, None

    def run(self):
        if self._run is None:
            from pyjit.backends.numpy import compile_graph as reference
            self._run = reference(self.graph)
        return self._run

    def __call__(self, args):
        return self.run()(args)


def _lower(graph, name: str, level: str):
    """LLVM IR text for the graph, the live-ins that exit arrays alias, and the
    module's address globals (addresses.table)."""
    _, Lowering, _ = _lowering()
    low = Lowering(graph, name, level=level)
    text = low.run()
    if on("llvm"):
        log("llvm", "%s", text)
    return text, low.alias, addresses.table(low)


def _bind(engine, name: str, table: list) -> None:
    """Fill the address globals of code just linked by MCJIT (Note [address globals])."""
    try:
        addresses.bind(name, table, engine.global_address)
    except addresses.Unresolvable as exc:  # cannot happen: the lowering resolved them
        raise NotLowerable(f"an address of this process: {exc}") from None


def _compile(graph, level: str, fallback):
    engine, _, begin_call = _lowering()
    name = f"pyjit_region_{next(_names)}"
    text, alias, table = _lower(graph, name, level)
    address = engine.compile_ir(text, name, level)
    _bind(engine, name, table)
    return _runner(graph, address, text, alias, fallback, begin_call, table)


def _compile_cached(graph, level: str, options, fallback):
    """``cache=True``: object code from the disk cache when an entry for the
    graph's key exists, else compiled and stored (cache.py, Note [disk cache key])."""
    with _cached_lock:
        return _compile_cached_locked(graph, level, options, fallback)


def _compile_cached_locked(graph, level: str, options, fallback):
    key, why_not = cache.key(graph, level, options)
    if key is not None:
        run = _from_entry(graph, key, fallback)
        if run is not None:
            return run
    engine, _, begin_call = _lowering()
    if key is not None and cache.spoilt(key):
        key, why_not = None, "a damaged entry for this key was linked"
    name = cache.symbol(key) if key is not None else f"pyjit_region_{next(_names)}"
    text, alias, table = _lower(graph, name, level)
    if key is not None:
        why_not = cache.position_dependent(text)
    if why_not is not None:
        log("llvm", "%s: not stored in the disk cache: %s", graph.name, why_not)
        if key is not None:  # the key's symbol names cached code only: this module is not
            fresh = f"pyjit_region_{next(_names)}"
            name, text = fresh, text.replace(name, fresh)
        address = engine.compile_ir(text, name, level)
        _bind(engine, name, table)
        run = _runner(graph, address, text, alias, fallback, begin_call, table)
        run.note = f"not cached: {why_not}"
        return run
    address, obj = engine.compile_ir_to_object(text, name, level)
    _bind(engine, name, table)
    cache.store(key, cache.Entry(name, address, text, cache.alias_plan(graph, alias), table), obj)
    run = _runner(graph, address, text, alias, fallback, begin_call, table)
    run.cache_key = key
    return run


def _from_entry(graph, key: str, fallback):
    """``run`` for ``graph`` from the disk cache's entry ``key`` (linked, its address
    globals bound), or None if there is no usable entry."""
    hit = cache.load(key)
    if hit is None:
        return None
    alias = cache.alias_from_plan(graph, hit.alias_plan)
    run = _runner(graph, hit.address, hit.ir, alias, fallback, _collector(hit.addresses),
                  hit.addresses)
    run.note = "from disk cache"
    run.cache_key = key
    return run


def cached_specialization(graph, types: list, options):
    """``(index key, hit)`` for a region's ``graph`` called with live-in ``types``
    under ``cache=True``: ``hit`` is ``(optimized graph, run)`` when the disk
    cache holds both, found without type inference or passes (graphcache.py,
    Note [skipping inference and passes]); else None, and the dispatcher
    compiles and calls ``remember_specialization`` with the index key (None:
    the region cannot be indexed)."""
    from . import graphcache
    k = graphcache.key(graph, types, options)
    if k is None:
        return None, None
    found = graphcache.load(k)
    if found is None:
        return k, None
    optimized, entry_key = found
    from pyjit import config
    if config.checking():
        again, _ = cache.key(optimized, getattr(options, "level", "O1"), options)
        if again != entry_key:
            raise InternalError(f"graph index {k[:16]}: its graph has key {again}, not {entry_key}")
    with _cached_lock:
        run = _from_entry(optimized, entry_key, _Reference(optimized))
    return k, (None if run is None else (optimized, run))


def remember_specialization(index_key: str, optimized, run) -> None:
    """After a compile under ``cache=True``: index the entry ``run`` came from (if
    it has one) by ``index_key`` (``cached_specialization``)."""
    entry_key = getattr(run, "cache_key", None)
    if entry_key is not None:
        from . import graphcache
        graphcache.remember(index_key, optimized, entry_key)


def _collector(table: list):
    """``begin_call`` for cached code: numpy's allocation callback collects the
    arrays of the call (alloc.py) if the code allocates; else nothing to do,
    and the lowering need not be imported."""
    if addresses.allocates(table):
        from .alloc import begin_call
        return begin_call
    return lambda: _NO_ARRAYS


def _runner(graph, address: int, text: str, alias: dict, fallback, begin_call, table: list):
    """``run(args) -> (exit, values)`` around the native entry at ``address``:
    packs the live-ins, calls, boxes the exit's values."""
    types = [li.value.type for li in graph.inputs]
    pack, nin = packer(types)
    maybe = may_be_inputs(graph)
    # each exit's boxing is built the first time the Python path takes it: where the
    # C dispatcher boxes (runtime/cdispatch.py), it never is (~1 ms of a warm first call)
    nout = max((_exit_width(e, alias) for e in graph.exits), default=1)
    boxes: dict = {}

    def box_for(k):
        box = boxes[k] = _exit_plan(graph.exits[k], alias, maybe)[0]
        return box
    entry = _ENTRY(address)
    materialize = _materialize
    local = threading.local()  # slot buffers per thread: native code never re-enters

    def buffers():
        ibuf, fbuf = new_buffers(nin)
        obuf, ofbuf = new_buffers(nout)
        local.bufs = b = (ibuf, fbuf, obuf, ofbuf, ctypes.addressof(ibuf), ctypes.addressof(obuf))
        return b

    def run(args):
        try:
            ibuf, fbuf, obuf, ofbuf, iaddr, oaddr = local.bufs
        except AttributeError:
            ibuf, fbuf, obuf, ofbuf, iaddr, oaddr = buffers()
        try:
            pack(args, ibuf, fbuf)
        except DoesNotFit:
            return fallback(args)
        allocated = begin_call()
        k = entry(iaddr, oaddr)
        box = boxes.get(k) or box_for(k)
        try:
            return k, box(obuf, ofbuf, (args, allocated), materialize)
        finally:
            if allocated:  # the call's temporaries go now; what was boxed holds its own
                del allocated[:]

    run.backend, run.note = "llvm", ""
    run.ir = text
    run.native_address = address  # the C dispatcher calls it directly (runtime/cdispatch.py)
    run.alias = alias             # exit arrays that are live-ins returned as they are
    run.maybe = maybe             # exit arrays that may be live-ins (graphutil.may_be_inputs)
    run.addresses = table         # [(global suffix, symbolic name)]: what the code calls
    return run


def _exit_width(e, alias) -> int:
    """How many out slots exit ``e``'s values take (as ``_exit_plan`` counts them)."""
    return sum(0 if alias.get(v) is not None and isinstance(v.type, Array) else slots(v.type)
               for v in e.all_values())


def _exit_plan(e, alias, maybe):
    """How to box exit ``e``'s values from the out slots: (function, slot count)."""
    steps, k = [], 0
    for v in e.values:
        steps.append(_value_step(v, k, alias, maybe))
        k += 0 if alias.get(v) is not None and isinstance(v.type, Array) else slots(v.type)
    stack = []
    for item in e.stack:
        parts = []
        for v in item.values:
            parts.append(_value_step(v, k, alias, maybe))
            k += 0 if alias.get(v) is not None and isinstance(v.type, Array) else slots(v.type)
        stack.append((item.kind, parts))

    def box(obuf, ofbuf, args, materialize):
        out = [step(obuf, ofbuf, args) for step in steps]
        for kind, parts in stack:
            out.append(materialize(kind, [p(obuf, ofbuf, args) for p in parts]))
        return tuple(out)

    return box, k


def _value_step(v, k, alias, maybe):
    """``step(obuf, ofbuf, (args, allocated))`` boxing value ``v`` from slot ``k``;
    ``maybe``: graphutil.may_be_inputs."""
    if isinstance(v.type, Array) and alias.get(v) is not None:
        i = alias[v]
        return lambda obuf, ofbuf, ctx: ctx[0][i]
    items = alias.get(v)
    spec = input_spec(maybe, v)
    if isinstance(v.type, TupleT) and isinstance(items, (tuple, list)):
        parts, off = [], k   # the tuple's slots are all written; aliased items ignore theirs
        specs = spec if len(spec) == len(items) else ((),) * len(items)
        for item_t, i, s in zip(v.type.items, items, specs):
            parts.append((lambda obuf, ofbuf, ctx, i=i: ctx[0][i]) if i is not None
                         else _type_step(item_t, off, s))
            off += slots(item_t)
        return lambda obuf, ofbuf, ctx: tuple(p(obuf, ofbuf, ctx) for p in parts)
    return _type_step(v.type, k, spec)


def _type_step(t, k, maybe=()):
    """``maybe``: graphutil.input_spec of the value (live-in indexes it may be)."""
    if isinstance(t, Array):
        ndim, dtype = t.ndim, t.dtype
        return lambda obuf, ofbuf, ctx: _array_from_slots(obuf, k, ndim, dtype, ctx, maybe)
    if isinstance(t, TupleT) and any(_holds_arrays(i) for i in t.items):
        parts, off = [], k
        specs = maybe if len(maybe) == len(t.items) else ((),) * len(t.items)
        for item, s in zip(t.items, specs):
            parts.append(_type_step(item, off, s))
            off += slots(item)
        return lambda obuf, ofbuf, ctx: tuple(p(obuf, ofbuf, ctx) for p in parts)
    if isinstance(t, UnionT) and _holds_arrays(t):  # a maybe-unbound array (reprs.py)
        tag = union_tag_offset(t)
        parts = [(lambda obuf, ofbuf, ctx: UNBOUND) if m == UNDEF else _type_step(m, k, maybe)
                 for m in members(t)]
        return lambda obuf, ofbuf, ctx: parts[int(obuf[k + tag])](obuf, ofbuf, ctx)
    bx = boxer(t)
    return lambda obuf, ofbuf, ctx: bx(obuf, ofbuf, k)


_address = data_address()


def _array_from_slots(obuf, k, ndim, dtype, ctx, maybe=()):
    """The array the slots describe: one native code allocated in this call, or a
    view (``a.T``) of such an array or of a live-in array."""
    args, allocated = ctx
    data = int(obuf[k])
    shape = tuple(int(x) for x in obuf[k + 1:k + 1 + ndim])
    strides = tuple(int(x) for x in obuf[k + 1 + ndim:k + 1 + 2 * ndim])
    return array_at(dtype, data, shape, strides, allocated, args, maybe)


# Note [boxing an exit's array]
#     An exit's array is the very array this call allocated when it has that
#     data pointer, shape and strides; an empty one matches by data and shape
#     alone: native code gives a new array C strides, constants that let LLVM
#     vectorize, where numpy 2 gives an empty array zero strides, and with no
#     element the strides address nothing.  runtime/plans.c pj_box_array does
#     the same in C.

def array_at(dtype, data, shape, strides, allocated, args, maybe=()):
    """The array at ``data`` with that shape and strides: one of ``allocated`` (this
    call's), a live-in the value may be itself (``maybe``: indexes, from
    graphutil.may_be_inputs), or a view of one of them or of a live-in array.
    The C dispatcher calls it for an exit array that is not one of ``allocated``
    itself."""
    allocated = allocated or ()
    for arr in allocated:
        if _address(arr) == data and arr.shape == shape and (arr.strides == strides or not arr.size):
            return arr
    for i in maybe:
        arr = args[i]
        if isinstance(arr, np.ndarray) and _address(arr) == data and arr.shape == shape and \
                arr.strides == strides and arr.dtype == dtype:
            return arr
    owners = list(allocated) + [a for a in args if isinstance(a, np.ndarray)]
    for arr in owners:
        low, high = byte_bounds(arr)
        if low <= data < max(high, low + 1):
            return np.asarray(_View(data, shape, strides, dtype, arr))
    raise InternalError("an exit array outside every array the region knows")


class _View:
    """Exposes memory owned by ``owner`` as an array (``np.asarray(view)``)."""

    def __init__(self, data, shape, strides, dtype, owner):
        self.owner = owner
        self.__array_interface__ = {"data": (data, not owner.flags.writeable), "shape": shape,
                                    "strides": strides, "typestr": dtype.str, "version": 3}


def _materialize(kind: str, values: list):
    """The object an exit pushes for a stack item: a return value as it is, an
    iterator rebuilt by the numpy backend's interpreter (imported only then:
    ~1.2 ms that a warm first call need not pay)."""
    if kind == "value":
        return values[0]
    from pyjit.backends.numpy.interpreter import materialize
    return materialize(kind, values)
