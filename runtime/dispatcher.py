"""The region dispatcher: its Python path (the C fast path is dispatch.c; see README.md).

The rewritten bytecode calls a region's dispatcher with the region's live-ins;
the dispatcher answers ``(exit number, values)``:

1. **Guards.** Static live-ins (modules, functions, ``range``) must be the very
   objects the graph was built against, and so must the globals an inlined
   callee read.  A failed guard runs the eager copy (reason PJ0008).
2. **Key.** The types of the other live-ins (``int`` vs ``np.int64``; arrays by
   dtype, ndim and layout).
3. **Cache.** A hit calls the compiled entry; a miss runs type inference and
   the backend and caches the result, or caches ``EAGER`` with the reason when
   the key cannot be compiled.

It never raises into user code: an internal error is logged, counted as
PJ0010 and answered with "run the eager copy" — except under ``PYJIT_CHECK=1``
(the tests), where it propagates so that bugs cannot hide.  A key whose
compilation failed so is cached as eager with that reason (explain shows it):
it is not compiled, and logged, again on every call.
"""
from __future__ import annotations

import time

from pyjit import config, runtime
from pyjit.errors import GraphBreakError, InternalError
from pyjit.ir.types import Const, typeof
from pyjit.log import exit_where, log, region_file, region_where
from pyjit.record import field, record
from pyjit.report.reasons import Unsupported

from . import cdispatch

EAGER = (-1, ())
TOO_SMALL = "scalar code without a loop: faster in CPython than through a dispatch"
_MISSING = object()


@record
class Specialization:
    """One key of a region: compiled, or eager with the reason."""

    key: tuple
    entry: object = None
    reason: Unsupported | None = None
    graph: object = None
    compile_seconds: float = 0.0
    stages: dict = field(default_factory=dict)  # stage name -> seconds: infer, passes, backend
    calls: int = 0
    seconds: float = 0.0
    backend: str = ""
    note: str = ""


@record
class RegionStats:
    calls: int = 0
    eager_calls: int = 0
    guard_failures: int = 0
    bailouts: int = 0
    specializations: dict = field(default_factory=dict)
    # Counted on the Python path only (explain's timing sends every call there):
    bailout_exits: dict = field(default_factory=dict)   # resume exit number -> bailouts through it
    guards_failed: dict = field(default_factory=dict)   # name of the rebound value -> failures


class RegionDispatcher(cdispatch.BASE, metaclass=cdispatch.DispatcherType):
    """Called by rewritten bytecode; see the module docstring.

    With the native runtime the call lands in C first (runtime/dispatch.c): keys
    that C has been given (``cdispatch.serve``) never enter Python; the rest come
    here, to ``_dispatch_python``.
    """

    timing = False  # set by explain(): time every compiled call

    def __init__(self, region, options):
        self.region = region
        self.options = options
        self.static = [(i, li.static) for i, li in enumerate(region.graph.inputs) if li.is_static]
        self.dynamic = [i for i, li in enumerate(region.graph.inputs) if not li.is_static]
        self.cache: dict = {}
        self._stats = RegionStats()
        self._c_keys: set = set()
        self._c_on = cdispatch.configure(self)

    def __repr__(self) -> str:
        return f"<pyjit region {self.region.number} of {self.region.graph.name}>"

    @property
    def stats(self) -> RegionStats:
        """The counters, including the calls C served since the last look."""
        if self._c_on:
            calls, eager, bailouts, per_spec = self._c_take_counts()
            s = self._stats
            s.calls += calls
            s.eager_calls += eager
            s.bailouts += bailouts
            for spec, n in per_spec:
                spec.calls += n
        return self._stats

    def _dispatch_python(self, *args):
        try:
            return self._dispatch(args)
        except GraphBreakError:
            raise
        except Exception as exc:  # never break the user's program: run the eager copy
            return self._entry_failed(exc)

    def _entry_failed(self, exc):
        """An entry raised (C calls this too): re-raise a break or, under
        PYJIT_CHECK, the error; otherwise log it and run the eager copy."""
        if isinstance(exc, GraphBreakError) or config.checking():
            raise exc
        log("errors", "PJ0010 internal error in %r: %s: %s", self, type(exc).__name__, exc)
        self._stats.eager_calls += 1
        return EAGER

    def _dispatch(self, args):
        stats = self.stats
        stats.calls += 1
        for i, obj in self.static:
            if args[i] is not obj:
                return self._guard_failed(self.region.graph.inputs[i].name)
        for d, name, obj in self.region.guards:
            if d.get(name, _MISSING) is not obj:
                return self._guard_failed(name)
        key = tuple(typeof(args[i]) for i in self.dynamic)
        spec = self.cache.get(key)
        if spec is None:
            spec = self.cache[key] = self._specialize_once(key)
        if self._c_on:
            cdispatch.serve(self, args, spec)
        if spec.entry is None:
            stats.eager_calls += 1
            if self.options.fullgraph and spec.reason is not None:
                raise GraphBreakError(spec.reason)
            return EAGER
        spec.calls += 1
        if RegionDispatcher.timing:
            # report/sampler.py reads ``spec`` and ``t0`` from this frame (Note [eager time by sampling])
            t0 = time.perf_counter()
            result = spec.entry(args)
            spec.seconds += time.perf_counter() - t0
        else:
            result = spec.entry(args)
        if result[0] >= 0 and self.region.graph.exits[result[0]].kind == "resume":
            stats.bailouts += 1
            stats.bailout_exits[result[0]] = stats.bailout_exits.get(result[0], 0) + 1
            log("bailouts", "%s: PJ0018 bailout from %r: CPython resumes at this line",
                exit_where(self.region, result[0]), self)
        return result

    def _specialize_once(self, key: tuple) -> Specialization:
        """``_specialize``.  If it fails (a pyjit bug), the key runs eagerly from then
        on, with the error as its reason: compiling again would fail again, at the
        cost of a compile and a logged error on every call."""
        try:
            return _outside_capture(self._specialize, key)
        except GraphBreakError:
            raise
        except Exception as exc:
            if not config.checking():
                why = Unsupported("PJ0010", f"compiling failed: {type(exc).__name__}: {exc}",
                                  filename=region_file(self.region) or "",
                                  lineno=min(self.region.lines, default=None))
                self.cache[key] = Specialization(key, reason=why)
            raise

    def _guard_failed(self, name: str):
        stats = self.stats
        stats.guard_failures += 1
        stats.guards_failed[name] = stats.guards_failed.get(name, 0) + 1
        log("recompiles", "%s: PJ0008 %r: %s was rebound; running the eager copy",
            region_where(self.region), self, name)
        return EAGER

    def _specialize(self, key: tuple) -> Specialization:
        from pyjit.backends import select

        graph = self.region.graph
        types, it = [], iter(key)
        for li in graph.inputs:
            types.append(Const(li.static) if li.is_static else next(it))
        t0 = time.perf_counter()
        backend = select(self.options.backend)
        index = None
        if self.options.cache and hasattr(backend, "cached_specialization"):
            # the disk cache may have the optimized graph and its code: no inference,
            # no passes (backends/llvm/graphcache.py)
            index, hit = backend.cached_specialization(graph, types, self.options)
            if hit is not None:
                optimized, entry = hit
                t1 = time.perf_counter()
                return self._new(Specialization(
                    key, entry=entry, graph=optimized, compile_seconds=t1 - t0,
                    stages={"index": t1 - t0},
                    backend=entry.backend, note=entry.note))

        from pyjit.ir.infer import infer
        from pyjit.ir.verify import maybe_verify
        from pyjit.passes.cost import worth_compiling
        from pyjit.passes.pipeline import optimize
        ti = time.perf_counter()
        typed = infer(graph, types)
        if isinstance(typed, Unsupported):
            log("breaks", "%s (%r, key %s runs eagerly)", typed, self, _key_str(key))
            # capture() drops a region whose first key cannot compile (like one too
            # small): its dispatch would cost every call and gain nothing
            drop = getattr(self.region, "on_uncompilable", None)
            if len(self.cache) == 0 and drop is not None:
                drop(self.region)
            return Specialization(key, reason=typed)
        maybe_verify(typed, typed=True)
        if not (worth_compiling(typed) or self.options.fullgraph or config.keep_small_regions()):
            log("recompiles", "%s: PJ0017 %r: key %s is scalar code without a loop: CPython runs it",
                region_where(self.region), self, _key_str(key))
            if len(self.cache) == 0 and self.region.on_too_small is not None:
                self.region.on_too_small(self.region)
            return Specialization(key, graph=typed, note=TOO_SMALL)
        t1 = time.perf_counter()
        optimized = optimize(typed, self.options)
        t2 = time.perf_counter()
        entry = backend.compile_graph(optimized, self.options)
        if index is not None:
            backend.remember_specialization(index, optimized, entry)
        t3 = time.perf_counter()
        stages = {"index": ti - t0} if self.options.cache else {}
        stages.update(infer=t1 - ti, passes=t2 - t1, backend=t3 - t2)
        return self._new(Specialization(
            key, entry=entry, graph=optimized, compile_seconds=t3 - t0, stages=stages,
            backend=entry.backend, note=entry.note))

    def _new(self, spec: Specialization) -> Specialization:
        if len(self.cache) > 0:
            log("recompiles", "%s: %r: new specialization %s", region_where(self.region), self,
                _key_str(spec.key))
        return spec


if cdispatch.BASE is object:  # no native runtime: the Python path is the call
    RegionDispatcher.__call__ = RegionDispatcher._dispatch_python
else:
    runtime.native().inherit_vectorcall(RegionDispatcher)


def _outside_capture(work, *args):
    """Run pyjit's own work with the capture hook paused on this thread: the
    functions it calls (dataclass ``__init__``s made by ``exec``, say) must not
    be compiled by the JIT that is compiling them."""
    native = runtime.native()
    if native is None:
        return work(*args)
    state = native.pause()
    try:
        return work(*args)
    finally:
        native.resume(state)


def _key_str(key) -> str:
    return "(" + ", ".join(str(t) for t in key) + ")"


__all__ = ["EAGER", "RegionDispatcher", "Specialization", "InternalError"]
