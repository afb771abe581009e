"""Read-only arrays (Note [read-only arrays] in pyjit/ir/infer.py): a region must
never write through one.  ``np.frombuffer`` over ``bytes`` is the sharp case: a
write would change an immutable bytes object.  CPython raises numpy's ValueError
at the write; so must pyjit, on every backend and level, leaving the memory as it
was, while code that only reads a read-only array still compiles."""
from __future__ import annotations

import numpy as np
import pytest

import pyjit
from pyjit.ir.parser import parse_type
from pyjit.ir.types import Array, typeof

LEVELS = [("numpy", "O0"), ("llvm", "O0"), ("llvm", "O1"), ("llvm", "O2")]


def _iadd(a, b):
    a += b
    return a


def _loop_store(a):
    for i in range(a.shape[0]):
        a[i] = 1.0
    return a


def _slice_store(a):
    a[1:] = 5.0
    return a


def _view_store(a):
    v = a[::2]
    t = v.T
    t[0] = 7.0
    return v


def _store_after_join(a, b, c):
    x = a if c else b
    x[0] = 3.0
    return x


def _reads(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * 2.0
    return s, a[::2] * 1.0, a.T


def _read_only(values):
    data = np.asarray(values, dtype=np.float64).tobytes()
    return data, np.frombuffer(data, dtype=np.float64)


def _outcome(fn, *args):
    try:
        return "ok", fn(*args)
    except Exception as exc:  # the exception is what is compared
        return type(exc), str(exc)


@pytest.mark.parametrize("backend, level", LEVELS)
@pytest.mark.parametrize("fn, extra", [(_iadd, (np.ones(4),)), (_loop_store, ()),
                                       (_slice_store, ()), (_view_store, ())])
def test_a_write_into_a_read_only_array_raises(fn, extra, backend, level):
    data, a = _read_only([0.0, 1.0, 2.0, 3.0])
    expected = _outcome(fn, a, *extra)
    assert expected[0] is ValueError
    jitted = pyjit.jit(fn, backend=backend, level=level)
    for _ in range(2):  # the first call specializes, the second takes the C path
        assert _outcome(jitted, a, *extra) == expected
        assert np.frombuffer(data).tolist() == [0.0, 1.0, 2.0, 3.0]
    # the same function still writes into a writeable array
    w = np.arange(4.0)
    assert np.array_equal(jitted(w, *extra), fn(np.arange(4.0), *extra))


@pytest.mark.parametrize("backend, level", LEVELS)
def test_a_join_of_a_read_only_and_a_writeable_array_is_read_only(backend, level):
    data, ro = _read_only([1.0, 2.0])
    jitted = pyjit.jit(_store_after_join, backend=backend, level=level)
    for c in (False, True):
        expected = _outcome(_store_after_join, ro, np.zeros(2), c)
        got = _outcome(jitted, ro, np.zeros(2), c)
        assert got[0] == expected[0] and str(got[1]) == str(expected[1])
    assert np.frombuffer(data).tolist() == [1.0, 2.0]


@pytest.mark.parametrize("backend, level", LEVELS)
def test_reading_a_read_only_array_compiles(backend, level):
    _, a = _read_only(np.linspace(-1.0, 1.0, 9))
    jitted = pyjit.jit(_reads, backend=backend, level=level)
    s, half, t = jitted(a)
    es, ehalf, et = _reads(a)
    assert s == es and np.array_equal(half, ehalf) and np.array_equal(t, et)
    assert not t.flags.writeable  # a view of a read-only array, as numpy gives
    specs = [s for r in jitted.__pyjit__.regions for s in r.dispatcher.cache.values()]
    assert specs and all(s.entry is not None for s in specs)


def test_the_key_tells_read_only_arrays_apart():
    a = np.arange(3.0)
    b = np.arange(3.0)
    b.flags.writeable = False
    assert typeof(a) == Array(np.dtype("f8"), 1) and typeof(a).writeable
    assert typeof(b) != typeof(a) and not typeof(b).writeable
    assert str(typeof(b)) == "f64[?]:ro"
    for t in (typeof(b), typeof(b[::2]), typeof(np.asfortranarray(np.ones((2, 2))))):
        assert parse_type(str(t)) == t


def _fresh_outputs(a, out):
    b = np.empty_like(a)
    c = a.copy()
    pair = (a, out)
    _, o = pair
    for i in range(a.shape[0]):
        b[i] = a[i] * 2.0
        c[i] += 1.0
        o[i] = a[i] - 1.0
    return b, c, out


@pytest.mark.parametrize("backend, level", LEVELS)
def test_arrays_made_from_a_read_only_one_are_written_natively(backend, level):
    # copies, *_like and a tuple's other items are writeable: the loop compiles
    data, a = _read_only([1.0, -2.0, 3.5])
    jitted = pyjit.jit(_fresh_outputs, backend=backend, level=level)
    got = jitted(a, np.zeros(3))
    want = _fresh_outputs(a, np.zeros(3))
    assert all(np.array_equal(g, w) for g, w in zip(got, want))
    assert all(g.flags.writeable for g in got)
    assert np.frombuffer(data).tolist() == [1.0, -2.0, 3.5]
    specs = [s for r in jitted.__pyjit__.regions for s in r.dispatcher.cache.values()]
    assert specs and all(s.entry is not None and s.reason is None for s in specs)


def test_the_ops_known_to_allocate_are_registered():
    from pyjit.ir import registry
    from pyjit.ir.readonly import _FRESH_OR_EXACT
    assert _FRESH_OR_EXACT <= set(registry.OPS)
