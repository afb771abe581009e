"""``any``/``all``, ``var``/``std`` and ``cumsum``/``cumprod`` on the LLVM backend
against numpy, in one run (lowerings/logical.py, moments.py, scans.py).

Whole arrays (a function that only calls the op: ``PYJIT_KEEP_SMALL=1`` is set
so its region is compiled, as it would be inside a larger region) and per-row
calls inside a compiled loop.  Results are numpy's bits; the ratios are
numpy time / pyjit time (above 1: pyjit faster).

    python benchmarks/bench_scans_moments.py [--repeat 5]

Timings are the minimum over ``--repeat`` rounds (the machine is shared).
"""
from __future__ import annotations

import argparse
import os
import timeit

os.environ.setdefault("PYJIT_KEEP_SMALL", "1")

import numpy as np  # noqa: E402

import pyjit  # noqa: E402


def any_(a):
    return np.any(a)


def all_(a):
    return a.all()


def var_(a):
    return np.var(a)


def std_(a):
    return a.std(ddof=1)


def cumsum_(a):
    return np.cumsum(a)


def cumprod_(a):
    return np.cumprod(a)


def any_axis1(a):
    return a.any(axis=1)


def all_axis0(a):
    return np.all(a, axis=0)


def cumsum_axis0(a):
    return np.cumsum(a, axis=0)


def cumsum_axis1(a):
    return a.cumsum(axis=1)


def row_std(m):
    out = np.empty(m.shape[0])
    for i in range(m.shape[0]):
        out[i] = m[i].std()
    return out


def row_last_cumsum(m):
    out = np.empty(m.shape[0])
    for i in range(m.shape[0]):
        out[i] = np.cumsum(m[i])[m.shape[1] - 1]
    return out


def rows_with_nan(m):
    k = 0
    for i in range(m.shape[0]):
        if np.any(m[i] != m[i]):
            k += 1
    return k


def cases():
    rng = np.random.default_rng(0)
    n = 1_000_000
    x = rng.standard_normal(n)
    m = rng.standard_normal((1000, 1000))
    rows = rng.standard_normal((10_000, 50))
    return [
        (any_, np.zeros(n), "zeros f8 1e6"),
        (any_, np.zeros(n, bool), "zeros bool 1e6"),
        (all_, np.ones(n, np.int32), "ones i4 1e6"),
        (var_, x, "f8 1e6"),
        (std_, x.astype("f4"), "f4 1e6"),
        (var_, x[::2], "f8 5e5 strided"),
        (cumsum_, x, "f8 1e6"),
        (cumsum_, rng.integers(0, 100, n).astype(np.int32), "i4 1e6"),
        (cumprod_, 1 + x / 1e6, "f8 1e6"),
        (any_axis1, np.zeros((1000, 1000)), "f8 1000x1000"),
        (all_axis0, m, "f8 1000x1000"),
        (cumsum_axis0, m, "f8 1000x1000"),
        (cumsum_axis1, m, "f8 1000x1000"),
        (row_std, rows, "10000 rows of 50"),
        (row_last_cumsum, rows, "10000 rows of 50"),
        (rows_with_nan, rows, "10000 rows of 50"),
    ]


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--repeat", type=int, default=5)
    args = p.parse_args()
    print(f"{'function':16} {'input':18} {'numpy':>10} {'pyjit':>10} {'numpy/pyjit':>12}  backend")
    for fn, a, what in cases():
        jf = pyjit.jit(fn)
        jf(a)
        backends = sorted({s.backend for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()})
        number = max(1, int(2e6 // a.size)) if fn.__name__ not in ("row_std", "row_last_cumsum",
                                                                    "rows_with_nan") else 1
        tn = min(timeit.repeat(lambda: fn(a), number=number, repeat=args.repeat)) / number
        tj = min(timeit.repeat(lambda: jf(a), number=number, repeat=args.repeat)) / number
        print(f"{fn.__name__:16} {what:18} {tn * 1e3:8.3f}ms {tj * 1e3:8.3f}ms {tn / tj:12.2f}  "
              f"{','.join(backends)}")


if __name__ == "__main__":
    main()
