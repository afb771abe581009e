"""The disk cache of compiled code (``jit(cache=True)``, ``capture(cache=True)``).

    >>> import pyjit.cache
    >>> pyjit.cache.directory()     # $PYJIT_CACHE_DIR, else $XDG_CACHE_HOME/pyjit, else ~/.cache/pyjit
    >>> pyjit.cache.clear()         # delete every entry; returns how many files went

Entries are keyed by everything the code depends on (see
backends/llvm/cache.py, Note [disk cache key]), so clearing is never needed
for correctness — only to reclaim space.
"""
from __future__ import annotations


def directory() -> str:
    """Where entries are kept."""
    from pyjit.backends.llvm import cache
    return cache.directory()


def clear() -> int:
    """Delete every entry in ``directory()``; return the number of files removed."""
    from pyjit.backends.llvm import cache
    return cache.clear()


__all__ = ["clear", "directory"]
