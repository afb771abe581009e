"""``pyjit.capture``: JIT every Python frame that starts inside a block.

    >>> with pyjit.capture(level="O2") as cap:
    ...     simulate()                      # simulate and everything it calls
    >>> print(cap.report())

    >>> @pyjit.capture()                    # the same, around every call of run()
    ... def run(): ...

While some capture is active the native frame-evaluation hook (runtime/_runtime.c)
is installed; it is removed when the last capture, on any thread, ends.  On the
thread that entered the block, each new frame of a plain Python function asks
``_on_frame`` once per code object: the function is analysed like ``jit`` would
(``pyjit.frontend.analyze``) and the frame runs the rewritten code; ``None``
means "run it as written" and is cached too.  Frames of generators, coroutines,
module and class bodies, and code under a skipped path (the standard library,
site-packages, pyjit itself, and whatever ``capture.skip`` adds) run unchanged.

Without the native runtime (not built, or an unsupported CPython), ``capture``
warns once and runs the block unchanged; ``jit`` does not need it.
"""
from __future__ import annotations

import functools
import itertools
import os
import site
import sysconfig
import threading
import time
import types
import warnings

from . import config
from .api import _JIT_OPTIONS
from .errors import GraphBreakError
from .frontend.cpython import table
from .log import log

_epochs = itertools.count(1)
_warned: set = set()  # the warnings given, each once per process
# (id(code), options) -> analysis.  The analysis holds the code, so the id stays
# its own; shared by every capture so that a block entered again is not analysed
# again (the hook itself caches per code object and capture).
_analyses: dict = {}


class capture:
    """A context manager and a decorator: frames starting inside it run through the JIT.

    Options are ``jit``'s (``level``, ``backend``, ``fullgraph``, ...).  Nested
    captures work (the innermost one's options apply); exceptions propagate
    unchanged; after the block nothing is intercepted.  ``report()`` returns a
    ``Report`` over every function the capture handled.
    """

    def __init__(self, **options):
        for name in options:
            if name not in _JIT_OPTIONS:
                raise TypeError(f"capture() got an unexpected keyword argument {name!r}")
        self.options = config.Options(**options)
        self._epoch = next(_epochs)
        self._handled: dict = {}   # id(code) -> (analysis, region seconds before)
        self._seconds = 0.0
        self._local = threading.local()

    # ---- the context manager --------------------------------------------------------

    def __enter__(self):
        native = _runtime()
        stack = self._local.__dict__.setdefault("stack", [])
        if native is None or config.disabled():
            stack.append(None)
            return self
        previous = native.set_thread_callback(self._on_frame, self._epoch)
        native.hook_acquire()
        stack.append((previous, time.perf_counter()))
        return self

    def __exit__(self, *exc_info):
        entry = self._local.stack.pop()
        if entry is not None:
            (callback, epoch), t0 = entry
            native = _runtime()
            native.hook_release()
            native.set_thread_callback(callback, epoch)
            self._seconds += time.perf_counter() - t0
        return False

    def __call__(self, fn):
        """``@pyjit.capture(...)``: run every call of ``fn`` inside this capture."""
        @functools.wraps(fn)
        def captured(*args, **kwargs):
            with self:
                return fn(*args, **kwargs)
        captured.__pyjit_capture__ = self
        return captured

    def report(self):
        """A ``Report`` over every function this capture handled (``str()`` is a table)."""
        from .report.capture import capture_report
        handled = list(self._handled.values())
        return capture_report([a for a, _ in handled], self._seconds, [b for _, b in handled])

    # ---- the hook's callback --------------------------------------------------------

    def _on_frame(self, fn):
        """The rewritten code for a frame of ``fn``, or None to run it as written.

        Called by the hook with the frame's function (never a frame object: the
        frame has not started), once per code object per capture.
        """
        code = fn.__code__
        if getattr(fn, "__pyjit__", None) is not None or _skipped(_source_file(fn)):
            return None
        if not table.SUPPORTED:
            _warn("version", f"pyjit has no bytecode table for CPython {table.VERSION_TEXT}, "
                  "so captured code runs unchanged")
            return None
        analysis = self._analysis(fn)
        self._handled.setdefault(id(code), (analysis, _region_seconds(analysis)))
        if self.options.fullgraph and (analysis.breaks or analysis.skipped):
            raise GraphBreakError(analysis.breaks[0].reason if analysis.breaks else analysis.skipped)
        new = analysis.new_code
        if new is code:
            return None
        try:
            _runtime().check_replacement(code, new)
        except TypeError as exc:  # a pyjit bug: run the function as written
            if config.checking():
                raise
            log("errors", "PJ0010 rewritten code of %s cannot run in its frame: %s", fn.__qualname__, exc)
            return None
        return new

    def _analysis(self, fn):
        from .frontend.analyze import analyze
        key = (id(fn.__code__), self.options)
        analysis = _analyses.get(key)
        if analysis is None or analysis.code is not fn.__code__ or analysis.fn.__globals__ is not fn.__globals__:
            analysis = analyze(fn, self.options)
            analysis.options = self.options
            for r in analysis.regions:
                # a region too small to gain, or whose first key cannot compile,
                # leaves the code: under capture most code is not numeric
                r.on_too_small = r.on_uncompilable = functools.partial(_drop_region, analysis)
            _analyses[key] = analysis
        return analysis

    # ---- the skip list --------------------------------------------------------------

    @staticmethod
    def skip(*where):
        """Never intercept code under these paths (strings) or packages and modules.

        >>> pyjit.capture.skip("/opt/vendor", some_package)
        """
        for w in where:
            path = w if isinstance(w, str) else _module_dir(w)
            _prefixes().append(os.path.normcase(os.path.abspath(path)))
        _skip_cache.clear()

    @staticmethod
    def skip_list() -> tuple:
        """The path prefixes whose code runs unchanged under capture."""
        return tuple(_prefixes())


def _drop_region(analysis, region) -> None:
    """A region too small to gain from compiling, or whose first key cannot
    compile, leaves the code (``CodeAnalysis.drop_region``); the hook forgets its
    cached answer for the code, so the next frame asks again and gets the code
    without it.  The report keeps the region's breaks (report/capture.py)."""
    analysis.drop_region(region)
    _runtime().forget(analysis.code)


def _module_dir(module: types.ModuleType) -> str:
    path = getattr(module, "__file__", None)
    if path is None:
        raise TypeError(f"capture.skip: {module!r} has no file")
    if os.path.basename(path).startswith("__init__."):
        return os.path.dirname(path)
    return path


def _default_skip_prefixes() -> list:
    paths = set()
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        p = sysconfig.get_paths().get(name)
        if p:
            paths.add(p)
    paths.update(getattr(site, "getsitepackages", lambda: [])())
    user = getattr(site, "getusersitepackages", lambda: None)()
    if user:
        paths.add(user)
    from . import runtime
    import pyjit
    import pyjit.backends
    for pkg in (pyjit, runtime, pyjit.backends):
        paths.add(_module_dir(pkg))
    return sorted({os.path.normcase(os.path.abspath(p)) for p in paths})


_skip_prefixes: list = []   # filled on first use: importing pyjit must not import its runtime
_skip_cache: dict = {}


def _prefixes() -> list:
    if not _skip_prefixes:
        _skip_prefixes.extend(_default_skip_prefixes())
    return _skip_prefixes


def _skipped(filename: str) -> bool:
    hit = _skip_cache.get(filename)
    if hit is None:
        if filename.startswith("<frozen "):
            hit = True
        else:
            path = os.path.normcase(os.path.abspath(filename)) if os.path.isabs(filename) else filename
            hit = any(path == p or path.startswith(p + os.sep) for p in _prefixes())
        _skip_cache[filename] = hit
    return hit


def _source_file(fn) -> str:
    """Where ``fn`` comes from: its code's file, or for code made by ``exec``
    (``<string>``: dataclass and namedtuple methods) its module's file, so that
    a library's generated methods are skipped with the library."""
    filename = fn.__code__.co_filename
    if filename.startswith("<") and not filename.startswith("<frozen "):
        module_file = fn.__globals__.get("__file__")
        if isinstance(module_file, str):
            return module_file
    return filename


def _region_seconds(analysis) -> dict:
    return {r.number: sum(s.seconds for s in r.dispatcher.cache.values()) for r in analysis.regions}


def _runtime():
    from .runtime import native, why_not_native
    module = native()
    if module is None:
        _warn("native", f"pyjit's native runtime is not available ({why_not_native()}); "
              "capture() runs code unchanged")
    return module


def _warn(kind: str, message: str) -> None:
    if kind not in _warned:
        _warned.add(kind)
        warnings.warn(message, RuntimeWarning, stacklevel=4)


__all__ = ["capture"]
