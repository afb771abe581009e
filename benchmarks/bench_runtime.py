"""The runtime's overheads, in one run:

1. ``capture()`` on a call-heavy program with nothing to compile, against plain
   CPython (target: under 1.5x);
2. the per-call cost of a jitted ``add(x, y)`` on two floats, net of the loop,
   against the plain function and ``numba.njit`` (target: no more than Numba's
   dispatcher).  pyjit leaves scalar code without a loop to CPython after its
   first key (a dispatch costs more than it saves), so the table shows that
   default and, with ``PYJIT_KEEP_SMALL=1``, the cost of a real region dispatch.

    python benchmarks/bench_runtime.py [--rounds 15]

Timings are the minimum over interleaved rounds (the machine is shared).
CPython 3.11 needs `pip install numba` in the same environment for the Numba column.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import pyjit
from pyjit.runtime import native


# ---- a call-heavy program with nothing to compile -----------------------------------

class Account:
    def __init__(self, name):
        self.name = name
        self.history = []

    def deposit(self, amount):
        self.history.append(amount)
        return self


def account_name(i):
    return "acct-%d" % (i % 64)


def lookup(book, i):
    name = account_name(i)
    acct = book.get(name)
    if acct is None:
        acct = book[name] = Account(name)
    return acct


def program(n):
    book = {}
    for i in range(n):
        lookup(book, i).deposit(i)
    return sum(len(a.history) for a in book.values())


# ---- the dispatch microbenchmark --------------------------------------------------

def add(x, y):
    return x + y


def _loop_time(f, x, y, n):
    t0 = time.perf_counter()
    for _ in range(n):
        f(x, y)
    return time.perf_counter() - t0


def _empty_loop_time(n):
    t0 = time.perf_counter()
    for _ in range(n):
        pass
    return time.perf_counter() - t0


def _min_interleaved(cases: dict, rounds: int, block: int = 3) -> dict:
    """Minimum time per case over ``rounds`` rounds; each round runs every case
    ``block`` times in a row, so that switching the hook on and off (which makes
    CPython re-specialize its calls) is not what is measured."""
    best = {name: float("inf") for name in cases}
    for _ in range(rounds):
        for name, run in cases.items():
            for _ in range(block):
                best[name] = min(best[name], run())
    return best


def capture_overhead(rounds: int, n: int = 20_000) -> None:
    def plain():
        t0 = time.perf_counter()
        program(n)
        return time.perf_counter() - t0

    cap = pyjit.capture()

    def captured():
        t0 = time.perf_counter()
        with cap:
            program(n)
        return time.perf_counter() - t0

    with cap:
        assert program(n) == n
    report = cap.report()
    best = _min_interleaved({"plain": plain, "capture": captured}, rounds)
    calls = 4 * n  # program's Python-level calls per element: lookup, account_name, deposit, (+ __init__ rarely)
    print(f"capture() on a call-heavy program with nothing to compile ({calls} Python calls):")
    print(f"  plain CPython   {best['plain'] * 1e3:8.2f} ms")
    print(f"  pyjit.capture() {best['capture'] * 1e3:8.2f} ms   {best['capture'] / best['plain']:.2f}x"
          f"   (compiled regions: {report.graph_count}, functions analysed: {len(report.functions)})")
    print(f"  hook counters: {native().stats() if native() else 'no native runtime'}")


def dispatch_cost(rounds: int, n: int = 200_000) -> None:
    x, y = 1.5, 2.25
    cases = {"plain add": add}
    cases["pyjit.jit(add)"] = pyjit.jit(add)
    cases["pyjit.jit(add)"](x, y)
    os.environ["PYJIT_KEEP_SMALL"] = "1"
    keep = pyjit.jit(add)
    keep(x, y)  # first key: compiled, kept although it has no loop
    del os.environ["PYJIT_KEEP_SMALL"]
    cases["pyjit.jit(add), region dispatched"] = keep
    try:
        import numba
        nb = numba.njit(add)
        nb(x, y)
        cases[f"numba.njit(add) {numba.__version__}"] = nb
    except ImportError:
        print("  (numba not installed: pip install numba)")
    timed = {name: (lambda f=f: _loop_time(f, x, y, n)) for name, f in cases.items()}
    timed["empty loop"] = lambda: _empty_loop_time(n)
    best = _min_interleaved(timed, rounds)
    loop = best.pop("empty loop")
    print(f"per-call cost of add(x, y) on two floats, ns net of the loop ({n} calls, loop {loop / n * 1e9:.1f} ns):")
    for name, t in best.items():
        print(f"  {name:40} {(t - loop) / n * 1e9:7.1f} ns")
    disp = keep.__pyjit__.regions[0].dispatcher if keep.__pyjit__.regions else None
    if disp is not None:
        print(f"  dispatcher: {type(disp).__module__}.{type(disp).__name__}, "
              f"backends: {[s.backend for s in disp.cache.values()]}")


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rounds", type=int, default=15)
    args = ap.parse_args(argv)
    print(f"CPython {sys.version.split()[0]}, pyjit native runtime: "
          f"{'yes' if native() is not None else 'no'}")
    capture_overhead(args.rounds)
    print()
    dispatch_cost(args.rounds)


if __name__ == "__main__":
    main()
