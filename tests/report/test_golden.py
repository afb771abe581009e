"""Golden texts and JSON of explain reports: breaks in straight-line code, inside
loops, inside inlined helpers, type-driven fallbacks, and a recompile with
bailouts.

Time figures are left out (``format(timings=False)``, ``to_dict(timings=False)``),
paths are relative to this directory.  ``PYJIT_UPDATE_GOLDEN=1`` rewrites the
goldens: ``golden/<case>.txt|json`` from CPython 3.11, and a version's own
``golden/<case>.py3XX.txt|json`` only where that version differs.  Where they
differ it is the bytecode's doing: the share of bytecode in regions (the
versions count different instructions: 41% on 3.11, 45% on 3.12 for ``in_loop``),
instruction names in break and bailout records (3.13's ``LOAD_FAST_LOAD_FAST``),
and exit targets in printed graphs (instruction indices); lines, codes, regions,
specializations and counts are the same on every version.
"""
import json
import os
import sys

import numpy as np
import pytest

import pyjit

import cases

HERE = os.path.dirname(os.path.abspath(__file__))
GOLDEN = os.path.join(HERE, "golden")
VERSION = "py%d%d" % sys.version_info[:2]
REFERENCE = "py311"


def _explain_recompile():
    g = pyjit.jit(cases.grow)
    g(3, 2)          # key (int, int)
    g(3, 2.0)        # key (int, float): a recompile
    return pyjit.explain(g, 70, 2)   # 2**70 leaves 64 bits: bailouts


CASES = {
    "straight_line": lambda: pyjit.explain(cases.straight_line, np.linspace(0, 1, 5), np.ones(5)),
    "in_loop": lambda: pyjit.explain(cases.in_loop, np.arange(3.0)),
    "inlined_helper": lambda: pyjit.explain(cases.inlined_helper, np.arange(4.0)),
    "type_fallback": lambda: pyjit.explain(cases.scale, [1.0, 2.0, 3.0], 2.0),
    "recompile_bailout": _explain_recompile,
}


def _paths(text: str) -> str:
    return text.replace(HERE + os.sep, "").replace(HERE, ".")


def _check(name: str, ext: str, actual: str) -> None:
    own = os.path.join(GOLDEN, f"{name}.{VERSION}.{ext}")
    base = os.path.join(GOLDEN, f"{name}.{ext}")
    if os.environ.get("PYJIT_UPDATE_GOLDEN") == "1":
        if VERSION == REFERENCE:
            target = base
        else:
            with open(base, encoding="utf-8") as f:
                target = None if f.read() == actual else own
            if target is None and os.path.exists(own):
                os.remove(own)
        if target is not None:
            with open(target, "w", encoding="utf-8") as f:
                f.write(actual)
    path = own if os.path.exists(own) else base
    with open(path, encoding="utf-8") as f:
        expected = f.read()
    assert actual == expected, f"{name}: report differs from {os.path.relpath(path)} " \
                               "(PYJIT_UPDATE_GOLDEN=1 rewrites it after a deliberate change)"


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_report(name, monkeypatch, capsys):
    monkeypatch.chdir(HERE)   # the text shows paths relative to the working directory
    report = CASES[name]()
    capsys.readouterr()
    _check(name, "txt", _paths(report.format(timings=False)) + "\n")
    d = report.to_dict(timings=False)
    json.dumps(report.to_dict())    # the full dict, timings included, is JSON too
    _check(name, "json", _paths(json.dumps(d, indent=1, sort_keys=True)) + "\n")


def test_goldens_show_what_they_are_about():
    """The goldens are not just any output: each holds the facts its case is about."""
    def load(name):
        with open(os.path.join(GOLDEN, f"{name}.json"), encoding="utf-8") as f:
            return json.load(f)
    straight = load("straight_line")
    assert [(b["code"], b["lineno"]) for b in straight["graph_breaks"]] == [("PJ0001", 10)]
    loop = load("in_loop")
    assert [(b["code"], b["lineno"]) for b in loop["graph_breaks"]] == [("PJ0001", 19)]
    inl = load("inlined_helper")
    assert [(b["lineno"], b["chain"]) for b in inl["graph_breaks"]] == [(25, ["inlined_helper, line 33", "shout"])]
    typed = load("type_fallback")
    assert [(b["code"], b["kind"]) for b in typed["graph_breaks"]] == [("PJ0006", "type")]
    rb = load("recompile_bailout")
    assert rb["recompiles"][0]["changed"] == ["x: int -> float"]
    assert rb["bailouts"][0]["line"] == 45 and rb["bailouts"][0]["count"] >= 1
    assert "deferred" in rb["bailouts"][0]["checks"][-1]  # the overflow of total * x
