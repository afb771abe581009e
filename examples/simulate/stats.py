"""Statistics of the example.

Compiled: the loops of ``mean`` and ``variance``.  Graph breaks: the dict
built by ``summarize`` and the call to ``sorted`` in ``median``; ``total`` is
called with a list, whose type pyjit does not compile (a type-driven fallback:
its region runs in CPython for that key).
"""


def mean(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i]
    return s / a.shape[0]


def variance(a, m):
    s = 0.0
    for i in range(a.shape[0]):
        d = a[i] - m
        s += d * d
    return s / a.shape[0]


def total(values):
    s = 0.0
    for i in range(len(values)):
        s += values[i]
    return s


def median(a):
    ordered = sorted(a)
    n = len(ordered)
    return ordered[n // 2]


def summarize(a):
    m = mean(a)
    v = variance(a, m)
    summary = {}
    summary["mean"] = m
    summary["variance"] = v
    summary["median"] = median(a)
    return summary
