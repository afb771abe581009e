"""The public API: ``jit``, ``explain``.

    >>> @pyjit.jit
    ... def norm2(a):
    ...     s = 0.0
    ...     for i in range(a.shape[0]):
    ...         s += a[i] * a[i]
    ...     return s
    >>> print(pyjit.explain(norm2, np.ones(3)))
"""
from __future__ import annotations

import functools
import time
import types
import warnings
import weakref

from . import config
from .errors import GraphBreakError
from .frontend.cpython import table

_JIT_OPTIONS = ("level", "backend", "fullgraph", "fastmath", "parallel", "cache")
_warned_version = False


def jit(fn=None, /, **options):
    """Compile ``fn``'s compilable regions; everything else runs in CPython.

    Options: ``level`` ("O0", "O1", "O2"), ``backend`` ("numpy", "llvm"),
    ``fullgraph`` (raise ``GraphBreakError`` instead of breaking), ``fastmath``,
    ``parallel``, ``cache``.  Usable bare (``@jit``) or with options
    (``@jit(level="O2")``); an unknown option raises TypeError.

    The result is a plain function whose code object is the rewritten one, so
    calling it costs what calling the original costs, plus its regions'
    dispatches.
    """
    for name in options:
        if name not in _JIT_OPTIONS:
            raise TypeError(f"jit() got an unexpected keyword argument {name!r}")
    opts = config.Options(**options)
    if fn is None:
        return lambda f: _jit_function(f, opts)
    return _jit_function(fn, opts)


def _jit_function(fn, opts: config.Options):
    if not isinstance(fn, types.FunctionType):
        raise TypeError(f"jit() expects a Python function, not {type(fn).__name__}")
    if getattr(fn, "__pyjit__", None) is not None:
        fn = fn.__pyjit__.fn
    if config.disabled():
        return fn
    if not table.SUPPORTED:
        _warn_version()
        return fn
    from .frontend.analyze import analyze
    analysis = analyze(fn, opts)
    if analysis.skipped is not None and analysis.skipped.code == "PJ0009":
        return fn  # generators and coroutines run exactly as written
    new = types.FunctionType(analysis.new_code, fn.__globals__, fn.__name__, fn.__defaults__,
                             fn.__closure__)
    new.__kwdefaults__ = fn.__kwdefaults__
    functools.update_wrapper(new, fn)
    new.__pyjit__ = analysis
    analysis.functions.append(weakref.ref(new))
    analysis.options = opts
    if opts.fullgraph and (analysis.breaks or analysis.skipped):
        reason = analysis.breaks[0].reason if analysis.breaks else analysis.skipped

        @functools.wraps(fn)
        def refuse(*args, **kwargs):
            raise GraphBreakError(reason)
        refuse.__pyjit__ = analysis
        return refuse
    return new


def _warn_version():
    global _warned_version
    if not _warned_version:
        _warned_version = True
        warnings.warn(f"pyjit supports CPython {table.SUPPORTED_TEXT}; this is "
                      f"{table.VERSION_TEXT}, so jitted functions run unchanged", RuntimeWarning,
                      stacklevel=3)


def explain(fn, *args, **kwargs):
    """Run ``fn(*args, **kwargs)`` once under the JIT and report what happened.

    ``fn`` may be plain (it is jitted with default options) or jitted (its
    options apply).  Returns a ``Report``: ``print(report)`` shows regions,
    breaks, specializations, recompiles, bailouts and coverage;
    ``report.to_dict()`` is JSON-ready; ``report.to_html(path)`` writes a page.
    Compiled regions are timed; eager code is sampled per line on the main thread
    (report/sampler.py, Note [eager time by sampling]).
    """
    from .report.explain import Report, Timing
    from .report.sampler import Sampler
    from .runtime.dispatcher import RegionDispatcher

    jitted = fn if getattr(fn, "__pyjit__", None) is not None else jit(fn)
    if getattr(jitted, "__pyjit__", None) is None:  # JIT off, or no table for this CPython
        t0 = time.perf_counter()
        result = jitted(*args, **kwargs)
        why = "pyjit is disabled (PYJIT_DISABLE)" if config.disabled() else \
            f"no bytecode table for CPython {table.VERSION_TEXT}"
        return Report.without_jit(fn, why, time.perf_counter() - t0, result)
    analysis = jitted.__pyjit__
    before = _snapshot(analysis)
    sampler = Sampler()
    timing, RegionDispatcher.timing = RegionDispatcher.timing, True   # explain inside explain: restore
    sampler.start()
    try:
        result = jitted(*args, **kwargs)
        error = None
    except GraphBreakError:
        raise
    except Exception as exc:  # the report still describes the run that raised
        result, error = None, exc
    finally:
        sampler.stop()
        RegionDispatcher.timing = timing
    return Report.from_analysis(analysis, Timing.from_sampler(sampler), before, result=result, error=error)


def _snapshot(analysis) -> dict:
    return {r.number: sum(s.seconds for s in r.dispatcher.cache.values())
            for r in list(analysis.regions) + list(analysis.dropped)}
