"""Time every kernel under CPython, numpy, Numba (if installed) and pyjit in one run.

    python benchmarks/run.py [--repeat 7] [--backend numpy] [--only name,...]

Prints per kernel the median time of each implementation, its ratio to CPython
(>1 is faster than CPython), and pyjit's time over Numba's (<1: pyjit is faster).
Samples are taken in turns (CPython, numpy, Numba, pyjit, then again), so the
shared machine's load swings hit all of them alike.  Per-call kernels (``calls`` > 1) are timed
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
    print(f"{'kernel':24} {'CPython':>10} {'numpy':>17} {'numba':>17} {'pyjit':>17} {'pyjit/numba':>9}")
    for k in KERNELS:
        if only and k.name not in only:
            continue
        a = k.make_args()
        impls = [k.fn, k.numpy_fn, numba.njit(k.fn) if (numba and k.numba) else None,
                 pyjit.jit(k.fn, backend=args.backend)]
        times = interleaved([i for i in impls if i is not None], a, args.repeat, k.calls,
                            slow_first=k.cpython_repeat)
        it = iter(times)
        t_impl = [next(it) if i is not None else None for i in impls]
        base = t_impl[0]
        cols = [f"{'-':>17}" if t is None else f"{fmt(t)} {base / t:7.2f}x" for t in t_impl[1:]]
        nb, pj = t_impl[2], t_impl[3]
        vs = f"{pj / nb:9.2f}" if nb else f"{'-':>9}"
        print(f"{k.name:24} {fmt(base):>10} " + " ".join(cols) + vs, flush=True)
    return 0


def interleaved(impls, args, repeat: int, calls: int, slow_first=None) -> list:
    """Median seconds per call of each implementation, sampled in turns (one sample
    of each, then the next round), so that the machine's load swings hit every
    implementation alike.  The first (CPython) takes only ``slow_first`` samples
    when given (it is the slow one)."""
    samples = [[] for _ in impls]
    with contextlib.redirect_stdout(io.StringIO()):
        for fn in impls:
            fn(*args)  # warm up: compile, fill caches
        for r in range(repeat):
            for i, fn in enumerate(impls):
                if i == 0 and slow_first is not None and r >= slow_first:
                    continue
                t0 = time.perf_counter()
                for _ in range(calls):
                    fn(*args)
                samples[i].append((time.perf_counter() - t0) / calls)
    return [statistics.median(s) for s in samples]

if __name__ == "__main__":
    sys.exit(main())
