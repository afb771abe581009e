"""Functions the golden report tests explain (tests/report/test_golden.py).

Their line numbers are part of the goldens: add new cases at the end.
"""
import numpy as np


def straight_line(a, b):
    c = np.sin(a) * b + 1.0
    print("between")
    d = np.sqrt(np.abs(c)) - a
    return d


def in_loop(a):
    s = 0.0
    for i in range(a.shape[0]):
        t = a[i] * 2.0
        print(i)
        s = s + t * t
    return s


def shout(x):
    print("value", x)
    return x * 2.0


def inlined_helper(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i]
    t = shout(s)
    return s + t


def scale(values, factor):
    out = 0.0
    for i in range(len(values)):
        out += values[i] * factor
    return out


def grow(n, x):
    total = 1
    for i in range(n):
        total = total * x
    return total
