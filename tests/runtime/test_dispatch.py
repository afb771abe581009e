"""The region dispatcher's C fast path (runtime/dispatch.c, runtime/cdispatch.py):
keys served from C give CPython's results, and counts, guards, explain and
bailouts behave as on the Python path."""
import os
import subprocess
import sys
import threading

import numpy as np
import pytest

from leakcheck import growth

import pyjit
from pyjit.runtime import native
from pyjit.runtime.dispatcher import RegionDispatcher


@pytest.fixture(autouse=True)
def keep_small(monkeypatch):
    monkeypatch.setenv("PYJIT_KEEP_SMALL", "1")  # compile add(x, y) although it has no loop


def add(x, y):
    return x + y


def norm2(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * a[i]
    return s


def inv_sum(n):
    s = 0.0
    for i in range(n):
        s += 1.0 / (i - 3)
    return s


def scale(n):
    s = 0.0
    for i in range(n):
        s += helper(i)
    return s


def helper(i):
    return i * 0.5


def other_helper(i):
    return i * 2.0


def dispatcher(fn):
    return fn.__pyjit__.regions[0].dispatcher


def test_dispatcher_is_the_c_type():
    assert isinstance(dispatcher(pyjit.jit(add)), native().Dispatcher)
    assert RegionDispatcher.__call__ is native().Dispatcher.__call__


def test_scalar_keys_served_from_c_match_cpython():
    f = pyjit.jit(add)
    cases = [(1.5, 2.25), (2, 3), (True, 2.5), (2 ** 70, 1), (-(2 ** 63), -1), (np.float64(1.5), 2.0),
             (np.int32(3), np.int32(4)), (1 + 2j, 1.0), (None, None)]
    for _ in range(3):
        for x, y in cases:
            try:
                expected = add(x, y)
            except TypeError:
                with pytest.raises(TypeError):
                    f(x, y)
                continue
            got = f(x, y)
            assert got == expected and type(got) is type(expected), (x, y)
    d = dispatcher(f)
    assert d._c_keys  # some keys never entered Python after their first call
    stats = d.stats
    assert stats.calls == 3 * len(cases)
    assert sum(s.calls for s in d.cache.values()) + stats.eager_calls >= stats.calls - 3 * 2


def test_array_loop_with_union_result():
    f = pyjit.jit(norm2)
    for a in (np.arange(10.0), np.arange(10.0)[::2], np.zeros(0), np.arange(6).reshape(2, 3)[:, 0] * 1.0):
        for _ in range(2):
            got = f(a)
            assert got == norm2(a) and type(got) is type(norm2(a))
    assert dispatcher(f)._c_keys


def test_bailouts_are_counted_and_raise_in_cpython():
    f = pyjit.jit(inv_sum)
    assert f(2) == inv_sum(2)
    assert f(3) == inv_sum(3)
    for _ in range(3):
        with pytest.raises(ZeroDivisionError):
            f(10)
    assert dispatcher(f).stats.bailouts >= 3


def test_guards_checked_in_c():
    global helper
    f = pyjit.jit(scale)
    assert f(10) == scale(10)
    assert f(10) == scale(10)
    saved = helper
    helper = other_helper
    try:
        assert f(10) == scale(10) == 90.0
    finally:
        helper = saved
    assert f(10) == scale(10) == 22.5


def test_explain_times_calls_on_the_python_path():
    f = pyjit.jit(norm2)
    a = np.arange(100.0)
    f(a)
    report = pyjit.explain(f, a)
    assert report.result == norm2(a)
    assert report.regions and report.regions[0].calls >= 2
    assert not RegionDispatcher.timing


def test_threads_share_a_dispatcher():
    f = pyjit.jit(norm2)
    a = np.arange(50.0)
    expected = norm2(a)
    errors = []

    def worker():
        try:
            for _ in range(2000):
                assert f(a) == expected
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert dispatcher(f).stats.calls == 8 * 2000


def test_a_million_dispatches_leak_nothing():
    f = pyjit.jit(add)
    x, y = 1.5, 2.25
    f(x, y)
    d = dispatcher(f)
    watched = [x, y, d, f]

    def loop(n):
        for _ in range(n):
            f(x, y)

    loop(10_000)
    refs, after, grown = growth(loop, 1_000_000, watched)
    assert after == refs
    assert grown < 64 * 1024


@pytest.mark.any_version
def test_without_the_native_runtime_jit_uses_the_python_dispatcher():
    code = (
        "import sys\n"
        "sys.modules['pyjit.runtime._runtime'] = None\n"
        "import pyjit\n"
        "from pyjit.runtime.dispatcher import RegionDispatcher\n"
        "assert RegionDispatcher.__mro__[1] is object\n"
        "def total(n):\n"
        "    s = 0.0\n"
        "    for i in range(n):\n"
        "        s += i * 0.5\n"
        "    return s\n"
        "f = pyjit.jit(total)\n"
        "assert f(10) == f(10) == 22.5\n"
        "print('ok')\n")
    proc = subprocess.run([sys.executable, "-X", "dev", "-c", code], capture_output=True, text=True,
                          env={**os.environ, "PYJIT_CHECK": "1"}, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "ok"


def power3(n):
    s = 1
    for i in range(n):
        s = s * 3 + i
    return s


def test_bailout_resumes_the_loop_in_cpython():
    """Overflowing int64 bails out mid-loop: C rebuilds the range iterator and
    CPython finishes the loop with unbounded ints."""
    f = pyjit.jit(power3)
    for n in (5, 30, 60, 100, 60):
        assert f(n) == power3(n)
    assert dispatcher(f).stats.bailouts >= 2


def test_a_failed_compile_is_not_retried(monkeypatch):
    """A pyjit bug while compiling a key (here, the backend raising) runs that key
    eagerly from then on, with the error in explain: it is not compiled again,
    and logged again, on every call."""
    from pyjit.backends import llvm
    attempts = []

    def broken(graph, options=None):
        attempts.append(graph)
        raise RuntimeError("boom")
    monkeypatch.setenv("PYJIT_CHECK", "0")  # the tests' default re-raises internal errors
    monkeypatch.setattr(llvm, "compile_graph", broken)
    jf = pyjit.jit(norm2, backend="llvm")
    a = np.arange(5.0)
    assert [jf(a) for _ in range(4)] == [norm2(a)] * 4
    assert len(attempts) == 1
    report = str(pyjit.explain(jf))
    assert "PJ0010" in report and "RuntimeError: boom" in report, report
    assert dispatcher(jf).stats.eager_calls == 4
