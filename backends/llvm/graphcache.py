"""The disk cache's second index: a region and its live-in types to the optimized
graph, so that a warm first call skips type inference and the passes.

    >>> k = key(region_graph, types, options)          # None: not cacheable
    >>> hit = load(k)                                   # (optimized graph, entry key) or None
    >>> remember(k, optimized_graph, entry_key)         # after the entry was compiled

A file ``pyjit-c<FORMAT>-<key>.pjg`` in ``cache.directory()`` holds the key of the
compiled entry (cache.py) and the optimized graph, pickled.  On a hit the
dispatcher hands that graph to the backend, which loads the entry without
computing its key from the graph again (Note [skipping inference and passes]).

Note [skipping inference and passes]
    The entry's key hashes the typed, optimized graph, so a warm first call used
    to run type inference and the O1 passes only to find out which entry to
    load: ~1.2 ms of work and ~2 ms of importing them, a quarter of the call.
    This index keys the same entry by what *determines* that graph instead: the
    region's graph as the frontend built it (the callees it inlined and the
    globals it folded are in it, as in the entry's key), the live-in types of the
    call, and everything else the entry's key holds (level, options, the CPU,
    the versions, and the fingerprint of pyjit/ir and pyjit/passes, the code that
    maps that graph to the optimized one).  Inference and the passes are
    deterministic functions of those, so one index key always leads to one
    optimized graph.

    The graph is stored with ``pickle`` (already imported by numpy: it costs the
    warm call nothing to import).  pyjit's own objects, literals, numpy scalars
    and arrays are pickled by value.  Every other object the graph holds — a
    module, a function, a ufunc, a dtype, a class — is stored by its stable name
    (cache.py's ``_stable``, the name the entry's key hashes) and where to find
    it (module and qualified name); loading looks it up in this process's
    modules and takes it only if its stable name is the same, so a function
    whose code changed, or a name now bound to another object, makes the hit a
    miss.  An object with no stable name makes the graph unpicklable: nothing is
    remembered, and the key is compiled as before.  Under ``PYJIT_CHECK`` a hit
    also recomputes the entry's key from the loaded graph and checks it.
"""
from __future__ import annotations

import io
import marshal
import os
import pickle
import sys
import types as _pytypes

import numpy as np

from pyjit.ir.printer import print_graph
from pyjit.log import log

from . import cache

_SUFFIX = ".pjg"
_MAGIC = b"PYJIT-GRAPH %d\n" % cache.FORMAT
_BY_VALUE = (type(None), bool, int, float, complex, str, bytes, tuple, list, dict, set, frozenset,
             slice, type(Ellipsis))


class _Miss(Exception):
    pass


def key(graph, types: list, options) -> str | None:
    """The index key of ``graph`` (a region's, untyped) called with live-in
    ``types``; None when some constant has no stable name."""
    from pyjit import config
    # keeping small regions changes which keys compile at all (passes/cost.py)
    parts = ["graph index", getattr(options, "level", "O1"),
             f"keep_small={config.keep_small_regions()}",
             print_graph(graph), "types: " + ", ".join(str(t) for t in types)]
    return cache.digest_key(parts, options, _walk_all(graph, types))[0]


def _walk_all(graph, types):
    yield from cache._constants(graph)
    for t in types:
        yield from cache._walk(t)


def _path(k: str) -> str:
    return os.path.join(cache.directory(), cache._PREFIX + k + _SUFFIX)


def load(k: str):
    """``(optimized graph, entry key)`` for index key ``k``, or None (a miss)."""
    path = _path(k)
    try:
        with open(path, "rb") as f:
            data = f.read()
        entry_key, blob = _parse(data)
        graph = _Unpickler(io.BytesIO(blob)).load()
    except FileNotFoundError:
        return None
    except Exception as exc:  # noqa: BLE001  (a bad index file is a miss, never an error)
        log("llvm", "disk cache: ignoring %s: %s", path, exc)
        return None
    return graph, entry_key


def remember(k: str, graph, entry_key: str) -> None:
    """Store the optimized ``graph`` (as ``optimize`` returned it) under index key
    ``k``, pointing at the entry ``entry_key``; a graph holding an object with no
    stable name is not stored."""
    path = _path(k)
    try:
        buf = io.BytesIO()
        _Pickler(buf, protocol=pickle.HIGHEST_PROTOCOL).dump(graph)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        cache._write_atomic(path, _encode(entry_key, buf.getvalue()))
    except Exception as exc:  # noqa: BLE001  (the index only saves time)
        log("llvm", "disk cache: not indexing %s: %s", getattr(graph, "name", "?"), exc)


# ---- the pickle ----------------------------------------------------------------------

def _is_pyjit(obj) -> bool:
    """pyjit's own classes and their instances (pickled by value, classes by name)."""
    cls = obj if isinstance(obj, type) else type(obj)
    return cls.__module__.startswith("pyjit.")


class _Pickler(pickle.Pickler):
    def persistent_id(self, obj):
        if type(obj) in _BY_VALUE or isinstance(obj, (np.generic, np.ndarray)) or _is_pyjit(obj):
            return None
        stable = cache._stable(obj)
        where = _locator(obj)
        if stable is None or where is None:
            raise pickle.PicklingError(f"no stable name for {type(obj).__name__} {obj!r:.60}")
        return (stable, where)


class _Unpickler(pickle.Unpickler):
    def persistent_load(self, pid):
        stable, where = pid
        obj = _locate(where)
        if obj is None or cache._stable(obj) != stable:
            raise _Miss(f"{stable} is not in this process as it was")
        return obj


def _locator(obj):
    if isinstance(obj, np.dtype):
        return ("dtype", obj.str)
    if isinstance(obj, _pytypes.ModuleType):
        return ("module", obj.__name__)
    module = getattr(obj, "__module__", None)
    name = getattr(obj, "__qualname__", None) or getattr(obj, "__name__", None)
    if isinstance(module, str) and isinstance(name, str) and "<" not in name:
        return ("attr", module, name)
    return None


def _locate(where):
    """The object a locator names in this process (modules are never imported
    here: the graph's modules are ones its program had loaded)."""
    kind = where[0]
    if kind == "dtype":
        return np.dtype(where[1])
    if kind == "module":
        return sys.modules.get(where[1])
    found = sys.modules.get(where[1])
    for part in where[2].split("."):
        found = getattr(found, part, None)
    return found


# ---- the file ------------------------------------------------------------------------

def _encode(entry_key: str, blob: bytes) -> bytes:
    head = marshal.dumps(entry_key)
    body = len(head).to_bytes(8, "little") + head + blob
    return _MAGIC + cache._digest(body) + body


def _parse(data: bytes) -> tuple[str, bytes]:
    if not data.startswith(_MAGIC):
        raise ValueError("not a graph index file of this format")
    n = len(_MAGIC)
    digest, body = data[n:n + cache._DIGEST], data[n + cache._DIGEST:]
    if cache._digest(body) != digest:
        raise ValueError("contents do not match their digest (truncated or corrupted)")
    m = int.from_bytes(body[:8], "little")
    entry_key = marshal.loads(body[8:8 + m])
    if not isinstance(entry_key, str):
        raise ValueError("no entry key")
    return entry_key, body[8 + m:]
