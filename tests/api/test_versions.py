"""On a CPython without a bytecode table pyjit must still import and run code unchanged."""
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
