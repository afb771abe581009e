"""Addresses of this process that native code calls, as globals filled at load.

    >>> fn = load_address(ctx, b, ("ufunc", "exp", "d->d", "function"), loop_ty.as_pointer())
    >>> table(ctx)                        # [(".addr0", ("ufunc", "exp", "d->d", "function"))]
    >>> bind("pyjit_region_3", table, engine.global_address)   # before the first call

Native code calls back into the process: numpy's allocation callback (kernels.py)
and numpy's ufunc inner loops (ufuncs.py).  Their addresses differ from one
process to the next, so code never holds them as constants (Note [address
globals]).  This module imports no LLVM until a lowering asks for a global: a
process that only loads cached code resolves and binds without it.

Note [address globals]
    Each address a module needs is a global of its own, ``@<entry>.addr<i> =
    global i8* null``, named after the module's entry function (unique in the
    process, so modules linked into one MCJIT engine never share one), and
    loaded where the code calls it.  The load carries ``!invariant.load``: the
    global is written once, before the entry first runs, and never again, so
    LLVM may hoist it out of loops and across the very calls it feeds — the
    cost on the hot path is one load per call of the region at most.

    The lowering records a *symbolic name* for each global (``("alloc",)``,
    ``("ufunc", "exp", "d->d", "function")``) in ``table(ctx)``; the disk cache
    stores that table with the object code.  Once a module is linked — compiled
    now, or loaded from the cache in another process — ``bind`` resolves every
    name in *this* process and writes the address into its global.  Fresh
    compiles and cache hits take the same path, so the cached code is the code
    that ran when it was compiled.  A name that does not resolve (a numpy whose
    loop table changed: its version is in the key, so this should not happen)
    makes loading the entry fail before anything is linked: a miss, never a
    call through a wrong address.  The code never runs before ``bind``, and
    the globals have external linkage, so LLVM cannot fold their ``null``
    initializer into the code.
"""
from __future__ import annotations

import ctypes

import numpy as np

from .slots import NotLowerable


class Unresolvable(LookupError):
    """A symbolic address that names nothing in this process."""


# ---- lowering: globals and their table -----------------------------------------------

def load_address(ctx, b, symbolic: tuple, ptr_type):
    """The address named ``symbolic``, loaded from the module's global for it
    and cast to ``ptr_type`` (Note [address globals])."""
    from llvmlite import ir
    # kept on the Lowering itself (its own attribute: lower.py need not know)
    globals_ = vars(ctx).setdefault("address_globals", {})
    if symbolic not in globals_:
        try:
            resolve(symbolic)  # a name that cannot resolve now never reaches the cache
        except Unresolvable as exc:
            raise NotLowerable(str(exc)) from None
        suffix = f".addr{len(globals_)}"
        i8p = ir.IntType(8).as_pointer()
        gv = ir.GlobalVariable(ctx.module, i8p, ctx.name + suffix)
        gv.initializer = ir.Constant(i8p, None)
        globals_[symbolic] = (suffix, gv)
    gv = globals_[symbolic][1]
    value = b.load(gv)
    value.set_metadata("invariant.load", b.module.add_metadata([]))
    return b.bitcast(value, ptr_type)


def table(ctx) -> list:
    """``[(suffix, symbolic name)]`` of the globals ``load_address`` made for
    this lowering; the global of an entry ``name`` is ``name + suffix``."""
    return [(suffix, symbolic)
            for symbolic, (suffix, _) in vars(ctx).get("address_globals", {}).items()]


def allocates(addresses: list) -> bool:
    """Whether code with this table allocates arrays through numpy's callback,
    or keeps the results of native products (the run wrapper then collects
    them: ``alloc.begin_call``)."""
    return any(tuple(symbolic) in (("alloc",), ("product",), ("sweep",)) for _, symbolic in addresses)


# ---- loading: resolve and bind ------------------------------------------------------

def bind(entry: str, addresses: list, where) -> None:
    """Write this process's address for every symbolic name into its global;
    ``where(symbol)`` is the global's own address in the linked code (0 if the
    code does not define it).  Raises ``Unresolvable``."""
    write(entry, resolve_all(addresses), where)


def resolve_all(addresses: list) -> list:
    """``[(suffix, address)]``: every name resolved, before any code is linked
    (the disk cache resolves first, so that a name that does not resolve is a
    miss with nothing linked)."""
    return [(suffix, resolve(tuple(symbolic))) for suffix, symbolic in addresses]


def write(entry: str, resolved: list, where) -> None:
    for suffix, value in resolved:
        cell = where(entry + suffix)
        if not cell:
            raise Unresolvable(f"the code defines no global {entry + suffix}")
        ctypes.c_void_p.from_address(cell).value = value


def resolve(symbolic: tuple) -> int:
    """This process's address for a symbolic name (Note [address globals])."""
    resolver = _RESOLVERS.get(symbolic[0]) if symbolic else None
    if resolver is None:
        raise Unresolvable(f"unknown address {symbolic!r}")
    return resolver(*symbolic[1:])


def _alloc() -> int:
    """numpy's allocation callback for kernels (alloc.py: no LLVM import)."""
    from . import alloc
    return alloc._ALLOC_ADDR


def _sweep() -> int:
    """The runtime's sweep of a loop's dead arrays (sweep.py, alloc.py)."""
    from . import alloc
    return alloc._SWEEP_ADDR


def _ufunc(name: str, signature: str, part: str) -> int:
    ufunc = getattr(np, name, None)
    if not isinstance(ufunc, np.ufunc) or part not in ("function", "data"):
        raise Unresolvable(f"numpy has no ufunc {name} ({part})")
    loop = _loop_at(ufunc, signature)
    if loop is None:
        raise Unresolvable(f"numpy has no loop {name} {signature}")
    return loop[0] if part == "function" else loop[1]


# The functions of native products (runtime/products.c, Note [native products]): the
# code passes an index into this tuple, so its order is part of the compiled code.
# numpy's function of that name, and ``a @= b`` (operator.imatmul: ndarray.__imatmul__).
PRODUCTS = ("matmul", "dot", "inner", "vdot", "outer", "imatmul")


def _product() -> int:
    """The native runtime's pj_product, told numpy's functions first.  Without
    the native runtime there is none: products are then not lowered."""
    import operator
    from pyjit.runtime import native
    rt = native()
    if rt is None or not hasattr(rt, "product_address"):
        raise Unresolvable("matrix products need pyjit's native runtime")
    try:  # numpy >= 2: np.errstate is a ContextVar (Note [native products])
        from numpy._core._multiarray_umath import _make_extobj
        from numpy._core._ufunc_config import _extobj_contextvar
    except ImportError:
        raise Unresolvable("matrix products need numpy >= 2 (its error state as a ContextVar)") from None

    def raising(state):
        """numpy's error state ``state`` with every action but 'ignore' made 'raise'."""
        token = _extobj_contextvar.set(state)
        try:
            return _make_extobj(**{k: "ignore" if v == "ignore" else "raise" for k, v in np.geterr().items()})
        finally:
            _extobj_contextvar.reset(token)

    rt.set_products(tuple(operator.imatmul if name == "imatmul" else getattr(np, name)
                          for name in PRODUCTS), _extobj_contextvar, raising)
    return rt.product_address()


_RESOLVERS = {"alloc": _alloc, "sweep": _sweep, "ufunc": _ufunc, "product": _product}


# ---- numpy's ufunc loop table -------------------------------------------------------
# Note [ufunc struct]
#     The loop table is read from the ``PyUFuncObject`` C struct of numpy's public
#     C API (numpy/ufuncobject.h): ``functions``, ``data``, ``ntypes``,
#     ``types``.  ``_check_layout`` verifies the field offsets against the
#     ufunc's Python-visible ``ntypes``/``nin``/``nout`` at import, and the
#     lowering is disabled if they disagree (a numpy whose struct changed).

class _UFuncStruct(ctypes.Structure):
    _fields_ = [("ob_refcnt", ctypes.c_ssize_t), ("ob_type", ctypes.c_void_p),
                ("nin", ctypes.c_int), ("nout", ctypes.c_int), ("nargs", ctypes.c_int),
                ("identity", ctypes.c_int),
                ("functions", ctypes.POINTER(ctypes.c_void_p)),
                ("data", ctypes.POINTER(ctypes.c_void_p)),
                ("ntypes", ctypes.c_int), ("reserved1", ctypes.c_int),
                ("name", ctypes.c_char_p), ("types", ctypes.POINTER(ctypes.c_char))]


def _struct(ufunc) -> _UFuncStruct | None:
    s = _UFuncStruct.from_address(id(ufunc))
    if (s.nin, s.nout, s.ntypes) != (ufunc.nin, ufunc.nout, ufunc.ntypes):
        return None
    return s


def _check_layout() -> bool:
    s = _struct(np.exp)
    return s is not None and s.name == b"exp"


_layout: list = []  # [bool], checked on first use


def loop_signature(ufunc, dtypes: tuple) -> str:
    """numpy's name for the loop over these dtypes: ``"dd->d"``."""
    chars = "".join(np.dtype(d).char for d in dtypes)
    return chars[:ufunc.nin] + "->" + chars[ufunc.nin:]


def loop_for(ufunc, dtypes: tuple):
    """``(function address, data address)`` of numpy's loop for these dtypes, or None."""
    return _loop_at(ufunc, loop_signature(ufunc, dtypes))


def _loop_at(ufunc, signature: str):
    if not _layout:
        _layout.append(_check_layout())
    if not _layout[0]:
        return None
    s = _struct(ufunc)
    if s is None:
        return None
    try:
        k = ufunc.types.index(signature)
    except ValueError:
        return None
    fn = s.functions[k]
    data = s.data[k] if s.data else None
    return (fn, data or 0) if fn else None


__all__ = ["Unresolvable", "load_address", "table", "allocates", "bind", "resolve_all", "write",
           "resolve", "loop_signature", "loop_for"]
