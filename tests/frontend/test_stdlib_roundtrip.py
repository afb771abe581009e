"""A round trip over real code: every Python function of a few stdlib modules,
jitted and exercised, behaves exactly as without pyjit.

Two tests run per module of ``CALLS`` (colorsys, heapq, statistics, fractions,
textwrap, bisect, string, shlex, graphlib, difflib, calendar, datetime,
_pydecimal):

* ``test_jit_every_function`` (also over the ``JIT_ONLY`` modules): every
  plain function the module defines, and every function of its classes
  (methods, static and class methods, property accessors), goes through
  ``pyjit.jit`` without error; the rewritten code object disassembles and
  keeps the signature; generator functions come back as the very same object.
* ``test_public_api``: a table of realistic calls runs once on the plain module
  and once with every one of those functions replaced in place by its jitted
  version (module globals, class attributes, and closure cells that hold one of
  them), so that calls between the module's own functions go through jitted
  code too.  Results are compared with ``difftest.same`` (decimals by text);
  exceptions by type, message and innermost frame and line; printed output
  exactly.  The plain run also checks that the table calls every function of
  the module, save those listed in ``NOT_EXERCISED`` with the reason.

``heapq``, ``bisect`` and ``datetime`` replace their Python code with a C
accelerator when one exists, so they are loaded fresh with it blocked (from
3.12 the pure-Python ``datetime`` is its own module, ``_pydatetime``);
``_pydecimal`` is the pure-Python ``decimal``.

The tables are the same on every CPython.  Calls of what only newer versions
have (``format()`` of a Fraction, ranked correlation, kernel density
estimation, ...) raise on older ones, identically with and without pyjit, and
reach the newer functions where they exist.
"""
from __future__ import annotations

import contextlib
import dis
import importlib
import importlib.util
import inspect
import io
import math
import sys
import traceback
import types

import pytest
from test.support.import_helper import import_fresh_module

import pyjit
from difftest import BACKENDS, same

GENERATOR_LIKE = (inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR
                  | inspect.CO_ITERABLE_COROUTINE)


# --------------------------------------------------------------------------- loading


def load(name: str) -> types.ModuleType:
    """The module with its pure-Python functions (C accelerators blocked)."""
    if name == "datetime" and importlib.util.find_spec("_pydatetime") is not None:
        return import_fresh_module("_pydatetime")  # 3.12+
    if name in ("heapq", "bisect", "datetime"):
        return import_fresh_module(name, blocked=["_" + name])
    return importlib.import_module(name)


def _defined_here(obj, mod) -> bool:
    return getattr(obj, "__module__", None) == mod.__name__


def _classes(mod):
    """Classes defined in ``mod``, nested ones included, each once."""
    seen, out = set(), []
    todo = [v for v in vars(mod).values() if inspect.isclass(v) and _defined_here(v, mod)]
    while todo:
        cls = todo.pop(0)
        if id(cls) in seen:
            continue
        seen.add(id(cls))
        out.append(cls)
        todo += [v for v in vars(cls).values() if inspect.isclass(v) and _defined_here(v, mod)]
    return out


def _unwrap(attr):
    """The functions an attribute of a class holds, and how to rebuild it."""
    if isinstance(attr, staticmethod):
        return [attr.__func__], lambda fs: staticmethod(fs[0])
    if isinstance(attr, classmethod):
        return [attr.__func__], lambda fs: classmethod(fs[0])
    if isinstance(attr, property):
        parts = [attr.fget, attr.fset, attr.fdel]
        keep = [i for i, f in enumerate(parts) if inspect.isfunction(f)]

        def rebuild(fs, parts=parts, keep=keep, doc=attr.__doc__):
            new = list(parts)
            for i, f in zip(keep, fs):
                new[i] = f
            return property(*new, doc)
        return [parts[i] for i in keep], rebuild
    if inspect.isfunction(attr):
        return [attr], lambda fs: fs[0]
    return [], None


def slots(mod):
    """Every place in ``mod`` holding a function defined there.

    Yields ``(owner, name, functions, rebuild)``: ``setattr(owner, name,
    rebuild(new_functions))`` installs replacements.
    """
    for name, obj in list(vars(mod).items()):
        if inspect.isfunction(obj) and _defined_here(obj, mod):
            yield mod, name, [obj], (lambda fs: fs[0])
    for cls in _classes(mod):
        for name, attr in list(vars(cls).items()):
            fns, rebuild = _unwrap(attr)
            if any(_defined_here(f, mod) for f in fns):
                yield cls, name, fns, rebuild


def functions(mod) -> list:
    """Every function defined in ``mod`` (module level and in its classes), once."""
    seen, out = set(), []
    for _, _, fns, _ in slots(mod):
        for f in fns:
            if id(f) not in seen and _defined_here(f, mod):
                seen.add(id(f))
                out.append(f)
    return out


@contextlib.contextmanager
def jitted_module(mod, backend):
    """Replace every function of ``mod`` by its jitted version, then restore."""
    fns = functions(mod)
    jitted = {}
    for f in fns:
        try:
            jitted[id(f)] = pyjit.jit(f, backend=backend)
        except Exception:  # noqa: BLE001 -- test_jit_every_function reports it; run the rest
            pass
    undo = []
    try:
        for owner, name, fs, rebuild in list(slots(mod)):
            old = vars(owner)[name]
            setattr(owner, name, rebuild([jitted.get(id(f), f) for f in fs]))
            undo.append((owner, name, old))
        # Closures holding module functions (fractions' operator fallbacks hold
        # ``_add`` & co. in a cell): point the cells at the jitted versions.
        for f in fns:
            for cell in f.__closure__ or ():
                try:
                    content = cell.cell_contents
                except ValueError:  # an empty cell
                    continue
                if inspect.isfunction(content) and id(content) in jitted:
                    cell.cell_contents = jitted[id(content)]
                    undo.append((cell, None, content))
        yield jitted
    finally:
        for owner, name, old in reversed(undo):
            if name is None:
                owner.cell_contents = old
            else:
                setattr(owner, name, old)


from stdlib_calls import CALLS  # noqa: E402  (the tables: data)

MODULES = list(CALLS)
# Modules that are only jitted (every function through jit and dis), not run.
JIT_ONLY = ["random", "ipaddress", "json.decoder", "json.encoder", "posixpath", "copy", "pprint",
            "reprlib", "fnmatch", "base64", "locale", "numbers", "functools", "collections",
            "urllib.parse", "_strptime", "ast", "dataclasses", "enum"]

# Known pyjit bugs.  A module whose functions hit one is marked
# xfail(strict=True, raises=KnownPyjitBug): any other failure still fails, and
# once the bug is fixed the XPASS fails until its entries here are removed.
class KnownPyjitBug(Exception):
    """Every failure in a test was one of the known pyjit bugs."""


def _raised_in(exc, function: str) -> bool:
    return any(fr.name == function and "pyjit" in fr.filename
               for fr in traceback.extract_tb(exc.__traceback__))


KNOWN_BUGS: dict = {}  # name -> predicate on the exception; none known now
XFAIL: dict = {}  # (test, module) -> reason


def _known_bug(exc) -> str | None:
    return next((name for name, hit in KNOWN_BUGS.items() if hit(exc)), None)


def _params(test):
    out = []
    for name in MODULES + (JIT_ONLY if test == "jit" else []):
        reason = XFAIL.get((test, name))
        marks = [pytest.mark.xfail(strict=True, raises=KnownPyjitBug, reason=reason)
                 ] if reason else []
        out.append(pytest.param(name, id=name, marks=marks))
    return out


# --------------------------------------------------------------------------- running


def observe(call, mod):
    """What a call does: ``("ok", result, printed)`` or
    ``("raise", (type, message, innermost function and line), printed)``."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            return ("ok", call(mod), out.getvalue())
        except Exception as exc:  # the exception is part of the observed behaviour
            frames = traceback.extract_tb(exc.__traceback__)
            where = (frames[-1].name, frames[-1].lineno) if frames else None
            return ("raise", (type(exc), str(exc), where), out.getvalue())


def _agree(expected, got) -> bool:
    if expected[0] != got[0] or expected[2] != got[2]:
        return False
    if expected[0] == "ok":
        return same(canonical(got[1]), canonical(expected[1]))
    return expected[1] == got[1]


def canonical(x):
    """Decimals by type and text, so that NaN matches NaN and -0 differs from 0
    (``same`` does that for floats); decimal contexts by their repr."""
    if type(x).__name__ == "Decimal":
        return (type(x), str(x))
    if type(x).__name__ == "Context":
        return (type(x), repr(x))
    if type(x) in (list, tuple):
        return type(x)(canonical(v) for v in x)
    return x


def _difference(expected, got) -> str:
    """The first differing part of two observations, for the failure message."""
    path = ""
    e, g = expected, got
    while (isinstance(e, (list, tuple)) and isinstance(g, (list, tuple)) and len(e) == len(g)
           and type(e) is type(g)):
        k = next((k for k, (x, y) in enumerate(zip(e, g)) if not same(canonical(x),
                                                                         canonical(y))), None)
        if k is None:
            break
        path, e, g = f"{path}[{k}]", e[k], g[k]
    return f"at {path or 'top'}: CPython {e!r}, pyjit {g!r}"


# Functions no call in the tables reaches, and why.
NOT_EXERCISED = {
    "fractions": {"Fraction._operator_fallbacks"},   # runs once, while the class is created
    "statistics": {"_newton_raphson"},               # 3.13+: runs at import
    "shlex": {"shlex.sourcehook"},                   # opens files named in the input
    "difflib": {"_test"},                            # the doctest driver
    "calendar": {"main",                             # the command line
                 "_localized_month.__init__",        # run at import
                 "_localized_day.__init__"},
    "_pydecimal": {"_Log10Memoize.__init__",         # run at import
                   "_WorkRep.__repr__",              # for debugging only
                   "InvalidContext.handle"},         # unreachable through the public API
}


@contextlib.contextmanager
def calls_recorded(codes: set):
    """Collect the code objects among ``codes`` that get called."""
    called = set()
    previous = sys.getprofile()

    def profile(frame, event, arg):
        if event == "call" and frame.f_code in codes:
            called.add(frame.f_code)
    sys.setprofile(profile)
    try:
        yield called
    finally:
        sys.setprofile(previous)


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("name", _params("jit"))
@pytest.mark.parametrize("backend", BACKENDS)
def test_jit_every_function(name, backend):
    mod = load(name)
    fns = functions(mod)
    assert fns, f"no Python functions found in {name}"
    failures, known = [], []
    for fn in fns:
        try:
            _check_jitted(fn, pyjit.jit(fn, backend=backend), f"{name}.{fn.__qualname__}")
        except Exception as exc:  # report every function that fails, not just the first
            bug = _known_bug(exc)
            text = f"{name}.{fn.__qualname__}: {type(exc).__name__}: {exc}"
            (known if bug else failures).append(f"{text} [known: {bug}]" if bug else text)
    assert not failures, f"{len(failures)} of {len(fns)} functions:\n" + "\n".join(failures)
    if known:
        raise KnownPyjitBug(f"{len(known)} of {len(fns)} functions:\n" + "\n".join(known))


def _check_jitted(fn, jitted, where):
    if fn.__code__.co_flags & GENERATOR_LIKE:
        assert jitted is fn, f"{where}: a generator function must come back unchanged"
        return
    assert isinstance(jitted, types.FunctionType), where
    assert jitted.__pyjit__.skipped is None, f"{where}: {jitted.__pyjit__.skipped}"
    new, old = jitted.__code__, fn.__code__
    dis.dis(new, file=io.StringIO())
    list(dis.Bytecode(new))
    for attr in ("co_argcount", "co_posonlyargcount", "co_kwonlyargcount", "co_flags",
                 "co_name", "co_qualname", "co_filename", "co_freevars", "co_cellvars"):
        assert getattr(new, attr) == getattr(old, attr), f"{where}: {attr} changed"
    assert new.co_varnames[:old.co_argcount] == old.co_varnames[:old.co_argcount], where
    assert (jitted.__name__, jitted.__qualname__, jitted.__defaults__, jitted.__kwdefaults__,
            jitted.__closure__) == (fn.__name__, fn.__qualname__, fn.__defaults__,
                                    fn.__kwdefaults__, fn.__closure__), where
    assert jitted.__pyjit__.fn is fn, where


def test_bisect_and_heapq_are_pure_python():
    """The fresh copies really hold Python functions (else nothing is jitted)."""
    assert inspect.isfunction(load("bisect").bisect_left)
    assert inspect.isfunction(load("heapq").heappush)


def test_jit_refuses_non_functions():
    import fractions
    for obj in (len, math.sqrt, fractions.Fraction, fractions.Fraction(1, 2),
                fractions.Fraction.__add__.__get__(fractions.Fraction(1)), 3, "f"):
        with pytest.raises(TypeError):
            pyjit.jit(obj)


def test_generator_functions_come_back_unchanged():
    for gen in (load("heapq").merge, load("difflib").unified_diff, load("difflib").Differ.compare,
                load("graphlib").TopologicalSorter.static_order):
        assert inspect.isgeneratorfunction(gen)
        assert pyjit.jit(gen) is gen


@pytest.mark.parametrize("name", _params("api"))
@pytest.mark.parametrize("backend", BACKENDS)
def test_public_api(name, backend):
    mod = load(name)
    calls = CALLS[name]()
    fns = {f.__code__: f for f in functions(mod)}
    with calls_recorded(set(fns)) as called:
        expected = [observe(call, mod) for _, call in calls]
    unexercised = {f.__qualname__ for code, f in fns.items() if code not in called}
    assert unexercised <= NOT_EXERCISED.get(name, set()), f"never called: {sorted(unexercised)}"
    with jitted_module(mod, backend) as jitted:
        assert jitted
        got = [observe(call, mod) for _, call in calls]
    regions = [r for f in jitted.values() if hasattr(f, "__pyjit__") for r in f.__pyjit__.regions]
    assert sum(r.dispatcher.stats.calls for r in regions) > 0, "no region ever ran"
    # Restored: the module runs its own functions again.
    assert all(not hasattr(f, "__pyjit__") for f in functions(mod))
    bad = [f"{label}: {_difference(e, g)}"
           for (label, _), e, g in zip(calls, expected, got) if not _agree(e, g)]
    assert not bad, f"{len(bad)} of {len(calls)} calls differ:\n" + "\n".join(bad[:20])
