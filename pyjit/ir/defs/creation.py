"""Array creation and conversion: ``np.zeros``, ``np.arange``, ``np.full_like``,
``a.copy()``, ``a.astype(...)``, ``a.reshape(...)``, ``a.ravel()``, ...

Shapes are graph inputs: an integer gives a 1-d array, a tuple of integers an
array of that tuple's length.  ``dtype`` and ``order`` are compile-time
attributes; a dtype may be anything ``np.dtype`` accepts that names a numeric
type (``float``, ``np.float32``, ``np.dtype("i4")``, ``"f8"``).  Result dtypes
and ndims come from numpy on example values (``by_example``), so a dtype or
shape numpy rejects is a type error; negative dimensions, sizes that do not
fit and similar value errors are raised at run time (``may_raise``).

    >>> from pyjit.ir.registry import get
    >>> get("np.zeros").infer([TupleT((INT, INT))], {"order": "F"})
    f64[?,?]:F
"""
from __future__ import annotations

import numpy as np

from ..registry import TypeRuleError, defop
from ..types import INT, NONE, Array, NpScalar, PyScalar, TupleT, Type, members
from ._rules import by_example, by_example_with_none, require_int64


def _array_type(result: Type, layout: str) -> Array:
    if not isinstance(result, Array):
        raise TypeRuleError(f"result of type {result}")
    return result.with_(layout="C" if result.ndim == 0 else layout)


def like_layout(a: Type, order: str) -> str:
    """Layout of a new array shaped like ``a`` in ``order`` ('K' keeps a's memory
    order, which a strided input does not reveal; 'A' is F only for an F input)."""
    if not isinstance(a, Array) or a.ndim <= 1 or order == "C":
        return "C"
    if order == "F":
        return "F"
    if order == "A":
        return "F" if a.layout == "F" else "C"
    return a.layout


def _is_dim(t: Type) -> bool:
    # numpy takes any integer as a dimension, but not a bool (np.zeros(True) raises).
    return all(m == INT or isinstance(m, (NpScalar, Array)) and m.dtype.kind in "iu" and
               (isinstance(m, NpScalar) or m.ndim == 0) for m in members(t))


def shape_example(t: Type):
    """An example shape of type ``t`` (all ones), or TypeRuleError if ``t`` is not
    an integer or a tuple of integers."""
    if _is_dim(t):
        return 1
    if isinstance(t, TupleT) and all(_is_dim(i) for i in t.items):
        return (1,) * len(t.items)
    raise TypeRuleError(f"shape of type {t}")


def _not_py_int(t: Type) -> Type:
    """Reject a Python int where it would give the result its dtype: that dtype
    depends on the value (``np.copy(2**63)`` is a uint64 array)."""
    if t == INT:
        raise TypeRuleError("a Python int as the array operand")
    return t


# --- new arrays of a shape ---------------------------------------------------

def _declare_filled(fn, args: tuple, attrs: dict):
    op = defop(f"np.{fn.__name__}", args=args, attrs=attrs, callables=[fn], may_raise=True)

    def impl(*inputs, **params):
        require_int64(*inputs)
        return fn(*inputs, **params)

    def rule(shape, *rest, **params):
        dims = shape_example(shape)
        result = by_example(lambda *values: fn(dims, *values, **params), *rest)
        return _array_type(result, params.get("order", "C"))

    impl.__doc__ = f"numpy's {fn.__name__}; the order attribute is 'C' or 'F'."
    op(impl).type_rule(rule)


_declare_filled(np.zeros, ("shape",), {"dtype": float, "order": "C"})
_declare_filled(np.ones, ("shape",), {"dtype": float, "order": "C"})
_declare_filled(np.empty, ("shape",), {"dtype": float, "order": "C"})
# np.full's fill value may be a scalar or an array broadcast to the shape; its
# type gives the dtype when no dtype is given.
_declare_filled(np.full, ("shape", "fill_value"), {"dtype": None, "order": "C"})


@defop("np.eye", args=("N", "M?", "k?"), attrs={"dtype": float, "order": "C"},
       callables=[np.eye], may_raise=True)
def eye(N, M=None, k=None, *, dtype=float, order="C"):
    require_int64(N, M, k)
    return _eye(N, M, k, dtype=dtype, order=order)


def _eye(N, M, k, **params):
    return np.eye(N, M, 0 if k is None else k, **params)


@eye.type_rule
def _(N, M=NONE, k=NONE, *, dtype=float, order="C"):
    return _array_type(by_example_with_none(_eye, N, M, k, dtype=dtype, order=order), order)


@defop("np.identity", args=("n",), attrs={"dtype": None}, callables=[np.identity],
       may_raise=True)
def identity(n, *, dtype=None):
    return np.identity(n, dtype)


@identity.type_rule
def _(n, *, dtype=None):
    return _array_type(by_example(np.identity, n, dtype=dtype), "C")


# --- numpy float scalars -----------------------------------------------------

def _declare_float_scalar(scalar_type):
    """``np.float64(x)``, ``np.float32(x)`` of a real scalar: numpy's cast (a Python
    int through a double, as numpy converts it; a float32 overflow warns, which
    the region's FPU flags see: the op is elementwise numpy float math)."""
    name = f"np.{scalar_type.__name__}"

    def impl(x):
        return scalar_type(x)

    def rule(x):
        if not (isinstance(x, PyScalar) and x.name in ("int", "float", "bool")
                or isinstance(x, NpScalar) and x.dtype.kind in "biuf"):
            raise TypeRuleError(f"{name}() of {x}")
        return NpScalar(np.dtype(scalar_type))

    impl.__name__ = scalar_type.__name__
    defop(name, args=("x",), callables=[scalar_type], elementwise=True, may_raise=True)(impl) \
        .type_rule(rule)


for _t in (np.float64, np.float32):
    _declare_float_scalar(_t)


# --- ranges ----------------------------------------------------------------

@defop("np.arange", args=("start", "stop?", "step?"), attrs={"dtype": None},
       callables=[np.arange], may_raise=True)
def arange(start, stop=None, step=None, *, dtype=None):
    """``np.arange(n)``, ``(start, stop)``, ``(start, stop, step)``; raises for a zero
    step, a NaN bound or a range too large to allocate."""
    require_int64(start, stop, step)
    return np.arange(start, stop, step, dtype=dtype)


@arange.type_rule
def _(start, stop=NONE, step=NONE, *, dtype=None):
    # np.arange(n, None, s) is np.arange(0, n, s), as the call np.arange(n, step=s).
    return _array_type(by_example_with_none(np.arange, start, stop, step, dtype=dtype), "C")


@defop("np.linspace", args=("start", "stop", "num?"),
       attrs={"endpoint": True, "retstep": False, "dtype": None}, callables=[np.linspace],
       may_raise=True)
def linspace(start, stop, num=None, *, endpoint=True, retstep=False, dtype=None):
    """Scalar bounds only; ``num`` defaults to 50 and must not be negative."""
    return _linspace(start, stop, num, endpoint=endpoint, dtype=dtype)


def _linspace(start, stop, num, **params):
    return np.linspace(start, stop, 50 if num is None else num, **params)


@linspace.type_rule
def _(start, stop, num=NONE, *, endpoint=True, retstep=False, dtype=None):
    if retstep is not False or type(endpoint) is not bool:
        raise TypeRuleError("linspace() with retstep=True or a non-bool endpoint")
    if not all(isinstance(t, (PyScalar, NpScalar)) for t in (start, stop)):
        raise TypeRuleError("linspace() bounds must be scalars")
    return _array_type(by_example_with_none(_linspace, start, stop, num, endpoint=endpoint,
                                            dtype=dtype), "C")


# --- new arrays like another -----------------------------------------------

def _declare_like(fn, args: tuple, attrs: dict, *, name=None, callables=None, methods=(),
                  may_raise=False, dtype_required=False):
    """An op whose result is a new array shaped like its first input (a numpy
    scalar for a numpy scalar's ``astype``)."""
    name = name or f"np.{fn.__name__}"

    def impl(*inputs, **params):
        return fn(*inputs, **params)

    def rule(*types, **params):
        _not_py_int(types[0])
        params = {**attrs, **params}
        if dtype_required and params["dtype"] is None:
            raise TypeRuleError(f"{name}() needs a dtype")
        result = by_example(fn, *types, **params)
        if isinstance(result, NpScalar) and isinstance(types[0], NpScalar):
            return result
        return _array_type(result, like_layout(types[0], params.get("order", "K")))

    impl.__doc__ = f"{name}; 'K' order keeps the input's memory order."
    defop(name, args=args, attrs=attrs, callables=[fn] if callables is None else callables,
          methods=methods, may_raise=may_raise)(impl).type_rule(rule)


_declare_like(np.zeros_like, ("a",), {"dtype": None, "order": "K"})
_declare_like(np.ones_like, ("a",), {"dtype": None, "order": "K"})
_declare_like(np.empty_like, ("a",), {"dtype": None, "order": "K"})
# The fill value is cast unsafely, but a Python int out of the dtype's range raises.
_declare_like(np.full_like, ("a", "fill_value"), {"dtype": None, "order": "K"}, may_raise=True)
_declare_like(np.copy, ("a",), {"order": "K"})
# a.copy() defaults to C order where np.copy(a) keeps a's order: two ops.
_declare_like(np.ndarray.copy, ("a",), {"order": "C"}, name="array.copy", callables=(),
              methods=[("array", "copy")])
# a.astype(t) on an array, or on a numpy scalar (which gives a numpy scalar).
_declare_like(lambda a, dtype, order="K": a.astype(dtype, order=order), ("a",),
              {"dtype": None, "order": "K"}, name="array.astype", callables=(),
              methods=[("array", "astype"), ("npscalar", "astype")], dtype_required=True)


# --- reshaping ---------------------------------------------------------------

def reshaped_layout(a: Type, order: str) -> str:
    """A reshape is a view when it can be, a copy in ``order`` otherwise: only a
    contiguous input read in its own order keeps that layout for sure."""
    if not isinstance(a, Array):
        return "C"
    if order == "A":
        order = "F" if a.layout == "F" else "C"
    if order == "C":
        return "C" if a.layout == "C" else "A"
    return "F" if a.layout == "F" or a.layout == "C" and a.ndim <= 1 else "A"


@defop("array.reshape", varargs=True, methods=[("array", "reshape")], may_raise=True)
def array_reshape(a, *shape):
    """``a.reshape(3, 4)`` or ``a.reshape((3, 4))``: the receiver, then the shape
    as one tuple or as integers; raises ValueError when the sizes differ."""
    return a.reshape(*shape)


@array_reshape.type_rule
def _(a, *shape):
    if not shape or not isinstance(a, Array):
        raise TypeRuleError(f"reshape of {a}")
    dims = [shape_example(t) for t in shape]
    return _array_type(by_example(lambda x: x.reshape(*dims), a), reshaped_layout(a, "C"))


@defop("np.reshape", args=("a", "shape"), attrs={"order": "C"}, callables=[np.reshape],
       may_raise=True)
def reshape(a, shape, *, order="C"):
    return np.reshape(a, shape, order=order)


@reshape.type_rule
def _(a, shape, *, order="C"):
    dims = shape_example(shape)
    return _array_type(by_example(lambda x: np.reshape(x, dims, order=order), _not_py_int(a)),
                       reshaped_layout(a, order))


@defop("np.ravel", args=("a",), attrs={"order": "C"}, callables=[np.ravel],
       methods=[("array", "ravel")])
def ravel(a, *, order="C"):
    """A contiguous 1-d array: a view of a contiguous input, else a copy (a strided
    1-d input is copied too)."""
    return np.ravel(a, order)


@ravel.type_rule
def _(a, *, order="C"):
    return _array_type(by_example(np.ravel, _not_py_int(a), order=order), "C")


@defop("array.flatten", args=("a",), attrs={"order": "C"}, methods=[("array", "flatten")])
def flatten(a, *, order="C"):
    """Always a copy, so always contiguous."""
    return a.flatten(order)


@flatten.type_rule
def _(a, *, order="C"):
    if not isinstance(a, Array):
        raise TypeRuleError(f"flatten of {a}")
    return _array_type(by_example(lambda x: x.flatten(order), a), "C")
