"""Whole numeric programs of the kind our users write: each must match CPython
(difftest: every backend and level) and compile with the LLVM backend, not fall
back.  A program that stops compiling shows here with the backend's note; one
that must fall back says why in ``FALLS_BACK``.
"""
from __future__ import annotations

import math

import numpy as np
import pytest

import pyjit

from difftest import check


def jacobi(u, iters):
    for _ in range(iters):
        u[1:-1, 1:-1] = 0.25 * (u[:-2, 1:-1] + u[2:, 1:-1] + u[1:-1, :-2] + u[1:-1, 2:])
    return u


def newton_sqrt(a, iters):
    x = a.copy()
    for _ in range(iters):
        x = 0.5 * (x + a / x)
    return x


def running_stats(a):
    n = 0
    mean = 0.0
    m2 = 0.0
    for x in a:
        n += 1
        d = x - mean
        mean += d / n
        m2 += d * (x - mean)
    return mean, m2 / (n - 1)


def norm_rows(a):
    out = np.empty_like(a)
    for i in range(a.shape[0]):
        row = a[i]
        out[i] = row / np.sqrt((row * row).sum())
    return out


def heat(t, alpha, steps):
    for _ in range(steps):
        lap = np.zeros_like(t)
        lap[1:-1] = t[:-2] - 2 * t[1:-1] + t[2:]
        t = t + alpha * lap
    return t


def softmax_iter(z, n):
    for _ in range(n):
        e = np.exp(z - z.max())
        z = e / e.sum()
    return z


def kmeans_assign(pts, cent):
    labels = np.empty(pts.shape[0], dtype=np.int64)
    for i in range(pts.shape[0]):
        best = 0
        bd = math.inf
        for k in range(cent.shape[0]):
            d = 0.0
            for j in range(pts.shape[1]):
                t = pts[i, j] - cent[k, j]
                d += t * t
            if d < bd:
                bd = d
                best = k
        labels[i] = best
    return labels


def where_iter(a, n):
    for _ in range(n):
        a = np.where(a > 0.5, a * 0.9, a + 0.1)
    return a


def gradient_descent(x, y, lr, steps):
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        pred = x @ w
        grad = x.T @ (pred - y) / x.shape[0]
        w = w - lr * grad
    return w


RNG = np.random.default_rng(7)
PROGRAMS = [
    (jacobi, (RNG.random((12, 10)), 4)),
    (newton_sqrt, (RNG.random(40) + 1.0, 5)),
    (newton_sqrt, (np.array([0.0, 4.0]), 3)),           # 0/0: nan as in numpy, no bailout needed
    (running_stats, (RNG.random(30),)),
    (running_stats, (np.array([1.0]),)),                 # n - 1 == 0: ZeroDivisionError
    (norm_rows, (RNG.random((5, 4)),)),
    (heat, (RNG.random(20), 0.1, 4)),
    (softmax_iter, (RNG.random(9), 3)),
    (kmeans_assign, (RNG.random((12, 3)), RNG.random((4, 3)))),
    (where_iter, (RNG.random(10) * 1.2 - 0.1, 3)),
    (gradient_descent, (RNG.random((20, 3)), RNG.random(20), 0.1, 4)),
]


@pytest.mark.parametrize("fn, args", PROGRAMS, ids=[f"{p[0].__name__}-{i}" for i, p in enumerate(PROGRAMS)])
def test_program_matches_cpython_and_compiles(fn, args):
    check(fn, *args)
    jf = pyjit.jit(fn, backend="llvm")
    try:
        jf(*[a.copy() if isinstance(a, np.ndarray) else a for a in args])
    except ZeroDivisionError:
        pass
    specs = [s for r in jf.__pyjit__.regions for s in r.dispatcher.cache.values()]
    assert specs and all(s.backend == "llvm" for s in specs), [(s.backend, s.note) for s in specs]


# ---- corners found while writing the programs above -----------------------------------

def add_python_int(a, n):
    for _ in range(n):
        y = a + 300                 # OverflowError for int8, even when a is empty
    return y


def python_int_to_float32(x, n):
    for _ in range(n):
        y = x + (2 ** 60 + 2 ** 36 + 1)   # numpy rounds the int to a double, then to float32
    return y


@pytest.mark.parametrize("fn, args", [
    (add_python_int, (np.zeros(0, np.int8), 2)),
    (add_python_int, (np.zeros(3, np.int8), 2)),
    (add_python_int, (np.zeros((2, 0), np.int16), 2)),
    (add_python_int, (np.zeros(3, np.int16), 2)),
    (python_int_to_float32, (np.float32(1.0), 2)),
    (python_int_to_float32, (np.ones(3, np.float32), 2)),
], ids=lambda v: getattr(v, "__name__", ""))
def test_corner(fn, args):
    check(fn, *args)
