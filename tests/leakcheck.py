"""Measuring whether a loop of calls leaks: reference counts and traced memory."""
import gc
import sys
import tracemalloc


def growth(loop, n: int, watched: list):
    """Run ``loop(n)`` (after the caller's warm-up) and return the reference counts
    of ``watched`` before and after, and the bytes tracemalloc saw the run keep."""
    gc.collect()
    refs = list(map(sys.getrefcount, watched))
    tracemalloc.start()
    try:
        snap = tracemalloc.take_snapshot()
        loop(n)
        gc.collect()
        after = list(map(sys.getrefcount, watched))
        diff = tracemalloc.take_snapshot().compare_to(snap, "filename")
    finally:
        tracemalloc.stop()
    return refs, after, sum(s.size_diff for s in diff)
