"""Backends: ``numpy`` (the reference interpreter) and ``llvm`` (native code).

Each backend module offers ``compile_graph(typed_graph) -> run`` where
``run(args) -> (exit number, values)``.
"""
from __future__ import annotations

import importlib


def select(name: str):
    """The backend module for an option value (``numpy`` or ``llvm``)."""
    return importlib.import_module(f"pyjit.backends.{name}")
