"""The hook beside the rest of CPython: deep recursion, tracing, profiling,
sys.monitoring, and memory over a million captured calls (every CPython)."""
import os
import subprocess
import sys
import textwrap

import pytest

from leakcheck import growth

from conftest import serving

pytestmark = pytest.mark.any_version


def plus1(x):
    return x + 1


def plus2(x):
    return x + 2


def _run(code: str) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh ``python -X dev``: a crash fails the test instead of the run."""
    return subprocess.run([sys.executable, "-X", "dev", "-c", textwrap.dedent(code)],
                          capture_output=True, text=True, timeout=300)


DEEP = """
    import sys, threading
    import pyjit
    from pyjit.runtime import native
    rt = native()

    def down(n):
        return 0 if n == 0 else 1 + down(n - 1)

    def down2(n):
        return 0 if n == 0 else 1 + down(n - 1)

    def deep(depth):
        table = {{down: down2.__code__}} if {replace} else {{}}
        prev = rt.set_thread_callback(table.get, 7)
        rt.hook_acquire()
        try:
            down(depth)
            return "no error"
        except RecursionError:
            return "RecursionError"
        finally:
            rt.hook_release()
            rt.set_thread_callback(*prev)

    sys.setrecursionlimit(1_000_000)
    print(deep(200_000))
    out = []
    t = threading.Thread(target=lambda: out.append(deep(200_000)))
    t.start(); t.join()
    print(out[0])
    print(deep(300))       # and the thread is usable afterwards
    with pyjit.capture():
        try:
            down(200_000)
            print("no error")
        except RecursionError:
            print("RecursionError")
    print(rt.hook_installed())
"""


@pytest.mark.parametrize("replace", [True, False], ids=["replaced", "pass-through"])
def test_deep_recursion_raises_recursion_error(replace):
    """3.11 has no C stack guard and an installed hook makes every call recurse in
    C: without the runtime's own guard this segfaults (notes, section 7.5)."""
    proc = _run(DEEP.format(replace=replace))
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.split() == ["RecursionError", "RecursionError", "no", "error", "RecursionError",
                                   "False"], proc.stdout


def test_settrace_and_setprofile_see_the_replacement(rt):
    events = []

    def tracer(frame, event, arg):
        if frame.f_code.co_name in ("plus1", "plus2"):
            events.append(("trace", event, frame.f_code.co_name))
        return tracer

    def profiler(frame, event, arg):
        if frame.f_code.co_name in ("plus1", "plus2"):
            events.append(("profile", event, frame.f_code.co_name))

    old_trace, old_profile = sys.gettrace(), sys.getprofile()
    sys.settrace(tracer)
    sys.setprofile(profiler)
    try:
        with serving(rt, {plus1: plus2.__code__}):
            assert plus1(1) == 3
    finally:
        sys.settrace(old_trace)
        sys.setprofile(old_profile)
    assert ("trace", "call", "plus2") in events
    assert ("trace", "return", "plus2") in events
    assert ("profile", "call", "plus2") in events
    assert not any(name == "plus1" for _, _, name in events)


def test_tracer_installed_inside_the_capture(rt):
    seen = []

    def tracer(frame, event, arg):
        if event == "call":
            seen.append(frame.f_code.co_name)

    with serving(rt, {plus1: plus2.__code__}):
        sys.settrace(tracer)
        try:
            assert plus1(1) == 3
        finally:
            sys.settrace(None)
    assert "plus2" in seen


@pytest.mark.skipif(not hasattr(sys, "monitoring"), reason="sys.monitoring is 3.12+")
def test_sys_monitoring_sees_the_replacement(rt):
    mon = sys.monitoring
    tool = mon.PROFILER_ID if mon.get_tool(mon.PROFILER_ID) is None else 5
    starts = []
    mon.use_tool_id(tool, "pyjit-test")
    try:
        mon.register_callback(tool, mon.events.PY_START, lambda code, offset: starts.append(code.co_name))
        mon.set_events(tool, mon.events.PY_START)
        with serving(rt, {plus1: plus2.__code__}):
            assert plus1(1) == 3
        assert plus1(1) == 2
    finally:
        mon.set_events(tool, 0)
        mon.register_callback(tool, mon.events.PY_START, None)
        mon.free_tool_id(tool)
    assert "plus2" in starts and "plus1" in starts


def _rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs /proc")
@pytest.mark.parametrize("mode", ["replaced", "pass-through"])
def test_a_million_captured_calls_leak_nothing(rt, mode):
    table = {plus1: plus2.__code__} if mode == "replaced" else {}
    arg = 12345.5
    watched = [plus1, plus1.__code__, plus2.__code__, plus1.__globals__, arg]

    def loop(n):
        f = plus1
        for _ in range(n):
            f(arg)

    with serving(rt, table, record=False):
        loop(100_000)   # warm up: caches, freelists
        rss = _rss_kb()
        refs, after, grown = growth(loop, 1_000_000, watched)
    assert after == refs
    assert grown < 64 * 1024, grown
    assert _rss_kb() - rss < 4 * 1024
