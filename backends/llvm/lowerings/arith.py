"""Lowerings of Python's operators on scalars, with CPython's and numpy's semantics.

Python ints are i64 with every overflow bailing out (CPython then computes the
big int); Python float division and modulo by zero bail out (ZeroDivisionError);
numpy integers wrap and numpy floats follow IEEE, as numpy's own loops do.
Array operands are not lowered here (the key runs on the numpy backend).
"""
from __future__ import annotations

from llvmlite import ir

from pyjit.ir.types import BOOL, FLOAT, INT, PyScalar

from .. import cgutils as cg
from ..lower import lowering
from ..reprs import F64, I1, I64, NotLowerable, scalar_kind
from .convert import cast, common_type
from .intops import numpy_shift

_TWO53 = 2.0 ** 53


def _scalar_only(node):
    for t in node.in_types:
        if scalar_kind(t) is None:
            raise NotLowerable(f"{node.op} on {t}")


def _operands(ctx, b, node, args):
    _scalar_only(node)
    ct = common_type(node.in_types)
    return ct, [cast(ctx, b, v, t, ct) for v, t in zip(args, node.in_types)]


def _is_py(t) -> bool:
    return isinstance(t, PyScalar)


def _result(ctx, b, v, ct, node):
    return cast(ctx, b, v, ct, node.out_type) if ct != node.out_type else v


@lowering("add", "iadd", "sub", "isub", "mul", "imul")
def _add_sub_mul(ctx, b, node, args):
    ct, (x, y) = _operands(ctx, b, node, args)
    base = node.op.lstrip("i") if node.op.startswith("i") else node.op
    kind = scalar_kind(ct)[0]
    if kind == "f":
        r = {"add": b.fadd, "sub": b.fsub, "mul": b.fmul}[base](x, y, flags=cg.fp_flags(ctx))
    elif ct == INT and node.guarded and base in ("add", "sub"):
        # a range loop's k + 1, an item's j + 1 or j - 1 (facts.py, Note [guarded range
        # arithmetic], Note [item offsets])
        r = (b.add if base == "add" else b.sub)(x, y, flags=("nsw",))
    elif ct == INT:
        # a deferred check sets the flag tested on exit (Note [deferred overflow checks])
        r = cg.checked(ctx, b, {"add": "sadd", "sub": "ssub", "mul": "smul"}[base], x, y,
                       deferred=node.deferred)
    elif kind == "b":
        raise NotLowerable(f"{base} on numpy bools")
    else:
        r = {"add": b.add, "sub": b.sub, "mul": b.mul}[base](x, y)
    return _result(ctx, b, r, ct, node)


@lowering("truediv", "itruediv")
def _truediv(ctx, b, node, args):
    _scalar_only(node)
    out = node.out_type
    x, y = (cast(ctx, b, v, t, out) for v, t in zip(args, node.in_types))
    if all(_is_py(t) for t in node.in_types):
        # int / int: CPython divides big ints exactly, and the quotient of the two
        # doubles is that only while both are below 2**53.  A float divided by an
        # int converts the int (PyLong_AsDouble rounds to nearest even, as sitofp
        # does) and divides the doubles: no check.
        if all(t == INT for t in node.in_types):
            for v in args:
                big = b.or_(b.icmp_signed(">", v, ir.Constant(I64, 2 ** 53)),
                            b.icmp_signed("<", v, ir.Constant(I64, -2 ** 53)))
                cg.bail_if(ctx, b, big)
        cg.bail_if(ctx, b, b.fcmp_ordered("==", y, ir.Constant(y.type, 0.0)))
    return b.fdiv(x, y, flags=cg.fp_flags(ctx))


@lowering("floordiv", "ifloordiv", "mod", "imod")
def _floordiv_mod(ctx, b, node, args):
    ct, (x, y) = _operands(ctx, b, node, args)
    want_div = "floordiv" in node.op
    kind = scalar_kind(ct)[0]
    if kind == "f":
        zero = ir.Constant(x.type, 0.0)
        if _is_py(ct):
            cg.bail_if(ctx, b, b.fcmp_ordered("==", y, zero))
            div, mod = cg.py_float_divmod(ctx, b, x, y, x.type)
        else:  # numpy's npy_divmod: the same, except b == 0 gives a/b and fmod(a, 0)
            div, mod = cg.py_float_divmod(ctx, b, x, y, x.type)
            by_zero = b.fcmp_ordered("==", y, zero)
            div = b.select(by_zero, b.fdiv(x, y), div)
            mod = b.select(by_zero, b.frem(x, y), mod)
        return _result(ctx, b, div if want_div else mod, ct, node)
    if ct == INT:
        r = cg.py_int_floordiv(ctx, b, x, y) if want_div else cg.py_int_mod(ctx, b, x, y)
        return r
    if kind == "b":
        raise NotLowerable("// on numpy bools")
    return _numpy_int_divmod(ctx, b, x, y, kind, want_div)


def _numpy_int_divmod(ctx, b, x, y, kind, want_div):
    """numpy integer // and %: division by zero gives 0, MIN // -1 wraps, and
    both raise the FPU flag numpy's loop raises (divide; overflow for //), so
    the region bails out and numpy warns (backends/llvm/fpflags.py)."""
    from .. import fpflags
    zero = ir.Constant(x.type, 0)
    fpflags.raise_flags(ctx, b, b.icmp_unsigned("==", y, zero), fpflags.DIVIDE)
    if kind != "u" and want_div:
        low = ir.Constant(x.type, -(1 << (x.type.width - 1)))
        fpflags.raise_flags(ctx, b, b.and_(b.icmp_signed("==", x, low),
                                           b.icmp_signed("==", y, ir.Constant(x.type, -1))),
                            fpflags.OVERFLOW)
    ysafe = b.select(b.icmp_unsigned("==", y, zero), ir.Constant(x.type, 1), y)
    if kind == "u":
        q, r = b.udiv(x, ysafe), b.urem(x, ysafe)
    else:
        minus1 = ir.Constant(x.type, -1)
        overflow = b.icmp_signed("==", ysafe, minus1)
        ysafe = b.select(overflow, ir.Constant(x.type, 1), ysafe)
        q0, r0 = b.sdiv(x, ysafe), b.srem(x, ysafe)
        q0 = b.select(overflow, b.neg(x), q0)
        r0 = b.select(overflow, zero, r0)
        fix = b.and_(b.icmp_signed("!=", r0, zero),
                     b.icmp_unsigned("!=", b.icmp_signed("<", r0, zero), b.icmp_signed("<", ysafe, zero)))
        q = b.select(fix, b.sub(q0, ir.Constant(x.type, 1)), q0)
        r = b.select(fix, b.add(r0, ysafe), r0)
    by_zero = b.icmp_unsigned("==", y, zero)
    return b.select(by_zero, zero, q if want_div else r)


@lowering("pow", "ipow")
def _pow(ctx, b, node, args):
    ct, (x, y) = _operands(ctx, b, node, args)
    kind = scalar_kind(ct)[0]
    if kind == "f":
        r = cg.call_math(ctx, b, "pow", [x, y], x.type)
        if _is_py(ct):
            zero = ir.Constant(x.type, 0.0)
            # 0.0 ** negative: ZeroDivisionError; negative ** fractional: complex result
            cg.bail_if(ctx, b, b.and_(b.fcmp_ordered("==", x, zero), b.fcmp_ordered("<", y, zero)))
            frac = b.fcmp_ordered("!=", cg.call_math(ctx, b, "floor", [y], x.type), y)
            finite_y = b.fcmp_ordered("<", cg.call_math(ctx, b, "fabs", [y], x.type),
                                      ir.Constant(x.type, float("inf")))
            cg.bail_if(ctx, b, b.and_(b.and_(b.fcmp_ordered("<", x, zero), frac), finite_y))
            cg.bail_if(ctx, b, _overflowed(ctx, b, r, [x, y]))
        return _result(ctx, b, r, ct, node)
    if kind == "b":
        raise NotLowerable("** on numpy bools")
    cg.bail_if(ctx, b, b.icmp_signed("<", y, ir.Constant(y.type, 0)) if kind != "u"
               else ir.Constant(I1, 0))
    return _int_pow(ctx, b, x, y, checked=(ct == INT))


def _overflowed(ctx, b, r, inputs):
    """A finite computation gave an infinity: CPython raises OverflowError."""
    inf = ir.Constant(r.type, float("inf"))
    res_inf = b.fcmp_ordered("==", cg.call_math(ctx, b, "fabs", [r], r.type), inf)
    finite = ir.Constant(I1, 1)
    for v in inputs:
        finite = b.and_(finite, b.fcmp_ordered("<", cg.call_math(ctx, b, "fabs", [v], v.type), inf))
    return b.and_(res_inf, finite)


def _int_pow(ctx, b, x, y, checked: bool):
    """Square-and-multiply; with ``checked`` every product bails out on overflow."""
    ty = x.type
    fn = ctx.fn
    pre = b.block
    loop = fn.append_basic_block("pow.loop")
    body = fn.append_basic_block("pow.body")
    done = fn.append_basic_block("pow.done")
    b.branch(loop)
    b.position_at_end(loop)
    acc = b.phi(ty)
    base = b.phi(ty)
    exp = b.phi(ty)
    acc.add_incoming(ir.Constant(ty, 1), pre)
    base.add_incoming(x, pre)
    exp.add_incoming(y, pre)
    b.cbranch(b.icmp_signed(">", exp, ir.Constant(ty, 0)), body, done)
    b.position_at_end(body)
    odd = b.trunc(exp, I1)
    mul = (lambda p, q: cg.checked(ctx, b, "smul", p, q)) if checked else b.mul
    prod = mul(acc, base)
    new_acc = b.select(odd, prod, acc)
    more = b.icmp_signed(">", exp, ir.Constant(ty, 1))
    squared = b.select(more, base, ir.Constant(ty, 1))
    new_base = mul(squared, squared)
    new_base = b.select(more, new_base, base)
    acc.add_incoming(new_acc, b.block)
    base.add_incoming(new_base, b.block)
    exp.add_incoming(b.ashr(exp, ir.Constant(ty, 1)), b.block)
    b.branch(loop)
    b.position_at_end(done)
    return acc


_CMP = {"lt": "<", "le": "<=", "eq": "==", "ne": "!=", "gt": ">", "ge": ">="}


@lowering(*_CMP)
def _compare(ctx, b, node, args):
    _scalar_only(node)
    ct = common_type(node.in_types)
    if ct == FLOAT and INT in node.in_types:
        for v, t in zip(args, node.in_types):  # CPython compares int and float exactly
            if t == INT:
                cg.bail_if(ctx, b, b.or_(b.icmp_signed(">", v, ir.Constant(I64, 2 ** 53)),
                                         b.icmp_signed("<", v, ir.Constant(I64, -2 ** 53))))
    x, y = (cast(ctx, b, v, t, ct) for v, t in zip(args, node.in_types))
    op = _CMP[node.op]
    kind = scalar_kind(ct)[0]
    if kind == "f":
        return b.fcmp_unordered(op, x, y) if op == "!=" else b.fcmp_ordered(op, x, y)
    if kind in "ub":
        return b.icmp_unsigned(op, x, y)
    return b.icmp_signed(op, x, y)


@lowering("neg")
def _neg(ctx, b, node, args):
    (t,), (x,) = node.in_types, args
    _scalar_only(node)
    if scalar_kind(t)[0] == "f":
        return b.fneg(x, flags=cg.fp_flags(ctx))
    x = cast(ctx, b, x, t, node.out_type)
    if node.out_type == INT:
        return cg.checked(ctx, b, "ssub", ir.Constant(I64, 0), x)
    return b.neg(x)


@lowering("pos")
def _pos(ctx, b, node, args):
    _scalar_only(node)
    return cast(ctx, b, args[0], node.in_types[0], node.out_type)


@lowering("invert")
def _invert(ctx, b, node, args):
    _scalar_only(node)
    t = node.in_types[0]
    if scalar_kind(node.out_type)[0] == "b":
        return b.not_(args[0])
    x = cast(ctx, b, args[0], t, node.out_type)
    return b.not_(x)


_BITWISE = {"and_": "and_", "iand": "and_", "or_": "or_", "ior": "or_", "xor": "xor", "ixor": "xor"}


@lowering(*_BITWISE)
def _bitwise(ctx, b, node, args):
    _scalar_only(node)
    out = node.out_type
    x, y = (cast(ctx, b, v, t, out) for v, t in zip(args, node.in_types))
    return getattr(b, _BITWISE[node.op])(x, y)


@lowering("lshift", "ilshift", "rshift", "irshift")
def _shift(ctx, b, node, args):
    _scalar_only(node)
    out = node.out_type
    if out != INT:   # numpy integers: the ufuncs np.left_shift / np.right_shift
        return numpy_shift(ctx, b, node, args, left="lshift" in node.op)
    x, y = (cast(ctx, b, v, t, out) for v, t in zip(args, node.in_types))
    cg.bail_if(ctx, b, b.icmp_signed("<", y, ir.Constant(I64, 0)))  # ValueError: negative shift
    if "lshift" in node.op:
        cg.bail_if(ctx, b, b.icmp_signed(">=", y, ir.Constant(I64, 63)))
        r = b.shl(x, y)
        cg.bail_if(ctx, b, b.icmp_signed("!=", b.ashr(r, y), x))  # bits lost: a big int
        return r
    big = b.icmp_signed(">=", y, ir.Constant(I64, 63))
    return b.select(big, b.ashr(x, ir.Constant(I64, 63)), b.ashr(x, b.select(big, ir.Constant(I64, 0), y)))


__all__ = ["BOOL", "F64"]
