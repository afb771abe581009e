"""Fused array kernels of the LLVM backend: results, broadcasting, in-place ops,
and a failed allocation, compared with CPython."""
import numpy as np
import pytest

import pyjit
from pyjit.backends.llvm import kernels
from difftest import check


def fused(a, b, c):
    return np.sqrt(a * a + b * b) * np.exp(-c) + 0.5 * a


def inplace(a, b):
    a += b * 2.0
    return a


def overlapping(a):
    a[1:] += a[:-1]
    return a


@pytest.mark.parametrize("args", [
    (np.linspace(0, 1, 1000), np.linspace(1, 2, 1000), np.linspace(-1, 1, 1000)),
    (np.arange(6.0).reshape(2, 3), np.arange(3.0), 0.5),
    (np.zeros(0), np.zeros(0), np.zeros(0)),
    (np.arange(12.0).reshape(3, 4)[:, ::2], np.ones((3, 2)), np.float32(1.5)),
    (np.arange(3.0), np.arange(4.0), 1.0),  # shapes that do not broadcast: ValueError
])
def test_fused_expression(args):
    g = check(fused, *args, backends=("llvm",))
    spec = next(iter(g.__pyjit__.regions[0].dispatcher.cache.values()))
    assert spec.backend == "llvm", spec.note


def test_inplace_and_overlap():
    check(inplace, np.arange(5.0), np.ones(5), backends=("llvm",))
    check(inplace, np.arange(6.0).reshape(2, 3), np.arange(3.0), backends=("llvm",))
    check(overlapping, np.arange(6.0), backends=("llvm",))


def test_failed_allocation_bails_out_instead_of_crashing():
    def refuse(shape, dtype):
        raise MemoryError("refused by the test")
    old = kernels.use_allocator(refuse)
    try:
        a, b, c = np.ones(10), np.ones(10), np.zeros(10)
        jitted = pyjit.jit(fused)
        assert np.array_equal(jitted(a, b, c), fused(a, b, c))
        [region] = jitted.__pyjit__.regions
        assert region.dispatcher.stats.bailouts >= 1  # the refusal was seen, as a bailout
    finally:
        kernels.use_allocator(old)
