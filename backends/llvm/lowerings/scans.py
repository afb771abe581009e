"""``np.cumsum``/``np.cumprod`` (and ``a.cumsum()``/``a.cumprod()``): scans,
bit for bit as numpy's ``add.accumulate``/``multiply.accumulate``.

Lowered: ``axis=None`` (or ``axis`` 0 / -1 of a 1-d array, the same scan)
without ``dtype``/``out``, over bool, int and float arrays of any layout, ndim
and strides.  The result is a new C-ordered 1-d array of the input's size,
the elements taken in C order (numpy ravels the input first).  Its dtype is
the op's type (numpy's rule): ints narrower than 64 bits widen to int64 (uint
to uint64), bools to int64, float32 and float64 stay.  One int ``axis`` of a
C-contiguous 2-d or larger array scans each line along it into a new
C-ordered array of the input's shape (``_along_axis``).

numpy's accumulate is sequential: ``out[0] = a[0]``, ``out[i] = out[i-1] op
a[i]``, each element first cast to the result dtype.  We start the running
value from ``-0.0`` for a float sum (``-0.0 + x`` is ``x`` for every ``x``,
``-0.0`` included, where ``0.0 + -0.0`` would be ``0.0``) and from ``1.0`` /
``0`` / ``1`` otherwise, so ``out[0] == a[0]`` with no first-element case.
Integer results wrap, as numpy's integer loops do.

A float result that is not finite goes to a cold check (``_float_step``),
which bails out where numpy would warn or where the bits are not determined:
an overflow (finite operands, infinite result: "overflow encountered in
accumulate"), an invalid operation (a NaN from non-NaN operands, ``inf -
inf``, ``0 * inf``), a signalling NaN operand, and two NaN operands of
different bits (which one the hardware passes on depends on the operand order
the C compiler chose for numpy's loop).  A NaN or infinity carried along from
the input is kept, as in numpy.

A scalar (``np.cumsum(np.int16(3))``) gives a 1-element array of it, cast.

Not lowered (``NotLowerable``): an axis of an F-ordered or strided 2-d or
larger array (numpy lays its result out in the input's memory order), a tuple
of axes, ``dtype=``, ``out=``, complex arrays and scalars (no representation
here).
"""
from __future__ import annotations

import numbers

from llvmlite import ir

from pyjit.ir.types import Array, NpScalar, PyScalar

from .. import cgutils as cg
from ..lower import lowering
from ..reprs import I1, I8, I64, NotLowerable, llvm_type, scalar_kind
from .creation import _new
from .reductions import _widen, counted_loop

_ZERO = ir.Constant(I64, 0)


def _check(node):
    """``(t, out_t, kind, axis)``: ``axis`` None for the flat scan."""
    t = node.in_types[0]
    if not isinstance(t, (Array, NpScalar, PyScalar)):
        raise NotLowerable(f"{node.op} of {t}")
    a = node.attrs
    if a.get("dtype") is not None or a.get("out") is not None:
        raise NotLowerable(f"{node.op} with dtype= or out=")
    out_t = node.out_type
    axis = a.get("axis")
    if axis is not None and isinstance(t, Array) and t.ndim == 1 and axis in (0, -1):
        axis = None  # the flat scan
    if axis is not None:
        if not isinstance(t, Array) or not isinstance(axis, numbers.Integral) or \
                isinstance(axis, bool) or not -t.ndim <= axis < t.ndim:
            raise NotLowerable(f"{node.op} along axis={axis!r} of {t}")
        if t.layout != "C" or not isinstance(out_t, Array) or out_t.layout != "C" or \
                out_t.ndim != t.ndim:
            raise NotLowerable(f"{node.op} along an axis of {t} giving {out_t} "
                               "(numpy lays out the result in the input's memory order)")
        axis = int(axis) % t.ndim
    elif not isinstance(out_t, Array) or out_t.ndim != 1:
        raise NotLowerable(f"{node.op} giving {out_t}")
    kind = scalar_kind(NpScalar(t.dtype) if isinstance(t, Array) else t)
    out_kind = scalar_kind(NpScalar(out_t.dtype))
    if kind is None or out_kind is None or kind[0] not in "biuf" or out_kind[0] not in "iuf":
        raise NotLowerable(f"{node.op} of {t} giving {out_t}")
    llvm_type(t)  # types this backend represents (float16 is not)
    llvm_type(out_t)
    return t, out_t, kind, axis


def _float_step(ctx, b, op: str, acc, x):
    """``acc op x`` for floats, bailing out where numpy warns or its NaN bits are
    not determined (see the module docstring)."""
    ty = acc.type
    r = b.fadd(acc, x) if op == "add" else b.fmul(acc, x)
    inf = ir.Constant(ty, float("inf"))
    fabs = lambda v: cg.call_math(ctx, b, "fabs", [v], ty)  # noqa: E731
    finite = b.fcmp_ordered("<", fabs(r), inf)
    check = b.append_basic_block("scan.nonfinite")
    ok = b.append_basic_block("scan.ok")
    b.cbranch(finite, ok, check).set_weights([1 << 20, 1])
    b.position_at_end(check)
    ity = I64 if isinstance(ty, ir.DoubleType) else ir.IntType(32)
    quiet = ir.Constant(ity, 1 << (51 if ity == I64 else 22))
    a_nan, x_nan = b.fcmp_unordered("uno", acc, acc), b.fcmp_unordered("uno", x, x)
    a_bits, x_bits = b.bitcast(acc, ity), b.bitcast(x, ity)

    def signalling(is_nan, bits):
        return b.and_(is_nan, b.icmp_unsigned("==", b.and_(bits, quiet), ir.Constant(ity, 0)))
    r_nan = b.fcmp_unordered("uno", r, r)
    some_inf = b.or_(b.fcmp_ordered("==", fabs(acc), inf), b.fcmp_ordered("==", fabs(x), inf))
    bad = b.or_(b.and_(b.not_(r_nan), b.not_(some_inf)),               # overflow
                b.and_(r_nan, b.not_(b.or_(a_nan, x_nan))))            # invalid operation
    bad = b.or_(bad, b.or_(signalling(a_nan, a_bits), signalling(x_nan, x_bits)))
    bad = b.or_(bad, b.and_(b.and_(a_nan, x_nan), b.icmp_unsigned("!=", a_bits, x_bits)))
    cg.bail_if(ctx, b, bad)
    b.branch(ok)
    b.position_at_end(ok)
    return r


@lowering("np.cumsum", "np.cumprod")
def _scan(ctx, b, node, args):
    t, out_t, kind, axis = _check(node)
    is_sum = node.op == "np.cumsum"
    out_ty = llvm_type(NpScalar(out_t.dtype))
    if not isinstance(t, Array):  # a scalar: a 1-element result
        out = _new(ctx, b, [ir.Constant(I64, 1)], out_t)
        x = _widen(b, args[0], kind, out_ty)
        b.store(x, b.bitcast(b.extract_value(out, 0), out_ty.as_pointer()))
        return out
    arr = args[0]
    elem = llvm_type(NpScalar(t.dtype))
    mem = I8 if elem == I1 else elem
    data = b.extract_value(arr, 0)
    shape = [b.extract_value(arr, [1, d]) for d in range(t.ndim)]
    strides = [b.extract_value(arr, [2, d]) for d in range(t.ndim)]
    if isinstance(out_ty, ir.IntType):
        init = ir.Constant(out_ty, 0 if is_sum else 1)
    else:
        init = ir.Constant(out_ty, -0.0 if is_sum else 1.0)

    def step(bb, acc, offset):
        """The running value after the element at byte ``offset``."""
        v = bb.load(bb.bitcast(bb.gep(data, [offset]), mem.as_pointer()))
        if elem == I1:
            v = bb.icmp_unsigned("!=", v, ir.Constant(I8, 0))
        x = _widen(bb, v, kind, out_ty)
        if isinstance(out_ty, ir.IntType):
            return bb.add(acc, x) if is_sum else bb.mul(acc, x)
        return _float_step(ctx, bb, "add" if is_sum else "mul", acc, x)

    if axis is not None:
        return _along_axis(ctx, b, shape, t.dtype.itemsize, axis, out_t, init, step)
    size = ir.Constant(I64, 1)
    for n in shape:
        size = b.mul(size, n)
    out = _new(ctx, b, [size], out_t)
    base = b.bitcast(b.extract_value(out, 0), out_ty.as_pointer())
    state = ctx.alloca(ir.LiteralStructType([I64, out_ty]))  # (k, running value)
    k_ptr = b.gep(state, [_ZERO, ir.Constant(ir.IntType(32), 0)])
    acc_ptr = b.gep(state, [_ZERO, ir.Constant(ir.IntType(32), 1)])
    b.store(_ZERO, k_ptr)
    b.store(init, acc_ptr)

    def body(bb, offset):
        r = step(bb, bb.load(acc_ptr), offset)
        k = bb.load(k_ptr)
        bb.store(r, bb.gep(base, [k]))
        bb.store(r, acc_ptr)
        bb.store(bb.add(k, ir.Constant(I64, 1)), k_ptr)

    def nest(bb, d, offset):
        """Dimensions ``d..`` in C order, through the input's strides."""
        if d == t.ndim:
            body(bb, offset)
            return

        def each(bb, i, _):
            nest(bb, d + 1, bb.add(offset, bb.mul(i, strides[d])))
            return []
        counted_loop(ctx, bb, _ZERO, shape[d], [], each)

    nest(b, 0, _ZERO)
    return out


def _along_axis(ctx, b, shape, itemsize, axis, out_t, init, step):
    """A scan along ``axis`` of a C-contiguous array into a new C-ordered array
    of the same shape, both walked in C order (memory order); offsets come
    from the shape, so LLVM sees constant strides.  Along the last axis the
    running value of a line stays in a register; along another, an element
    continues the value stored one line back (``out[..., i, ...] =
    out[..., i-1, ...] op a[..., i, ...]``, the very operations of numpy's
    accumulate), or starts from ``init`` at ``i == 0``."""
    from ..kernels import _loop_nest
    out = _new(ctx, b, shape, out_t)
    dest = b.bitcast(b.extract_value(out, 0), init.type.as_pointer())
    size = ir.Constant(I64, itemsize)

    def flat(bb, idx):
        k = _ZERO
        for i, n in zip(idx, shape):
            k = bb.add(bb.mul(k, n), i)
        return k

    if axis == len(shape) - 1:
        def scan_line(bb, idx):
            start = bb.mul(flat(bb, idx), shape[axis])

            def body(bb, i, acc):
                k = bb.add(start, i)
                r = step(bb, acc[0], bb.mul(k, size))
                bb.store(r, bb.gep(dest, [k]))
                return [r]
            counted_loop(ctx, bb, _ZERO, shape[axis], [init], body)
        _loop_nest(ctx, b, shape[:-1], 0, [], scan_line)
        return out
    line = ir.Constant(I64, 1)  # elements between neighbours along the axis
    for n in shape[axis + 1:]:
        line = b.mul(line, n)

    def element(bb, idx):
        k = flat(bb, idx)
        first = bb.icmp_signed("==", idx[axis], _ZERO)
        prev = bb.load(bb.gep(dest, [bb.select(first, k, bb.sub(k, line))]))  # out[k] itself unused
        r = step(bb, bb.select(first, init, prev), bb.mul(k, size))
        bb.store(r, bb.gep(dest, [k]))
    _loop_nest(ctx, b, shape, 0, [], element)
    return out
