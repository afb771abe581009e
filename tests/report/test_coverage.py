"""Run-time coverage of ``explain``: compiled time from the dispatchers' timers,
eager time sampled per line (report/sampler.py), and the two adding up to the
wall time of the call."""
import threading

import numpy as np

import pyjit


def mixed(a, n):
    s = 0.0
    for k in range(n):                      # compiled: a numeric loop
        for i in range(a.shape[0]):
            s += a[i] * a[i]
    words = []
    for k in range(n * 4000):               # eager: lists and strings
        words.append(str(k % 97))
    joined = ",".join(words)
    return s + len(joined)


def _line(offset):
    return mixed.__code__.co_firstlineno + offset


def test_eager_time_lands_on_the_eager_lines_and_everything_adds_up(capsys):
    a = np.random.default_rng(0).standard_normal(20_000)
    pyjit.explain(mixed, a, 1)             # compile outside the measured run
    g = pyjit.jit(mixed)
    g(a, 1)
    report = pyjit.explain(g, a, 60)
    assert report.result == mixed(a, 60)
    c = report.coverage
    assert c["sampled"]
    parts = c["seconds_compiled"] + c["seconds_eager"] + c["seconds_compiling"]
    assert abs(parts - c["seconds_total"]) <= 0.05 * c["seconds_total"], c
    assert c["seconds_compiled"] > 0.0 and 0.0 < c["runtime"] < 1.0
    eager_loop = {_line(6), _line(7), _line(8)}
    on_loop = sum(s for (f, line), s in report.line_seconds.items() if line in eager_loop)
    assert on_loop >= 0.7 * sum(report.line_seconds.values()), report.line_seconds
    compiled_lines = {_line(2), _line(3), _line(4)}
    assert sum(s for (f, line), s in report.line_seconds.items() if line in compiled_lines) \
        <= 0.2 * c["seconds_compiled"]
    assert "eager time by line" in str(report)


def test_off_the_main_thread_nothing_is_sampled():
    out = {}
    a = np.ones(100)
    t = threading.Thread(target=lambda: out.setdefault("r", pyjit.explain(mixed, a, 1)))
    t.start()
    t.join()
    report = out["r"]
    assert report.result == mixed(a, 1)
    assert not report.coverage["sampled"] and report.line_seconds == {}
    assert "eager time not sampled" in str(report)


def _spin(seconds):
    import time
    t = time.perf_counter()
    n = 0
    while time.perf_counter() - t < seconds:
        n += 1
    return n


def test_the_ticker_falls_back_and_restores_handlers():
    import signal
    from pyjit.report.sampler import Sampler
    mine = lambda signum, frame: None    # noqa: E731 - someone else's handler
    s = Sampler()
    assert s.start() and s._ticker.kind == "monotonic"
    _spin(0.05)
    s.stop()
    assert s.samples >= 10 and signal.getsignal(signal.SIGRTMAX - 3) == signal.SIG_DFL
    previous = signal.signal(signal.SIGRTMAX - 3, mine)
    try:
        s = Sampler()
        assert s.start() and s._ticker.kind == "prof"       # the real-time signal is taken
        _spin(0.05)
        s.stop()
        assert s.samples >= 1 and signal.getsignal(signal.SIGPROF) == signal.SIG_DFL
        signal.signal(signal.SIGPROF, mine)
        s = Sampler()
        assert not s.start()                                 # both taken: no sampling
        s.stop()
        assert signal.getsignal(signal.SIGPROF) is mine and signal.getsignal(signal.SIGRTMAX - 3) is mine
    finally:
        signal.signal(signal.SIGRTMAX - 3, previous)
        signal.signal(signal.SIGPROF, signal.SIG_DFL)
