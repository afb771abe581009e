"""Differential testing: run the same function under CPython and under pyjit.

    check(fn, 1.0, np.arange(3))                 # every backend, default options
    check(fn, x, backends=("numpy",), regions=1)  # and assert the region count

Every backend runs at each of its ``LEVELS`` (numpy at O0: the reference; LLVM at
O0, O1 and O2); ``options={"level": "O2"}`` picks one.

Each run gets deep copies of the arguments.  Compared: the result (value and
exact type, arrays by dtype, shape and contents with NaN equal to NaN and the
sign of zero kept; which arguments a returned array *is*), the arguments afterwards (in-place mutation), the exception
(type, message, and the line of the innermost traceback frame), and what was
printed.
"""
from __future__ import annotations

import contextlib
import copy
import io
import math
import traceback

import numpy as np

import pyjit

BACKENDS = ("numpy", "llvm")
# The levels each backend runs at.  The numpy backend at O0 interprets the graph
# exactly as type inference left it: the reference.  The LLVM backend runs at every
# level, so every pass (O1, O2) and every LLVM pipeline is checked against CPython.
LEVELS = {"numpy": ("O0",), "llvm": ("O0", "O1", "O2")}


def run(fn, args, kwargs):
    args, kwargs = copy.deepcopy(args), copy.deepcopy(kwargs)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            result = fn(*args, **kwargs)
            exc = None
        except Exception as e:  # the exception is part of the observed behaviour
            result, exc = None, e
    return result, exc, args, kwargs, out.getvalue()


def same(a, b) -> bool:
    """Exact equality: same type, NaN == NaN, -0.0 != 0.0, arrays elementwise."""
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.dtype.kind == "O":
            return all(same(x, y) for x, y in zip(a.ravel().tolist(), b.ravel().tolist()))
        if a.dtype.kind in "fc":
            return bool(np.all((a == b) & (np.signbit(a.real) == np.signbit(b.real))
                               | (np.isnan(a) & np.isnan(b))))
        return bool(np.array_equal(a, b))
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (float, np.floating)):
        if math.isnan(a) and math.isnan(b):
            return True
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(a, (complex, np.complexfloating)):
        return same(a.real, b.real) and same(a.imag, b.imag)
    if isinstance(a, np.generic):
        return a == b
    return a == b


def _identity(result, args) -> list:
    """For the result (or each item of a returned tuple), the index of the argument
    it *is*, or None: ``return pos, vel`` after ``pos += ...`` returns the caller's
    arrays themselves."""
    items = result if isinstance(result, tuple) else (result,)
    return [next((i for i, a in enumerate(args) if a is item), None)
            if isinstance(item, np.ndarray) else None for item in items]


def _tb_line(exc) -> int | None:
    frames = traceback.extract_tb(exc.__traceback__)
    return frames[-1].lineno if frames else None


def check(fn, *args, backends=BACKENDS, regions=None, breaks=None, options=None, **kwargs):
    """Assert that pyjit runs ``fn(*args, **kwargs)`` exactly as CPython does.

    Returns the jitted function of the last backend, for further assertions.
    """
    expected = run(fn, args, kwargs)
    jitted = None
    options = dict(options or {})
    level_asked = options.pop("level", None)
    for backend in backends:
        levels = (level_asked,) if level_asked else LEVELS[backend]
        for level in levels:
            jitted = pyjit.jit(fn, backend=backend, level=level, **options)
            got = run(jitted, args, kwargs)
            _compare(expected, got, fn, f"{backend} {level}")
        analysis = jitted.__pyjit__
        if regions is not None:
            assert len(analysis.regions) == regions, _describe(analysis)
        if breaks is not None:
            assert len(analysis.breaks) == breaks, _describe(analysis)
    return jitted


def _compare(expected, got, fn, backend):
    e_res, e_exc, e_args, e_kwargs, e_out = expected
    g_res, g_exc, g_args, g_kwargs, g_out = got
    where = f"{fn.__qualname__} on the {backend} backend"  # backend: "llvm O2"
    if e_exc is not None or g_exc is not None:
        assert type(g_exc) is type(e_exc), f"{where}: raised {g_exc!r}, CPython raised {e_exc!r}"
        assert str(g_exc) == str(e_exc), f"{where}: message {g_exc}, CPython: {e_exc}"
        assert _tb_line(g_exc) == _tb_line(e_exc), f"{where}: traceback line differs"
    else:
        assert same(g_res, e_res), f"{where}: returned {g_res!r}, CPython returned {e_res!r}"
        assert _identity(g_res, g_args) == _identity(e_res, e_args), \
            f"{where}: which arguments the result is (`is`) differs from CPython"
    assert same(list(g_args), list(e_args)), f"{where}: arguments after the call differ"
    assert same(g_kwargs, e_kwargs), f"{where}: keyword arguments after the call differ"
    assert g_out == e_out, f"{where}: printed {g_out!r}, CPython printed {e_out!r}"


def _describe(analysis) -> str:
    lines = [f"regions: {[(r.start, r.end, r.lines) for r in analysis.regions]}"]
    lines += [f"break: {b.reason}" for b in analysis.breaks]
    return "\n".join(lines)
