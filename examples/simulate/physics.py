"""Physics of the example: particles on springs.

Compiled: ``kinetic_energy`` (a scalar reduction loop) and the array
expressions of ``advance``.  Graph breaks: the ``print`` inside the loop of
``advance`` (so that loop stays a Python loop), and the ``print`` inside the
helper ``clamp`` that ``spring_forces`` inlines (the break names the chain of
inlined calls).
"""
import numpy as np


def kinetic_energy(vel):
    total = 0.0
    for i in range(vel.shape[0]):
        total += 0.5 * vel[i] * vel[i]
    return total


def clamp(x, limit):
    if x > limit:
        print("clamped", x)
        return limit
    return x


def spring_forces(pos, k, limit):
    out = np.empty_like(pos)
    for i in range(pos.shape[0]):
        out[i] = clamp(-k * pos[i], limit)
    return out


def advance(pos, vel, dt, steps):
    for s in range(steps):
        acc = -pos * np.abs(pos) - 0.1 * vel
        vel = vel + acc * dt
        pos = pos + vel * dt
        if s % 50 == 0:
            print("step", s)
    return pos, vel
