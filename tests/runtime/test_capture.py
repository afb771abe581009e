"""``pyjit.capture()``: frames starting inside the block run through the JIT.

Tests marked ``any_version`` need only the hook (the callback answers "run as
written" where there is no frontend table); the others compile real regions."""
import importlib
import sys
import threading
import traceback
import warnings

import numpy as np
import pytest

from leakcheck import growth

import pyjit
from pyjit.runtime import native

capture_module = importlib.import_module("pyjit.capture")


def total(n, step):
    s = 0.0
    for i in range(n):
        s += step * i
    return s


def nested(n):
    acc = 0.0
    for k in range(3):
        acc += total(n, 0.5 + k)
    return acc


def make_scaled(factor):
    def scaled(n):
        s = 0.0
        for i in range(n):
            s += factor * i
        return s
    return scaled


def rec(n):
    if n == 0:
        return 0.0
    s = 0.0
    for i in range(3):
        s += i * 0.5
    return s + rec(n - 1)


def divide(a, n):
    s = 0.0
    for i in range(n):
        s += a / (i - 2)
    return s


def plain(x):
    return x + 1


def gen(n):
    for i in range(n):
        yield i * 2


def replaced() -> int:
    return native().stats()["replaced"]


def test_nested_calls_compile_and_match_cpython():
    expected = nested(100)
    before = replaced()
    with pyjit.capture() as cap:
        got = nested(100)
    assert got == expected
    assert replaced() > before
    report = cap.report()
    names = [f.function for f in report.functions]
    assert "nested" in names and "total" in names
    by_name = {f.function: f for f in report.functions}
    assert by_name["total"].graph_count >= 1
    assert sum(r.calls for r in by_name["total"].regions) >= 3
    assert "total" in str(report)


def test_closures():
    f3, f5 = make_scaled(3.0), make_scaled(5.0)
    with pyjit.capture():
        assert f3(10) == 3.0 * 45
        assert f5(10) == 5.0 * 45
        assert f3(10) == 3.0 * 45


def test_recursion_under_capture():
    expected = rec(200)
    with pyjit.capture():
        assert rec(200) == expected


def test_exceptions_propagate_with_cpython_tracebacks():
    with pytest.raises(ZeroDivisionError) as plain_info:
        divide(1.0, 5)
    with pyjit.capture():
        with pytest.raises(ZeroDivisionError) as info:
            divide(1.0, 5)
    ours = traceback.extract_tb(info.value.__traceback__)[-1]
    theirs = traceback.extract_tb(plain_info.value.__traceback__)[-1]
    assert (ours.name, ours.lineno, ours.line) == (theirs.name, theirs.lineno, theirs.line)
    frame = [f for f, _ in traceback.walk_tb(info.value.__traceback__)][-1]
    assert frame.f_locals["i"] == 2 and frame.f_locals["a"] == 1.0


def test_decorator_form():
    @pyjit.capture()
    def run(n):
        return nested(n)

    assert run(50) == nested(50)
    assert isinstance(run.__pyjit_capture__, pyjit.capture)
    assert "total" in [f.function for f in run.__pyjit_capture__.report().functions]


def test_nested_captures_with_their_own_options():
    with pyjit.capture(backend="numpy") as outer:
        a = total(20, 1.0)
        with pyjit.capture(level="O2") as inner:
            b = total(20, 2.0)
        c = total(20, 3.0)
    assert (a, b, c) == (total(20, 1.0), total(20, 2.0), total(20, 3.0))
    assert [f.function for f in inner.report().functions] == ["total"]
    assert "total" in [f.function for f in outer.report().functions]


def test_jitted_functions_are_left_to_their_own_code():
    jitted = pyjit.jit(total)
    expected = total(30, 2.0)
    with pyjit.capture() as cap:
        assert jitted(30, 2.0) == expected
    assert "total" not in [f.function for f in cap.report().functions]


def test_threads_calling_captured_and_jitted_code():
    jitted = pyjit.jit(total)
    errors = []
    barrier = threading.Barrier(8)

    def worker(k):
        try:
            barrier.wait()
            for _ in range(20):
                if k % 2:
                    with pyjit.capture():
                        assert nested(40) == nested_expected
                else:
                    assert jitted(40, 1.5) == jitted_expected
        except BaseException as exc:  # reported below
            errors.append(exc)

    nested_expected, jitted_expected = nested(40), total(40, 1.5)
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert not native().hook_installed()


def test_skip_list_is_extensible(tmp_path):
    path = tmp_path / "vendor_mod.py"
    path.write_text("def work(n):\n    s = 0.0\n    for i in range(n):\n        s += i\n    return s\n")
    sys.path.insert(0, str(tmp_path))
    try:
        vendor = importlib.import_module("vendor_mod")
        pyjit.capture.skip(str(tmp_path))
        assert str(tmp_path) in " ".join(pyjit.capture.skip_list())
        with pyjit.capture() as cap:
            assert vendor.work(10) == 45.0
        assert cap.report().functions == []
    finally:
        sys.path.remove(str(tmp_path))
        capture_module._skip_prefixes.remove(capture_module._skip_prefixes[-1])
        capture_module._skip_cache.clear()


def test_arrays_under_capture():
    def norm2(a):
        s = 0.0
        for i in range(a.shape[0]):
            s += a[i] * a[i]
        return s

    a = np.linspace(0.0, 1.0, 101)
    with pyjit.capture():
        got = norm2(a)
    assert got == norm2(a)


# ---- hook-level behaviour: every CPython ---------------------------------------------

@pytest.mark.any_version
def test_nothing_is_intercepted_after_the_block():
    rt = native()
    with pyjit.capture():
        assert rt.hook_installed()
        assert plain(1) == 2
        with pyjit.capture():
            assert rt.stats()["users"] == 2
        assert rt.hook_installed()
    assert not rt.hook_installed() and rt.stats()["users"] == 0
    before = rt.stats()["intercepted"]
    plain(1)
    assert rt.stats()["intercepted"] == before


@pytest.mark.any_version
def test_exceptions_leave_the_block_unchanged():
    err = ValueError("mine")
    with pytest.raises(ValueError) as info:
        with pyjit.capture():
            raise err
    assert info.value is err
    assert not native().hook_installed()


@pytest.mark.any_version
def test_generators_run_as_written():
    with pyjit.capture() as cap:
        assert list(gen(4)) == [0, 2, 4, 6]
    assert "gen" not in [f.function for f in cap.report().functions]


@pytest.mark.any_version
def test_unknown_option_is_a_type_error():
    with pytest.raises(TypeError):
        pyjit.capture(levle="O2")


@pytest.mark.any_version
def test_without_the_native_runtime_capture_warns_once_and_runs_unchanged(monkeypatch):
    import pyjit.runtime as runtime
    monkeypatch.setitem(sys.modules, "pyjit.runtime._runtime", None)  # the import fails
    monkeypatch.setattr(runtime, "_native", runtime._NOT_LOADED)
    monkeypatch.setattr(capture_module, "_warned", set())
    assert runtime.native() is None
    with pytest.warns(RuntimeWarning, match="native runtime is not available"):
        with pyjit.capture():
            assert plain(1) == 2
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pyjit.capture() as cap:
            assert plain(1) == 2
    assert cap.report().functions == []
    jitted = pyjit.jit(total)
    assert jitted(10, 1.0) == 45.0


@pytest.mark.any_version
def test_disabled_by_environment(monkeypatch):
    monkeypatch.setenv("PYJIT_DISABLE", "1")
    with pyjit.capture():
        assert not native().hook_installed()
        assert plain(1) == 2


def test_tracing_a_captured_block():
    calls = []

    def tracer(frame, event, arg):
        if event == "call":
            calls.append(frame.f_code.co_name)
        return None

    expected = nested(30)
    old = sys.gettrace()
    sys.settrace(tracer)
    try:
        with pyjit.capture():
            got = nested(30)
    finally:
        sys.settrace(old)
    assert got == expected
    assert calls.count("total") == 3 and "nested" in calls


@pytest.mark.any_version
def test_a_million_calls_under_capture_keep_memory_flat():
    watched = [plain, plain.__code__, plain.__globals__]

    def loop(n):
        f = plain
        for i in range(n):
            f(i)

    with pyjit.capture():
        loop(100_000)
        refs, after, grown = growth(loop, 1_000_000, watched)
    assert after == refs
    assert grown < 64 * 1024
