"""The disk cache of compiled regions (``jit(cache=True)``, ``capture(cache=True)``).

    >>> k, why_not = key(typed_graph, "O1", options)   # None, reason: not cacheable
    >>> hit = load(k)                                   # an Entry with an address, or None
    >>> store(k, Entry(symbol(k), address, ir_text, alias_plan(graph, alias), table), object_code)

An entry is ``pyjit-c<FORMAT>-<key>.pjc`` in ``directory()``: a header (the
entry's symbol, its IR text, how exit arrays alias live-ins, the symbolic names
of its address globals) and the module's position-independent object code (Note
[cache entry format]).  Loading links the code and fills its address globals
with this process's addresses (addresses.py, Note [address globals]).  Where the
system linker can, the object is also linked into ``pyjit-c<FORMAT>-<key>.so``: loading that
with ``dlopen`` costs ~0.2 ms and needs no LLVM at all, where linking the object
with MCJIT first loads LLVM's library (~40 ms).  Writes go to a temporary file
and ``os.replace``, so readers and concurrent writers only ever see whole
files; anything unreadable, truncated or with a wrong digest is a miss, and
the key is compiled and stored again.  No cache failure reaches the user: an
unwritable directory only means nothing is stored (logged under ``llvm``).

Note [disk cache key]
    The key hashes the *typed, optimized graph* as ``print_graph`` prints it,
    plus the level, every option (fastmath, …), the CPU, and the versions of
    pyjit (version and a fingerprint of the source files that map a graph to
    code, Note [source fingerprint]), llvmlite, numpy and Python.  The graph is
    what the backend compiles: inlined callees are in it
    as their nodes, folded globals as ``const {value=3.5}`` (literals print
    with ``repr``, which round-trips; numpy scalars at their precision) and the
    live-in types in its header and values.  Objects the printer shows only by
    name (functions, modules, ufuncs, dtypes) get a stable fingerprint here:
    a function its module, qualified name and marshalled code; a module its
    name; a library object (``np.sum``, ``math.sin``, ``float``) the module and
    qualified name under which its module defines it.  Anything else known only
    by identity (a bound method, an instance, a user class) makes the graph not
    cacheable, rather than risk a stale hit.

    Hashing the region's bytecode instead would let a new process skip type
    inference, but the bytecode does not say what inlining and folding read
    (callees' code, globals' values), nor the live-in types: each would need
    its own guard list, and a missed one is a stale hit.  The graph has all
    of them by construction.  The region's graph as the frontend built it has
    them too: graphcache.py keys a second index on it and the live-in types,
    so that a warm first call skips inference and the passes (Note [skipping
    inference and passes]); this key stays the one the code is stored under.

Note [position-independent code]
    The cached object must run in a process where every address differs.
    The module's own functions and constants are reached PC-relative (the
    object is emitted with ``reloc=pic``), libm and libc by symbol name,
    resolved at load.  Addresses of this process that the code calls (numpy's
    allocation callback, numpy's inner loops) are globals that the loader fills
    (Note [address globals]).  An address baked into the IR as a number
    (``inttoptr i64 140…``) would be valid only in the process that lowered
    it: a lowering must not emit one, and if one does, the module is compiled
    as usual but not stored (``position_dependent``); explain's note says so.
"""
from __future__ import annotations

import marshal
import os
import re
import sys
import types as _pytypes

import numpy as np

from pyjit.ir.printer import print_graph
from pyjit.ir.types import UNBOUND, Array, Const, TupleT, Type
from pyjit.log import log

from . import addresses

try:  # CPython's own BLAKE2: ~0.4 ms to import, where hashlib first loads OpenSSL (~7 ms)
    from _blake2 import blake2b
except ImportError:  # a build without the built-in hashes
    from hashlib import blake2b

FORMAT = 2
_PREFIX = f"pyjit-c{FORMAT}-"
_MAGIC = b"PYJIT-CACHE %d\n" % FORMAT
_DIGEST = 20  # bytes of BLAKE2b
_STABLE_MODULES = ("builtins", "math", "cmath", "operator", "_operator", "numpy")
_LITERALS = (type(None), bool, int, float, complex, str, bytes, slice, type(Ellipsis))
_ADDRESS = r"inttoptr \(?i64 -?[1-9]"


def _digest(data: bytes) -> bytes:
    return blake2b(data, digest_size=_DIGEST).digest()


class Entry:
    """A compiled region, as the backend needs it to build ``run``: the native
    entry's symbol and address, the IR (``run.ir``), the alias plan and the
    address globals' table (addresses.table)."""

    __slots__ = ("name", "address", "ir", "alias_plan", "addresses")

    def __init__(self, name: str, address: int, ir: str, alias_plan: list, table: list):
        self.name, self.address, self.ir, self.alias_plan = name, address, ir, alias_plan
        self.addresses = table


def directory() -> str:
    """``$PYJIT_CACHE_DIR``, else ``$XDG_CACHE_HOME/pyjit``, else ``~/.cache/pyjit``."""
    explicit = os.environ.get("PYJIT_CACHE_DIR")
    if explicit:
        return explicit
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "pyjit")


def clear() -> int:
    """Delete every cache entry in ``directory()`` (and temporary files a killed
    writer left); return how many files went."""
    d, n = directory(), 0
    try:
        names = os.listdir(d)
    except OSError:
        return 0
    for f in names:
        if f.startswith(("pyjit-c", ".tmp-")):
            try:
                os.unlink(os.path.join(d, f))
                n += 1
            except OSError:
                pass
    return n


# ---- the key ------------------------------------------------------------------------

def key(graph, level: str, options) -> tuple[str | None, str | None]:
    """``(hex digest, None)`` for a cacheable graph, ``(None, why)`` otherwise.
    Every option is in it, so that one added later cannot be forgotten here."""
    return digest_key([_MAGIC.decode(), level, print_graph(graph)], options, _constants(graph))


def digest_key(parts: list, options, constants) -> tuple[str | None, str | None]:
    """``(hex digest, None)`` of ``parts``, the environment, every option but
    ``cache`` (``cache`` itself does not change the code) and the stable names of
    ``constants``; ``(None, why)`` if one has none.  The entry key and the graph
    index's key (graphcache.py) both are one."""
    opts = [f"{k}={v!r}" for k, v in sorted(vars(options).items()) if k != "cache"]
    parts = [*parts, _environment(), *opts]
    seen: dict = {}
    for value in constants:
        if id(value) in seen:
            continue
        stable = _stable(value)
        if stable is None:
            return None, f"a constant known only by identity ({type(value).__name__})"
        seen[id(value)] = stable
    parts += sorted(set(seen.values()))
    return _digest("\n".join(parts).encode()).hex(), None


def symbol(k: str) -> str:
    """The native entry's name: unique per key, so cached objects loaded into one
    MCJIT engine never collide with each other or with uncached modules."""
    return f"pyjit_cached_{k[:24]}"


def position_dependent(ir_text: str) -> str | None:
    """Why the module cannot run in another process, or None (Note
    [position-independent code])."""
    if re.search(_ADDRESS, ir_text):
        return "the code embeds an address of this process"
    return None


def _constants(graph):
    """Every object the graph holds as a constant: static live-ins, node
    attributes, and the values of ``const<…>`` types."""
    for li in graph.inputs:
        if li.static is not None:
            yield from _walk(li.static)
    for blk in graph.blocks:
        for p in blk.params:
            yield from _walk(p.type)
        for n in blk.nodes:
            for v in n.attrs.values():
                yield from _walk(v)
            for o in n.outputs:
                yield from _walk(o.type)


def _walk(value):
    if isinstance(value, Const):
        yield from _walk(value.value)
    elif isinstance(value, Type):
        fields = getattr(value, "__dataclass_fields__", None) or type(value).__slots__
        for f in fields:
            yield from _walk(getattr(value, f))
    elif type(value) in (tuple, list, frozenset):
        for v in value:
            yield from _walk(v)
    elif type(value) not in _LITERALS and value is not UNBOUND and value is not None:
        yield value


def _stable(value) -> str | None:
    """A text that names ``value`` across processes (Note [disk cache key]), or None."""
    if isinstance(value, np.dtype):
        return f"dtype:{value.str}:{value!r}"
    if isinstance(value, np.generic):
        return f"{value.dtype.str}:{value.tobytes().hex()}"
    if isinstance(value, _pytypes.ModuleType):
        return f"module:{value.__name__}"
    if isinstance(value, _pytypes.FunctionType):
        return (f"function:{value.__module__}.{value.__qualname__}:"
                + _digest(marshal.dumps(value.__code__)).hex())
    if isinstance(value, np.ndarray):
        if value.size > 1 << 16:
            return None
        return f"ndarray:{value.dtype.str}:{value.shape}:{_digest(value.tobytes()).hex()}"
    return _library_name(value)


def _library_name(value) -> str | None:
    """``module.qualname`` of an object that a library module (numpy, math,
    builtins, …: their versions are in the key) defines under that very name."""
    module = getattr(value, "__module__", None)
    name = getattr(value, "__qualname__", None) or getattr(value, "__name__", None)
    if not (isinstance(module, str) and isinstance(name, str)) or \
            module.split(".")[0] not in _STABLE_MODULES:
        return None
    found = sys.modules.get(module)
    for part in name.split("."):
        found = getattr(found, part, None)
    return f"{type(value).__name__}:{module}.{name}" if found is value else None


_ENV: list = []


def _environment() -> str:
    """Everything outside the graph that the object code depends on (computed once)."""
    if not _ENV:
        import llvmlite
        import pyjit
        _ENV.append(" ".join([
            f"pyjit={pyjit.__version__}:{_source_fingerprint()}",
            f"llvmlite={llvmlite.__version__}", f"numpy={np.__version__}",
            f"python={sys.implementation.cache_tag}", f"platform={sys.platform}-{_machine()}",
            f"cpu={_cpu()}"]))
    return _ENV[0]


def _source_fingerprint() -> str:
    """Path, size and modification time of every source file that maps a graph
    to object code (Note [source fingerprint]); computed once per process."""
    return _fingerprint(_source_roots())


def _source_roots() -> list:
    import pyjit.ir
    import pyjit.passes
    return [os.path.dirname(os.path.abspath(__file__)), *pyjit.ir.__path__,
            *pyjit.passes.__path__]


def _fingerprint(roots: list) -> str:
    roots = list(roots)
    found: list = []
    while roots:
        try:
            listing = os.scandir(roots.pop())
        except OSError:
            continue
        with listing:
            for e in listing:
                if e.name.endswith(_SOURCES):
                    try:
                        st = e.stat()
                    except OSError:
                        continue
                    found.append((e.path, st.st_size, st.st_mtime_ns))
                elif e.name != "__pycache__" and not e.name.startswith(".") and e.is_dir():
                    roots.append(e.path)
    found.sort()
    return _digest(repr(found).encode()).hex()


# Note [source fingerprint]
#     In an editable install, an edit to pyjit's source must change every key
#     whose code it could change.  The key hashes the typed, optimized graph, which
#     this process's own frontend, runtime and passes produced from the current
#     sources: an edit there that changes the graph changes its text.  What maps a
#     graph to code without showing in its text is fingerprinted: the backend
#     (this package: lowerings, kernels, engine, ...), the op registry and types
#     it reads (pyjit/ir), and the passes, whose fusion decisions (``graph.fused``)
#     the printer does not show.  Stat'ing those ~55 files costs ~0.3-0.6 ms once
#     per process (the whole tree, ~100 files, cost twice that).  An edit that
#     keeps a file's size and modification time is not seen.
_SOURCES = (".py", ".so", ".c", ".h", ".pyd")


def _machine() -> str:
    if hasattr(os, "uname"):
        return os.uname().machine
    import platform
    return platform.machine()


_CPU_FIELDS = ("vendor_id", "cpu family", "model", "model name", "stepping", "flags",
               "CPU implementer", "CPU architecture", "CPU variant", "CPU part", "Features")


def _cpu() -> str:
    """The CPU, as /proc/cpuinfo describes its first core (no LLVM needed), or as
    LLVM names it (host CPU name and features) where there is no /proc."""
    try:
        with open("/proc/cpuinfo", "rb") as f:
            first = f.read(1 << 16).decode("ascii", "replace").split("\n\n")[0]
    except OSError:
        first = ""
    fields = {}
    for line in first.splitlines():
        name, _, value = line.partition(":")
        if name.strip() in _CPU_FIELDS:
            fields[name.strip()] = value.strip()
    if "flags" in fields or "Features" in fields:
        return _digest(repr(sorted(fields.items())).encode()).hex()
    from . import engine
    return _digest(engine.host_cpu().encode()).hex()


# ---- alias plans ----------------------------------------------------------------------

def alias_plan(graph, alias: dict) -> list:
    """Which live-in each exit array is (the Lowering's ``alias``), by position:
    one list per exit, one item per value in ``Exit.all_values()`` order."""
    return [[alias.get(v) if isinstance(v.type, (Array, TupleT)) else None for v in e.all_values()]
            for e in graph.exits]


def alias_from_plan(graph, plan: list) -> dict:
    alias = {}
    for e, items in zip(graph.exits, plan):
        for v, i in zip(e.all_values(), items):
            if i is not None:
                alias[v] = tuple(i) if isinstance(i, list) else i   # a tuple's items (JSON lists)
    return alias


# ---- files ------------------------------------------------------------------------------

def _paths(k: str) -> tuple[str, str]:
    stem = os.path.join(directory(), _PREFIX + k)
    return stem + ".pjc", stem + ".so"


_loaded: dict = {}  # key -> Entry: what this process already linked
_spoilt: set = set()  # keys whose symbol MCJIT linked from an entry that proved unusable


def load(k: str) -> Entry | None:
    """The entry for key ``k``, linked into this process with its address
    globals filled (Note [address globals]), or None (a miss)."""
    if k in _loaded:
        return _loaded[k]
    if k in _spoilt:  # linking it again would define its symbol twice
        return None
    entry_path, so_path = _paths(k)
    try:
        with open(entry_path, "rb") as f:
            header, obj = _parse(f.read())
        resolved = addresses.resolve_all(header["addresses"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, addresses.Unresolvable) as exc:
        log("llvm", "disk cache: ignoring %s: %s", entry_path, exc)
        return None
    name = header["name"]
    address = _load_shared(so_path, header["shared"], name, resolved)
    if address is None:
        try:
            from . import engine
            address = engine.load_object(obj, name)
            if address:
                addresses.write(name, resolved, engine.global_address)
        except Exception as exc:  # noqa: BLE001  (a bad entry is a miss, never an error)
            log("llvm", "disk cache: cannot load %s: %s", entry_path, exc)
            address = 0
        if not address:
            _spoilt.add(k)
            return None
    entry = _loaded[k] = Entry(name, address, header["ir"], header["alias"], header["addresses"])
    log("llvm", "disk cache: hit %s", entry_path)
    return entry


def spoilt(k: str) -> bool:
    """Whether this process linked the entry of ``k`` and could not use it: its
    symbol is taken, so a new compile must use another name (and not store)."""
    return k in _spoilt


# Note [cache entry format]
#     MAGIC, then the BLAKE2b digest of everything after it, then the header's
#     length (8 bytes, little-endian), the header (a ``marshal``ed dict of str,
#     list, int and None: fast to read, and the key already pins the Python
#     version), and the object code.  The digest is checked before anything is
#     unmarshalled, so a truncated or corrupted file is a miss, not a crash.

def _encode(header: dict, obj: bytes) -> bytes:
    blob = marshal.dumps(header)
    body = len(blob).to_bytes(8, "little") + blob + obj
    return _MAGIC + _digest(body) + body


def _parse(data: bytes) -> tuple[dict, bytes]:
    if not data.startswith(_MAGIC):
        raise ValueError("not a cache entry of this format")
    digest, body = data[len(_MAGIC):len(_MAGIC) + _DIGEST], data[len(_MAGIC) + _DIGEST:]
    if _digest(body) != digest:
        raise ValueError("contents do not match their digest (truncated or corrupted)")
    n = int.from_bytes(body[:8], "little")
    header = marshal.loads(body[8:8 + n])
    if not isinstance(header, dict) or \
            not {"name", "ir", "alias", "shared", "addresses"} <= header.keys():
        raise ValueError("incomplete header")
    return header, body[8 + n:]


_libraries: list = []  # loaded shared libraries stay loaded: their code is in use


def _load_shared(path: str, digest: bytes | None, name: str, resolved: list) -> int | None:
    if digest is None:
        return None
    try:
        with open(path, "rb") as f:
            if _digest(f.read()) != digest:
                raise OSError("contents do not match their digest")
        import ctypes
        lib = ctypes.CDLL(path)
        address = ctypes.cast(getattr(lib, name), ctypes.c_void_p).value

        def where(symbol):
            return ctypes.addressof(ctypes.c_void_p.in_dll(lib, symbol))
        addresses.write(name, resolved, where)
    except FileNotFoundError:
        return None
    except (OSError, AttributeError, ValueError, addresses.Unresolvable) as exc:
        log("llvm", "disk cache: %s not usable (%s); linking the object instead", path, exc)
        return None
    _libraries.append(lib)
    return address


_writers: list = []  # threads still storing entries


def store(k: str, entry: Entry, obj: bytes) -> None:
    """Write the entry (and, where a linker is available, its shared library) on
    a background thread: linking waits ~5-10 ms for ``ld``, which the first call
    need not.  The thread is not a daemon, so the interpreter finishes it at exit."""
    import threading
    _loaded[k] = entry
    _writers[:] = [w for w in _writers if w.is_alive()]
    t = threading.Thread(target=_write_entry, args=(k, entry, obj), name="pyjit-cache-store")
    _writers.append(t)
    t.start()


def flush() -> None:
    """Wait until every entry this process compiled is on disk."""
    while _writers:
        _writers.pop().join()


def _write_entry(k: str, entry: Entry, obj: bytes) -> None:
    entry_path, so_path = _paths(k)
    try:
        os.makedirs(os.path.dirname(entry_path), exist_ok=True)
        header = {"name": entry.name, "ir": entry.ir, "alias": entry.alias_plan,
                  "addresses": entry.addresses, "shared": _link_shared(obj, so_path)}
        _write_atomic(entry_path, _encode(header, obj))
    except Exception as exc:  # noqa: BLE001  (a cache that cannot write only stores nothing)
        log("llvm", "disk cache: cannot store %s: %s", entry_path, exc)


def _write_atomic(path: str, data: bytes) -> None:
    import tempfile
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        _unlink(tmp)
        raise


def _link_shared(obj: bytes, so_path: str) -> bytes | None:
    """Link the object into a shared library at ``so_path``; return its digest,
    or None where there is no usable linker (the object is then linked by MCJIT)."""
    import shutil
    import subprocess
    import tempfile
    ld = shutil.which("ld") if sys.platform.startswith("linux") else None
    if ld is None:
        return None
    fd, obj_tmp = tempfile.mkstemp(dir=os.path.dirname(so_path), prefix=".tmp-", suffix=".o")
    so_tmp = obj_tmp[:-2] + ".so"
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(obj)
        done = subprocess.run([ld, "-shared", "-o", so_tmp, obj_tmp], capture_output=True,
                              timeout=60)
        if done.returncode != 0:
            log("llvm", "disk cache: ld failed: %s", done.stderr.decode(errors="replace"))
            return None
        with open(so_tmp, "rb") as f:
            digest = _digest(f.read())
        os.replace(so_tmp, so_path)
        return digest
    except (OSError, subprocess.SubprocessError) as exc:
        log("llvm", "disk cache: cannot link a shared library: %s", exc)
        return None
    finally:
        _unlink(obj_tmp)
        _unlink(so_tmp)


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
