"""Test-wide settings: graph checks on, a private disk-cache directory, hypothesis sized for a 2-core machine,
and on a CPython without a frontend table only the version-fallback tests run."""
import os
import sys
import tempfile

os.environ.setdefault("PYJIT_CHECK", "1")
os.environ.setdefault("PYJIT_KEEP_SMALL", "1")  # exercise every region's compiled code
sys.path.insert(0, os.path.dirname(__file__))  # tests import difftest
# jit(cache=True) in tests writes to a directory of the run, never the user's ~/.cache
os.environ.setdefault("PYJIT_CACHE_DIR", tempfile.mkdtemp(prefix="pyjit-test-cache-"))

import pytest  # noqa: E402
from hypothesis import HealthCheck, settings  # noqa: E402

from pyjit.frontend.cpython import table  # noqa: E402

settings.register_profile("ci", max_examples=60, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_modifyitems(config, items):
    if table.SUPPORTED:
        return
    skip = pytest.mark.skip(reason=f"pyjit has no bytecode table for CPython {table.VERSION_TEXT} "
                                   f"(supported: {table.SUPPORTED_TEXT}); only the fallback is tested")
    for item in items:
        if "any_version" not in item.keywords:
            item.add_marker(skip)
