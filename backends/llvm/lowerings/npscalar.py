"""numpy's elementwise functions whose result a native instruction gives exactly.

Each maps to the lowering of the Python operator (the arith lowerings follow
numpy's semantics when the result type is a numpy scalar), or to a correctly
rounded instruction (``sqrt``, ``floor``, ``fabs``…).  Every other ufunc calls
numpy's own inner loop (backends/llvm/ufuncs.py).
"""
from __future__ import annotations

from dataclasses import replace

from llvmlite import ir

from pyjit.ir.types import NpScalar

from .. import cgutils as cg
from ..lower import LOWERINGS, lowering
from ..reprs import NotLowerable, scalar_kind
from .convert import cast

_SAME_AS_OPERATOR = {
    "np.add": "add", "np.subtract": "sub", "np.multiply": "mul", "np.divide": "truediv",
    "np.negative": "neg", "np.positive": "pos", "np.less": "lt", "np.less_equal": "le",
    "np.equal": "eq", "np.not_equal": "ne", "np.greater": "gt", "np.greater_equal": "ge",
    "np.bitwise_and": "and_", "np.bitwise_or": "or_", "np.bitwise_xor": "xor",
}


def _alias(np_name: str, op: str):
    def lower(ctx, b, node, args):
        if not isinstance(node.out_type, NpScalar):
            raise NotLowerable(f"{np_name} with result {node.out_type}")
        return LOWERINGS[op](ctx, b, replace(node, op=op), args)
    LOWERINGS[np_name] = lower


for _np_name, _op in _SAME_AS_OPERATOR.items():
    _alias(_np_name, _op)


def _float_operand(ctx, b, node, args):
    (t,), (x,) = node.in_types, args
    out = node.out_type
    if scalar_kind(out) is None or scalar_kind(out)[0] != "f":
        raise NotLowerable(f"{node.op} with result {out}")
    return cast(ctx, b, x, t, out)


@lowering("np.sqrt", "np.floor", "np.ceil", "np.trunc", "np.rint", "np.fabs")
def _exact_unary(ctx, b, node, args):
    x = _float_operand(ctx, b, node, args)
    return cg.call_math(ctx, b, node.op.split(".")[1], [x], x.type)


@lowering("np.absolute")
def _absolute(ctx, b, node, args):
    (t,), (x,) = node.in_types, args
    kind = scalar_kind(t)
    if kind is None or not isinstance(node.out_type, NpScalar):
        raise NotLowerable(f"np.absolute of {t}")
    x = cast(ctx, b, x, t, node.out_type)
    if kind[0] == "f":
        return cg.call_math(ctx, b, "fabs", [x], x.type)
    if kind[0] in "ub":
        return x
    return b.select(b.icmp_signed("<", x, ir.Constant(x.type, 0)), b.neg(x), x)


@lowering("np.square")
def _square(ctx, b, node, args):
    (t,), (x,) = node.in_types, args
    if not isinstance(node.out_type, NpScalar) or scalar_kind(node.out_type)[0] not in "fiu":
        raise NotLowerable(f"np.square of {t}")
    x = cast(ctx, b, x, t, node.out_type)
    return b.fmul(x, x, flags=cg.fp_flags(ctx)) if scalar_kind(node.out_type)[0] == "f" else b.mul(x, x)


@lowering("np.isnan", "np.isinf", "np.isfinite")
def _classify(ctx, b, node, args):
    (t,), (x,) = node.in_types, args
    kind = scalar_kind(t)
    if kind is None:
        raise NotLowerable(f"{node.op} of {t}")
    if kind[0] != "f":
        return ir.Constant(ir.IntType(1), int(node.op == "np.isfinite"))
    inf = ir.Constant(x.type, float("inf"))
    ax = cg.call_math(ctx, b, "fabs", [x], x.type)
    if node.op == "np.isnan":
        return b.fcmp_unordered("uno", x, x)
    if node.op == "np.isinf":
        return b.fcmp_ordered("==", ax, inf)
    return b.fcmp_ordered("<", ax, inf)


@lowering("np.where")
def _where(ctx, b, node, args):
    c_t, x_t, y_t = node.in_types
    out = node.out_type
    if scalar_kind(out) is None:
        raise NotLowerable(f"np.where with result {out}")
    from .core import truth_of
    cond = truth_of(ctx, b, c_t, args[0])
    return b.select(cond, cast(ctx, b, args[1], x_t, out), cast(ctx, b, args[2], y_t, out))


@lowering("np.logical_and", "np.logical_or", "np.logical_xor", "np.logical_not")
def _logical(ctx, b, node, args):
    from .core import truth_of
    vals = [truth_of(ctx, b, t, v) for t, v in zip(node.in_types, args)]
    if node.op == "np.logical_not":
        return b.not_(vals[0])
    return {"np.logical_and": b.and_, "np.logical_or": b.or_, "np.logical_xor": b.xor}[node.op](*vals)
