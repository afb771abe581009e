"""Where eager run time goes: a sampling profiler for ``explain`` and the CLI.

    >>> s = Sampler()
    >>> s.start(); run(); s.stop()
    >>> s.eager_seconds, s.compiled_seconds, s.lines[("main.py", 12)]

Compiled regions are timed exactly by their dispatchers (``RegionDispatcher.timing``);
this module measures everything else.

Note [eager time by sampling]
    A timer signals the process every ``interval`` seconds (report/ticker.py, Note
    [sampling clock]); the handler runs on the main thread at the next bytecode
    boundary and looks at the Python stack there.  Each sample is weighted by the
    *wall* time since the previous sample (``perf_counter``), so a sample that was
    delivered late (the timer fired inside native code, a long numpy call or a
    blocking call) still accounts for all the time it stood for, and the weights of
    all samples add up to the run's wall time.  A sample is classified by the stack:

    * a frame of pyjit's analysis or specialization (``analyze``, ``_specialize``,
      capture's ``_on_frame``, handing a new key to the C dispatcher) is on the
      stack: ``compiling`` (pyjit's own cost);
    * the region dispatcher is calling a specialization's entry (the frame inside
      ``_dispatch`` is ``spec.entry``'s): ``compiled`` (time inside a region; exactly what the dispatcher's timer measures).  Native code has
      no bytecode boundary, so a timer that fires while it runs is handled when it
      returns, still inside the entry: the weight lands in the right class; handled
      back in the dispatcher after the entry returned, the part since the entry's
      ``t0`` is compiled.  The dispatcher's own work (guards, key) is eager time of
      the line that called the region;
    * otherwise ``eager``, charged to the line of the innermost *user* frame (the
      first frame, from the top of the stack, whose file capture would not skip:
      not the standard library, site-packages or pyjit), and to that frame's
      function; a stack without a user frame is ``other``.

    The dispatcher's timers and the sampled ``compiled`` share measure the same
    thing in two ways: ``Report`` shows the timers (exact) and the tests check that
    timer-compiled + sampled eager + compiling adds up to the wall time.  Only the
    main thread is sampled (signal handlers run there); off the main thread, or
    when the ticker finds its signals taken, ``start`` returns False and there are
    no samples.
"""
from __future__ import annotations

import dis
import threading
import time

from pyjit.log import log

from .ticker import Ticker

INTERVAL = 0.001
_RESUME_OP = dis.opmap["RESUME"]


def _codes(*fns) -> frozenset:
    return frozenset(f.__code__ for f in fns)


class Sampler:
    """Samples the main thread's stack; see Note [eager time by sampling]."""

    def __init__(self, interval: float = INTERVAL):
        self.interval = interval
        self.lines: dict = {}      # (filename, line) -> eager seconds
        self.functions: dict = {}  # (filename, firstlineno, name) -> eager seconds of its own lines
        self.eager_seconds = 0.0
        self.compiled_seconds = 0.0
        self.compiling_seconds = 0.0
        self.other_seconds = 0.0
        self.samples = 0
        self.active = False
        self._ticker = None
        self._busy = False
        self._last = 0.0
        self._t0 = self._t1 = 0.0

    @property
    def wall_seconds(self) -> float:
        return self._t1 - self._t0

    def start(self) -> bool:
        """Start sampling; False when this thread or process cannot be sampled."""
        from pyjit.capture import _skipped, capture
        from pyjit.frontend.analyze import analyze
        from pyjit.runtime.dispatcher import RegionDispatcher
        self._skipped = _skipped
        _skipped(__file__)   # builds capture's skip list now: it imports modules
        self._dispatch_code = RegionDispatcher._dispatch.__code__
        self._user_codes: dict = {}
        from pyjit.runtime import cdispatch
        self._compiling = _codes(RegionDispatcher._specialize, analyze, capture._on_frame,
                                 cdispatch.serve)
        self._t0 = self._last = time.perf_counter()
        if threading.current_thread() is not threading.main_thread():
            return False
        self._ticker = Ticker(self.interval, self._on_signal)
        self.active = self._ticker.start()
        return self.active

    def stop(self) -> None:
        """Stop sampling; the time since the last sample counts as ``other``."""
        self._t1 = time.perf_counter()
        if self.active:
            self._ticker.stop()
            self.active = False
        self.other_seconds += self._t1 - self._last
        self._last = self._t1

    def _on_signal(self, signum, frame) -> None:
        """The signal handler: it runs inside the user's program, at any bytecode,
        so it must not raise there; a failure stops sampling (and is logged)."""
        if self._busy:
            return
        self._busy = True
        try:
            self._sample(frame)
        except Exception as exc:  # never break the user's program
            self._ticker.stop()
            self.active = False
            log("errors", "PJ0010 the sampler failed and stopped: %s: %s", type(exc).__name__, exc)
        finally:
            self._busy = False

    def _sample(self, frame) -> None:
        now = time.perf_counter()
        previous, self._last = self._last, now
        weight = now - previous
        self.samples += 1
        user = inner = None
        f = frame
        while f is not None:
            code = f.f_code
            if code in self._compiling:
                self.compiling_seconds += weight
                return
            if code is self._dispatch_code:
                compiled = self._in_region(f, inner, now, previous, weight)
                self.compiled_seconds += compiled
                weight -= compiled
                if weight <= 0.0:
                    return
            elif user is None and self._user(f):
                user = f
            inner = f
            f = f.f_back
        if user is None:
            self.other_seconds += weight
            return
        if user.f_lasti <= _resume_offset(user.f_code) and user.f_back is not None \
                and self._user(user.f_back):
            user = user.f_back   # Note [samples at function entry]
        code = user.f_code
        key = (code.co_filename, _line(user))
        self.lines[key] = self.lines.get(key, 0.0) + weight
        fkey = (code.co_filename, code.co_firstlineno, code.co_name)
        self.functions[fkey] = self.functions.get(fkey, 0.0) + weight
        self.eager_seconds += weight

    def _in_region(self, f, inner, now: float, previous: float, weight: float) -> float:
        """How much of ``weight`` the dispatcher frame ``f`` spent in compiled code:
        all of it inside the entry call; after the call returned (the timer fired in
        native code and the handler ran only back in the dispatcher), the time since
        the call started (its ``t0``); before the call, none (dispatch overhead)."""
        locals_ = f.f_locals
        spec = locals_.get("spec")
        entry = getattr(getattr(spec, "entry", None), "__code__", None)
        if inner is not None and entry is not None and inner.f_code is entry:
            compiled = weight
        else:
            t0 = locals_.get("t0")
            compiled = 0.0 if t0 is None else min(weight, now - max(t0, previous))
        return compiled

    def _user(self, frame) -> bool:
        """Is ``frame`` user code: not the standard library, site-packages or pyjit?
        Code made by ``exec`` (dataclass methods) belongs to its module's file."""
        code = frame.f_code
        hit = self._user_codes.get(code)
        if hit is None:
            filename = code.co_filename
            if filename.startswith("<") and not filename.startswith("<frozen "):
                module_file = frame.f_globals.get("__file__")
                filename = module_file if isinstance(module_file, str) else filename
            hit = self._user_codes[code] = not self._skipped(filename)
        return hit


# Note [samples at function entry]
        code = user.f_code
        key = (code.co_filename, _line(user))
        self.lines[key] = self.lines.get(key, 0.0) + weight
        fkey = (code.co_filename, code.co_firstlineno, code.co_name)
        self.functions[fkey] = self.functions.get(fkey, 0.0) + weight
        self.eager_seconds += weight


# Note [samples at function entry]
#     CPython runs a pending signal handler only where it checks its "eval breaker":
#     at a function's RESUME, at backward jumps and at some calls.  A sample taken at
#     a callee's RESUME stands for time spent before the call, in the caller (its
#     arguments, its own statements): it is charged to the caller's line.  Rewritten
#     code has instructions without a line (a region's dispatch sequence); their
#     samples go to the nearest line before them.

_RESUME: dict = {}
_LINES: dict = {}


def _resume_offset(code) -> int:
    off = _RESUME.get(code)
    if off is None:
        off = 0
        for i, ins in enumerate(code.co_code[::2]):
            if ins == _RESUME_OP:
                off = 2 * i
                break
        _RESUME[code] = off
    return off


def _line(frame) -> int | None:
    line = frame.f_lineno
    if line is not None:
        return line
    code = frame.f_code
    table = _LINES.get(code)
    if table is None:
        table = _LINES[code] = [(start, ln) for start, _, ln in code.co_lines() if ln is not None]
    best = None
    for start, ln in table:
        if start > frame.f_lasti:
            break
        best = ln
    return best


def function_key(code) -> tuple:
    """The key ``Sampler.functions`` uses for a code object (the rewritten code keeps
    the original's file, first line and name)."""
    return (code.co_filename, code.co_firstlineno, code.co_name)


__all__ = ["Sampler", "function_key", "INTERVAL"]
