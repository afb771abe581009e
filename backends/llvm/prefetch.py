"""Software prefetch in vectorized loops, added after LLVM's pipeline.

    >>> mod = prefetch.streams(mod)     # the optimized module, or a new one with prefetches

Note [prefetch in vector loops]
    A loop that streams through memory runs at the speed the hardware prefetcher
    brings lines in.  A plain vector sum (Numba's ``int_sum``: one ``vpaddq`` per
    load) keeps enough loads in flight for it.  Our bounded sum (deferred.py,
    Note [bounded sums]) adds two vector ops per load.  Its loop fell behind
    memory by 20-35% (1e7 int64: 3.9 ms against 3.0 ms), and 512-bit vectors or
    a larger interleave did not bring it back.  Row norms, fed by three column
    streams, sat a little behind in the same way.

    So every load of a whole vector in a vectorized loop body (LLVM's
    ``vector.body`` blocks) is followed by ``llvm.prefetch`` of the address
    ``DISTANCE`` bytes ahead (read, keep in all cache levels).  LLVM's own
    ``LoopDataPrefetch`` pass does this for targets that ask for it, but x86
    does not, and llvmlite does not expose that pass.  The prefetch cannot go
    into our IR before the pipeline: the loop vectorizer refuses a loop that
    calls ``llvm.prefetch``, and a scalar loop with one prefetch per item is
    slower than no prefetch.  So the optimized module is printed, a prefetch
    line goes after each such load, and the text is parsed and verified again
    (~1 ms, only for modules with a vectorized loop).

    A prefetch is only a hint: it cannot fault or change a result, so an
    address past the end of an array, or behind it in a loop running downwards,
    only wastes the hint.  Measured on this machine (``benchmarks/run.py``,
    medians of 7; the same code with the prefetch off and on, alternating):
    ``int_sum_1e7`` 3.9-4.2 ms -> 2.9-3.0 ms (Numba 3.3-3.5), ``row_norms``
    4.4-6.0 -> 3.5-3.9 ms; the other kernels within noise.  An int64 sum of
    1e5 items (in L2) is ~10% faster, one of 1000 items (in L1) the same.
    8 KB ahead was the best of 1, 4, 8 and 16 KB; one prefetch per load and
    one per cache line measured the same, so each load gets one.
"""
from __future__ import annotations

import re

DISTANCE = 8192   # bytes ahead of each vector load

_LABEL = re.compile(r"^([-\w.$]+):")
_VECTOR_LOAD = re.compile(r"^\s+%[-\w.$]+ = load <\d+ x [\w.]+>, ptr (%[-\w.$]+)")
_DECLARE = "declare void @llvm.prefetch.p0(ptr, i32, i32, i32)"


def streams(mod):
    """``mod`` (an optimized llvmlite module), or the same module re-parsed with a
    prefetch after every whole-vector load of its vectorized loops."""
    if not any(b.name.startswith("vector.body") for f in mod.functions for b in f.blocks):
        return mod
    text = insert(str(mod))
    if text is None:
        return mod
    import llvmlite.binding as llvm
    new = llvm.parse_assembly(text)
    new.verify()
    return new


def insert(text: str) -> str | None:
    """The module text with the prefetches, or None when it has no vector load in
    a ``vector.body`` block."""
    out: list[str] = []
    block = ""
    n = 0
    for line in text.split("\n"):
        out.append(line)
        if line and not line[0].isspace():   # a label, or anything else ending a block
            m = _LABEL.match(line)
            block = m.group(1) if m else ""
            continue
        if not block.startswith("vector.body"):
            continue
        m = _VECTOR_LOAD.match(line)
        if m:
            n += 1
            out.append(f"  %pyjit.prefetch.{n} = getelementptr i8, ptr {m.group(1)}, i64 {DISTANCE}")
            out.append(f"  call void @llvm.prefetch.p0(ptr %pyjit.prefetch.{n}, i32 0, i32 3, i32 1)")
    if not n:
        return None
    if "@llvm.prefetch.p0(" not in text:
        out.append(_DECLARE)
    return "\n".join(out)
