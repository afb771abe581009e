"""The call tables of the stdlib round trip (test_stdlib_roundtrip.py): per module,
a function ``m -> list of (label, call)`` exercising its public API on realistic
inputs, including error cases.  Kept apart from the test machinery because they
are data: one table per module, the same on every CPython."""
from __future__ import annotations

import copy
import itertools
import math
import pickle
from decimal import Decimal
from fractions import Fraction as _PlainFraction


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
_YIQ = [(0.0, 0.0, 0.0), (1.0, 0.0, 0.0), (0.5, 0.3, -0.2), (0.2, -0.6, 0.6), (0.9, 0.5, 0.5),
        (0, 0, 0)]

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
        ("correlation ranked", lambda m: m.correlation([1, 2, 3, 4, 5], [2, 4, 5, 4, 5],
                                                       method="ranked")),
        ("kde", lambda m: [m.kde([1.0, 2.5, 2.5, 4.0], h=0.75, kernel=k, cumulative=c)(2.0)
                           for k in ("normal", "triangular", "cosine") for c in (False, True)]),
        ("kde_random", lambda m: [m.kde_random([1.0, 2.5, 4.0], h=0.5, kernel=k, seed=7)()
                                  for k in ("normal", "rectangular", "quartic", "triweight")]),
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
            n.samples(5, seed=42), repr(+n), repr(5 - n),
            repr(pickle.loads(pickle.dumps(n))))


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
           "le": lambda a, b: a <= b, "gt": lambda a, b: a > b, "ge": lambda a, b: a >= b,
           "eq": lambda a, b: a == b, "ne": lambda a, b: a != b}
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
        ("format", lambda m: [format(m.Fraction(n, d), spec) for n, d in ((1, 3), (-22, 7), (5, 1))
                              for spec in ("", ".5f", ".3e", ".4g", ".2%", "+,.2f", "_>12",
                                           "#.0f", "10.2G")]),
        ("format bad", lambda m: format(m.Fraction(1, 3), "x")),
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
        ("wrap drop_whitespace", lambda m: m.wrap("  lead   and trail  ", 6,
                                                  drop_whitespace=False)),
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
        ("Template subclass", lambda m: type("Percent", (m.Template,), {"delimiter": "%"})(
            "%who and $who").substitute(who="x")),
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
        ("split int", lambda m: m.split(3)),
        ("push token and source", lambda m: _push(m)),
        ("error_leader", lambda m: m.shlex("a b", infile="f.sh").error_leader()),
        ("print tokens", lambda m: m._print_tokens(m.shlex("a 'b c' d"))),
    ]


def _push(m):
    lexer = m.shlex("a b c")
    first = lexer.get_token()
    lexer.push_token("pushed")
    lexer.push_source("x y")
    out = [first, lexer.get_token(), lexer.get_token(), lexer.get_token()]
    lexer.pop_source()
    return out + _tokens(lexer)


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
        ("line junk", lambda m: [m.IS_LINE_JUNK(s) for s in ("\n", "  #  \n", "x\n")]),
        ("restore", lambda m: list(m.restore(m.ndiff(["a\n", "b\n"], ["a\n", "c\n"]), 2))),
        ("restore bad", lambda m: list(m.restore([], 3))),
        ("diff_bytes", lambda m: list(m.diff_bytes(m.unified_diff, [b"a\n", b"b\n"],
                                                   [b"a\n", b"c\n"], b"x", b"y"))),
        ("Differ replace", lambda m: list(m.Differ().compare(
            ["abcdefgh\n", "private Thread currentThread;\n", "zzz\n"],
            ["abXdefgh\n", "private volatile Thread currentThread;\n", "qqq\n"]))),
        ("HtmlDiff table", lambda m: _html_diff(m).make_table(
            ["one\ttwo three four five six\n", "same\n", "gone\n"],
            ["one two\tthree four 5 six\n", "same\n", "new\n"], "a", "b", context=True,
            numlines=1)),
        ("HtmlDiff file", lambda m: _html_diff(m).make_file(a, b)),
    ]


def calendar_calls():
    years = [1900, 1999, 2000, 2023, 2024, 2100, 1, 9999]
    return [
        ("isleap", lambda m: [m.isleap(y) for y in years + [-4, 0]]),
        ("leapdays", lambda m: [m.leapdays(a, b) for a in years for b in years]),
        ("weekday", lambda m: [m.weekday(y, mo, d) for y in years for mo, d in ((1, 1), (2, 28),
                                                                                 (12, 31))]),
        ("weekday bad", lambda m: m.weekday(2024, 13, 1)),
        ("monthrange", lambda m: [m.monthrange(y, mo) for y in years for mo in (1, 2, 7, 12)]),
        ("monthrange bad", lambda m: m.monthrange(2024, 0)),
        ("monthcalendar", lambda m: m.monthcalendar(2024, 2)),
        ("timegm", lambda m: m.timegm((2024, 2, 29, 13, 5, 7, 0, 0, 0))),
        ("month text", lambda m: m.TextCalendar(firstweekday=6).formatmonth(2023, 9, w=3, l=1)),
        ("year text", lambda m: m.TextCalendar().formatyear(2024, 2, 1, 6, 3)),
        ("month html", lambda m: m.HTMLCalendar().formatmonth(2024, 2)),
        ("itermonthdays", lambda m: [list(m.Calendar(k).itermonthdays4(2021, 3)) for k in (0, 3)]),
        ("yeardatescalendar", lambda m: m.Calendar().yeardays2calendar(2020, width=4)),
        ("firstweekday bad", lambda m: m.setfirstweekday(9)),
        ("itermonthdates", lambda m: list(m.Calendar().itermonthdates(2024, 2))),
        ("itermonthdates edge", lambda m: list(m.Calendar().itermonthdates(9999, 12))),
        ("monthdatescalendar", lambda m: m.Calendar(6).monthdatescalendar(2023, 1)),
        ("yeardatescalendar", lambda m: m.Calendar().yeardatescalendar(2021, 6)),
        ("yeardayscalendar", lambda m: m.Calendar().yeardayscalendar(2021, 2)),
        ("html year", lambda m: m.HTMLCalendar().formatyear(2022, width=4)),
        ("html year page", lambda m: m.HTMLCalendar().formatyearpage(2022, css=None)),
        ("prmonth", lambda m: m.TextCalendar().prmonth(2024, 3)),
        ("pryear", lambda m: m.TextCalendar(2).pryear(2001, 1, 1, 2, 4)),
        ("prweek", lambda m: m.TextCalendar().prweek([(0, 0), (1, 1), (2, 2), (3, 3), (4, 4),
                                                      (5, 5), (30, 6)], 3)),
        ("format", lambda m: m.format(["a", "b", "c"], 4, 2)),
        ("names", lambda m: (len(m.month_name), m.month_name[1:4], len(m.day_abbr), m.day_abbr[:],
                             m.month_abbr[-1])),
        ("locale text", lambda m: m.LocaleTextCalendar(locale="C").formatmonth(2024, 4)),
        ("locale html", lambda m: m.LocaleHTMLCalendar(locale="C").formatmonth(2024, 4)),
        ("locale default", lambda m: m.LocaleTextCalendar().formatweekday(0, 9)),
        ("deprecated month name", lambda m: m.January),
        ("missing attribute", lambda m: m.no_such_thing),
    ]


def datetime_calls():
    def d(m):
        return m.date(2024, 2, 29)

    return [
        ("date arithmetic", lambda m: (d(m) + m.timedelta(days=365), d(m) - m.timedelta(weeks=9),
                                       d(m) - m.date(1999, 12, 31))),
        ("ordinals", lambda m: [(m.date.fromordinal(n), m.date.fromordinal(n).toordinal())
                                for n in (1, 730120, 738945, 3652059)]),
        ("fromordinal bad", lambda m: m.date.fromordinal(0)),
        ("subclass timezone", lambda m: type("T", (m.timezone,), {}).__name__),
        ("weekdays", lambda m: [(x.weekday(), x.isoweekday(), tuple(x.isocalendar()))
                                for x in (d(m), m.date(2021, 1, 3), m.date(2020, 12, 31),
                                          m.date(1, 1, 1), m.date(9999, 12, 31))]),
        ("fromisocalendar", lambda m: [m.date.fromisocalendar(y, w, k)
                                       for y, w, k in ((2020, 53, 7), (2021, 1, 1), (2004, 1, 4))]),
        ("fromisocalendar bad", lambda m: m.date.fromisocalendar(2021, 53, 1)),
        ("iso formats", lambda m: (d(m).isoformat(), m.date.fromisoformat("2024-02-29"),
                                   m.datetime.fromisoformat("2011-11-04T00:05:23.283+04:00"),
                                   m.time.fromisoformat("04:23:01.000384"))),
        ("fromisoformat bad", lambda m: m.date.fromisoformat("2024-02-30")),
        ("bad day", lambda m: m.date(2023, 2, 29)),
        ("bad month", lambda m: m.date(2023, 13, 1)),
        ("bad hour", lambda m: m.time(24)),
        ("timedelta normalise", lambda m: [m.timedelta(days=1, seconds=-1, microseconds=1.5),
                                           m.timedelta(hours=-25.5), m.timedelta(weeks=0.1),
                                           m.timedelta(microseconds=-1), m.timedelta(seconds=1e-7),
                                           m.timedelta(milliseconds=2.5, microseconds=0.5)]),
        ("timedelta arithmetic", lambda m: _timedelta_ops(m.timedelta(days=3, seconds=7201,
                                                                      microseconds=13))),
        ("timedelta negative", lambda m: _timedelta_ops(-m.timedelta(hours=5, microseconds=7))),
        ("timedelta overflow", lambda m: m.timedelta(days=999999999) + m.timedelta(days=1)),
        ("timedelta by zero", lambda m: m.timedelta(1) // 0),
        ("date overflow", lambda m: m.date.max + m.timedelta(1)),
        ("datetime", lambda m: _datetimes(m)),
        ("timezone", lambda m: [(str(tz), tz.utcoffset(None), tz.tzname(None)) for tz in
                                (m.timezone.utc, m.timezone(m.timedelta(hours=5, minutes=30)),
                                 m.timezone(-m.timedelta(hours=3), "X"))]),
        ("timezone bad", lambda m: m.timezone(m.timedelta(hours=24))),
        ("fromtimestamp", lambda m: [m.datetime.fromtimestamp(t, m.timezone.utc)
                                     for t in (0, 1e9 + 0.5, -1.25, 1700000000.999999)]),
        ("timestamp", lambda m: m.datetime(2024, 2, 29, 12, 0, 0, 1,
                                           tzinfo=m.timezone.utc).timestamp()),
        ("strftime", lambda m: m.datetime(2024, 2, 29, 13, 5, 7, 42).strftime(
            "%Y-%m-%d %H:%M:%S.%f %j %a")),
        ("everything else", lambda m: exercise(_datetime_ops(m))),
    ]


def exercise(ops):
    """Run every thunk; a raise is recorded and the rest still run."""
    out = []
    for op in ops:
        try:
            out.append(op())
        except Exception as exc:  # noqa: BLE001 -- recorded, compared like a result
            out.append((type(exc).__name__, str(exc)))
    return out


def _datetime_ops(m):
    d, e = m.date(2024, 2, 29), m.date(2023, 12, 31)
    t, u = m.time(12, 30, 15, 500), m.time(1, 2, 3, tzinfo=m.timezone(m.timedelta(hours=2), "EET"))
    dt = m.datetime(2024, 2, 29, 12, 30, 15, 500)
    aware = dt.replace(tzinfo=m.timezone(m.timedelta(hours=-5)))
    td = m.timedelta(hours=30, microseconds=5)
    tz = m.timezone(m.timedelta(minutes=90), "Z+1:30")
    iso = d.isocalendar()

    class Fixed(m.tzinfo):
        def utcoffset(self, when):
            return m.timedelta(hours=1)

        def dst(self, when):
            return m.timedelta(0)

    class Bare(m.tzinfo):
        pass

    return [
        lambda: (repr(iso), iso.year, iso.week, iso.weekday, iso.__reduce__()),
        lambda: (d == e, d != e, d < e, d <= e, d > e, d >= e,
                 hash(d) == hash(m.date(2024, 2, 29))),
        lambda: (d == 3, d < 3), lambda: format(d, "%d/%m/%Y"), lambda: format(d, ""),
        lambda: (repr(d), d.ctime(), d.replace(day=1), d.replace(month=2, day=30), d.timetuple()),
        lambda: copy.deepcopy((d, t, u, dt, aware, td, tz)),
        lambda: type(copy.deepcopy(m.tzinfo())),
        lambda: (copy.copy(dt), copy.copy(t), dt.__reduce__()[1][0], t.__reduce__()[1][0]),
        lambda: dt <= d,
        lambda: m.datetime.fromisoformat("2024-W09-4T12:00:00.1234567"),
        lambda: m.datetime.fromisoformat("2024-W09T12"),
        lambda: m.date.fromtimestamp(86400 * 365.25), lambda: type(m.date.today()),
        lambda: type(m.datetime.now()), lambda: type(m.datetime.utcnow()),
        lambda: type(m.datetime.now(tz)), lambda: m.datetime.utcfromtimestamp(1e9),
        lambda: (dt < dt.replace(minute=31), dt <= dt, dt >= dt, hash(dt) == hash(dt.replace())),
        lambda: (aware < aware + td, aware == dt, hash(aware) == hash(aware.replace())),
        lambda: aware < dt, lambda: dt - aware,
        lambda: (aware.astimezone(tz), aware.astimezone(m.timezone.utc).timetz(), aware.tzname(),
                 aware.utctimetuple(), dt.utctimetuple(), dt.tzname(), dt.astimezone().tzinfo
                 is not None, dt.timestamp(), aware.timestamp()),
        lambda: m.datetime.strptime("2024-02-29 13:05:07.000042", "%Y-%m-%d %H:%M:%S.%f"),
        lambda: m.datetime.strptime("nope", "%Y"),
        lambda: (t == t.replace(), t != u, t < t.replace(hour=13), t <= t, t > t, t >= t,
                 hash(t) == hash(t.replace()), repr(t), repr(u), t.isoformat(),
                 u.isoformat("milliseconds"), format(t, "%H|%M"), format(u, ""),
                 t.strftime("%I %p"),
                 u.utcoffset(), u.dst(), u.tzname(), t.utcoffset(), t.dst(), t.tzname()),
        lambda: t < u, lambda: t.isoformat("bogus"),
        lambda: (td > td / 2, td >= td, +td, td.__rsub__(td * 2)),
        lambda: (tz == m.timezone(m.timedelta(minutes=90)), hash(tz) == hash(tz), repr(tz),
                 repr(m.timezone.utc), tz.dst(None), tz.__getinitargs__(), tz.fromutc(aware
                 .replace(tzinfo=tz))),
        lambda: m.timezone(m.timedelta(hours=1), 5), lambda: m.timezone(5),
        lambda: (dt.replace(tzinfo=Fixed()).astimezone(m.timezone.utc),
                 Fixed().fromutc(dt.replace(tzinfo=Fixed())), Fixed().__reduce__()[0] is Fixed),
        lambda: Bare().utcoffset(None), lambda: Bare().dst(None), lambda: Bare().tzname(None),
        lambda: Bare().fromutc(dt.replace(tzinfo=Bare())), lambda: m.tzinfo().fromutc(dt),
        lambda: m.time(1, tzinfo=Bare()).utcoffset(),
        lambda: m.datetime(2024, 1, 1, tzinfo=m.timezone.utc).tzname(),
        lambda: m.time.fromisoformat("12:3x"),
    ]


def _timedelta_ops(t):
    return (t, repr(t), str(t), t * 2.5, t * -3, t / 3, t / 2.5, t // 7, t // t, t % (t / 3),
            divmod(t, t / 4), abs(t), t.total_seconds(), t.days, t.seconds, t.microseconds,
            t < t * 2, hash(t) == hash(t * 1), bool(t), t / t)


def _datetimes(m):
    a = m.datetime(2024, 2, 29, 23, 59, 59, 999999)
    b = m.datetime(2000, 1, 1)
    tz = m.timezone(m.timedelta(hours=-7))
    return (a - b, b - a, a + m.timedelta(microseconds=1), a.replace(year=2028), a.date(),
            a.time(), a.timetuple()[:], a.toordinal(), m.datetime.combine(b.date(), a.time()),
            a.astimezone(tz).isoformat() if a.tzinfo else a.replace(tzinfo=tz).isoformat(),
            a.replace(tzinfo=tz) - b.replace(tzinfo=m.timezone.utc), a > b, a == a.replace(),
            a.isoformat(timespec="milliseconds"), str(a), repr(b), a.ctime())


def decimal_calls():
    def ops(m, x, y, prec):
        D = m.Decimal
        with m.localcontext() as ctx:
            ctx.prec = prec
            ctx.traps[m.Inexact] = False
            a, b = D(x), D(y)
            out = [a + b, a - b, a * b, -a, +a, abs(b), a.compare(b), a.max(b), a.min(b),
                   a.fma(b, 1), a.copy_sign(b), a.same_quantum(b), a.normalize(), a.as_tuple(),
                   a.is_signed(), a.is_zero(), a.adjusted(), a.to_eng_string(), str(a), repr(b)]
            for op in (lambda: a / b, lambda: a // b, lambda: a % b, lambda: divmod(a, b),
                       lambda: a ** 2, lambda: b ** D("0.5"), lambda: a.sqrt(), lambda: b.exp(),
                       lambda: a.ln(), lambda: a.log10(), lambda: a.quantize(D("0.01")),
                       lambda: a.to_integral_value(), lambda: round(a, 2), lambda: int(a),
                       lambda: float(b), lambda: a.as_integer_ratio(),
                       lambda: None if a.is_nan() else hash(a),  # a NaN hashes by identity
                       lambda: a < b, lambda: a.next_plus(), lambda: a.remainder_near(b),
                       lambda: format(a, ".3f"), lambda: format(b, ",.2e"), lambda: pow(7, a, 5)
                       if a == int(a) and a >= 0 else None):
                try:
                    out.append(op())
                except (ArithmeticError, ValueError, TypeError) as exc:
                    out.append((type(exc).__name__, str(exc)))
            return out

    pairs = [("1.1", "2.2"), ("-7", "3"), ("1", "7"), ("123.456e10", "-0.0001"), ("0", "0"),
             ("NaN", "1"), ("-Infinity", "2.5"), ("2", "0"), ("1e-400", "1e400")]
    calls = []
    for x, y in pairs:
        for prec in (5, 28):
            calls.append((f"ops {x} {y} prec={prec}", lambda m, x=x, y=y, p=prec: ops(m, x, y, p)))
    calls += [
        ("from float", lambda m: [m.Decimal(f) for f in (0.1, -2.5, 1e300, float("inf"))]),
        ("from_float", lambda m: m.Decimal.from_float(0.1)),
        ("bad string", lambda m: m.Decimal("1.2.3")),
        ("division by zero trap", lambda m: m.Decimal(1) / m.Decimal(0)),
        ("context ops", lambda m: m.Context(prec=6).divide(m.Decimal(1), m.Decimal(3))),
        ("nan compare", lambda m: m.Decimal("NaN") < 1),
        ("sum", lambda m: sum(m.Decimal(k) / 7 for k in range(1, 20))),
        ("logical", lambda m: m.Decimal("1101").logical_and(m.Decimal("1011"))),
        ("scaleb", lambda m: m.Decimal("7.5").scaleb(3)),
        ("operators", lambda m: exercise(_decimal_operator_ops(m))),
        ("every Decimal method", lambda m: exercise(_method_ops(m, m.Decimal, _decimals(m)))),
        ("every Context method, quiet", lambda m: exercise(_method_ops(
            m, m.Context(prec=9, traps=[]), _decimals(m), leading=True))),
        ("every Context method, trapping", lambda m: exercise(_method_ops(
            m, m.Context(prec=12, Emax=99, Emin=-99), _decimals(m), leading=True))),
    ]
    return calls


def _decimals(m):
    return [m.Decimal(v) for v in ("1.5", "-3", "0", "NaN", "1E+10", "-Infinity", "10110",
                                   "0.000123456789", "sNaN")]


def _method_ops(m, owner, values, leading=False):
    """Every public method of ``owner`` with up to three of ``values`` (every
    fifth combination).  Decimal methods are called on a value (``leading``
    False); Context methods take the values as arguments."""
    ops = []
    names = sorted(n for n in dir(owner) if not n.startswith("_") and callable(getattr(owner, n)))
    for name in names:
        for k in range(4 if leading else 3):
            for args in itertools.islice(itertools.product(values, repeat=k + (not leading)),
                                         0, None, 5):
                if leading:
                    ops.append(lambda name=name, args=args: getattr(owner, name)(*args))
                else:
                    ops.append(lambda name=name, args=args: getattr(args[0], name)(*args[1:]))
    return ops


def _decimal_operator_ops(m):
    D = m.Decimal
    a, b = D("2.5"), D("-7")
    ops = [lambda: (math.ceil(a), math.floor(b), math.trunc(a), complex(a), a.real, a.imag,
                    a.conjugate(), 5 - a, 5 / b, 5 // b, 5 % b, divmod(5, b), 2 ** a, a <= b,
                    copy.copy(a), copy.deepcopy(b), a.__reduce__(), pickle.loads(pickle.dumps(a)))]
    for rounding in (m.ROUND_UP, m.ROUND_DOWN, m.ROUND_CEILING, m.ROUND_FLOOR, m.ROUND_HALF_UP,
                     m.ROUND_HALF_DOWN, m.ROUND_HALF_EVEN, m.ROUND_05UP):
        for v in ("2.5", "-2.5", "2.51", "-0.05", "10.05"):
            ops.append(lambda v=v, r=rounding: D(v).quantize(D("0.1"), rounding=r))
            ops.append(lambda v=v, r=rounding: D(v).to_integral_exact(rounding=r))
    ops += [lambda: pow(D(3), D(20), D(7)), lambda: pow(D(2), 100, 1000003),
            lambda: D(4) ** D("0.5"), lambda: D(8) ** D("1") / 3, lambda: D(2) ** D("10.5"),
            lambda: D(10) ** -3, lambda: D("1e-3") ** D(2), lambda: D(-8) ** D("0.5"),
            lambda: D("1.21") ** D("0.5"), lambda: D("6.25E-4") ** D("1.5")]
    ops += [lambda n=n, e=e: m._decimal_lshift_exact(n, e)
            for n, e in ((1234, 2), (1200, -2), (1234, -1), (0, 5), (-50, -1))]
    ctx = m.Context(prec=9, traps=[])
    ops += [lambda: repr(ctx), lambda: copy.copy(ctx).prec, lambda: ctx.__reduce__()[1][:3],
            lambda: ctx._apply(D("1.23456789123")), lambda: ctx._regard_flags(m.Inexact),
            lambda: ctx.create_decimal("1.2.3"), lambda: ctx.divide_int(D("1e20"), D(1)),
            lambda: delattr(copy.copy(ctx), "prec"), lambda: delattr(copy.copy(ctx), "flags"),
            lambda: m.Context(prec=9).create_decimal("x")]
    return ops


def _html_diff(m):
    m.HtmlDiff._default_prefix = 0  # a class-wide counter: each table gets the next id
    return m.HtmlDiff(tabsize=4, wrapcolumn=12)


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
    "calendar": calendar_calls,
    "datetime": datetime_calls,
    "_pydecimal": decimal_calls,
}
