"""Differential tests of the frontend: control flow, locals, calls, exits."""
import math

import numpy as np
import pytest

from difftest import check


def straight(a, b):
    c = a * b + 1.0
    d = c - a / b
    return c, d


def branches(x):
    if x > 0:
        y = x * 2
    elif x < -5:
        y = -x
    else:
        y = 0
    return y + 1


def while_loop(n):
    total = 0
    k = 0
    while k < n:
        k += 1
        if k % 3 == 0:
            continue
        if k > 50:
            break
        total += k
    return total, k


def early_return(a):
    for i in range(a.shape[0]):
        if a[i] < 0:
            return i
    return -1


def tuples(x, y):
    t = (x, y)
    p, q = t
    q, p = p, q
    return p - q, divmod(x, 3)


def nested_loops(a):
    s = 0.0
    for i in range(a.shape[0]):
        for j in range(i):
            s += a[i] * a[j]
    return s


def loop_over_array(a):
    s = 0.0
    for v in a:
        s += v
    return s


def array_expr(a, b):
    c = np.sqrt(a * a + b * b)
    return c.sum(), c.max(axis=0), c.shape


def setitem(a, i, x):
    a[i] = x
    a[1:3] = 0
    a[i] += 2
    return a


@pytest.mark.parametrize("fn,args", [
    (straight, (2.0, 3.0)), (straight, (2, 3)), (straight, (np.float32(2), 3)),
    (straight, (np.arange(3.0), 2.0)),
    (branches, (3,)), (branches, (-7,)), (branches, (-1.5,)), (branches, (0,)),
    (while_loop, (10,)), (while_loop, (100,)), (while_loop, (0,)),
    (early_return, (np.array([1.0, 2.0, -3.0]),)), (early_return, (np.array([1.0]),)),
    (early_return, (np.zeros(0),)),
    (tuples, (7, 2)), (tuples, (7.5, 2)),
    (nested_loops, (np.arange(5.0),)), (nested_loops, (np.arange(4),)),
    (loop_over_array, (np.arange(4.0),)), (loop_over_array, (np.zeros(0),)),
    (array_expr, (np.arange(6.0).reshape(2, 3), np.ones((2, 3)))),
    (setitem, (np.arange(5.0), 4, 1.5)), (setitem, (np.arange(5), -1, 7)),
])
def test_differential(fn, args):
    check(fn, *args)


def test_range_loop_is_one_region():
    def f(n):
        s = 0
        for i in range(n):
            s += i * i
        return s
    check(f, 1000, regions=1, breaks=0)


# ---- bailouts: exceptions surface exactly as in CPython -------------------------------

def index_error(a, i):
    x = a[0]
    y = a[i]
    return x + y


def zero_division(x, y):
    z = x + 1
    w = z / y
    return w


def domain_error(x):
    y = x - 1.0
    return math.sqrt(y)


def caught(a, i):
    x = 0
    try:
        x = 1
        y = a[i]
        x = 2
    except IndexError:
        return x, "caught"
    return x, y


def in_loop_error(a, n):
    s = 0.0
    for i in range(n):
        s += 1.0 / a[i]
    return s


@pytest.mark.parametrize("fn,args", [
    (index_error, (np.arange(3.0), 5)), (index_error, (np.arange(3.0), -4)),
    (index_error, (np.arange(3.0), 2)),
    (zero_division, (1, 0)), (zero_division, (1.0, 0.0)), (zero_division, (1.0, -0.0)),
    (domain_error, (0.0,)), (domain_error, (5.0,)),
    (caught, (np.arange(3), 7)), (caught, (np.arange(3), 1)),
    (in_loop_error, (np.array([1.0, 2.0, 0.0]), 3)), (in_loop_error, (np.array([1.0, 2.0]), 5)),
])
def test_exceptions_match_cpython(fn, args):
    check(fn, *args)


def test_big_int_overflow_continues_exactly():
    def f(n):
        x = 1
        for i in range(n):
            x = x * 3 + i
        return x
    check(f, 100)
    assert pyjit_result(f, 100) == f(100) > 2 ** 64


def pyjit_result(fn, *args):
    import pyjit
    return pyjit.jit(fn)(*args)


def test_printed_output_and_mutation():
    def f(a):
        a[0] = 5.0
        print("first", a[0])
        a[1] = a[0] * 2
        return a
    check(f, np.zeros(3), regions=2, breaks=1)


def items_by_constant_index(a, out, n):
    pair = (a, out)
    scaled = (a, 2.5, n)
    for i in range(scaled[-1]):
        pair[1][i] = pair[0][i] * scaled[1]
    return out, scaled[0][0]


def item_out_of_range(a):
    t = (a, 1.0)
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i]
    return s + t[2]


def test_tuple_items_at_constant_indexes_compile():
    # a non-homogeneous tuple has one type per item: a constant index picks it
    import pyjit
    a = np.arange(4.0)
    check(items_by_constant_index, a, np.zeros(4), 4, regions=1, breaks=0)
    f = pyjit.jit(items_by_constant_index)
    f(a, np.zeros(4), 4)
    specs = f.__pyjit__.regions[0].dispatcher.cache.values()
    assert [s.backend for s in specs] == ["llvm"], [s.note for s in specs]
    check(items_by_constant_index, a, np.zeros(4), 5)   # IndexError in the loop
    check(item_out_of_range, a)                          # IndexError from the tuple
