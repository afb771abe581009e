"""A small particle simulation over three modules: ``python -m pyjit explain
examples/simulate/main.py [steps]`` shows what pyjit compiled in each module,
where it broke and why, and where the run time went.

Graph breaks in this module: the ``print`` inside the reporting loop of
``main`` and the call to ``format`` (a function pyjit cannot compile).
"""
import sys

import numpy as np

import physics
import stats


def energy_history(pos, vel, rounds, steps):
    history = np.zeros(rounds)
    for r in range(rounds):
        pos, vel = physics.advance(pos, vel, 0.001, steps)
        history[r] = physics.kinetic_energy(vel)
    return pos, vel, history


def drift(history):
    worst = 0.0
    for i in range(1, history.shape[0]):
        d = abs(history[i] - history[i - 1])
        if d > worst:
            worst = d
    return worst


def main(argv):
    steps = int(argv[1]) if len(argv) > 1 else 200
    rng = np.random.default_rng(0)
    pos = rng.standard_normal(50_000)
    vel = np.zeros(50_000)
    pos, vel, history = energy_history(pos, vel, 5, steps)
    forces = physics.spring_forces(pos, 2.0, 3.0)
    for r in range(history.shape[0]):
        print("round", r, "energy", format(history[r], ".6f"))
    summary = stats.summarize(history)
    print("summary", summary, "total", stats.total([1.0, 2.0, 3.0]))
    print("drift", drift(history), "max force", forces.max())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
