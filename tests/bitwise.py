"""Bit-for-bit comparison of a jitted function with CPython, for lowerings that
promise numpy's exact bits (tests/backends/test_llvm_moments.py, _scans.py,
_logical.py).

Stricter than difftest.same: a result is compared by type, dtype, shape and its
bytes (so NaN payloads and signs count), and the warnings raised (category and
message) must be the same, since a lowering bails out exactly where numpy
warns.  ``compare`` also checks the argument is left as it was, which backend
ran, and whether the native code bailed out.

    compare(var_, np.arange(5.0))                      # llvm, no bailout expected
    compare(var_, np.array([np.nan]), bailout=True)   # llvm, must bail out
    compare(var_, np.arange(5), backend=None)         # any backend (falls back)
"""
from __future__ import annotations

import warnings

import numpy as np

import pyjit

_JITTED: dict = {}


def outcome(fn, *args):
    """``(result or exception, warnings)`` of ``fn(*args)``, comparable with ``==``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            r = fn(*args)
        except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
            res = ("raised", type(e), str(e))
        else:
            res = _value(r)
    return res, [(w.category, str(w.message)) for w in caught]


def _value(r):
    if isinstance(r, tuple):
        return tuple(_value(x) for x in r)
    a = np.asarray(r)
    return ("value", type(r), a.dtype, a.shape, a.tobytes())


def jitted(fn, level: str = "O1", fresh: bool = False):
    """One jitted function per Python function and level: each array type compiles
    once (``fresh``: jit anew, code whose per-process state starts over)."""
    key = (fn, level)
    if key not in _JITTED or fresh:
        _JITTED[key] = pyjit.jit(fn, backend="llvm", level=level)
    return _JITTED[key]


def compare(fn, *args, level: str = "O1", backend: str | None = "llvm", bailout: bool | None = False,
            fresh: bool = False):
    """Assert that the jitted ``fn`` gives CPython's outcome on ``args``.

    ``backend``: every specialization that ran must be this one (None: any).
    ``bailout``: whether the native code must have bailed out on this call
    (None: either); only checked when ``backend == "llvm"``.  ``fresh``: see ``jitted``."""
    jf = jitted(fn, level, fresh)
    before = [np.asarray(a).tobytes() for a in args]
    want = outcome(fn, *args)
    jf(*args)  # compile first: compilation may evaluate numpy on examples of the types
    counts, calls = _bailouts(jf), _calls(jf)
    got = outcome(jf, *args)
    where = ", ".join(f"{np.asarray(a).dtype}{np.shape(a)} strides {np.asarray(a).strides}"
                      for a in args)
    assert got == want, f"{fn.__name__}({where}) at {level}:\n  pyjit: {got}\n  numpy: {want}"
    assert [np.asarray(a).tobytes() for a in args] == before, "an argument changed"
    if backend is not None:
        ran = [s for s, n in _calls(jf).values() if n > calls.get(id(s), (s, 0))[1]]
        assert ran and all(s.backend == backend for s in ran), \
            f"{fn.__name__}({where}) ran on {[(s.backend, s.note) for s in ran]}, not {backend}"
        if backend == "llvm" and bailout is not None:
            bailed = _bailouts(jf) > counts
            assert bailed == bailout, f"{fn.__name__}({where}): bailed out {bailed}, expected {bailout}"
    return jf


def _calls(jf) -> dict:
    """id(specialization) -> (it, its calls so far); reading ``stats`` first
    takes the counts C kept."""
    out = {}
    for r in jf.__pyjit__.regions:
        r.dispatcher.stats  # noqa: B018 - folds the counts C kept into the specializations
        out.update((id(s), (s, s.calls)) for s in r.dispatcher.cache.values())
    return out


def _bailouts(jf) -> int:
    return sum(r.dispatcher.stats.bailouts for r in jf.__pyjit__.regions)
