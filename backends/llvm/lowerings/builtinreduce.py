"""``min(a)``, ``max(a)`` and ``sum(a[, start])`` of a 1-d array: Python's own
loops over its items, numpy scalars (Note [builtins over arrays] in
pyjit/ir/defs/builtins.py).

Native code leaves to CPython where Python's loop would not give the numpy
scalar computed here: an empty array (``sum`` returns ``start`` itself,
``min``/``max`` raise ValueError), an integer sum that overflows (numpy warns
"overflow encountered in scalar add" and wraps), a float sum that is NaN (which
NaN depends on the operand order numpy's C code was compiled with), and a float
``min``/``max`` over a NaN or whose zero could be either zero (reductions.py,
``_float_extreme``).  A float sum that overflows raises the FPU's flag, which
sends the region back through its checkpoint (fpflags.py), so numpy warns.
"""
from __future__ import annotations

from llvmlite import ir

from pyjit.ir.types import NONE, Array, NpScalar

from .. import cgutils as cg
from ..lower import LOWERINGS, lowering
from ..reprs import I1, NotLowerable, llvm_type, scalar_kind
from .convert import cast
from .reductions import _ONE, _ZERO, _better, _flat, _float_extreme, _load, counted_loop

_of_arguments = LOWERINGS["min"]  # core.py: min/max of several arguments


@lowering("min", "max")
def _min_max(ctx, b, node, args):
    """Python's ``max(a)``: the first item until a later one is strictly greater."""
    if len(args) != 1 or not isinstance(node.in_types[0], Array):
        return _of_arguments(ctx, b, node, args)
    data, n, stride, kind, t = _flat(ctx, b, node, args)
    cg.bail_if(ctx, b, b.icmp_signed("==", n, _ZERO))  # ValueError: an empty sequence
    op = "<" if node.op == "min" else ">"
    first = _load(b, data, _ZERO, stride, t)
    if kind[0] == "f":  # a NaN anywhere, or an extreme of both zeros, bails out
        return _float_extreme(ctx, b, op, data, n, stride, t, first)

    def step(b, i, acc):
        x = _load(b, data, i, stride, t)
        return [b.select(_better(b, kind, op, x, acc[0]), x, acc[0])]
    (best,) = counted_loop(ctx, b, _ONE, n, [first], step)
    return best


@lowering("sum")
def _sum(ctx, b, node, args):
    """``((start + a[0]) + a[1]) + ...`` in order, each ``+`` numpy's on scalars."""
    data, n, stride, kind, t = _flat(ctx, b, node, args)
    out = node.out_type
    ty, (okind, bits) = llvm_type(out), scalar_kind(out)
    given = len(args) > 1 and node.in_types[1] != NONE
    if not (given and node.in_types[1] == out):
        cg.bail_if(ctx, b, b.icmp_signed("==", n, _ZERO))  # the sum is start, a Python scalar
    if given:
        start = cast(ctx, b, args[1], node.in_types[1], out)
    else:
        start = ir.Constant(ty, 0.0 if okind == "f" else 0)
    item = NpScalar(t.dtype)

    def step(b, i, acc):
        x = cast(ctx, b, _load(b, data, i, stride, t), item, out)
        return [_add(ctx, b, okind, bits, acc[0], x)]
    (total,) = counted_loop(ctx, b, _ZERO, n, [start], step)
    if okind == "f":
        cg.bail_if(ctx, b, b.fcmp_unordered("uno", total, total))
    return total


def _add(ctx, b, kind: str, bits: int, x, y):
    if kind == "f":
        return b.fadd(x, y, flags=cg.fp_flags(ctx))
    if kind not in "iu":
        raise NotLowerable(f"sum giving {kind}{bits}")
    ity = ir.IntType(bits)
    name = "sadd" if kind == "i" else "uadd"
    fn = ctx.intrinsic(f"llvm.{name}.with.overflow.i{bits}", ir.LiteralStructType([ity, I1]), [ity, ity])
    r = b.call(fn, [x, y])
    cg.bail_if(ctx, b, b.extract_value(r, 1))  # numpy warns and wraps: CPython runs the statement
    return b.extract_value(r, 0)
