"""Fixtures of the runtime tests: the native module, and a raw capture that serves
hand-written replacement code through the hook (no frontend needed, so these
tests run on every CPython)."""
import contextlib
import itertools

import pytest

from pyjit.runtime import native

_epochs = itertools.count(10_000_000)


@pytest.fixture
def rt():
    module = native()
    if module is None:
        pytest.fail("the native runtime is not built: `pip install -e .` should build it")
    yield module
    assert module.stats()["users"] == 0, "a test left a capture active"
    assert not module.hook_installed(), "a test left the hook installed"


@contextlib.contextmanager
def serving(rt, table, record=True):
    """Run the block with the hook asking ``table.get(function)`` for each frame's
    replacement code (a code object, or None to run the function as written).
    Yields the list of functions asked about (kept alive) when ``record``."""
    seen = []

    def callback(fn):
        if record:
            seen.append(fn)
        return table.get(fn)

    previous = rt.set_thread_callback(callback, next(_epochs))
    rt.hook_acquire()
    try:
        yield seen
    finally:
        rt.hook_release()
        rt.set_thread_callback(*previous)
