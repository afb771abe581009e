"""Named helpers for lowerings: checks that bail out, overflow-checked integer
arithmetic, Python's floor division, array element addressing, libm calls.

Every helper takes the builder first; ``ctx`` is the ``Lowering`` (lower.py),
which knows where the current node's bailout goes.
"""
from __future__ import annotations

from llvmlite import ir

from .reprs import F64, I1, I8P, I64

ZERO64 = ir.Constant(I64, 0)
ONE64 = ir.Constant(I64, 1)

# The fast-math flags of ``jit(fastmath=True)`` (Note [fastmath flags]).
FAST_FLAGS = ("reassoc", "nsz", "arcp", "contract")


def fp_flags(ctx) -> tuple:
    """The fast-math flags for float arithmetic in ``ctx``'s graph: ``FAST_FLAGS``
    under ``fastmath=True``, none by default (strict IEEE: CPython's bits).

    Note [fastmath flags]
        ``fastmath=True`` is the only opt-in to results that differ from
        CPython's.  Float ``+ - * /``, negation, ``np.square`` and the
        accumulation of float reductions (numpy's pairwise sum) then carry
        ``reassoc nsz arcp contract``: LLVM may reassociate (so it vectorizes a
        ``s += a[i] * a[i]`` loop and numpy's pairwise sum), ignore the sign of
        zero, divide by multiplying with a reciprocal, and fuse a multiply and
        an add.  Results differ from CPython's by rounding only.

        Not ``fast`` (what Numba uses): ``fast`` adds ``nnan ninf afn``.  With
        ``nnan``/``ninf`` a NaN or infinity is *poison*, and pyjit's checks
        consume floats — ``int(x)``'s range check, an index computed from a
        float, the bailout on a NaN sum: a poison operand lets LLVM delete
        such a check, and an unchecked out-of-range index could read or write
        outside an array, which must never happen.  Without them NaN and inf
        propagate as IEEE says and every check keeps its meaning.  ``afn``
        would let LLVM approximate ``sqrt`` and libm calls beyond the 1e-12
        relative tolerance fastmath results are held to.  Comparisons carry
        no flags (without ``nnan``/``ninf`` there is nothing for them to
        relax), nor do the steps of Python's float ``//``/``%`` (their exact
        floor is their meaning).
    """
    return FAST_FLAGS if getattr(ctx, "fastmath", False) else ()


def const_int(ty, v: int):
    return ir.Constant(ty, v)


def bail_if(ctx, b: ir.IRBuilder, cond) -> None:
    """If ``cond`` holds, leave through the current node's resume exit (a bailout):
    CPython re-runs the statement and raises or computes what native code cannot.
    Nothing while the lowering speculates (Note [next item early] in early.py)."""
    if getattr(ctx, "speculating", False):
        return
    target = ctx.bail_block()
    cont = b.append_basic_block(name="ok")
    br = b.cbranch(cond, target, cont)
    br.set_weights([1, 1 << 20])  # bailouts are rare: keep them out of the hot path
    b.position_at_end(cont)


def opaque(b: ir.IRBuilder, v, side_effect: bool = False):
    """``v`` through an empty inline asm, so that LLVM cannot see its value: a
    float or double (a struct of them, field by field) or an integer of 8 to 64
    bits; anything
    else unchanged.  ``side_effect``: the asm also keeps its place among other
    side effects (fpflags.py, Note [constant operands]); without it LLVM may
    still move it (early.py, Note [next item early])."""
    t = v.type
    if isinstance(t, ir.LiteralStructType) and \
            all(isinstance(e, (ir.DoubleType, ir.FloatType)) for e in t.elements):
        for i in range(len(t.elements)):
            v = b.insert_value(v, opaque(b, b.extract_value(v, i), side_effect), i)
        return v
    if isinstance(t, (ir.DoubleType, ir.FloatType)):
        constraint = "=x,0"
    elif isinstance(t, ir.IntType) and t.width in (8, 16, 32, 64):
        constraint = "=r,0"
    else:
        return v
    return b.call(ir.InlineAsm(ir.FunctionType(t, [t]), "", constraint, side_effect=side_effect), [v])


def choose(b: ir.IRBuilder, cond, if_true, if_false, name: str = "choose"):
    """``if_true(b) if cond else if_false(b)``: each callable builds its value in
    a block of its own (it may add more: loops, bailouts); the result is the
    phi of the two."""
    fn = b.function
    yes, no, join = (fn.append_basic_block(f"{name}.{x}") for x in ("yes", "no", "join"))
    b.cbranch(cond, yes, no)
    incoming = []
    for block, build in ((yes, if_true), (no, if_false)):
        b.position_at_end(block)
        value = build(b)
        incoming.append((value, b.block))
        b.branch(join)
    b.position_at_end(join)
    phi = b.phi(incoming[0][0].type)
    for value, block in incoming:
        phi.add_incoming(value, block)
    return phi


def checked(ctx, b, name: str, x, y, deferred: bool = False):
    """``x name y`` on i64 with signed-overflow check (``sadd``/``ssub``/``smul``).
    An overflow bails out, or with ``deferred`` only raises the region's overflow
    flag, tested where it leaves (Note [deferred overflow checks] in deferred.py);
    ``deferred="bound"``: no check, the region bounds the sum (Note [bounded sums])."""
    if deferred == "bound":
        return {"sadd": b.add, "ssub": b.sub}[name](x, y)
    fn = ctx.intrinsic(f"llvm.{name}.with.overflow.i64", ir.LiteralStructType([I64, I1]), [I64, I64])
    r = b.call(fn, [x, y])
    overflow = b.extract_value(r, 1)
    if deferred:
        b.store(b.or_(b.load(ctx.overflow_flag), overflow), ctx.overflow_flag)
    else:
        bail_if(ctx, b, overflow)
    return b.extract_value(r, 0)


def py_int_floordiv(ctx, b, x, y):
    """Python's ``//`` on ints: floor, ZeroDivisionError and -2**63 // -1 bail out."""
    bail_if(ctx, b, b.icmp_signed("==", y, ZERO64))
    bail_if(ctx, b, b.and_(b.icmp_signed("==", x, ir.Constant(I64, -2 ** 63)),
                           b.icmp_signed("==", y, ir.Constant(I64, -1))))
    q = b.sdiv(x, y)
    r = b.srem(x, y)
    adjust = b.and_(b.icmp_signed("!=", r, ZERO64),
                    b.icmp_signed("!=", b.icmp_signed("<", r, ZERO64), b.icmp_signed("<", y, ZERO64)))
    return b.select(adjust, b.sub(q, ONE64), q)


def py_int_mod(ctx, b, x, y):
    """Python's ``%`` on ints: the result has the divisor's sign."""
    bail_if(ctx, b, b.icmp_signed("==", y, ZERO64))
    bail_if(ctx, b, b.and_(b.icmp_signed("==", x, ir.Constant(I64, -2 ** 63)),
                           b.icmp_signed("==", y, ir.Constant(I64, -1))))
    r = b.srem(x, y)
    adjust = b.and_(b.icmp_signed("!=", r, ZERO64),
                    b.icmp_signed("!=", b.icmp_signed("<", r, ZERO64), b.icmp_signed("<", y, ZERO64)))
    return b.select(adjust, b.add(r, y), r)


def py_float_divmod(ctx, b, x, y, ty=F64):
    """CPython's float_divmod (Objects/floatobject.c), step for step, so that ``//``
    and ``%`` on floats give CPython's bits, signs of zero included."""
    zero = ir.Constant(ty, 0.0)
    mod = b.frem(x, y)  # fmod
    div = b.fdiv(b.fsub(x, mod), y)
    mod_nonzero = b.fcmp_unordered("!=", mod, zero)  # C: if (mod), true for NaN
    sign_differs = b.icmp_unsigned("!=", b.fcmp_ordered("<", y, zero), b.fcmp_ordered("<", mod, zero))
    fix = b.and_(mod_nonzero, sign_differs)
    mod = b.select(fix, b.fadd(mod, y), mod)
    div = b.select(fix, b.fsub(div, ir.Constant(ty, 1.0)), div)
    # mod == 0: copysign(0, y)
    mod = b.select(mod_nonzero, mod, call_math(ctx, b, "copysign", [zero, y], ty))
    # div != 0: floordiv = floor(div), +1 if div - floor(div) > 0.5; else copysign(0, x / y)
    floordiv = call_math(ctx, b, "floor", [div], ty)
    bump = b.fcmp_ordered(">", b.fsub(div, floordiv), ir.Constant(ty, 0.5))
    floordiv = b.select(bump, b.fadd(floordiv, ir.Constant(ty, 1.0)), floordiv)
    div_nonzero = b.fcmp_unordered("!=", div, zero)
    floordiv = b.select(div_nonzero, floordiv,
                        call_math(ctx, b, "copysign", [zero, b.fdiv(x, y)], ty))
    return floordiv, mod


def call_math(ctx, b, name: str, args, ty=F64):
    """Call the C library's ``name`` (the very function CPython's math module calls),
    or the LLVM intrinsic for the few that are exact by definition."""
    suffix = "" if ty == F64 else "f"
    if name in ("sqrt", "fabs", "floor", "ceil", "trunc", "copysign", "rint"):
        fn = ctx.intrinsic(f"llvm.{name}.{'f64' if ty == F64 else 'f32'}", ty, [ty] * len(args))
    else:
        fn = ctx.libm(name + suffix, ty, len(args))
    return b.call(fn, args)


def contiguous_strides(b, shape, itemsize: int, order: str = "C") -> list:
    """The byte strides of a C- (or F-) contiguous array of ``shape``: the
    innermost is the item size, a constant."""
    strides = [None] * len(shape)
    stride = ir.Constant(I64, itemsize)
    for d in (reversed(range(len(shape))) if order == "C" else range(len(shape))):
        strides[d] = stride
        stride = b.mul(stride, shape[d])
    return strides


def array_strides(b, t, arr, shape) -> list:
    """The strides of array ``arr`` of type ``t``; of a C or F array computed from
    its ``shape`` (``contiguous_strides``), so that LLVM sees the contiguous
    axis's stride as the item size and can vectorize (as ``element_pointer``
    does).  An axis of extent 1 may get another stride than numpy's; it is only
    ever indexed at 0."""
    if t.layout not in ("C", "F") or not t.ndim:
        return [b.extract_value(arr, [2, d]) for d in range(t.ndim)]
    return contiguous_strides(b, shape, t.dtype.itemsize, t.layout)


def element_pointer(b, arr, indices, elem_ty, layout: str = "A", itemsize: int = 0):
    """Address of ``arr[indices]`` (already bounds-checked, non-negative).

    For a C- or F-contiguous array the strides follow from the shape and the item
    size, which LLVM sees as constants: it can then hoist, strength-reduce and
    vectorize the address arithmetic.  Any other layout reads its strides."""
    data = b.extract_value(arr, 0)
    ndim = len(indices)
    if layout in ("C", "F") and itemsize and ndim:
        order = range(ndim) if layout == "C" else reversed(range(ndim))
        flat = None
        for d in order:
            flat = indices[d] if flat is None else \
                b.add(b.mul(flat, b.extract_value(arr, [1, d])), indices[d])
        offset = b.mul(flat, ir.Constant(I64, itemsize))
    else:
        offset = ZERO64
        for d, i in enumerate(indices):
            offset = b.add(offset, b.mul(i, b.extract_value(arr, [2, d])))
    return b.bitcast(b.gep(data, [offset]), elem_ty.as_pointer())


def wrap_index(ctx, b, arr, dim: int, i, nonneg: bool = False, all_ok=None):
    """Python's negative indexing, then a bounds check that bails out (IndexError).
    ``nonneg``: ``i`` is known to be >= 0 (facts.py), no wrap needed.  ``all_ok``:
    an i1 computed before the loop that implies this check passes on every
    iteration (Note [hoisted bounds checks] in hoist.py)."""
    n = b.extract_value(arr, [1, dim])
    if not nonneg:
        i = b.select(b.icmp_signed("<", i, ZERO64), b.add(i, n), i)
    out = b.icmp_unsigned(">=", i, n)
    if all_ok is not None:
        out = b.and_(b.not_(all_ok), out)
    bail_if(ctx, b, out)
    return i


__all__ = ["FAST_FLAGS", "fp_flags", "bail_if", "checked", "py_int_floordiv", "py_int_mod", "py_float_divmod", "call_math",
           "element_pointer", "wrap_index", "const_int", "I8P"]
