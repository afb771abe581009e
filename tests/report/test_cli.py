"""``python -m pyjit explain|run`` in a subprocess: the multi-module example's breaks
in every module at the right lines, run-time figures that add up, and the
script's exit status, argv and traceback passed through."""
import json
import os
import subprocess
import sys
import textwrap

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
EXAMPLE = os.path.join(ROOT, "examples", "simulate")


def _pyjit(*args, cwd=ROOT, env=None):
    e = dict(os.environ)
    e.pop("PYJIT_KEEP_SMALL", None)   # what a user gets
    e.update(env or {})
    return subprocess.run([sys.executable, "-m", "pyjit", *args], capture_output=True, text=True,
                          cwd=cwd, env=e, timeout=300)


def _line_of(module: str, text: str) -> int:
    with open(os.path.join(EXAMPLE, module), encoding="utf-8") as f:
        hits = [n for n, line in enumerate(f, 1) if text in line]
    assert len(hits) == 1, (module, text, hits)
    return hits[0]


@pytest.fixture(scope="module")
def explained(tmp_path_factory):
    out = tmp_path_factory.mktemp("explain")
    r = _pyjit("explain", "examples/simulate/main.py", "60", "--json", str(out / "r.json"),
               "--html", str(out / "r.html"))
    with open(out / "r.json", encoding="utf-8") as f:
        return r, json.load(f)


def test_explain_runs_the_script_and_reports_every_module(explained):
    r, report = explained
    assert r.returncode == 0, r.stderr
    assert "drift" in r.stdout and "summary" in r.stdout           # the script's own output
    files = {os.path.basename(f["filename"]) for f in report["functions"]}
    assert files == {"main.py", "physics.py", "stats.py"}
    breaks = {(os.path.basename(b["filename"]), b["lineno"], b["code"]): b
              for f in report["functions"] for b in f["graph_breaks"]}
    expected = [
        ("main.py", _line_of("main.py", 'format(history[r], ".6f")'), "PJ0001"),     # unsupported call
        ("physics.py", _line_of("physics.py", 'print("step", s)'), "PJ0001"),        # print in a loop
        ("physics.py", _line_of("physics.py", 'print("clamped", x)'), "PJ0001"),     # in an inlined helper
        ("stats.py", _line_of("stats.py", "summary = {}"), "PJ0002"),                # a dict
        ("stats.py", _line_of("stats.py", "ordered = sorted(a)"), "PJ0001"),
        ("stats.py", _line_of("stats.py", "for i in range(len(values))"), "PJ0006"),  # types: a list
    ]
    for key in expected:
        assert key in breaks, key
    assert breaks[expected[-1]]["kind"] == "type"
    inlined = [b for (f, line, code), b in breaks.items() if b["chain"] and line == expected[2][1]]
    assert inlined and inlined[0]["chain"] == ["spring_forces, line %d" % _line_of(
        "physics.py", "out[i] = clamp(-k * pos[i], limit)"), "clamp"]
    for name, line, code in expected:    # the text report lists them too
        assert f"examples/simulate/{name}:{line} [" in r.stdout, (name, line)


def test_explain_compiles_the_real_loops(explained):
    _, report = explained
    by_name = {f["function"]: f for f in report["functions"]}
    for name in ("kinetic_energy", "mean", "variance", "drift"):
        assert by_name[name]["coverage"]["bytecode"] == 1.0
        assert all(s["backend"] == "llvm" for r in by_name[name]["regions"] for s in r["specializations"])
    adv = by_name["advance"]["regions"][0]
    assert adv["compiled"] and adv["specializations"][0]["runs"] == 5 * 60


def test_explain_run_time_adds_up(explained):
    """Compiled time (the dispatchers' timers) + eager time (sampled) + pyjit's
    compiling (sampled) is the run's wall time, within 5%; the per-function and
    per-line figures add up to the totals."""
    _, report = explained
    c = report["coverage"]
    assert c["sampled"] and c["samples"] > 20
    parts = c["seconds_compiled"] + c["seconds_eager"] + c["seconds_compiling"]
    assert abs(parts - c["seconds_total"]) <= 0.05 * c["seconds_total"], c
    # compiled code runs, and is not the whole run: the share itself moves with the
    # machine's load and with how fast the compiled loops are (0.096 was seen)
    assert 0.01 < c["seconds_compiled"] / c["seconds_total"] < 0.95, c
    functions = report["functions"]
    assert sum(f["coverage"]["seconds_compiled"] for f in functions) == pytest.approx(c["seconds_compiled"])
    eager_in_functions = sum(f["coverage"]["seconds_eager"] for f in functions)
    assert eager_in_functions + c["seconds_eager_elsewhere"] == pytest.approx(c["seconds_eager"], rel=0.05)
    lines = sum(x["seconds"] for x in report["lines"])
    assert lines <= c["seconds_eager"] + 1e-9 and lines >= 0.5 * c["seconds_eager"]
    adv = {f["function"]: f for f in functions}["advance"]["coverage"]
    assert adv["seconds_compiled"] > adv["seconds_eager"]    # its loop body is compiled


def test_exit_status_argv_and_traceback(tmp_path):
    script = tmp_path / "prog.py"
    script.write_text(textwrap.dedent("""\
        import sys
        def work(n):
            s = 0
            for i in range(n):
                s += i
            return s
        print(__name__, sys.argv, work(10))
        if sys.argv[1] == "exit":
            sys.exit(int(sys.argv[2]))
        if sys.argv[1] == "raise":
            raise ValueError("boom")
        """))
    for command in ("explain", "run"):
        ok = _pyjit(command, str(script), "fine", "--x")
        assert ok.returncode == 0, ok.stderr
        assert f"__main__ ['{script}', 'fine', '--x'] 45" in ok.stdout
        assert _pyjit(command, str(script), "exit", "3").returncode == 3
        bad = _pyjit(command, str(script), "raise")
        assert bad.returncode == 1
        assert "ValueError: boom" in bad.stderr and f'File "{script}", line 11' in bad.stderr
        assert "runpy" not in bad.stderr and "cli.py" not in bad.stderr
    run = _pyjit("run", str(script), "fine")
    summary = [line for line in run.stderr.splitlines() if line.startswith("pyjit: ")]
    assert len(summary) == 1 and "exit 0" in summary[0] and "regions compiled" in summary[0]
    explain = _pyjit("explain", str(script), "exit", "4")
    assert explain.returncode == 4 and "pyjit report for work" in explain.stdout


def test_run_runs_the_example(tmp_path):
    r = _pyjit("run", "examples/simulate/main.py", "20")
    assert r.returncode == 0, r.stderr
    assert "drift" in r.stdout
    assert r.stderr.strip().splitlines()[-1].startswith("pyjit: examples/simulate/main.py exit 0")


def test_usage_errors():
    assert _pyjit("explain").returncode == 2
    assert _pyjit("frobnicate").returncode == 2
    assert _pyjit("run", "--html", "x.html", "s.py").returncode == 2
