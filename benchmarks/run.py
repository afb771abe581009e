"""Time every kernel under CPython, numpy, Numba (if installed) and pyjit in one run.

    python benchmarks/run.py [--repeat 7] [--backend numpy] [--only name,...]

Prints per kernel the median time of each implementation and its ratio to
CPython (>1 is faster than CPython).  Per-call kernels (``calls`` > 1) are timed
as a loop of that many calls and reported per call.  The machine is shared and
noisy: compare ratios from the same run, not numbers across runs.
"""
from __future__ import annotations

import argparse
import contextlib
import io
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(__file__))

import pyjit  # noqa: E402
from kernels import KERNELS  # noqa: E402


def median_seconds(fn, args, repeat: int, calls: int) -> float:
    samples = []
    with contextlib.redirect_stdout(io.StringIO()):
        fn(*args)  # warm up: compile, fill caches
        for _ in range(repeat):
            t0 = time.perf_counter()
            for _ in range(calls):
                fn(*args)
            samples.append((time.perf_counter() - t0) / calls)
    return statistics.median(samples)


def _numba():
    try:
        import numba
        return numba
    except ImportError:
        return None


def fmt(seconds: float) -> str:
    if seconds < 1e-6:
        return f"{seconds * 1e9:7.1f}ns"
    if seconds < 1e-3:
        return f"{seconds * 1e6:7.1f}us"
    return f"{seconds * 1e3:7.2f}ms"


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--backend", default="llvm")
    p.add_argument("--only", default="")
    args = p.parse_args(argv)
    numba = _numba()
    only = {x for x in args.only.split(",") if x}
    print(f"median of {args.repeat}; ratio = CPython time / time (higher is faster); "
          f"pyjit backend {args.backend}; numba {'yes' if numba else 'not installed'}")
    print(f"{'kernel':24} {'CPython':>10} {'numpy':>17} {'numba':>17} {'pyjit':>17}")
    for k in KERNELS:
        if only and k.name not in only:
            continue
        a = k.make_args()
        base = median_seconds(k.fn, a, k.cpython_repeat or args.repeat, k.calls)
        cols = []
        others = [k.numpy_fn, numba.njit(k.fn) if (numba and k.numba) else None,
                  pyjit.jit(k.fn, backend=args.backend)]
        for impl in others:
            if impl is None:
                cols.append(f"{'-':>17}")
                continue
            t = median_seconds(impl, a, args.repeat, k.calls)
            cols.append(f"{fmt(t)} {base / t:7.2f}x")
        print(f"{k.name:24} {fmt(base):>10} " + " ".join(cols))
    return 0


if __name__ == "__main__":
    sys.exit(main())
