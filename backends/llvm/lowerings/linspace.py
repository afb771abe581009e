"""``np.linspace(start, stop, num, endpoint=..., dtype=...)`` with scalar bounds,
bit-identical to numpy's algorithm (``numpy/_core/function_base.py``).

Note [linspace steps]
    numpy computes in the float dtype ``dt`` of the bounds (float64 here):
    ``delta = stop - start`` (each converted to ``dt`` first); ``y = arange(0,
    num)`` (exact ``i``); with ``div = num - 1`` if ``endpoint`` else ``num``:

    - ``div > 0``: ``step = delta / div``; if ``step == 0`` (``delta`` so small
      that the step underflows) ``y = y / div * delta``, else ``y = y * step``;
    - else (no items, or one with ``endpoint``): ``y = y * delta`` (so
      ``0 * inf`` is nan, ``0 * -1.0`` is ``-0.0``);

    then ``y += start``, and with ``endpoint`` and ``num > 1`` the last item is
    ``stop`` itself.  A float32 ``dtype`` casts the float64 result (a finite
    value that overflows bails out: numpy warns).  Where numpy warns — bounds
    that are not finite or too far apart (``delta`` overflows: ``|start| +
    |stop|`` is checked, a little stricter), an item that overflows — the
    region bails out and numpy computes.  Each step is one IEEE
    operation, rounded by itself, as numpy's ufunc loops do.

Not lowered: float32, float16 or complex bounds (numpy then computes in that
dtype, with NEP 50 rules for the other bound), integer ``dtype`` (numpy floors
and casts), ``retstep=True`` (a type error already).
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from pyjit.ir.types import NONE, NpScalar, PyScalar

from .. import cgutils as cg
from ..lower import lowering
from ..reprs import F64, I64, NotLowerable, llvm_type, scalar_kind
from .casting import convert_element
from .convert import cast
from .creation import _c_result, _dim, _new

_F64 = NpScalar(np.dtype("f8"))


def _bound(ctx, b, v, t):
    """A bound as numpy's float64 ``dt`` sees it (``np.subtract(..., dtype=float64)``)."""
    kind = scalar_kind(t)
    if kind is None or not isinstance(t, (PyScalar, NpScalar)) or kind[0] not in "biuf" or \
            kind[0] == "f" and kind[1] != 64:
        raise NotLowerable(f"linspace bound of type {t}")
    return cast(ctx, b, v, t, _F64)


@lowering("np.linspace")
def _linspace(ctx, b, node, args):
    from ..kernels import _loop_nest
    out_t = _c_result(node.out_type)
    if out_t.ndim != 1 or out_t.dtype.kind != "f":
        raise NotLowerable(f"linspace to {out_t}")
    out_elem = NpScalar(out_t.dtype)
    elem = llvm_type(out_elem)
    endpoint = node.attrs.get("endpoint", True)
    start = _bound(ctx, b, args[0], node.in_types[0])
    stop = _bound(ctx, b, args[1], node.in_types[1])
    if len(node.in_types) > 2 and node.in_types[2] != NONE:
        num = _dim(ctx, b, args[2], node.in_types[2])  # a negative num bails out: ValueError
    else:
        num = ir.Constant(I64, 50)
    one = ir.Constant(I64, 1)
    div = b.sub(num, one) if endpoint else num
    divf = b.sitofp(div, F64)
    delta = b.fsub(stop, start)
    step = b.fdiv(delta, divf)
    inf = ir.Constant(F64, float("inf"))

    def infinite(bb, v):
        return bb.fcmp_ordered("==", cg.call_math(ctx, bb, "fabs", [v]), inf)

    # numpy warns on an infinite or nan ``delta`` (0 * inf) and on overflow: bail out
    cg.bail_if(ctx, b, b.not_(b.fcmp_ordered("<", b.fadd(cg.call_math(ctx, b, "fabs", [start]),
                                                         cg.call_math(ctx, b, "fabs", [stop])),
                                             inf)))
    arr = _new(ctx, b, [num], out_t)
    base = b.bitcast(b.extract_value(arr, 0), elem.as_pointer())

    def fill(item):
        def body(bb, idx):
            y = bb.fadd(item(bb, bb.sitofp(idx[0], F64)), start)
            cg.bail_if(ctx, bb, infinite(bb, y))
            bb.store(convert_element(ctx, bb, y, _F64, out_elem), bb.gep(base, [idx[0]]))
        _loop_nest(ctx, b, [num], 0, [], body)

    positive = b.icmp_signed(">", div, ir.Constant(I64, 0))
    step_zero = b.fcmp_ordered("==", step, ir.Constant(F64, 0.0))
    with b.if_else(positive) as (then, otherwise):
        with then:
            with b.if_else(step_zero) as (tiny, usual):
                with tiny:
                    fill(lambda bb, i: bb.fmul(bb.fdiv(i, divf), delta))
                with usual:
                    fill(lambda bb, i: bb.fmul(i, step))
        with otherwise:
            fill(lambda bb, i: bb.fmul(i, delta))
    if endpoint:
        with b.if_then(b.icmp_signed(">", num, one)):
            b.store(convert_element(ctx, b, stop, _F64, out_elem),
                    b.gep(base, [b.sub(num, one)]))
    return arr
