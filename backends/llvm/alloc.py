"""The run-time half of native allocation: what a call of compiled code that makes
arrays needs, without the lowering (kernels.py imports llvmlite.ir; a process that
only loads cached code must not pay for that).

    >>> allocated = begin_call()     # this thread's allocations from now on
    >>> _ALLOC_ADDR                  # what native code calls: (ndim, shape*, typenum) -> data
    >>> _SWEEP_ADDR                  # on loops' back edges: (n, live data pointers*) (sweep.py)

With the native runtime the allocator and the collection are C functions
(runtime/arrays.c, Note [native allocation]); without it, a ctypes callback and a
thread-local list.  Either way the arrays are numpy's own, owned by Python.
"""
from __future__ import annotations

import ctypes
import threading

import numpy as np

_tls = threading.local()
_ALLOC = ctypes.CFUNCTYPE(ctypes.c_int64, ctypes.c_int64, ctypes.POINTER(ctypes.c_int64), ctypes.c_int64)
_SWEEP = ctypes.CFUNCTYPE(None, ctypes.c_int64, ctypes.POINTER(ctypes.c_int64))
_TYPENUMS = {np.dtype(t).num: np.dtype(t) for t in (np.bool_, np.int8, np.uint8, np.int16, np.uint16,
                                                    np.int32, np.uint32, np.int64, np.uint64,
                                                    np.float32, np.float64)}


def new_array(shape, dtype):
    return np.empty(shape, dtype)


def _alloc_py(ndim, shape_ptr, typenum):
    """Called from native code (without the native runtime): a new array's data
    pointer, or 0 if numpy could not allocate it (native code then bails out;
    CPython re-runs the statement and raises the MemoryError itself).  It must
    never raise: ctypes would print the exception and hand native code a garbage
    pointer."""
    try:
        arr = new_array(tuple(shape_ptr[i] for i in range(ndim)), _TYPENUMS[typenum])
        _tls.arrays.append(arr)
        return arr.ctypes.data
    except BaseException:  # any failure becomes a bailout, never a crash
        return 0


def _sweep_py(n, keep):
    """Without the native runtime: runtime/arrays.c ``pj_sweep`` (Note [sweep]) in
    Python.  Never raises, like ``_alloc_py``."""
    try:
        ptrs = [keep[k] for k in range(n)]
        arrays = getattr(_tls, "arrays", None)
        if arrays:
            arrays[:] = [a for a in arrays
                         if any(a.ctypes.data <= p <= a.ctypes.data + a.nbytes for p in ptrs)]
    except BaseException:  # noqa: BLE001  (keeping everything is always safe)
        pass


def _begin_call_py() -> list:
    """Start collecting the arrays native code allocates in this call."""
    _tls.arrays = []
    return _tls.arrays


def _native():
    from pyjit.runtime import native
    rt = native()
    return rt if rt is not None and hasattr(rt, "alloc_address") else None


# With the native runtime, allocation and collection are C functions (Note [native
# allocation] in runtime/arrays.c): a ctypes callback costs microseconds per array.
_RT = _native()
if _RT is not None:
    _RT.set_allocator(new_array, _TYPENUMS)
    _ALLOC_ADDR = _RT.alloc_address()
    _SWEEP_ADDR = _RT.sweep_address()
    begin_call = _RT.begin_call
else:
    _alloc = _ALLOC(_alloc_py)
    _ALLOC_ADDR = ctypes.cast(_alloc, ctypes.c_void_p).value
    _sweep = _SWEEP(_sweep_py)
    _SWEEP_ADDR = ctypes.cast(_sweep, ctypes.c_void_p).value
    begin_call = _begin_call_py


def use_allocator(fn):
    """Make native code allocate its arrays with ``fn(shape, dtype)`` (tests use
    one that refuses); returns the previous allocator."""
    global new_array
    old, new_array = new_array, fn
    if _RT is not None:
        _RT.set_allocator(fn, _TYPENUMS)
    return old
