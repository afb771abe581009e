"""The sampler's clock: a signal to the process every ``interval`` seconds.

    >>> t = Ticker(0.001, handler)
    >>> t.start()       # False: this process cannot be sampled
    >>> t.stop()

Note [sampling clock]
    ``setitimer(ITIMER_PROF)`` only fires at the kernel's tick (4 ms with HZ=250),
    too coarse for short runs.  On Linux the ticker arms a POSIX timer instead
    (``timer_create`` on CLOCK_MONOTONIC, through ctypes: the standard library has
    no binding) that sends a real-time signal, ``SIGRTMAX - 3``, which programs
    practically never use; a POSIX timer has at most one signal pending, so a long
    native call delays one sample instead of queuing many.  Elsewhere, or when that
    signal already has a handler, it falls back to ``ITIMER_PROF``/SIGPROF.  With a
    handler already installed for the chosen signal (someone else profiles this
    process) ``start`` returns False.  ``stop`` disarms the timer before restoring
    the previous handler; ``signal.signal`` runs any handler call still pending
    first, so no tick reaches a default action.
"""
from __future__ import annotations

import ctypes
import signal
import sys

_CLOCK_MONOTONIC = 1
_SIGEV_SIGNAL = 0


class _Timespec(ctypes.Structure):
    _fields_ = [("tv_sec", ctypes.c_long), ("tv_nsec", ctypes.c_long)]


class _Itimerspec(ctypes.Structure):
    _fields_ = [("it_interval", _Timespec), ("it_value", _Timespec)]


class _Sigevent(ctypes.Structure):
    """Linux's ``struct sigevent`` (64 bytes): value, signal number, notify, padding."""

    _fields_ = [("sigev_value", ctypes.c_void_p), ("sigev_signo", ctypes.c_int),
                ("sigev_notify", ctypes.c_int), ("_pad", ctypes.c_int * 12)]


def _posix_timers():
    """libc's timer functions, or None off Linux or without them."""
    if not sys.platform.startswith("linux") or not hasattr(signal, "SIGRTMAX"):
        return None
    libc = ctypes.CDLL(None, use_errno=True)
    names = ("timer_create", "timer_settime", "timer_delete")
    fns = [getattr(libc, n, None) for n in names]
    if None in fns:
        return None
    create, settime, delete = fns
    create.argtypes = [ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
    settime.argtypes = [ctypes.c_void_p, ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p]
    delete.argtypes = [ctypes.c_void_p]
    return create, settime, delete


def _spec(seconds: float) -> _Itimerspec:
    sec, nsec = int(seconds), int((seconds - int(seconds)) * 1e9)
    return _Itimerspec(_Timespec(sec, nsec), _Timespec(sec, nsec))


def _free(signum) -> bool:
    return signal.getsignal(signum) in (signal.SIG_DFL, signal.SIG_IGN, None)


class Ticker:
    """Calls ``handler(signum, frame)`` on the main thread every ``interval`` seconds."""

    def __init__(self, interval: float, handler):
        self.interval = interval
        self.handler = handler
        self.kind = ""            # "monotonic" (POSIX timer) or "prof" (ITIMER_PROF)
        self._signum = None
        self._previous = None
        self._timer = None
        self._fns = None

    def start(self) -> bool:
        fns = _posix_timers()
        if fns is not None and _free(signal.SIGRTMAX - 3):
            timer = ctypes.c_void_p()
            ev = _Sigevent(None, signal.SIGRTMAX - 3, _SIGEV_SIGNAL)
            self._install(signal.SIGRTMAX - 3)
            if fns[0](_CLOCK_MONOTONIC, ctypes.byref(ev), ctypes.byref(timer)) == 0:
                spec = _spec(self.interval)
                if fns[1](timer, 0, ctypes.byref(spec), None) == 0:
                    self._timer, self._fns, self.kind = timer, fns, "monotonic"
                    return True
                fns[2](timer)
            self._restore()
        if not hasattr(signal, "setitimer") or not _free(signal.SIGPROF):
            return False
        self._install(signal.SIGPROF)
        signal.setitimer(signal.ITIMER_PROF, self.interval, self.interval)
        self.kind = "prof"
        return True

    def stop(self) -> None:
        if self.kind == "monotonic":
            self._fns[1](self._timer, 0, ctypes.byref(_spec(0.0)), None)
            self._fns[2](self._timer)
            self._timer = None
        elif self.kind == "prof":
            signal.setitimer(signal.ITIMER_PROF, 0, 0)
        if self.kind:
            self._restore()
        self.kind = ""

    def _install(self, signum) -> None:
        self._signum, self._previous = signum, signal.getsignal(signum)
        signal.signal(signum, self.handler)
        signal.siginterrupt(signum, False)   # restart interrupted system calls

    def _restore(self) -> None:
        signal.signal(self._signum, self._previous if self._previous is not None else signal.SIG_DFL)
        self._signum = self._previous = None


__all__ = ["Ticker"]
