"""pyjit's runtime, installed as ``pyjit.runtime``: the region dispatcher
(dispatcher.py) and the native extension ``_runtime`` (the frame hook of
``pyjit.capture()``).  See README.md.

The extension is optional (setup.py builds it when it can): ``native()`` is the
one place that imports it.
"""
from __future__ import annotations

import importlib

_NOT_LOADED = object()
_native = _NOT_LOADED
_why = ""


def native():
    """The native extension module, or None when it is not built or cannot load
    (``why_not_native()`` says why)."""
    global _native, _why
    if _native is _NOT_LOADED:
        try:
            _native = importlib.import_module(f"{__name__}._runtime")
        except ImportError as exc:  # optional build: not compiled, or another CPython's build
            _native, _why = None, f"{type(exc).__name__}: {exc}"
    return _native


def why_not_native() -> str:
    native()
    return _why
