"""On a CPython without a bytecode table pyjit must still import and run code unchanged.

3.14 and later are simulated two ways: by switching ``table.SUPPORTED`` off in
this process, and by a fresh interpreter whose ``sys.version_info`` claims 3.14
before ``import pyjit`` (so the table module itself sees the new version).
"""
import json
import pathlib
import subprocess
import sys
import textwrap
import tomllib
import warnings

import numpy as np
import pytest

import pyjit
from pyjit import api
from pyjit.frontend.cpython import table

pytestmark = pytest.mark.any_version


def kernel(a):
    s = 0.0
    for i in range(a.shape[0]):
        s += a[i]
    return s


@pytest.fixture
def unsupported(monkeypatch):
    monkeypatch.setattr(table, "SUPPORTED", False)
    monkeypatch.setattr(api, "_warned_version", False)


def test_unsupported_version_runs_the_original_and_warns_once(unsupported):
    with pytest.warns(RuntimeWarning, match="pyjit supports CPython"):
        f = pyjit.jit(kernel)
    assert f is kernel
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        g = pyjit.jit(kernel)  # no second warning
    assert g(np.ones(3)) == 3.0


def test_import_and_explain_work_everywhere():
    report = pyjit.explain(kernel, np.ones(4))
    assert report.result == 4.0


def test_explain_on_unsupported_version(unsupported):
    with pytest.warns(RuntimeWarning):
        report = pyjit.explain(kernel, np.ones(2))
    assert report.result == 2.0 and report.graph_count == 0
    assert "no bytecode table" in report.skipped


FRESH_IMPORT_ON_3_14 = textwrap.dedent("""
    import collections, json, sys, warnings
    import numpy  # imported as on the real version
    V = collections.namedtuple("version_info", "major minor micro releaselevel serial")
    sys.version_info = V(3, 14, 0, "final", 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        import pyjit
        from pyjit.frontend.cpython import table
        assert not table.SUPPORTED and table.VERSION == (3, 14), table.VERSION

        def f(x):
            return x * 2.0

        assert pyjit.jit(f) is f
        assert pyjit.jit(level="O2")(f) is f
        report = pyjit.explain(f, 2.0)
        assert report.result == 4.0 and report.graph_count == 0
    print(json.dumps([str(w.message) for w in caught if issubclass(w.category, RuntimeWarning)]))
""")


def test_fresh_import_on_an_unknown_version(tmp_path):
    run = subprocess.run([sys.executable, "-c", FRESH_IMPORT_ON_3_14], cwd=tmp_path,
                         capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stderr
    messages = json.loads(run.stdout.strip().splitlines()[-1])
    assert len(messages) == 1, messages
    assert "pyjit supports CPython 3.11, 3.12, 3.13; this is 3.14" in messages[0]


def test_pyproject_declares_the_versions_with_a_table():
    pyproject = pathlib.Path(__file__).resolve().parents[2] / "pyproject.toml"
    project = tomllib.loads(pyproject.read_text())["project"]
    prefix = "Programming Language :: Python :: 3."
    declared = {(3, int(c[len(prefix):])) for c in project["classifiers"]
                if c.startswith(prefix) and c[len(prefix):].isdigit()}
    assert declared == set(table._TABLES)
    # No upper bound: a newer CPython installs pyjit and runs code unchanged.
    assert project["requires-python"] == ">=%d.%d" % min(table._TABLES)
