"""The demo: a small particle simulation written as ordinary numeric Python.

It mixes the three kinds of code pyjit meets in practice: array expressions,
scalar loops, and a ``print`` in the middle (a graph break).  ``python -m
pyjit demo`` runs each kernel under CPython and under pyjit, checks the results
are identical, prints the timings and the explain report.
"""
from __future__ import annotations

import math

import numpy as np


def kinetic_energy(vel):
    """A scalar reduction loop: compiled whole, as one region."""
    total = 0.0
    for i in range(vel.shape[0]):
        v = vel[i]
        total += 0.5 * v * v
    return total


def step(pos, vel, dt):
    """Array expressions around a print: two regions and one graph break."""
    acc = -pos * np.abs(pos) - 0.1 * vel
    vel = vel + acc * dt
    print("  step: max |acc| =", round(float(np.max(np.abs(acc))), 6))
    pos = pos + vel * dt
    return pos, vel


def collatz_steps(n):
    """Integer control flow: while, if/else, // and % with Python int semantics."""
    steps = 0
    while n != 1:
        if n % 2 == 0:
            n = n // 2
        else:
            n = 3 * n + 1
        steps += 1
    return steps


def wave(x):
    """Math functions and branches per element."""
    out = 0.0
    for i in range(x.shape[0]):
        t = x[i]
        if t > 0:
            out += math.sin(t) * math.exp(-t)
        else:
            out -= math.cos(t)
    return out


KERNELS = [
    ("kinetic_energy", kinetic_energy, lambda rng: (rng.standard_normal(20_000),)),
    ("collatz_steps", collatz_steps, lambda rng: (837_799,)),
    ("wave", wave, lambda rng: (rng.standard_normal(20_000),)),
    ("step", step, lambda rng: (rng.standard_normal(100_000), rng.standard_normal(100_000), 0.01)),
]
