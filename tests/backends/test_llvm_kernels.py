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


def test_an_empty_result_is_the_array_numpy_made():
    # native code gives a new array C strides (constants, which LLVM vectorizes);
    # numpy 2 gives an empty one zero strides: the exit still boxes numpy's array
    # (Note [boxing an exit's array]), not a view of it with other strides
    def shifted(a):
        return a * 2.0 + 1.0

    def zeros(n):
        return np.zeros((n, 3))
    for level in ("O0", "O1", "O2"):
        for fn, arg in ((shifted, np.ones((0, 3))), (shifted, np.ones((3, 0))), (zeros, 0)):
            f = pyjit.jit(fn, level=level)
            f(arg)
            got, want = f(arg), fn(arg)
            assert (got.shape, got.strides) == (want.shape, want.strides)
            assert got.flags.owndata and got.base is None


def test_a_kernel_over_contiguous_operands_is_vector_code():
    # a C operand's strides are computed from its shape (kernels._strides), so LLVM
    # sees the item size as the innermost stride; read raw, the stride is only
    # known at run time and the loop stays scalar (np.sqrt took twice numpy's time)
    from pyjit.backends.llvm import engine

    def root(x, y):
        return np.sqrt(x) + y
    f = pyjit.jit(root, backend="llvm", level="O2")
    f(np.arange(1000.0), np.ones(1000))
    (spec,) = f.__pyjit__.regions[0].dispatcher.cache.values()
    optimized = engine.optimized_ir(spec.entry.ir, "O2")
    assert "sqrt.v" in optimized and "gather" not in optimized  # contiguous vector loads
