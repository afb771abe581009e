"""numpy's integer ufuncs: ``np.invert``, ``np.left_shift``, ``np.right_shift``,
``np.gcd``, ``np.lcm`` — on numpy (and Python) scalars, so also per element in
fused kernels.

Operands are cast to the result dtype the type rule gives (numpy's loop dtype:
``int8 << uint8`` runs the int16 loop; a Python int that does not fit a numpy
operand's dtype bails out, NEP 50's OverflowError).  Arithmetic wraps as numpy's
C loops do.  Float operands have no loop (a TypeError in numpy, a type error
here); bool operands of the shifts and ``gcd`` run the int8 loop.

Note [numpy shift counts]
    numpy's ``npy_lshift``/``npy_rshift`` (npymath) test ``(size_t)b < bits``:
    a count of the type's width or more, or a negative one (huge as size_t),
    gives 0 for ``<<`` and for ``>>`` of a non-negative value, -1 for ``>>``
    of a negative one — never C's undefined shift.  An unsigned ``<`` against
    the width in the operand's own type is the same test (a negative count of
    a narrow type is as huge as its ``size_t``: only its non-negativity
    matters).
"""
from __future__ import annotations

from llvmlite import ir

from pyjit.ir.types import NpScalar

from ..lower import lowering
from ..reprs import NotLowerable, scalar_kind
from .convert import cast


def _int_result(node) -> str:
    """The result's kind ('i', 'u', or 'b' for invert) after checking the operands."""
    out = node.out_type
    kind = scalar_kind(out)
    if not isinstance(out, NpScalar) or kind is None or kind[0] not in "iub":
        raise NotLowerable(f"{node.op} with result {out}")
    for t in node.in_types:
        if scalar_kind(t) is None:
            raise NotLowerable(f"{node.op} of {t}")
    return kind[0]


def _operands(ctx, b, node, args):
    return [cast(ctx, b, v, t, node.out_type) for v, t in zip(args, node.in_types)]


@lowering("np.invert")
def _invert(ctx, b, node, args):
    """``~x``: bitwise not; of a bool, logical not (numpy's ``?->?`` loop)."""
    _int_result(node)
    (x,) = _operands(ctx, b, node, args)
    return b.not_(x)


@lowering("np.left_shift", "np.right_shift")
def _shift(ctx, b, node, args):
    return numpy_shift(ctx, b, node, args, left=node.op == "np.left_shift")


def numpy_shift(ctx, b, node, args, left: bool):
    """Shifts with numpy's out-of-range counts (Note [numpy shift counts]); also
    the operators ``<<`` and ``>>`` on numpy integers (arith.py), which are these
    ufuncs."""
    kind = _int_result(node)
    if kind == "b":
        raise NotLowerable(f"{node.op} with a bool result")
    x, y = _operands(ctx, b, node, args)
    ty = x.type
    width = ir.Constant(ty, ty.width)
    zero = ir.Constant(ty, 0)
    in_range = b.icmp_unsigned("<", y, width)
    count = b.select(in_range, y, zero)  # an LLVM shift by >= width is poison
    if left:
        return b.select(in_range, b.shl(x, count), zero)
    if kind == "u":
        return b.select(in_range, b.lshr(x, count), zero)
    # arithmetic shift by width - 1 is the sign fill: -1 for a negative x, else 0
    return b.select(in_range, b.ashr(x, count), b.ashr(x, ir.Constant(ty, ty.width - 1)))


def _unsigned_abs(b, x, kind):
    """``a < 0 ? -a : a`` as numpy's signed gcd computes it before its unsigned
    Euclid: the minimum negates to itself, which as unsigned is 2**(bits-1)."""
    if kind == "u":
        return x
    return b.select(b.icmp_signed("<", x, ir.Constant(x.type, 0)), b.neg(x), x)


def _gcd_unsigned(ctx, b, x, y):
    """numpy's ``npy_gcdu``: ``while (a != 0) { c = a; a = b % a; b = c; } return b``."""
    ty = x.type
    pre = b.block
    head = ctx.fn.append_basic_block("gcd.head")
    body = ctx.fn.append_basic_block("gcd.body")
    done = ctx.fn.append_basic_block("gcd.done")
    b.branch(head)
    b.position_at_end(head)
    a = b.phi(ty)
    c = b.phi(ty)
    a.add_incoming(x, pre)
    c.add_incoming(y, pre)
    b.cbranch(b.icmp_unsigned("!=", a, ir.Constant(ty, 0)), body, done)
    b.position_at_end(body)
    a.add_incoming(b.urem(c, a), body)
    c.add_incoming(a, body)
    b.branch(head)
    b.position_at_end(done)
    return c


@lowering("np.gcd", "np.lcm")
def _gcd_lcm(ctx, b, node, args):
    """numpy's ``npy_gcd``/``npy_lcm``: Euclid on the unsigned magnitudes;
    ``lcm = gcd == 0 ? 0 : a / gcd * b``, wrapping.  numpy computes narrow
    types in C ``int``/``unsigned`` and truncates: the same bits as computing
    in the type's own width, which is what this does."""
    kind = _int_result(node)
    if kind == "b":
        raise NotLowerable(f"{node.op} with a bool result")
    x, y = (_unsigned_abs(b, v, kind) for v in _operands(ctx, b, node, args))
    g = _gcd_unsigned(ctx, b, x, y)
    if node.op == "np.gcd":
        return g
    zero = ir.Constant(g.type, 0)
    is_zero = b.icmp_unsigned("==", g, zero)
    safe = b.select(is_zero, ir.Constant(g.type, 1), g)
    return b.select(is_zero, zero, b.mul(b.udiv(x, safe), y))
