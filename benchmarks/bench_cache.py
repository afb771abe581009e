"""The disk cache: first call of a small kernel in a NEW process, cold vs warm.

    python benchmarks/bench_cache.py [--runs 7]

Each run is a fresh interpreter that imports pyjit, jits a sum of squares over
10 floats (``jit(cache=True)``) and calls it once.  Printed, median over the
runs: ``import pyjit``; ``jit()`` (the analysis); the first call (the disk
cache's graph index, type inference, passes, backend; a hit through the index
has only the first: backends/llvm/graphcache.py); and their sum, analysis +
first call, which is the number issue 4 bounds (≤ 10 ms warm), in wall time
and, less sensitive to a busy machine, in CPU time (``process_time``; it
includes the storing thread).  Modes:

- ``uncached``: ``cache=False``, for comparison;
- ``cold``: an empty cache directory (compiles; links and stores on a thread);
- ``warm``: the entries of a previous run (loaded as a shared library);
- ``warm-object``: the shared libraries deleted (the object is linked by
  MCJIT, which first loads LLVM — the path where there is no linker);
- ``warm-preloaded``: ``warm`` with every module the warm first call imports
  already imported before the clock starts: what is left is computation, and
  ``warm`` minus this is the cost of those lazy imports.

The last column says whether the first call imported ``llvmlite.ir`` (~5 ms).

The children import Python modules from .pyc files, as an installed pyjit
does (``PYTHONDONTWRITEBYTECODE`` is cleared; the .pyc files go to a temporary
``PYTHONPYCACHEPREFIX``, not into the source tree).
"""
from __future__ import annotations

import argparse
import glob
import json
import os
import statistics
import subprocess
import sys
import tempfile

CHILD = r'''
import os, sys, time
t0 = time.perf_counter()
import numpy as np
t1 = time.perf_counter()
import pyjit
t2 = time.perf_counter()
for name in os.environ.get("BENCH_PRELOAD", "").split():
    __import__(name)
before = set(sys.modules)

def sumsq(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * a[i]
    return s

a = np.arange(10.0)
c3 = time.process_time()
t3 = time.perf_counter()
f = pyjit.jit(sumsq, cache=os.environ["BENCH_CACHE"] == "1")
t4 = time.perf_counter()
r = f(a)
t5 = time.perf_counter()
c5 = time.process_time()
assert r == sumsq(a), (r, sumsq(a))
spec = next(iter(f.__pyjit__.regions[0].dispatcher.cache.values()))
print(__import__("json").dumps({
    "import": t2 - t1, "jit": t4 - t3, "call": t5 - t4, "first": t5 - t3, "cpu": c5 - c3,
    "stages": spec.stages, "note": spec.note, "backend": spec.backend,
    "imported": sorted(set(sys.modules) - before - {"json"})}))
'''


def _child(script: str, env: dict) -> dict:
    out = subprocess.run([sys.executable, script], env=env, capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    runs = ap.parse_args().runs
    with tempfile.TemporaryDirectory() as tmp:
        script = os.path.join(tmp, "kernel.py")
        with open(script, "w") as f:
            f.write(CHILD)
        cache = os.path.join(tmp, "cache")
        env = dict(os.environ, PYJIT_CACHE_DIR=cache, PYTHONPYCACHEPREFIX=os.path.join(tmp, "pyc"))
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        env.pop("PYJIT_KEEP_SMALL", None)
        env["BENCH_CACHE"] = "1"
        _child(script, env)  # writes the .pyc files and warms the OS file cache
        results: dict = {"uncached": [], "cold": [], "warm": [], "warm-object": [],
                         "warm-preloaded": []}
        for _ in range(runs):  # interleaved, so that a busy moment hits every mode alike
            results["uncached"].append(_child(script, dict(env, BENCH_CACHE="0")))
            for f in glob.glob(os.path.join(cache, "*")):
                os.unlink(f)
            results["cold"].append(_child(script, env))
            results["warm"].append(_child(script, env))
            preload = " ".join(m for m in results["warm"][-1]["imported"] if "." in m or
                               m in ("llvmlite", "_blake2"))
            results["warm-preloaded"].append(_child(script, dict(env, BENCH_PRELOAD=preload)))
            for f in glob.glob(os.path.join(cache, "*.so")):
                os.unlink(f)
            results["warm-object"].append(_child(script, env))
    print(f"first call of sumsq(10 floats) in a new process, median of {runs} runs (ms)")
    print(f"{'mode':<14} {'import':>7} {'jit()':>7} {'call':>7} {'jit+call':>9} {'(cpu)':>6}   "
          "call stages: index / infer / passes / backend   llvmlite.ir   note")
    for mode, rs in results.items():
        def med(k):
            return 1e3 * statistics.median(r[k] for r in rs)

        def stage(k):
            return 1e3 * statistics.median(r["stages"].get(k, 0.0) for r in rs)
        ir = "yes" if "llvmlite.ir" in rs[-1]["imported"] else "no"
        print(f"{mode:<14} {med('import'):7.1f} {med('jit'):7.1f} {med('call'):7.1f} "
              f"{med('first'):9.1f} {med('cpu'):6.1f}   {stage('index'):5.1f} / {stage('infer'):5.1f} / "
              f"{stage('passes'):4.1f} / "
              f"{stage('backend'):5.1f}   {ir:<11}   {rs[-1]['note'] or '-'}")


if __name__ == "__main__":
    main()
