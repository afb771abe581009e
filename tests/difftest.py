"""Differential testing: run the same function under CPython and under pyjit.

    check(fn, 1.0, np.arange(3))                 # every backend, default options
    check(fn, x, backends=("numpy",), regions=1)  # and assert the region count

Every backend runs at each of its ``LEVELS`` (numpy at O0: the reference; LLVM at
O0, O1 and O2); ``options={"level": "O2"}`` picks one.

Each run gets copies of the arguments that keep what the compiled code sees:
an array keeps its strides and offset (a view stays a view of a copy of its
base, so ``a[::2]``, ``a.T`` and negative strides reach the region as they are),
arrays that share memory still share it in the copy (aliasing), and a read-only
array stays read-only (``_copy_args``).  Compared: the result (value and
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
from numpy.lib.array_utils import byte_bounds

import pyjit

BACKENDS = ("numpy", "llvm")
# The levels each backend runs at.  The numpy backend at O0 interprets the graph
# exactly as type inference left it: the reference.  The LLVM backend runs at every
# level, so every pass (O1, O2) and every LLVM pipeline is checked against CPython.
LEVELS = {"numpy": ("O0",), "llvm": ("O0", "O1", "O2")}


def run(fn, args, kwargs):
    args, kwargs = _copy_args(args, kwargs)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            result = fn(*args, **kwargs)
            exc = None
        except Exception as e:  # the exception is part of the observed behaviour
            result, exc = None, e
    return result, exc, args, kwargs, out.getvalue()


def _copy_args(args, kwargs):
    """Copies of ``args`` and ``kwargs`` (see the module docstring): every base
    buffer once, byte for byte, and each array rebuilt over its copy."""
    bases: dict = {}   # id(owner) -> (copy of its bytes, its lowest address, owner)
    done: dict = {}    # id(value) -> its copy: the same object passed twice stays one

    def array(a):
        owner = a
        while isinstance(owner.base, np.ndarray):
            owner = owner.base
        if a.size == 0 or owner.size == 0:
            out = a.copy(order="K")
        else:
            if id(owner) not in bases:
                low, high = byte_bounds(owner)
                raw = np.empty(high - low, np.uint8)
                raw[:] = np.asarray(_Bytes(low, high - low, owner))
                bases[id(owner)] = (raw, low, owner)
            raw, low, _ = bases[id(owner)]
            start = a.__array_interface__["data"][0]
            out = np.ndarray(a.shape, a.dtype, buffer=raw, offset=start - low, strides=a.strides)
        out.flags.writeable = a.flags.writeable
        return out

    def value(x):
        if id(x) in done:
            return done[id(x)]
        if type(x) is np.ndarray:
            out = array(x)
        elif type(x) in (tuple, list):
            out = type(x)(value(v) for v in x)
        elif type(x) is dict:
            out = {k: value(v) for k, v in x.items()}
        else:
            out = copy.deepcopy(x)
        done[id(x)] = out
        return out

    return value(tuple(args)), value(dict(kwargs))


class _Bytes:
    """``np.asarray`` of it: the ``n`` bytes at ``address`` (kept alive by ``owner``)."""

    def __init__(self, address: int, n: int, owner):
        self.owner = owner
        self.__array_interface__ = {"data": (address, True), "shape": (n,), "typestr": "|u1",
                                    "version": 3}


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


def _layouts(result) -> list:
    """For each array of the result: C-contiguous, F-contiguous, writeable."""
    items = result if isinstance(result, tuple) else (result,)
    return [(a.flags.c_contiguous, a.flags.f_contiguous, a.flags.writeable)
            if isinstance(a, np.ndarray) else None for a in items]


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
        assert _layouts(g_res) == _layouts(e_res), \
            f"{where}: result memory layout {_layouts(g_res)}, CPython's {_layouts(e_res)}"
    assert same(list(g_args), list(e_args)), f"{where}: arguments after the call differ"
    assert same(g_kwargs, e_kwargs), f"{where}: keyword arguments after the call differ"
    assert g_out == e_out, f"{where}: printed {g_out!r}, CPython printed {e_out!r}"


def _describe(analysis) -> str:
    lines = [f"regions: {[(r.start, r.end, r.lines) for r in analysis.regions]}"]
    lines += [f"break: {b.reason}" for b in analysis.breaks]
    return "\n".join(lines)
