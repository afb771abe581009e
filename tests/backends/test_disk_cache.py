"""The disk cache (``jit(cache=True)``): hits across processes with identical
results, a miss after every edit the compiled code depends on, and no failure
of the cache (corrupt entries, an unwritable directory, racing writers) ever
reaching the program.  Each run is a fresh interpreter (``_run``)."""
import json
import math
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

import pyjit
from pyjit.backends.llvm import cache
from pyjit.ir.types import Const

CHILD = r'''
import json, sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import pyjit
import kmod
req = json.loads(sys.argv[2])
args = eval(req["args"], {"np": np})
expected = kmod.f(*args)
jf = pyjit.jit(kmod.f, **req["options"])
got = jf(*args)
specs = [(s.backend, s.note) for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]
# found through the graph index: no type inference, no passes (graphcache.py)
indexed = [s.entry is not None and "infer" not in s.stages
           for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]
if req.get("twice"):  # the same keys again, in a new jitted copy
    jf = pyjit.jit(kmod.f, **req["options"])
    again = jf(*args)
    assert repr(again) == repr(got) and np.asarray(again).tobytes() == np.asarray(got).tobytes()
    specs += [(s.backend, s.note) for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]
report = str(pyjit.explain(jf, *args)) if req.get("explain") else ""

def bits(x):  # the exact value: type, dtype, shape and every byte
    a = np.asarray(x)
    return [type(x).__name__, a.dtype.str, list(a.shape), a.tobytes().hex()]

print(json.dumps({"expected": repr(expected), "got": repr(got), "types": [type(expected).__name__, type(got).__name__],
                  "bits": [bits(expected), bits(got)], "specs": specs, "indexed": indexed,
                  "explain": report}))
'''

SUMSQ = """
    import numpy as np
    K = 3.5

    def helper(x):
        return x * K

    def f(a):
        s = 0.0
        for i in range(a.shape[0]):
            s += helper(a[i]) * a[i]
        return s
"""


@pytest.fixture
def env(tmp_path):
    moddir = tmp_path / "mod"
    moddir.mkdir()
    (tmp_path / "child.py").write_text(CHILD)
    e = dict(os.environ, PYJIT_CACHE_DIR=str(tmp_path / "cache"), PYTHONDONTWRITEBYTECODE="1",
             PYJIT_CHECK="1", PYJIT_KEEP_SMALL="1")
    e.pop("PYJIT_LOG", None)
    return {"tmp": tmp_path, "moddir": moddir, "env": e, "sources": cache._source_fingerprint()}


def _write(env, source: str) -> None:
    (env["moddir"] / "kmod.py").write_text(textwrap.dedent(source))


def _start(env, args="(np.arange(10.0),)", explain=False, twice=False, **options):
    req = json.dumps({"args": args, "options": dict(cache=True, **options), "explain": explain,
                      "twice": twice})
    return subprocess.Popen([sys.executable, str(env["tmp"] / "child.py"), str(env["moddir"]), req],
                            env=env["env"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _finish(proc) -> dict:
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert "PJ0010" not in err and "Traceback" not in err, err
    result = json.loads(out.strip().splitlines()[-1])
    assert result["got"] == result["expected"] and result["types"][0] == result["types"][1], result
    assert result["bits"][0] == result["bits"][1], result  # bit-identical
    compiled = [note for backend, note in result["specs"] if backend == "llvm"]
    assert compiled, result  # the kernel ran native code
    result["hit"] = all(note == "from disk cache" for note in compiled)
    result["miss"] = not any(note == "from disk cache" for note in compiled)
    return result


def _run(env, **kw) -> dict:
    return _finish(_start(env, **kw))


def _hit(env, result) -> bool:
    """Whether the run was served from the cache; skips the test if someone
    edited pyjit's own sources meanwhile (a new compiler: every key changes)."""
    if not result["hit"] and cache._source_fingerprint() != env["sources"]:
        pytest.skip("pyjit's sources changed during the test")
    return result["hit"]


def _entries(env, suffix=".pjc"):
    d = env["tmp"] / "cache"
    return sorted(p for p in d.iterdir() if p.name.endswith(suffix)) if d.exists() else []


def test_hit_in_a_new_process_gives_identical_results(env):
    _write(env, SUMSQ)
    first = _run(env)
    assert first["miss"] and _entries(env) and not any(first["indexed"])
    second = _run(env)
    assert _hit(env, second), second
    assert second["got"] == first["got"]
    # Note [skipping inference and passes]: found by the graph index
    assert _entries(env, ".pjg") and all(second["indexed"]), second


@pytest.mark.parametrize("damage", ["truncate", "garbage", "no entry"])
def test_a_damaged_graph_index_falls_back_to_the_entry(env, damage):
    _write(env, SUMSQ)
    _run(env)
    [index] = _entries(env, ".pjg")
    data = index.read_bytes()
    if damage == "no entry":  # the index names an entry that is gone: compiled again
        for p in _entries(env) + _entries(env, ".so"):
            p.unlink()
    else:
        index.write_bytes(data[:len(data) // 2] if damage == "truncate" else os.urandom(len(data)))
    again = _run(env)
    assert not any(again["indexed"]), again
    if damage == "no entry":
        assert again["miss"]
    else:
        assert _hit(env, again)  # through the entry's own key
    assert all(_run(env)["indexed"])  # and indexed again


def _index_round_trip(fn, *args):
    """Compile ``fn`` with ``cache=True``, load each specialization's optimized
    graph back from its index file, and compare it with the compiled one."""
    from pyjit.backends.llvm import graphcache
    from pyjit.ir.printer import print_graph
    jf = pyjit.jit(fn, cache=True)
    jf(*args)
    cache.flush()
    specs = [(r, s) for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()
             if getattr(s.entry, "cache_key", None) is not None]   # stored in the cache
    assert specs, fn
    for region, spec in specs:
        types, it = [], iter(spec.key)
        for li in region.graph.inputs:
            types.append(Const(li.static) if li.is_static else next(it))
        k = graphcache.key(region.graph, types, region.dispatcher.options)
        loaded, entry_key = graphcache.load(k)
        assert print_graph(loaded) == print_graph(spec.graph)
        assert entry_key == cache.key(loaded, region.dispatcher.options.level,
                                      region.dispatcher.options)[0]


def _strided(a):
    return np.tanh(a) * 2.0 - a.T[0].sum()


def _uses_modules(a, b):
    return np.sqrt(a * a + b * b) * np.exp(-b) + math.pi * a.sum()


def _loops(x, out):
    n = x.shape[0]
    for i in range(n):
        t = 0
        for j in range(i):
            t += int(x[j] > 0.5)
        out[i] = float(t) / (i + 1) if i % 2 else math.sqrt(abs(x[i]))
    return out, x.shape


def test_graph_index_round_trip(monkeypatch, tmp_path):
    monkeypatch.setenv("PYJIT_CACHE_DIR", str(tmp_path))
    rng = np.random.default_rng(3)
    # (not _sumsq or _exp2: test_same_key_twice_in_one_process needs their keys
    # uncompiled in this process)
    _index_round_trip(_strided, rng.random((4, 5))[:, ::2])
    _index_round_trip(_uses_modules, rng.random(6), rng.random(6).astype(np.float32))
    _index_round_trip(_loops, rng.random(9), np.zeros(9))


def _changes(x):
    return x + 1.0


def test_graph_index_objects_are_found_by_stable_name(monkeypatch, tmp_path):
    # an object the graph holds is taken from this process only if its stable
    # name is the same: a function whose code changed is a miss
    from pyjit.backends.llvm import graphcache
    monkeypatch.setenv("PYJIT_CACHE_DIR", str(tmp_path))
    graphcache.remember("k1", [np.sin, math, np.dtype("float32"), _changes, np.float64(2.5)], "e")
    got, entry_key = graphcache.load("k1")
    assert entry_key == "e" and got[:4] == [np.sin, math, np.dtype("float32"), _changes]
    assert got[4] == 2.5 and type(got[4]) is np.float64
    monkeypatch.setattr(_changes, "__code__", (lambda x: x + 2.0).__code__)
    assert graphcache.load("k1") is None
    # an object without a stable name: nothing is stored
    graphcache.remember("k2", [_UserClass()], "e")
    assert graphcache.load("k2") is None and not list(tmp_path.glob("*k2*"))


@pytest.mark.parametrize("edit", [
    ("s += helper(a[i]) * a[i]", "s += helper(a[i]) + a[i]"),  # the function's body
    ("return x * K", "return x * K - 1.0"),                      # an inlined helper's body
    ("K = 3.5", "K = 4.5"),                                      # a folded global's value
    ("K = 3.5", "K = 3.5000000000000004"),                       # ... by one ulp
])
def test_edit_is_a_miss(env, edit):
    _write(env, SUMSQ)
    _run(env)
    assert _hit(env, _run(env))
    _write(env, SUMSQ.replace(*edit))
    assert _run(env)["miss"]
    assert _hit(env, _run(env))


@pytest.mark.parametrize("change", [
    {"args": "(np.arange(20.0)[::2],)"},  # the argument types (a strided array)
    {"args": "(np.arange(10),)"},
    {"level": "O2"},                                  # the level
    {"level": "O0"},
    {"fastmath": True},                               # a code-generating option
])
def test_key_inputs_are_a_miss(env, change):
    _write(env, SUMSQ)
    _run(env)
    assert _hit(env, _run(env))
    assert _run(env, **change)["miss"]
    assert _hit(env, _run(env, **change))


@pytest.mark.parametrize("damage", ["truncate", "garbage", "empty", "bad shared library"])
def test_damaged_entry_recompiles_silently(env, damage):
    _write(env, SUMSQ)
    _run(env)
    for p in _entries(env, ".so" if damage == "bad shared library" else ".pjc"):
        data = p.read_bytes()
        p.write_bytes({"truncate": data[:len(data) // 2], "garbage": os.urandom(len(data)),
                       "empty": b"", "bad shared library": b"\x7fELF" + os.urandom(64)}[damage])
    again = _run(env)
    if damage == "bad shared library":
        assert _hit(env, again)  # the entry's object code is still good: MCJIT links it
    else:
        assert again["miss"]
        assert _hit(env, _run(env))  # and the entry was written again


def test_unwritable_directory_still_runs(env):
    blocker = env["tmp"] / "a-file"
    blocker.write_text("not a directory")
    env["env"]["PYJIT_CACHE_DIR"] = str(blocker / "cache")
    _write(env, SUMSQ)
    assert _run(env)["miss"]
    assert _run(env)["miss"]


def test_explain_shows_the_disk_cache(env):
    _write(env, SUMSQ)
    _run(env)
    result = _run(env, explain=True)
    report = result["explain"]
    assert _hit(env, result)
    assert "llvm (from disk cache)" in report, report


FUSED = """
    import numpy as np

    def f(a, b, c):
        return np.sqrt(a * a + b * b) * np.exp(-c) + 0.5 * a
"""
REDUCTION = """
    def f(a):
        return a.sum()
"""
SCALAR_EXP = """
    import numpy as np

    def f(a):
        s = 0.0
        for i in range(a.shape[0]):
            s += np.exp(a[i]) * np.tanh(a[i])
        return s
"""
INT_SUM = """
    def f(a):
        s = 0
        for i in range(a.shape[0]):
            s += a[i]
        return s
"""
_DATA = "tuple(np.random.default_rng(7).standard_normal((3, {})))"


@pytest.mark.parametrize("source, args", [
    (FUSED, _DATA.format(1000)),                                # numpy's loops and its allocation
    (FUSED, "tuple(np.random.default_rng(7).standard_normal((3, 5, 300)))[:2]"
            " + (np.float32(0.25),)"),                          # 2-D, a scalar operand
    (FUSED, _DATA.format(0)),                                   # empty arrays
    (REDUCTION, _DATA.format(1001) + "[:1]"),                   # numpy's pairwise summation
    (SCALAR_EXP, _DATA.format(300) + "[:1]"),                   # a loop calling numpy's loops
    (INT_SUM, "(np.arange(1000),)"),                            # a bounded sum (Note [bounded sums])
    (INT_SUM, "(np.array([2**62, -2**62, 2**62, -2**62]),)"),  # its bound fails: the .exact function
])
@pytest.mark.parametrize("linked_by", ["shared library", "MCJIT"])
def test_array_code_is_cached_and_bit_identical(env, source, args, linked_by):
    # Note [address globals]: the second process fills the globals with its own
    # addresses of numpy's loops and allocation callback
    _write(env, source)
    first = _run(env, args=args)
    assert first["miss"] and _entries(env), first
    if linked_by == "MCJIT":
        for p in _entries(env, ".so"):
            p.unlink()
    second = _run(env, args=args)
    assert _hit(env, second), second
    assert second["bits"] == first["bits"]


def test_entries_hold_no_address_of_the_process_that_wrote_them(env):
    _write(env, FUSED)
    _run(env, args=_DATA.format(10))
    [path] = _entries(env)
    header, _ = cache._parse(path.read_bytes())
    assert cache.position_dependent(header["ir"]) is None
    names = {symbolic for _, symbolic in header["addresses"]}
    assert ("alloc",) in names and ("ufunc", "exp", "d->d", "function") in names, names


def test_an_address_that_does_not_resolve_is_a_miss(env):
    _write(env, FUSED)
    _run(env, args=_DATA.format(10))
    [path] = _entries(env)
    header, obj = cache._parse(path.read_bytes())
    header["addresses"] = [(suffix, ("ufunc", "no_such_ufunc", "d->d", part[-1]))
                           for suffix, part in header["addresses"]]
    path.write_bytes(cache._encode(header, obj))  # a valid entry naming nothing
    assert _run(env, args=_DATA.format(10))["miss"]
    assert _hit(env, _run(env, args=_DATA.format(10)))  # stored again, correctly


def test_an_entry_without_its_symbol_compiles_under_another_name(env):
    # MCJIT links the object (defining the key's symbol) and then finds no entry
    # by the header's name: compiling the key again under its symbol would
    # define it twice in one engine, so the new compile takes a fresh name
    _write(env, FUSED)
    _run(env, args=_DATA.format(10))
    for p in _entries(env, ".so"):
        p.unlink()
    [path] = _entries(env)
    header, obj = cache._parse(path.read_bytes())
    header["name"] = "pyjit_cached_no_such_symbol"
    path.write_bytes(cache._encode(header, obj))
    again = _run(env, args=_DATA.format(10), twice=True)  # and the same key again
    notes = [note for _, note in again["specs"]]
    if not any("damaged entry" in note for note in notes) and \
            cache._source_fingerprint() != env["sources"]:
        pytest.skip("pyjit's sources changed during the test")
    assert len(notes) == 2 and all("damaged entry" in note for note in notes), notes


def test_code_with_an_address_constant_is_not_stored():
    assert cache.position_dependent("  %f = inttoptr i64 140312 to ptr") is not None
    assert cache.position_dependent("  %f = inttoptr (i64 140312 to ptr)") is not None
    assert cache.position_dependent("  %p = inttoptr i64 %x to ptr") is None


def test_racing_writers(env):
    _write(env, SUMSQ)
    procs = [_start(env) for _ in range(4)]
    for p in procs:
        _finish(p)
    assert len(_entries(env)) == 1
    assert not [p for p in (env["tmp"] / "cache").iterdir() if p.name.startswith(".tmp-")]
    assert _hit(env, _run(env))


def test_clear(env, monkeypatch):
    _write(env, SUMSQ)
    _run(env)
    monkeypatch.setenv("PYJIT_CACHE_DIR", env["env"]["PYJIT_CACHE_DIR"])
    assert cache.clear() >= 1
    assert _entries(env) == []
    assert _run(env)["miss"]


def test_directory_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.delenv("PYJIT_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert cache.directory() == os.path.join(str(tmp_path), "pyjit")
    monkeypatch.setenv("PYJIT_CACHE_DIR", str(tmp_path / "x"))
    assert cache.directory() == str(tmp_path / "x")


CAPTURED = r'''
import sys
sys.path.insert(0, sys.argv[1])
import numpy as np
import pyjit
import kmod
a = np.arange(10.0)
with pyjit.capture(cache=True):
    got = kmod.f(a)
assert repr(got) == repr(kmod.f(a)), (got, kmod.f(a))
'''


def test_capture_uses_the_cache(env):
    _write(env, SUMSQ)
    (env["tmp"] / "captured.py").write_text(CAPTURED)
    e = dict(env["env"], PYJIT_LOG="llvm")

    def run():
        done = subprocess.run([sys.executable, str(env["tmp"] / "captured.py"), str(env["moddir"])],
                              env=e, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr
        return "disk cache: hit" in done.stderr

    assert not run() and _entries(env)
    hit = run()
    if not hit and cache._source_fingerprint() != env["sources"]:
        pytest.skip("pyjit's sources changed during the test")
    assert hit


def _exp2(a):
    return np.exp(a) * 2.0


def _sumsq(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * a[i]
    return s


def test_same_key_twice_in_one_process(monkeypatch, tmp_path):
    # one symbol per key: the second compile of a key (cached or not) must not
    # define it again in the process's engine
    monkeypatch.setenv("PYJIT_CACHE_DIR", str(tmp_path))
    a = np.linspace(0.0, 1.0, 5)
    for _ in range(3):
        for fn in (_exp2, _sumsq):
            got = pyjit.jit(fn, cache=True)(a)
            assert repr(got) == repr(fn(a))
    cache.flush()
    assert len(list(tmp_path.glob("*.pjc"))) == 2


def test_without_a_linker_the_object_is_linked_by_mcjit(env):
    env["env"]["PATH"] = str(env["tmp"])  # no ld on it
    _write(env, SUMSQ)
    assert _run(env)["miss"]
    assert _entries(env) and not _entries(env, ".so")
    assert _hit(env, _run(env))


def test_source_fingerprint_sees_every_edit(tmp_path):
    # Note [source fingerprint]: an edit, a new file, a removed file, each a new value
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.py").write_text("x = 1\n")
    (tmp_path / "b.c").write_text("int b;\n")
    seen = {cache._fingerprint([str(tmp_path)])}
    (tmp_path / "__pycache__").mkdir()
    (tmp_path / "__pycache__" / "a.cpython-311.pyc").write_bytes(b"ignored")
    (tmp_path / "notes.txt").write_text("ignored")
    assert cache._fingerprint([str(tmp_path)]) in seen
    (tmp_path / "sub" / "a.py").write_text("x = 2\n")
    os.utime(tmp_path / "sub" / "a.py", ns=(1, 10 ** 18))  # same size: the time tells
    for edit in (lambda: (tmp_path / "sub" / "a.py").write_text("x = 22\n"),
                 lambda: (tmp_path / "sub" / "new.py").write_text(""),
                 lambda: (tmp_path / "b.c").unlink()):
        before = cache._fingerprint([str(tmp_path)])
        assert before not in seen
        seen.add(before)
        edit()
    assert cache._fingerprint([str(tmp_path)]) not in seen


def test_source_fingerprint_covers_what_maps_a_graph_to_code():
    import pyjit.backends.llvm.lowerings.arith as arith
    import pyjit.ir.registry as registry
    import pyjit.passes.fusion as fusion
    roots = [os.path.realpath(r) for r in cache._source_roots()]
    for module in (cache, arith, registry, fusion):
        path = os.path.realpath(module.__file__)
        assert any(path.startswith(r + os.sep) for r in roots), path


class _UserClass:
    pass


def test_constants_known_by_identity():
    import math
    import operator
    assert cache._stable(np.sum) == cache._stable(np.sum) is not None
    for lib in (np.sin, math.sin, operator.add, float, np.float64, np.linalg.norm, math):
        assert cache._stable(lib) is not None, lib
    # user code by its code, so an edit is a new key
    assert cache._stable(_sumsq) != cache._stable(_exp2)
    # an object known only by identity: not cacheable
    for obj in (np.arange(3).sum, _UserClass, _UserClass(), np.random.rand):
        assert cache._stable(obj) is None, obj
