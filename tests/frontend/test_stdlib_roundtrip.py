"""A round trip over real code: every Python function of a few stdlib modules,
jitted and exercised, behaves exactly as without pyjit.

For each module two tests run:

* ``test_jit_every_function``: every plain function the module defines, and
  every function of its classes (methods, static and class methods, property
  accessors), goes through ``pyjit.jit`` without error; the rewritten code
  object disassembles, keeps the signature, and generator functions come back
  as the very same function object.
* ``test_public_api``: a table of realistic calls runs once on the plain module
  and once with every one of those functions replaced in place by its jitted
  version (module globals, class attributes, and closure cells that hold one of
  them), so that calls between the module's own functions go through jitted
  code too.  Results are compared with ``difftest.same``; exceptions by type,
  message and the line of the innermost frame.

``heapq`` and ``bisect`` replace their Python functions with C ones when
``_heapq`` / ``_bisect`` exist, so they are loaded fresh with those blocked.
"""
from __future__ import annotations

import contextlib
import dis
import importlib
import inspect
import io
import math
import traceback
import types
from decimal import Decimal
from fractions import Fraction as _PlainFraction

import pytest
from test.support.import_helper import import_fresh_module

import pyjit
from difftest import BACKENDS, same

GENERATOR_LIKE = (inspect.CO_GENERATOR | inspect.CO_COROUTINE | inspect.CO_ASYNC_GENERATOR
                  | inspect.CO_ITERABLE_COROUTINE)


# --------------------------------------------------------------------------- loading


def load(name: str) -> types.ModuleType:
    """The module with its pure-Python functions (C accelerators blocked)."""
    if name in ("heapq", "bisect"):
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
            fns = [f for f in fns if _defined_here(f, mod)]
            if fns:
                yield cls, name, fns, rebuild


def functions(mod) -> list:
    """Every function defined in ``mod`` (module level and in its classes), once."""
    seen, out = set(), []
    for _, _, fns, _ in slots(mod):
        for f in fns:
            if id(f) not in seen:
                seen.add(id(f))
                out.append(f)
    return out


@contextlib.contextmanager
def jitted_module(mod, backend):
    """Replace every function of ``mod`` by its jitted version, then restore."""
    fns = functions(mod)
    jitted = {id(f): pyjit.jit(f, backend=backend) for f in fns}
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


# --------------------------------------------------------------------------- the call tables


def _heap_ops(m, seq):
    h = []
    for x in seq:
        m.heappush(h, x)
    popped = [m.heappop(h) for _ in range(len(seq) // 2)]
    return popped, h


def _heapify(m, xs):
    xs = list(xs)
    m.heapify(xs)
    return xs, [m.heappop(xs) for _ in range(len(xs))]


def _heapreplace(m, xs, item):
    xs = list(xs)
    m.heapify(xs)
    return m.heapreplace(xs, item), xs


def _heappushpop(m, xs, item):
    xs = list(xs)
    m.heapify(xs)
    return m.heappushpop(xs, item), xs


def _heap_max(m, xs):
    xs = list(xs)
    m._heapify_max(xs)
    out = [m._heappop_max(xs) for _ in range(len(xs))]
    return out


def _insort(m, fn, xs, item, **kw):
    xs = list(xs)
    getattr(m, fn)(xs, item, **kw)
    return xs


_COLORS = [(0, 0, 0), (1, 1, 1), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0), (0.5, 0.5, 0.5),
           (0.2, 0.4, 0.4), (1.0, 0.0, 0.0), (0.0, 1.0, 0.0), (0.0, 0.0, 1.0),
           (0.9, 0.1, 0.3), (0.25, 0.75, 0.5), (1, 0, 0), (0, 1, 1), (0.3, 0.3, 0.7),
           (2.0, -1.0, 0.5), (0.1, 0.2, float("nan"))]
_HSX = [(0.0, 0.0, 0.0), (0.0, 1.0, 1.0), (0.5, 0.5, 0.5), (1.0, 1.0, 1.0), (0.999, 0.3, 0.8),
        (1 / 6, 0.2, 0.4), (0.4, 0.9, 0.25), (0.7, 0.0, 0.6), (0.95, 0.6, 0.3), (0, 0, 1),
        (0.6, 1.0, 0.5), (0.2, 0.5, 0.75), (0.1, 0.5, 0.5)]
_YIQ = [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.5, 0.3, -0.2), (0.2, -0.6, 0.6), (0.9, 0.5, 0.5), (0, 0, 0)]

_TEXT = ("The quick brown fox jumps over the lazy dog. Pack my box with five dozen liquor "
         "jugs!  Sphinx of black quartz,\tjudge my vow. Supercalifragilisticexpialidocious-word "
         "ends here.")


def colorsys_calls():
    calls = []
    for c in _COLORS:
        for fn in ("rgb_to_hsv", "rgb_to_hls", "rgb_to_yiq"):
            calls.append((f"{fn}{c}", lambda m, fn=fn, c=c: getattr(m, fn)(*c)))
    for c in _HSX:
        calls.append((f"hsv_to_rgb{c}", lambda m, c=c: m.hsv_to_rgb(*c)))
        calls.append((f"hls_to_rgb{c}", lambda m, c=c: m.hls_to_rgb(*c)))
    for c in _YIQ:
        calls.append((f"yiq_to_rgb{c}", lambda m, c=c: m.yiq_to_rgb(*c)))
    calls += [
        ("round trip hsv", lambda m: [m.hsv_to_rgb(*m.rgb_to_hsv(*c)) for c in _COLORS[:12]]),
        ("round trip hls", lambda m: [m.hls_to_rgb(*m.rgb_to_hls(*c)) for c in _COLORS[:12]]),
        ("rgb_to_hsv str", lambda m: m.rgb_to_hsv("a", 0.1, 0.2)),
        ("hls_to_rgb None", lambda m: m.hls_to_rgb(0.5, None, 0.5)),
    ]
    return calls


def heapq_calls():
    seqs = [[], [1], [5, 3, 8, 1, 9, 2, 7], [3, 3, 3, 1, 1], [-4, 2**70, -2**65, 0, 17, 6, 6, 1],
            list(range(20, 0, -1)), [0.5, -1.5, 2.25, 0.0, -0.0]]
    calls = []
    for s in seqs:
        calls += [
            (f"push/pop {s}", lambda m, s=s: _heap_ops(m, s)),
            (f"heapify {s}", lambda m, s=s: _heapify(m, s)),
            (f"heapreplace {s}", lambda m, s=s: _heapreplace(m, s, 4)),
            (f"heappushpop {s}", lambda m, s=s: _heappushpop(m, s, 4)),
            (f"max heap {s}", lambda m, s=s: _heap_max(m, s)),
        ]
        for n in (0, 1, 3, 100):
            calls += [
                (f"nlargest {n} {s}", lambda m, s=s, n=n: m.nlargest(n, s)),
                (f"nsmallest {n} {s}", lambda m, s=s, n=n: m.nsmallest(n, s)),
                (f"nlargest key {n} {s}", lambda m, s=s, n=n: m.nlargest(n, s, key=lambda x: -x)),
                (f"nsmallest key {n} {s}", lambda m, s=s, n=n: m.nsmallest(n, iter(s), key=abs)),
            ]
    calls += [
        ("heappop empty", lambda m: m.heappop([])),
        ("heapreplace empty", lambda m: m.heapreplace([], 1)),
        ("heappushpop empty", lambda m: m.heappushpop([], 1)),
        ("heappush mixed", lambda m: m.heappush([1, 2], "x")),
        ("merge", lambda m: list(m.merge([1, 4, 9], [2, 3, 10], [], [0, 11]))),
        ("merge empty", lambda m: list(m.merge())),
        ("merge key", lambda m: list(m.merge([9, 4, 1], [10, 3, 2], key=lambda x: -x))),
        ("merge reverse", lambda m: list(m.merge([9, 4, 1], [10, 3, 2], reverse=True))),
        ("merge reverse key", lambda m: list(m.merge(["ccc", "a"], ["bb", ""], key=len,
                                                     reverse=True))),
    ]
    return calls


def statistics_calls():
    ints = [1, 2, 2, 3, 4, 7, 9]
    floats = [2.5, 3.25, 5.5, 11.25, 0.0, -1.75]
    fracs = [_PlainFraction(1, 2), _PlainFraction(3, 4), _PlainFraction(5, 6)]
    decs = [Decimal("0.5"), Decimal("0.75"), Decimal("1.25")]
    calls = []
    for label, data in [("ints", ints), ("floats", floats), ("fracs", fracs), ("decs", decs),
                        ("one", [5]), ("empty", []), ("big", [2**64, 2**65 + 1, 3])]:
        for fn in ("mean", "fmean", "median", "median_low", "median_high", "median_grouped",
                   "mode", "multimode", "pstdev", "pvariance", "stdev", "variance",
                   "geometric_mean", "harmonic_mean"):
            calls.append((f"{fn} {label}", lambda m, fn=fn, d=data: getattr(m, fn)(d)))
        for n in (1, 4, 10):
            for method in ("exclusive", "inclusive"):
                calls.append((f"quantiles {label} n={n} {method}",
                              lambda m, d=data, n=n, k=method: m.quantiles(d, n=n, method=k)))
    calls += [
        ("mean iter", lambda m: m.mean(iter([1, 2, 3, 4]))),
        ("mean bool", lambda m: m.mean([True, False, True])),
        ("mean mixed", lambda m: m.mean([1, 2.5, _PlainFraction(1, 3)])),
        ("mean str", lambda m: m.mean(["a", "b"])),
        ("mean nan", lambda m: m.mean([1.0, float("nan")])),
        ("mean inf", lambda m: m.mean([1.0, float("inf")])),
        ("fmean weights", lambda m: m.fmean([1, 2, 3], weights=[3, 1, 1])),
        ("fmean weights mismatch", lambda m: m.fmean([1, 2, 3], weights=[3, 1])),
        ("harmonic weights", lambda m: m.harmonic_mean([40, 60], weights=[5, 30])),
        ("harmonic negative", lambda m: m.harmonic_mean([1, -2, 3])),
        ("harmonic zero", lambda m: m.harmonic_mean([1, 0, 3])),
        ("geometric negative", lambda m: m.geometric_mean([1, -2, 3])),
        ("variance xbar", lambda m: m.variance([1, 2, 3, 4], xbar=2.5)),
        ("pvariance mu", lambda m: m.pvariance([1.5, 2.5, 2.5, 2.75], mu=2.25)),
        ("stdev one", lambda m: m.stdev([1.0])),
        ("mode strings", lambda m: m.mode("aabbbc")),
        ("multimode strings", lambda m: m.multimode("aabbcd")),
        ("median_grouped interval", lambda m: m.median_grouped([1, 3, 3, 5, 7], interval=2)),
        ("quantiles n=0", lambda m: m.quantiles([1, 2, 3], n=0)),
        ("quantiles bad method", lambda m: m.quantiles([1, 2, 3], method="x")),
        ("covariance", lambda m: m.covariance([1, 2, 3, 4, 5], [5, 3, 4, 1, 2])),
        ("covariance short", lambda m: m.covariance([1], [2])),
        ("correlation", lambda m: m.correlation([1, 2, 3, 4, 5], [2, 4, 5, 4, 5])),
        ("correlation constant", lambda m: m.correlation([1, 1, 1], [1, 2, 3])),
        ("correlation lengths", lambda m: m.correlation([1, 2, 3], [1, 2])),
        ("linear_regression", lambda m: tuple(m.linear_regression([1, 2, 3, 4], [2, 4.5, 5, 8]))),
        ("linear_regression proportional",
         lambda m: tuple(m.linear_regression([1, 2, 3], [2, 4, 7], proportional=True))),
        ("linear_regression constant", lambda m: m.linear_regression([1, 1], [1, 2])),
        ("NormalDist", lambda m: _normal_dist(m)),
        ("NormalDist bad sigma", lambda m: m.NormalDist(0, -1)),
        ("NormalDist inv_cdf 0", lambda m: m.NormalDist().inv_cdf(0.0)),
        ("NormalDist from_samples short", lambda m: m.NormalDist.from_samples([1.0])),
    ]
    return calls


def _normal_dist(m):
    n = m.NormalDist(100, 15)
    z = m.NormalDist()
    s = m.NormalDist.from_samples([2.5, 3.1, 2.1, 2.4, 2.7, 3.5])
    return (n.mean, n.median, n.mode, n.stdev, n.variance, n.pdf(115), n.cdf(130),
            n.inv_cdf(0.975), z.inv_cdf(1e-10), z.inv_cdf(0.5), n.quantiles(), n.zscore(85),
            n.overlap(m.NormalDist(110, 20)), s.mean, s.stdev, repr(n + 5), repr(n * 2),
            repr(n - z), repr(n / 4), repr(-n), n == m.NormalDist(100, 15), hash(z),
            n.samples(5, seed=42))


def fractions_calls():
    def F(*a):
        import fractions
        return fractions.Fraction(*a)

    calls = []
    pairs = [((3, 4), (1, 6)), ((-7, 3), (2, 5)), ((2**70, 3**40), (-5, 2**65)), ((0, 1), (5, 1)),
             ((1, 3), (1, 3))]
    ops = {"add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
           "truediv": lambda a, b: a / b, "floordiv": lambda a, b: a // b,
           "mod": lambda a, b: a % b, "divmod": divmod, "lt": lambda a, b: a < b,
           "le": lambda a, b: a <= b, "eq": lambda a, b: a == b, "ne": lambda a, b: a != b}
    for (p, q) in pairs:
        for name, op in ops.items():
            calls.append((f"{name} F{p} F{q}",
                          lambda m, p=p, q=q, op=op: op(m.Fraction(*p), m.Fraction(*q))))
        for other in (2, 0.5, complex(1, 1), Decimal("1.5")):
            calls.append((f"add F{p} {other!r}", lambda m, p=p, o=other: m.Fraction(*p) + o))
            calls.append((f"radd F{p} {other!r}", lambda m, p=p, o=other: o + m.Fraction(*p)))
            calls.append((f"rtruediv F{p} {other!r}", lambda m, p=p, o=other: o / m.Fraction(*p)))
            calls.append((f"lt F{p} {other!r}", lambda m, p=p, o=other: m.Fraction(*p) < o))
        for e in (0, 3, -2, _PlainFraction(1, 2), 0.5, F(2)):
            calls.append((f"pow F{p} {e!r}", lambda m, p=p, e=e: m.Fraction(*p) ** e))
        calls.append((f"rpow F{p}", lambda m, p=p: 2 ** m.Fraction(*p)))
        calls.append((f"unary F{p}", lambda m, p=p: _unary(m.Fraction(*p))))
    calls += [
        ("from_float", lambda m: [m.Fraction.from_float(x) for x in (0.1, -2.5, 1e300, 0.0)]),
        ("from_float nan", lambda m: m.Fraction.from_float(float("nan"))),
        ("from_float inf", lambda m: m.Fraction.from_float(float("inf"))),
        ("from_float str", lambda m: m.Fraction.from_float("1")),
        ("from_decimal", lambda m: m.Fraction.from_decimal(Decimal("-3.14159"))),
        ("limit_denominator", lambda m: [m.Fraction("3.141592653589793").limit_denominator(d)
                                         for d in (1, 10, 100, 1000000)]),
        ("limit_denominator 0", lambda m: m.Fraction(1, 3).limit_denominator(0)),
        ("parse", lambda m: [m.Fraction(s) for s in ("3/4", " -12 ", "1.5e3", "-.25", "7e-2",
                                                      "+5/10")]),
        ("parse bad", lambda m: m.Fraction("3/")),
        ("parse spaces", lambda m: m.Fraction("3 /4")),
        ("zero denominator", lambda m: m.Fraction(1, 0)),
        ("from float ctor", lambda m: m.Fraction(0.375)),
        ("from decimal ctor", lambda m: m.Fraction(Decimal("1.1"))),
        ("from fraction pair", lambda m: m.Fraction(m.Fraction(1, 2), m.Fraction(3, 4))),
        ("bad type", lambda m: m.Fraction([1])),
        ("float numerator with denominator", lambda m: m.Fraction(1.5, 2)),
        ("div by zero", lambda m: m.Fraction(1, 2) / m.Fraction(0)),
        ("floordiv by zero", lambda m: m.Fraction(1, 2) // 0),
        ("zero to negative power", lambda m: m.Fraction(0) ** -1),
        ("as_integer_ratio", lambda m: m.Fraction(-6, 4).as_integer_ratio()),
        ("round", lambda m: [round(m.Fraction(n, 2)) for n in range(-5, 6)]),
        ("round ndigits", lambda m: [round(m.Fraction(22, 7), k) for k in (-1, 0, 2, 5)]),
        ("sum", lambda m: sum((m.Fraction(1, k) for k in range(1, 15)), m.Fraction(0))),
        ("sort", lambda m: sorted([m.Fraction(3, 7), 0.4, m.Fraction(-1, 2), 1, m.Fraction(2, 5)])),
        ("hash", lambda m: [hash(m.Fraction(n, d)) for n, d in ((1, 2), (-1, 3), (10**30, 7),
                                                                 (4, 2))]),
        ("compare nan", lambda m: (m.Fraction(1, 2) < float("nan"), m.Fraction(1) == float("inf"))),
        ("reduce", lambda m: m.Fraction(1, 3).__reduce__()),
        ("copy", lambda m: (m.Fraction(1, 3).__copy__(), m.Fraction(1, 3).__deepcopy__({}))),
    ]
    return calls


def _unary(f):
    return (-f, +f, abs(f), int(f), float(f), math.floor(f), math.ceil(f), math.trunc(f),
            round(f), bool(f), repr(f), str(f), f.numerator, f.denominator, f.is_integer()
            if hasattr(f, "is_integer") else None)


def textwrap_calls():
    calls = []
    for width in (1, 5, 12, 30, 70):
        calls += [
            (f"wrap {width}", lambda m, w=width: m.wrap(_TEXT, width=w)),
            (f"fill {width}", lambda m, w=width: m.fill(_TEXT, width=w, initial_indent="> ",
                                                         subsequent_indent="  ")),
            (f"wrap nobreak {width}", lambda m, w=width: m.wrap(_TEXT, w, break_long_words=False,
                                                                 break_on_hyphens=False)),
            (f"wrap max_lines {width}", lambda m, w=width: m.wrap(_TEXT, w + 8, max_lines=2,
                                                                   placeholder=" [...]")),
            (f"shorten {width}", lambda m, w=width: m.shorten(_TEXT, width=w + 10)),
        ]
    calls += [
        ("wrap width 0", lambda m: m.wrap("abc", width=0)),
        ("wrap placeholder too long", lambda m: m.wrap(_TEXT, 5, max_lines=1, placeholder="....")),
        ("shorten tiny", lambda m: m.shorten("Hello  world!", width=5)),
        ("wrap empty", lambda m: m.wrap("")),
        ("wrap tabs", lambda m: m.wrap("a\tbb\tccc\tdddd", width=8, tabsize=4, expand_tabs=True)),
        ("wrap drop_whitespace", lambda m: m.wrap("  lead   and trail  ", 6, drop_whitespace=False)),
        ("fix_sentence_endings", lambda m: m.fill("Hi there. How are you? Fine!", 80,
                                                  fix_sentence_endings=True)),
        ("TextWrapper", lambda m: m.TextWrapper(width=15, replace_whitespace=False).wrap(
            "line one\nline two is longer\tand tabbed")),
        ("dedent", lambda m: m.dedent("    def f():\n        return 1\n\n    x = 2\n")),
        ("dedent mixed", lambda m: m.dedent("\t  a\n\t b\n  \t c\n")),
        ("dedent whitespace lines", lambda m: m.dedent("  a\n   \n  b\n")),
        ("dedent none", lambda m: m.dedent("a\n  b\n")),
        ("indent", lambda m: m.indent("a\n\nb\n  c", "+ ")),
        ("indent predicate", lambda m: m.indent("a\n\nb\n", "> ", lambda line: True)),
        ("indent bad", lambda m: m.indent(None, "> ")),
    ]
    return calls


def bisect_calls():
    data = [1, 2, 2, 2, 5, 8, 8, 13]
    calls = []
    for fn in ("bisect_left", "bisect_right", "bisect"):
        for x in (0, 1, 2, 3, 8, 13, 14, 2.5):
            calls.append((f"{fn} {x}", lambda m, fn=fn, x=x: getattr(m, fn)(data, x)))
        calls += [
            (f"{fn} empty", lambda m, fn=fn: getattr(m, fn)([], 3)),
            (f"{fn} lo hi", lambda m, fn=fn: getattr(m, fn)(data, 5, 2, 6)),
            (f"{fn} hi=None", lambda m, fn=fn: getattr(m, fn)(data, 5, 1, None)),
            (f"{fn} lo<0", lambda m, fn=fn: getattr(m, fn)(data, 5, -1)),
            (f"{fn} key", lambda m, fn=fn: getattr(m, fn)([(1, "a"), (3, "b"), (3, "c"), (9, "d")],
                                                          3, key=lambda t: t[0])),
            (f"{fn} type error", lambda m, fn=fn: getattr(m, fn)(data, "x")),
        ]
    for fn in ("insort_left", "insort_right", "insort"):
        for x in (0, 2, 7, 20):
            calls.append((f"{fn} {x}", lambda m, fn=fn, x=x: _insort(m, fn, data, x)))
        calls += [
            (f"{fn} empty", lambda m, fn=fn: _insort(m, fn, [], 1)),
            (f"{fn} key", lambda m, fn=fn: _insort(m, fn, ["a", "ccc"], "bb", key=len)),
            (f"{fn} lo<0", lambda m, fn=fn: _insort(m, fn, data, 1, lo=-3)),
        ]
    return calls


def string_calls():
    return [
        ("capwords", lambda m: m.capwords("  hello   wORLD, foo-bar  ")),
        ("capwords sep", lambda m: m.capwords("a-b-c d", "-")),
        ("Template", lambda m: m.Template("$who likes ${what}; $$5").substitute(who="tim",
                                                                                  what="jam")),
        ("Template missing", lambda m: m.Template("$who likes $what").substitute(who="tim")),
        ("Template invalid", lambda m: m.Template("$who $").substitute(who="x")),
        ("Template safe", lambda m: m.Template("$who likes $what $").safe_substitute(who="x")),
        ("Template identifiers", lambda m: (m.Template("$a ${b} $a $$c").get_identifiers(),
                                            m.Template("$a ${b}").is_valid())),
        ("Formatter", lambda m: m.Formatter().format("{0:>5}|{x!r}|{1[1]}|{y.real:.2f}", 12,
                                                     [1, 2], x="s", y=2.5)),
        ("Formatter nested", lambda m: m.Formatter().format("{0:{1}}", 3.14159, ".3")),
        ("Formatter bad", lambda m: m.Formatter().format("{0} {", 1)),
        ("Formatter missing", lambda m: m.Formatter().format("{0} {1}", 1)),
        ("Formatter auto/manual", lambda m: m.Formatter().format("{} {1}", 1, 2)),
    ]


def shlex_calls():
    return [
        ("split", lambda m: m.split("ls -l 'a b' \"c d\" e\\ f # not a comment")),
        ("split comments", lambda m: m.split("a b # c d", comments=True)),
        ("split posix=False", lambda m: m.split("a 'b c' \"d\"", posix=False)),
        ("split unclosed", lambda m: m.split("a 'b")),
        ("split escape end", lambda m: m.split("a \\")),
        ("quote", lambda m: [m.quote(s) for s in ("", "abc", "a b", "it's", "$HOME", "-n")]),
        ("join", lambda m: m.join(["echo", "a b", "c'd"])),
        ("shlex punctuation", lambda m: list(m.shlex("a && b; c|d > e", punctuation_chars=True))),
        ("shlex get_token", lambda m: _tokens(m.shlex("x = 'y z' # c\nw"))),
        ("split None", lambda m: m.split(None)),
    ]


def _tokens(lexer):
    out = []
    while True:
        t = lexer.get_token()
        if t == lexer.eof:
            return out
        out.append(t)


def graphlib_calls():
    return [
        ("static_order", lambda m: list(m.TopologicalSorter({"d": {"b", "c"}, "c": {"a"},
                                                             "b": {"a"}}).static_order())),
        ("cycle", lambda m: list(m.TopologicalSorter({1: {2}, 2: {3}, 3: {1}}).static_order())),
        ("incremental", lambda m: _topo_steps(m)),
        ("not prepared", lambda m: m.TopologicalSorter().get_ready()),
        ("done unknown", lambda m: _topo_done_unknown(m)),
    ]


def _topo_steps(m):
    ts = m.TopologicalSorter()
    for node, deps in ((5, (3, 4)), (4, (1,)), (3, (1, 2)), (6, ())):
        ts.add(node, *deps)
    ts.prepare()
    steps = []
    while ts.is_active():
        ready = sorted(ts.get_ready())
        steps.append(ready)
        ts.done(*ready)
    return steps, bool(ts)


def _topo_done_unknown(m):
    ts = m.TopologicalSorter({1: {2}})
    ts.prepare()
    ts.done(7)


def difflib_calls():
    a = "the quick brown fox jumps over the lazy dog".split()
    b = "the quick red fox leaps over the dog today".split()
    return [
        ("ratio", lambda m: (m.SequenceMatcher(None, a, b).ratio(),
                             m.SequenceMatcher(None, a, b).quick_ratio(),
                             m.SequenceMatcher(None, a, b).real_quick_ratio())),
        ("opcodes", lambda m: m.SequenceMatcher(None, "abxcd", "abcd").get_opcodes()),
        ("matching blocks", lambda m: [tuple(x) for x in
                                       m.SequenceMatcher(None, "abxcdyyq", "abcdyq")
                                       .get_matching_blocks()]),
        ("longest match", lambda m: tuple(m.SequenceMatcher(None, " abcd", "abcd abcd")
                                          .find_longest_match(0, 5, 0, 9))),
        ("junk", lambda m: m.SequenceMatcher(lambda x: x == " ", "a b c", "a  bc").ratio()),
        ("close matches", lambda m: m.get_close_matches("appel", ["ape", "apple", "peach",
                                                                   "puppy"])),
        ("close matches bad n", lambda m: m.get_close_matches("x", ["x"], n=0)),
        ("unified_diff", lambda m: list(m.unified_diff(a, b, "a", "b", lineterm=""))),
        ("context_diff", lambda m: list(m.context_diff(a, b, lineterm=""))),
        ("ndiff", lambda m: list(m.ndiff(["one\n", "two\n", "three\n"],
                                         ["ore\n", "tree\n", "emu\n"]))),
        ("grouped opcodes", lambda m: list(m.SequenceMatcher(None, a * 3, b * 3)
                                           .get_grouped_opcodes(1))),
    ]


CALLS = {
    "colorsys": colorsys_calls,
    "heapq": heapq_calls,
    "statistics": statistics_calls,
    "fractions": fractions_calls,
    "textwrap": textwrap_calls,
    "bisect": bisect_calls,
    "string": string_calls,
    "shlex": shlex_calls,
    "graphlib": graphlib_calls,
    "difflib": difflib_calls,
}
MODULES = list(CALLS)

# Known pyjit bugs, each reduced to a standalone repro in the final report.
XFAIL: dict = {}


def _param(name):
    marks = [pytest.mark.xfail(strict=True, reason=XFAIL[name])] if name in XFAIL else []
    return pytest.param(name, id=name, marks=marks)


# --------------------------------------------------------------------------- running


def observe(call, mod):
    """What a call does: ('ok', result) or ('raise', type, message, innermost line)."""
    try:
        return ("ok", call(mod))
    except Exception as exc:  # the exception is part of the observed behaviour
        frames = traceback.extract_tb(exc.__traceback__)
        where = (frames[-1].name, frames[-1].lineno) if frames else None
        return ("raise", type(exc), str(exc), where)


def _agree(expected, got) -> bool:
    if expected[0] != got[0]:
        return False
    if expected[0] == "ok":
        return same(got[1], expected[1])
    return expected[1:] == got[1:]


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("name", [_param(m) for m in MODULES])
@pytest.mark.parametrize("backend", BACKENDS)
def test_jit_every_function(name, backend):
    mod = load(name)
    fns = functions(mod)
    assert fns, f"no Python functions found in {name}"
    failures = []
    for fn in fns:
        try:
            _check_jitted(fn, pyjit.jit(fn, backend=backend), f"{name}.{fn.__qualname__}")
        except Exception as exc:  # report every function that fails, not just the first
            failures.append(f"{name}.{fn.__qualname__}: {type(exc).__name__}: {exc}")
    assert not failures, f"{len(failures)} of {len(fns)} functions:\n" + "\n".join(failures)


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
    heapq = load("heapq")
    difflib = load("difflib")
    for gen in (heapq.merge, difflib.unified_diff, difflib.ndiff.__wrapped__
                if hasattr(difflib.ndiff, "__wrapped__") else difflib.Differ.compare,
                load("graphlib").TopologicalSorter.static_order):
        assert pyjit.jit(gen) is gen


@pytest.mark.parametrize("name", [_param(m) for m in MODULES])
@pytest.mark.parametrize("backend", BACKENDS)
def test_public_api(name, backend):
    mod = load(name)
    calls = CALLS[name]()
    expected = [observe(call, mod) for _, call in calls]
    with jitted_module(mod, backend) as jitted:
        assert jitted
        got = [observe(call, mod) for _, call in calls]
    # Restored: the module runs its own functions again.
    assert all(not hasattr(f, "__pyjit__") for f in functions(mod))
    bad = [f"{label}: CPython {e!r}, pyjit {g!r}"
           for (label, _), e, g in zip(calls, expected, got) if not _agree(e, g)]
    assert not bad, f"{len(bad)} of {len(calls)} calls differ:\n" + "\n".join(bad[:20])
