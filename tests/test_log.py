"""The ``pyjit`` logger's topics: PYJIT_LOG at import, enable() at run time, and
the one-line break / recompile / bailout messages with their code and file:line."""
import logging
import os
import subprocess
import sys
import warnings

import numpy as np
import pytest

import pyjit
from pyjit import log as pjlog


@pytest.fixture
def topics(caplog):
    """Turn topics on for one test; restore the previous set afterwards."""
    before = pjlog.enabled()
    caplog.set_level(logging.DEBUG, logger="pyjit")

    def turn_on(*names):
        pjlog.enable(*names)
        return caplog

    yield turn_on
    pjlog.disable()
    pjlog.enable(",".join(before))


def _messages(caplog, topic):
    return [r.getMessage() for r in caplog.records if getattr(r, "topic", None) == topic]


def _line(fn, offset):
    return fn.__code__.co_firstlineno + offset


def print_between(a):
    b = a * 2.0
    print("between")
    return b.sum()


def indexed(a, i):
    s = 0.0
    for k in range(3):
        s += a[i]
    return s


def scaled(a, x):
    return a * x


def test_env_is_read_at_import():
    code = "import pyjit.log as l; print(sorted(l.enabled()))"
    for value, expected in [("breaks, ir", "['breaks', 'ir']"),
                            ("all", str(sorted(pjlog.TOPICS))), ("", "[]")]:
        env = dict(os.environ, PYJIT_LOG=value)
        out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True,
                             text=True, check=True)
        assert out.stdout.strip() == expected, (value, out.stdout, out.stderr)


def test_unknown_topic_warns_once():
    with pytest.warns(RuntimeWarning, match="unknown PYJIT_LOG topic 'brakes'"):
        pjlog.enable("brakes")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pjlog.enable("brakes")       # the same unknown name: no second warning
    assert "brakes" not in pjlog.enabled()


def test_enable_and_disable_at_run_time():
    before = pjlog.enabled()
    try:
        pjlog.disable()
        assert not pjlog.on("breaks")
        pjlog.enable("breaks,bailouts")
        assert pjlog.on("breaks") and pjlog.on("bailouts") and not pjlog.on("ir")
        pjlog.disable("breaks")
        assert not pjlog.on("breaks") and pjlog.on("bailouts")
    finally:
        pjlog.disable()
        pjlog.enable(",".join(before))


def test_break_is_one_line_with_code_and_location(topics):
    caplog = topics("breaks")
    pyjit.jit(print_between)
    [msg] = _messages(caplog, "breaks")
    assert "\n" not in msg
    assert f"{__file__}:{_line(print_between, 2)}: PJ0001" in msg
    assert "print" in msg


def test_type_driven_break_names_the_key(topics):
    caplog = topics("breaks")
    f = pyjit.jit(scaled)
    f(np.ones(3), 2.0)
    assert _messages(caplog, "breaks") == []
    assert f(3, "ab") == "ababab"          # a string: this key runs in CPython
    msgs = _messages(caplog, "breaks")
    assert len(msgs) == 1 and "\n" not in msgs[0]
    assert f"{__file__}:{_line(scaled, 1)}" in msgs[0] and "PJ0006" in msgs[0]
    assert "runs eagerly" in msgs[0]


def test_recompile_is_one_line_with_location(topics):
    caplog = topics("recompiles")
    f = pyjit.jit(scaled)
    f(np.ones(3), 2.0)
    f(np.ones(3, dtype=np.float32), 2.0)
    [msg] = [m for m in _messages(caplog, "recompiles") if "new specialization" in m]
    assert "\n" not in msg
    assert msg.startswith(f"{__file__}:{_line(scaled, 1)}: ")
    assert "f32[?]" in msg


def test_bailout_names_the_line_cpython_resumes_at(topics):
    caplog = topics("bailouts")
    f = pyjit.jit(indexed)      # the topic is on before the region exists: Python path
    assert f(np.ones(4), 1) == 3.0
    assert _messages(caplog, "bailouts") == []
    with pytest.raises(IndexError):
        f(np.ones(4), 7)
    [msg] = _messages(caplog, "bailouts")
    assert "\n" not in msg
    # a[i] is out of range on every trip: the bounds check is decided once before the
    # loop (backends/llvm/hoist.py), so CPython resumes at the loop, not at its body
    assert msg.startswith(f"{__file__}:{_line(indexed, 2)}: PJ0018 bailout")


def test_ir_and_bytecode_topics(topics):
    caplog = topics("ir", "bytecode")
    pyjit.jit(print_between)
    ir = _messages(caplog, "ir")
    assert len(ir) == 2                       # one graph per region
    assert "mul" in ir[0] and "graph print_between@" in ir[0]
    assert "np.sum" in ir[1] or "method" in ir[1]
    [code] = _messages(caplog, "bytecode")
    assert "rewritten print_between" in code and "LOAD_CONST" in code


def test_llvm_topic_logs_the_module(topics):
    caplog = topics("llvm")
    f = pyjit.jit(scaled, backend="llvm")
    f(np.ones(3), 2.0)
    assert any("define" in m for m in _messages(caplog, "llvm"))


def test_one_line_topics_escape_newlines(topics):
    caplog = topics("breaks")
    pjlog.log("breaks", "first %s", "line\nsecond")
    assert _messages(caplog, "breaks") == ["first line\\nsecond"]


def test_topics_off_log_nothing_but_errors(caplog):
    before = pjlog.enabled()
    caplog.set_level(logging.DEBUG, logger="pyjit")
    try:
        pjlog.disable()
        pyjit.jit(print_between)
        pjlog.log("errors", "PJ0010 something broke")
        assert [r.topic for r in caplog.records] == ["errors"]
        assert caplog.records[0].levelno == logging.WARNING
    finally:
        pjlog.enable(",".join(before))
