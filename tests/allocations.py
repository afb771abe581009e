"""Counting the arrays native code allocates (backends/llvm/alloc.py's callback).

    with counted() as shapes:
        f(a, b)
    assert len(shapes) == 1
"""
from __future__ import annotations

import contextlib

import numpy as np

from pyjit.backends.llvm import kernels


@contextlib.contextmanager
def counted():
    """Inside the block, native code allocates through numpy as usual and each
    new array's shape is appended to the list the block gets."""
    shapes: list = []

    def counting(shape, dtype):
        shapes.append(shape)
        return np.empty(shape, dtype)
    old = kernels.use_allocator(counting)
    try:
        yield shapes
    finally:
        kernels.use_allocator(old)
