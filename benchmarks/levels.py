"""Compare the levels O0, O1 and O2: run time and compile time of every kernel, one run.

    python benchmarks/levels.py [--repeat 5] [--only name,...]

For each kernel and level: a fresh ``pyjit.jit(fn, level=...)``, its compile time
(the sum over its regions' specializations of inference + passes + backend, as
the dispatcher recorded them) and the median run time after warm-up.  The last
lines give the geometric mean over the kernels of each level's speed relative to
O0 (>1 is faster) and the total compile time per level.  LLVM is initialised
before the first measurement, so no level pays for it.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(__file__))

import pyjit  # noqa: E402
from kernels import KERNELS  # noqa: E402
from run import fmt, median_seconds  # noqa: E402

LEVELS = ("O0", "O1", "O2")
# Kernels whose time is not compiled code: a call that cannot compile, a loop with a
# print, a two-float add (loop-free scalar code is left to CPython at every level).
SKIP = {"nothing_to_compile", "loop_with_break_1e5", "add_floats"}


def compile_seconds(jitted) -> float:
    total = 0.0
    for r in jitted.__pyjit__.regions:
        total += sum(s.compile_seconds for s in r.dispatcher.cache.values())
    return total


def main(argv=None) -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--only", default="")
    args = p.parse_args(argv)
    only = {s for s in args.only.split(",") if s}
    pyjit.jit(lambda n: sum(i * i for i in range(n)))(3)  # warm LLVM up for every level

    def warm(x):
        t = 0.0
        for i in range(x):
            t += i
        return t
    pyjit.jit(warm)(3)

    speed = {lv: [] for lv in LEVELS}
    compile_total = {lv: 0.0 for lv in LEVELS}
    print(f"{'kernel':26s}" + "".join(f"{lv + ' run':>12s}{lv + ' compile':>14s}" for lv in LEVELS))
    for k in KERNELS:
        if k.name in SKIP or (only and k.name not in only):
            continue
        kargs = k.make_args()
        row, times = f"{k.name:26s}", {}
        for lv in LEVELS:
            jitted = pyjit.jit(k.fn, level=lv)
            t = median_seconds(jitted, kargs, args.repeat, k.calls)
            c = compile_seconds(jitted)
            times[lv] = t
            compile_total[lv] += c
            row += f"{fmt(t):>12s}{c * 1e3:>11.1f} ms"
        for lv in LEVELS:
            speed[lv].append(times["O0"] / times[lv])
        print(row, flush=True)
    print()
    for lv in LEVELS:
        gm = math.exp(statistics.fmean(math.log(s) for s in speed[lv])) if speed[lv] else float("nan")
        print(f"{lv}: geomean speed vs O0 {gm:5.2f}x   total compile {compile_total[lv] * 1e3:7.1f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
