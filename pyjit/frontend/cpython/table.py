"""The bytecode table of the running CPython: the one place that looks at the version.

Everything else imports ``table`` and calls through it, so handlers never test
``sys.version_info`` (STYLE.md, "Versions are tables").  On a version without a
table, ``SUPPORTED`` is false and pyjit runs every function unchanged.
"""
import importlib
import sys

_TABLES = {(3, 11): "py311", (3, 12): "py312", (3, 13): "py313"}

VERSION = sys.version_info[:2]
VERSION_TEXT = "%d.%d" % VERSION
SUPPORTED = VERSION in _TABLES
SUPPORTED_TEXT = ", ".join("%d.%d" % v for v in _TABLES)

if SUPPORTED:
    _impl = importlib.import_module(f"{__package__}.{_TABLES[VERSION]}")
    globals().update({k: v for k, v in vars(_impl).items() if not k.startswith("_")})
