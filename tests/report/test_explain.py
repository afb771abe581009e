"""explain(): regions, breaks and coverage as the issue specifies them."""
import numpy as np

import pyjit

import cases


# the same functions the golden tests explain
print_between = cases.straight_line
print_in_loop = cases.in_loop


def numeric_loop(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i] * a[i]
    return s


def _line(fn, offset):
    return fn.__code__.co_firstlineno + offset


def test_print_between_two_array_statements(capsys):
    a, b = np.linspace(0, 1, 5), np.ones(5)
    report = pyjit.explain(print_between, a, b)
    assert report.graph_count == 2
    assert len(report.graph_breaks) == 1
    brk = report.graph_breaks[0]
    assert brk.code == "PJ0001" and "print" in brk.detail
    assert brk.lineno == _line(print_between, 2)
    assert brk.filename == print_between.__code__.co_filename
    assert brk.instruction.startswith("CALL")
    assert np.array_equal(report.result, print_between(a, b))
    text = str(report)
    assert "PJ0001" in text and "regions: 2" in text


def test_print_in_loop_body_keeps_the_loop_in_python(capsys):
    a = np.arange(4.0)
    report = pyjit.explain(print_in_loop, a)
    analysis = pyjit.jit(print_in_loop).__pyjit__
    loop_line = _line(print_in_loop, 2)
    # The loop header stays eager: no region covers the `for` line ...
    assert all(not (r.lines[0] <= loop_line <= r.lines[1]) for r in analysis.regions)
    # ... while the statements before and after the print are compiled regions.
    covered = [r.lines for r in analysis.regions]
    assert (_line(print_in_loop, 3), _line(print_in_loop, 3)) in covered
    assert (_line(print_in_loop, 5), _line(print_in_loop, 5)) in covered
    assert [b.lineno for b in report.graph_breaks] == [_line(print_in_loop, 4)]
    assert report.result == print_in_loop(a)


def test_numeric_range_loop_is_one_region_without_breaks():
    report = pyjit.explain(numeric_loop, np.arange(100.0))
    assert report.graph_count == 1 and len(report.regions) == 1
    assert report.graph_breaks == []
    assert report.coverage["bytecode"] == 1.0
    assert report.result == numeric_loop(np.arange(100.0))


def test_type_driven_fallback_is_reported():
    def f(x):
        y = x * 2
        return y

    report = pyjit.explain(f, "ab")
    assert report.result == "abab"
    assert report.graph_count == 0
    assert [b.code for b in report.graph_breaks] == ["PJ0006"]
    assert report.graph_breaks[0].kind == "type"


def test_explain_on_jitted_function_uses_its_options():
    g = pyjit.jit(numeric_loop, level="O2")
    report = pyjit.explain(g, np.ones(3))
    assert report.result == 3.0
    assert g.__pyjit__.options.level == "O2"


def test_small_scalar_regions_are_left_to_cpython(monkeypatch, capsys):
    """Statements around a print inside a Python loop are too small to beat a
    dispatch: after their first call the function's code no longer has them."""
    monkeypatch.delenv("PYJIT_KEEP_SMALL", raising=False)
    g = pyjit.jit(print_in_loop)
    before = g.__code__
    a = np.arange(3.0)
    assert g(a) == print_in_loop(a)
    analysis = g.__pyjit__
    assert analysis.regions == [] and len(analysis.dropped) == 2
    assert g.__code__ is not before and g(a) == print_in_loop(a)
    report = pyjit.explain(g, a)
    assert "too small" in str(report)
