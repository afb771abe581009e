"""Benchmark kernels: each is plain Python, optionally with a numpy formulation.

A kernel is ``Kernel(name, python_fn, make_args, numpy_fn=None)``; the runner
times the Python function under CPython, under pyjit and under Numba (when
installed), and the numpy formulation when there is one.  Sizes follow the
anchors in issue #4 (sum of squares over 1e7 floats, mandelbrot 400x400x100,
pairwise distances 1000x3, the fused expression over three 1e7 arrays).
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
    cpython_repeat: int | None = None   # fewer samples for the slow CPython runs


def nothing_to_compile(x, y):
    """Only calls pyjit cannot compile: the jitted function is the plain one."""
    return str(x) + str(y)


def add(x, y):
    return x + y


def int_sum(a):
    """An int64 array summed from ``s = 0``: ``s`` is ``int``, then ``np.int64``
    (a union at the loop header), and numpy's scalar add warns on overflow."""
    s = 0
    for i in range(a.shape[0]):
        s += a[i]
    return s


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


def pairwise(x, out):
    n = x.shape[0]
    for i in range(n):
        for j in range(n):
            d = 0.0
            for k in range(x.shape[1]):
                t = x[i, k] - x[j, k]
                d += t * t
            out[i, j] = math.sqrt(d)
    return out


def pairwise_numpy(x, out):
    d = x[:, None, :] - x[None, :, :]
    out[...] = np.sqrt((d * d).sum(axis=-1))
    return out


def fused_expr(a, b, c):
    return np.sqrt(a * a + b * b) * np.exp(-c) + 0.5 * a


def row_norms(a):
    """The axis sum is a temporary that the square root writes over at O2
    (pyjit/passes/reuse.py)."""
    return np.sqrt((a * a).sum(axis=1))


def nbody_step(pos, vel, mass, dt):
    n = pos.shape[0]
    for i in range(n):
        ax = 0.0
        ay = 0.0
        for j in range(n):
            if i != j:
                dx = pos[j, 0] - pos[i, 0]
                dy = pos[j, 1] - pos[i, 1]
                r2 = dx * dx + dy * dy + 0.01
                inv = mass[j] / (r2 * math.sqrt(r2))
                ax += dx * inv
                ay += dy * inv
        vel[i, 0] += ax * dt
        vel[i, 1] += ay * dt
    pos += vel * dt
    return pos, vel


def stencil(u, out):
    for i in range(1, u.shape[0] - 1):
        for j in range(1, u.shape[1] - 1):
            out[i, j] = 0.25 * (u[i - 1, j] + u[i + 1, j] + u[i, j - 1] + u[i, j + 1])
    return out


def stencil_numpy(u, out):
    out[1:-1, 1:-1] = 0.25 * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:])
    return out


def histogram(x, bins, counts):
    lo = x.min()
    width = (x.max() - lo) / bins
    for i in range(x.shape[0]):
        k = int((x[i] - lo) / width)
        if k >= bins:
            k = bins - 1
        counts[k] += 1
    return counts


def loop_with_break(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += math.sqrt(abs(a[i]))
        if i % 1000 == 0:
            print(i)
    return s


def _rng(seed):
    return np.random.default_rng(seed)


KERNELS = [
    Kernel("nothing_to_compile", nothing_to_compile, lambda: (1, 2), calls=10_000, numba=False),
    Kernel("add_floats", add, lambda: (1.0, 2.0), calls=10_000),
    Kernel("sum_squares_1e7", sum_squares, lambda: (_rng(0).random(10_000_000),),
           numpy_fn=lambda a: float(np.dot(a, a)), cpython_repeat=3),
    Kernel("int_sum_1e7", int_sum, lambda: (_rng(8).integers(-1000, 1000, 10_000_000),),
           numpy_fn=lambda a: a.sum(), cpython_repeat=3),
    Kernel("mandelbrot_400x400x100", mandelbrot, lambda: (400, 400, 100), cpython_repeat=3),
    Kernel("pairwise_1000x3", pairwise, lambda: (_rng(1).random((1000, 3)), np.empty((1000, 1000))),
           numpy_fn=pairwise_numpy, cpython_repeat=3),
    Kernel("fused_expr_3x1e7", fused_expr, lambda: tuple(_rng(2).random(10_000_000) for _ in range(3)),
           numpy_fn=fused_expr),
    Kernel("row_norms_1e6x3", row_norms, lambda: (_rng(9).random((1_000_000, 3)),),
           numpy_fn=row_norms),
    Kernel("nbody_step_300", nbody_step,
           lambda: (_rng(3).random((300, 2)), np.zeros((300, 2)), _rng(4).random(300) + 0.5, 0.01),
           cpython_repeat=3),
    Kernel("stencil_500x500", stencil, lambda: (_rng(5).random((500, 500)), np.zeros((500, 500))),
           numpy_fn=stencil_numpy, cpython_repeat=3),
    Kernel("histogram_1e6", histogram,
           lambda: (_rng(6).standard_normal(1_000_000), 64, np.zeros(64, dtype=np.int64)),
           numpy_fn=lambda x, bins, counts: np.histogram(x, bins)[0], cpython_repeat=3),
    Kernel("loop_with_break_1e5", loop_with_break, lambda: (_rng(7).standard_normal(100_000),),
           numba=False),
]
