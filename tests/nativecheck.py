"""Differential checks of the LLVM backend over many inputs, compiling once per
argument types (for hypothesis tests: difftest.check jits afresh every call).

``agree(fn, *args)`` runs ``fn`` under CPython and jitted on the LLVM backend at
O0 and O2 (one jitted function per level, reused across calls), and asserts the
same outcome: the value (difftest.same: exact types, dtypes, NaN == NaN, signed
zeros), or the exception's type and message; the same warnings (category and
message: a lowering bails out where numpy warns, and numpy then warns once);
the arguments left as CPython leaves them, and which of them a returned array
*is*; and that only LLVM code ran.

    agree(shifts, np.int8(-128), np.int8(9))

``native(jf)`` asserts the last of those alone, for a function jitted elsewhere
(``difftest.check(...)`` returns one); ``specs(jf)`` lists its compiled keys.
"""
from __future__ import annotations

import copy
import warnings

import pyjit
from difftest import _identity, same

_JITTED: dict = {}
LEVELS = ("O0", "O2")


def specs(jf) -> list:
    """The compiled keys (dispatcher specializations) of ``jf``'s regions."""
    return [s for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]


def native(jf) -> None:
    """Assert that ``jf`` has compiled keys and that every one is LLVM code."""
    found = specs(jf)
    assert found and all(s.backend == "llvm" for s in found), [(s.backend, s.note) for s in found]


def jitted(fn, level: str):
    if (fn, level) not in _JITTED:
        _JITTED[fn, level] = pyjit.jit(fn, backend="llvm", level=level)
    return _JITTED[fn, level]


def outcome(fn, args):
    args = copy.deepcopy(args)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = ("value", fn(*args))
        except Exception as e:  # noqa: BLE001 - the exception is the outcome compared
            res = ("raised", type(e), str(e))
    return res, [(w.category, str(w.message)) for w in caught], args


def _same_outcome(a, b) -> bool:
    if a[0] != b[0]:
        return False
    return same(a[1], b[1]) if a[0] == "value" else a == b


def agree(fn, *args, native: bool = True):
    want, want_warnings, want_args = outcome(fn, args)
    for level in LEVELS:
        jf = jitted(fn, level)
        outcome(jf, args)  # compile first: compiling evaluates numpy on examples (warnings)
        before = {id(s): n for s, n in _calls(jf)}
        got, got_warnings, got_args = outcome(jf, args)
        where = f"{fn.__name__}{args!r} at {level}"
        assert _same_outcome(got, want), f"{where}: pyjit {got!r}, CPython {want!r}"
        assert got_warnings == want_warnings, f"{where}: warnings {got_warnings}, CPython {want_warnings}"
        assert same(list(got_args), list(want_args)), f"{where}: arguments after the call differ"
        if want[0] == "value":
            assert _identity(got[1], got_args) == _identity(want[1], want_args), \
                f"{where}: which arguments the result is (`is`) differs from CPython"
        if native:
            ran = [s for s, n in _calls(jf) if n > before.get(id(s), 0)]
            assert ran and all(s.backend == "llvm" for s in ran), \
                f"{where} ran on {[(s.backend, s.note) for s in ran]}"


def _calls(jf):
    """(specialization, how often it ran) for every compiled key of ``jf``; reading
    ``stats`` first folds in the counts the C dispatcher kept."""
    out = []
    for r in jf.__pyjit__.regions:
        r.dispatcher.stats  # noqa: B018
        out += [(s, s.calls) for s in r.dispatcher.cache.values()]
    return out
