"""The demo runner behind ``python -m pyjit demo``."""
from __future__ import annotations

import contextlib
import io
import statistics
import time

import numpy as np

import pyjit
from pyjit.examples import demo


def _median_time(fn, args, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        with contextlib.redirect_stdout(io.StringIO()):
            t0 = time.perf_counter()
            fn(*args)
            times.append(time.perf_counter() - t0)
    return statistics.median(times)


def _same(a, b) -> bool:
    if isinstance(a, tuple):
        return all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and np.array_equal(a, b)
    return type(a) is type(b) and a == b


def run_demo(backend: str = "llvm", repeat: int = 5) -> int:
    rng = np.random.default_rng(0)
    print(f"pyjit {pyjit.__version__} demo — backend {backend!r}, median of {repeat} runs\n")
    print(f"{'kernel':16} {'CPython':>10} {'pyjit':>10} {'speed-up':>9}  same result")
    reports, ok = [], True
    for name, fn, make_args in demo.KERNELS:
        args = make_args(rng)
        jitted = pyjit.jit(fn, backend=backend)
        with contextlib.redirect_stdout(io.StringIO()):
            same = _same(fn(*args), jitted(*args))
        ok &= same
        t_py = _median_time(fn, args, repeat)
        t_jit = _median_time(jitted, args, repeat)
        print(f"{name:16} {t_py * 1e3:8.2f}ms {t_jit * 1e3:8.2f}ms {t_py / t_jit:8.2f}x  {same}")
        reports.append((name, jitted, args))
    print("\nWhat pyjit compiled, and where it broke:\n")
    for name, jitted, args in reports:
        with contextlib.redirect_stdout(io.StringIO()):
            report = pyjit.explain(jitted, *args)
        print(report)
        print()
    return 0 if ok else 1
