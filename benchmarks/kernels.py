"""Benchmark kernels: each is plain Python, optionally with a numpy formulation.

A kernel is ``Kernel(name, python_fn, make_args, numpy_fn=None)``; the runner
times the Python function under CPython, under pyjit and under Numba (when
installed), and the numpy formulation when there is one.
"""
from __future__ import annotations

from dataclasses import dataclass
import math
from typing import Callable

import numpy as np


@dataclass
class Kernel:
    name: str
    fn: Callable
    make_args: Callable
    numpy_fn: Callable | None = None
    calls: int = 1          # calls per timed sample (for per-call overheads)
    numba: bool = True      # whether numba.njit can compile fn at all


def nothing_to_compile(x, y):
    """Only calls pyjit cannot compile: the jitted function is the plain one."""
    return str(x) + str(y)


def add(x, y):
    return x + y


def sum_squares(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * a[i]
    return s


def mandelbrot(h, w, maxit):
    count = 0
    for py in range(h):
        for px in range(w):
            cr = -2.0 + 3.0 * px / w
            ci = -1.5 + 3.0 * py / h
            zr = 0.0
            zi = 0.0
            k = 0
            while k < maxit and zr * zr + zi * zi <= 4.0:
                zr, zi = zr * zr - zi * zi + cr, 2.0 * zr * zi + ci
                k += 1
            count += k
    return count


def fused_expr(a, b, c):
    return np.sqrt(a * a + b * b) * np.exp(-c) + 0.5 * a


def loop_with_break(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += math.sqrt(abs(a[i]))
        if i % 1000 == 0:
            print(i)
    return s


def _call_many(fn, n=10_000):
    def run(*args):
        for _ in range(n):
            fn(*args)
    return run


KERNELS = [
    Kernel("nothing_to_compile", nothing_to_compile, lambda: (1, 2), calls=10_000, numba=False),
    Kernel("add_floats", add, lambda: (1.0, 2.0), calls=10_000),
    Kernel("sum_squares_1e5", sum_squares, lambda: (np.random.default_rng(0).random(100_000),),
           numpy_fn=lambda a: float(np.dot(a, a))),
    Kernel("mandelbrot_40x40x50", mandelbrot, lambda: (40, 40, 50)),
    Kernel("fused_expr_1e6", fused_expr,
           lambda: tuple(np.random.default_rng(1).random(1_000_000) for _ in range(3)),
           numpy_fn=fused_expr),
    Kernel("loop_with_break_1e4", loop_with_break,
           lambda: (np.random.default_rng(2).standard_normal(10_000),), numba=False),
]
