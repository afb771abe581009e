"""Lowerings of the frontend's own ops: literals, tuples, truth, ``range``, ``len``,
unbound checks, builtins on scalars."""
from __future__ import annotations

from llvmlite import ir

from pyjit.ir.types import (BOOL, FLOAT, INT, NONE, UNBOUND, UNDEF, Array, Const, NpScalar,
                            PyScalar, TupleT, UnionT, members)

from .. import cgutils as cg
from ..facts import const_value
from ..lower import lowering
from ..reprs import I1, I64, NotLowerable, llvm_type, scalar_kind
from .convert import cast


@lowering("const")
def _const(ctx, b, node, args):
    return constant(node.out_type, node.attrs["value"])


def constant(t, value):
    ty = llvm_type(t)
    if ty is None:
        return None
    if t == UNDEF or value is UNBOUND:
        return ir.Constant(ty, 0)
    if isinstance(t, TupleT):
        return ir.Constant(ty, [constant(i, v) for i, v in zip(t.items, value)])
    kind = scalar_kind(t)
    if kind is None:
        raise NotLowerable(f"constant of type {t}")
    if kind[0] == "f":
        return ir.Constant(ty, float(value))
    v = int(value)
    if t == INT and not -2 ** 63 <= v < 2 ** 63:
        raise NotLowerable("an int literal beyond 64 bits")
    return ir.Constant(ty, v)


@lowering("build_tuple")
def _build_tuple(ctx, b, node, args):
    ty = llvm_type(node.out_type)
    s = ir.Constant(ty, ir.Undefined)
    for i, v in enumerate(args):
        s = b.insert_value(s, v, i)
    return s


@lowering("tuple_get")
def _tuple_get(ctx, b, node, args):
    t = node.in_types[0]
    i = node.attrs["index"] % len(t.items)
    return b.extract_value(args[0], i) if llvm_type(t.items[i]) is not None else None


@lowering("unpack_check")
def _unpack_check(ctx, b, node, args):
    return None  # the type rule already proved the arity


def truth_of(ctx, b, t, v):
    kind = scalar_kind(t)
    if kind is not None:
        if kind[0] == "f":
            return b.fcmp_unordered("!=", v, ir.Constant(v.type, 0.0))
        if kind[0] == "b":
            return v
        return b.icmp_unsigned("!=", v, ir.Constant(v.type, 0))
    if t == NONE:
        return ir.Constant(I1, 0)
    if isinstance(t, TupleT):
        return ir.Constant(I1, int(bool(t.items)))
    raise NotLowerable(f"truth of {t}")


@lowering("truth", "bool")
def _truth(ctx, b, node, args):
    return truth_of(ctx, b, node.in_types[0], args[0])


@lowering("not_")
def _not(ctx, b, node, args):
    return b.not_(truth_of(ctx, b, node.in_types[0], args[0]))


@lowering("is_", "is_not")
def _is(ctx, b, node, args):
    a, c = node.in_types
    same = (a.value is c.value) if isinstance(a, Const) and isinstance(c, Const) else a == c
    return ir.Constant(I1, int(same == (node.op == "is_")))


@lowering("check_bound")
def _check_bound(ctx, b, node, args):
    (t,), (v,) = node.in_types, args
    if not isinstance(t, UnionT):
        return v
    ms = members(t)
    cg.bail_if(ctx, b, b.icmp_unsigned("==", b.extract_value(v, 1), ir.Constant(ir.IntType(8), ms.index(UNDEF))))
    out = node.out_type
    if isinstance(out, UnionT):
        return _narrow(ctx, b, v, t, out)
    return b.extract_value(v, 0)


def _narrow(ctx, b, v, src, dst):
    src_m, dst_m = members(src), members(dst)
    tag = b.extract_value(v, 1)
    new_tag = ir.Constant(ir.IntType(8), 0)
    for i, m in enumerate(src_m):
        if m in dst_m:
            new_tag = b.select(b.icmp_unsigned("==", tag, ir.Constant(ir.IntType(8), i)),
                               ir.Constant(ir.IntType(8), dst_m.index(m)), new_tag)
    s = b.insert_value(ir.Constant(llvm_type(dst), ir.Undefined), b.extract_value(v, 0), 0)
    return b.insert_value(s, new_tag, 1)


def _as_i64(ctx, b, v, t):
    return cast(ctx, b, v, t, INT) if t != INT else v


@lowering("range_len")
def _range_len(ctx, b, node, args):
    start, stop, step = (_as_i64(ctx, b, v, t) for v, t in zip(args, node.in_types))
    zero = ir.Constant(I64, 0)
    cg.bail_if(ctx, b, b.icmp_signed("==", step, zero))  # ValueError: range() arg 3 must not be zero
    up = b.icmp_signed(">", step, zero)
    lo = b.select(up, start, stop)
    hi = b.select(up, stop, start)
    span = b.select(up, step, b.sub(zero, step))
    nonempty = b.icmp_signed("<", lo, hi)
    # (hi - lo - 1) / |step| + 1 in unsigned arithmetic, as CPython's range does
    diff = b.sub(b.sub(hi, lo), ir.Constant(I64, 1))
    n = b.add(b.udiv(diff, span), ir.Constant(I64, 1))
    cg.bail_if(ctx, b, b.and_(nonempty, b.icmp_signed("<", n, zero)))
    return b.select(nonempty, n, zero)


@lowering("range_item")
def _range_item(ctx, b, node, args):
    start, step, k = (_as_i64(ctx, b, v, t) for v, t in zip(args, node.in_types))
    if node.guarded:  # the item lies between start and stop (Note [guarded range arithmetic])
        unit = const_value(ctx.producers, node.inputs[1]) == 1
        return b.add(start, k if unit else b.mul(k, step), flags=("nsw",) if unit else ())
    return cg.checked(ctx, b, "sadd", start, cg.checked(ctx, b, "smul", k, step))


@lowering("len")
def _len(ctx, b, node, args):
    t = node.in_types[0]
    if isinstance(t, Array):
        return b.extract_value(args[0], [1, 0])
    if isinstance(t, TupleT):
        return ir.Constant(I64, len(t.items))
    raise NotLowerable(f"len of {t}")


# ---- builtins on scalars -------------------------------------------------------------

@lowering("abs")
def _abs(ctx, b, node, args):
    (t,), (x,) = node.in_types, args
    kind = scalar_kind(t)
    if kind is None:
        raise NotLowerable(f"abs of {t}")
    if kind[0] == "f":
        return cg.call_math(ctx, b, "fabs", [x], x.type)
    x = cast(ctx, b, x, t, node.out_type)
    if kind[0] in "ub":
        return x
    neg = b.icmp_signed("<", x, ir.Constant(x.type, 0))
    if node.out_type == INT:
        return b.select(neg, cg.checked(ctx, b, "ssub", ir.Constant(I64, 0), x), x)
    return b.select(neg, b.neg(x), x)


@lowering("min", "max")
def _min_max(ctx, b, node, args):
    """The first argument unless a later one is strictly smaller (larger), as
    CPython's ``min``/``max``.  A union result (``max(0.0, x)``, float and f64)
    carries the tag of the argument that won: each argument is converted to the
    union and the tag is selected with the value."""
    out = node.out_type
    if isinstance(out, UnionT):
        unions = [ctx.convert(b, v, t, out) for v, t in zip(args, node.in_types)]
        values = [b.extract_value(u, 0) for u in unions]
        tags = [b.extract_value(u, 1) for u in unions]
        kind = scalar_kind(members(out)[0])
    else:
        values, tags, kind = list(args), None, scalar_kind(node.in_types[0])
    if kind is None:
        raise NotLowerable(f"{node.op} of {node.in_types}")
    op = "<" if node.op == "min" else ">"
    acc, tag = values[0], tags[0] if tags else None
    for i, v in enumerate(values[1:], 1):
        if kind[0] == "f":
            better = b.fcmp_ordered(op, v, acc)
        elif kind[0] in "ub":
            better = b.icmp_unsigned(op, v, acc)
        else:
            better = b.icmp_signed(op, v, acc)
        acc = b.select(better, v, acc)
        if tags:
            tag = b.select(better, tags[i], tag)
    if not tags:
        return acc
    s = b.insert_value(ir.Constant(llvm_type(out), ir.Undefined), acc, 0)
    return b.insert_value(s, tag, 1)


@lowering("float")
def _float(ctx, b, node, args):
    t = node.in_types[0]
    if scalar_kind(t) is None:
        raise NotLowerable(f"float of {t}")
    return cast(ctx, b, args[0], t, FLOAT)


@lowering("int")
def _int(ctx, b, node, args):
    (t,), (x,) = node.in_types, args
    kind = scalar_kind(t)
    if kind is None:
        raise NotLowerable(f"int of {t}")
    if kind[0] == "f":
        x = b.fpext(x, ir.DoubleType()) if x.type != ir.DoubleType() else x
        limit = ir.Constant(x.type, 2.0 ** 63)
        ax = cg.call_math(ctx, b, "fabs", [x])
        cg.bail_if(ctx, b, b.not_(b.fcmp_ordered("<", ax, limit)))  # nan, inf, beyond 64 bits
        return b.fptosi(x, I64)
    if kind == ("u", 64):
        cg.bail_if(ctx, b, b.icmp_signed("<", x, ir.Constant(I64, 0)))
        return x
    return cast(ctx, b, x, t, INT) if kind[0] != "b" else b.zext(x, I64)


@lowering("npscalar.item")
def _item(ctx, b, node, args):
    """``x.item()``: ``float(x)`` or ``int(x)`` by the result; a bool stays a bool."""
    out = node.out_type
    if out == FLOAT:
        return _float(ctx, b, node, args)
    if out == INT:
        return _int(ctx, b, node, args)
    return cast(ctx, b, args[0], node.in_types[0], out)


@lowering("np.float64", "np.float32")
def _float_scalar(ctx, b, node, args):
    """``np.float32(x)``: numpy's cast of a real scalar (convert.cast)."""
    (t,), (x,) = node.in_types, args
    return cast(ctx, b, x, t, node.out_type)


__all__ = ["constant", "truth_of", "BOOL", "NpScalar", "PyScalar"]
