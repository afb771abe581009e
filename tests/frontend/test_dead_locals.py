"""Exits store only the locals the code after them may read (Note [dead locals at
exits] in pyjit/frontend/decode.py).  What must hold: every read the program
makes sees CPython's value (a later region, a ``del``, a read in CPython after a
graph break); a function that can look at its own frame (``locals()``) sees
every local exact; and a region after a break does not load a local an earlier
exit left unstored."""
from __future__ import annotations

import numpy as np

import pyjit
from pyjit.frontend.decode import decode

from difftest import check


def pairwise(x, out):
    n = x.shape[0]
    for i in range(n):
        for j in range(n):
            d = 0.0
            for k in range(x.shape[1]):
                t = x[i, k] - x[j, k]
                d += t * t
            out[i, j] = d
    return out


def _exit_names(fn, *args, line=None):
    """The names each exit of ``fn``'s regions stores (those resuming at ``line``)."""
    jf = pyjit.jit(fn, backend="llvm")
    jf(*args)
    d = decode(fn.__code__)
    return [set(e.names) for r in jf.__pyjit__.regions for e in r.graph.exits
            if e.kind != "return" and (line is None or d.lineno(e.target) == line)]


def test_dead_locals_are_not_stored():
    """At the ``for j`` header (where a bailout after ``out[i, j] = d`` resumes,
    and the floating-point checkpoint) the next read of ``d``, ``t`` and ``k``
    follows a write: those exits do not store them.  In the inner loop, where
    they are live, exits do."""
    x = np.arange(6.0).reshape(3, 2)
    first = pairwise.__code__.co_firstlineno
    at_j = _exit_names(pairwise, x, np.zeros((3, 3)), line=first + 3)
    assert at_j and all(not {"d", "t", "k"} & n for n in at_j), at_j
    in_k = _exit_names(pairwise, x, np.zeros((3, 3)), line=first + 7)
    assert in_k and all({"d", "i", "j"} <= n for n in in_k), in_k  # at d += t * t
    check(pairwise, x, np.zeros((3, 3)))


def deleted_after_a_break(n):
    x = -1
    for i in range(n):
        x = i * 2
    print("between")
    del x          # reads x's binding: x is stored at the exit
    return n


def read_after_a_break(a):
    s = 0.0
    t = 0.0
    for i in range(a.shape[0]):
        t = a[i] * 2.0
        s += t
    print("between")
    return s, t, i


def joined_after_a_break(x, y, a):
    s1 = y
    b = a + 1.0   # an array op: the region before the loop compiles
    for i in range(3):
        print("at", i)
    if x < 0:
        s1 = x
    s1 = x        # s1 dead at the break: the region after it must not load it
    return s1, i, b


def sees_its_frame(n):
    t = 0
    for i in range(n):
        t = i * 2
    return sorted(locals().items())


def test_every_read_sees_cpythons_value():
    check(deleted_after_a_break, 4)
    check(deleted_after_a_break, 0)
    check(read_after_a_break, np.arange(5.0))
    check(joined_after_a_break, 1, 2, np.zeros(2))
    check(joined_after_a_break, -1, 2, np.zeros(2))


def test_a_function_that_reads_locals_keeps_them_all():
    check(sees_its_frame, 5)
    assert any("t" in n for n in _exit_names(sees_its_frame, 5))


def stacked(a, n):
    t = a
    for i in range(n):
        t = a * 2.0
    print("between")
    return np.stack([a, a]).sum()


def test_which_functions_keep_every_local():
    """Naming ``locals`` (or ``sys._getframe``, ``f_locals``...) keeps every
    local; ``np.stack`` and ``np.trace`` are not frame readers."""
    assert decode(sees_its_frame.__code__).observed(0) is None
    assert decode(stacked.__code__).observed(0) is not None
    check(stacked, np.ones(3), 2)
