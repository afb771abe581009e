"""Complex scalars: Python ``complex`` and ``np.complex128``, as ``{double real,
double imag}`` (reprs.C128; two slots, boxed to the exact type by slots.boxer).

Lowered: literals, ``+ - *`` (and their in-place forms), ``/`` with CPython's
algorithm for ``complex`` and numpy's for ``np.complex128`` (Note [complex
division]), ``== !=``, unary ``- +``, ``abs`` (C99 ``hypot`` with CPython's
infinity rules), truth, ``complex(re[, im])``, ``.real``/``.imag`` (of real
scalars too), ``.conjugate()``/``np.conjugate`` of scalars.

A real operand meets a complex one as ``complex(x, 0.0)``, exactly as CPython
3.11–3.13 and numpy do, so ``(inf+1j) * 2.0`` has a NaN imaginary part in both.
Products and sums are plain IEEE operations, never contracted into FMAs.

Registration: each lowering here wraps the one already registered for the op
(arith.py, core.py, ...), taking over only when an operand or the result is
complex; so this module is imported after them.

Note [complex division]
    CPython (``_Py_c_quot``) is Smith's algorithm: divide top and bottom by the
    divisor's larger part; a zero divisor raises ZeroDivisionError (a bailout
    here).  Newer CPythons then recover infinities from a NaN+NaNj result (C11
    Annex G): whenever both parts come out NaN we bail out and let the running
    CPython compute it, so every version is exact.  numpy's scalar division is
    Smith's algorithm with a reciprocal (``scl = 1/(c + d*rat)``, parts
    multiplied by ``scl``); a zero divisor gives inf/nan *and a RuntimeWarning*,
    so it bails out too.
"""
from __future__ import annotations

from llvmlite import ir

from pyjit.ir.types import INT, NONE, PyScalar

from .. import cgutils as cg
from ..lower import LOWERINGS
from ..reprs import C128, F64, I1, I64, NotLowerable, is_complex, llvm_type, scalar_kind
from . import arith, core, indexing, npscalar  # noqa: F401  (the lowerings wrapped below)
from .convert import cast

_EXACT = 2 ** 53


_HANDLED: set = set()
# Ops that only move values around: a complex passes through them unchanged.
_STRUCTURAL = {"build_tuple", "tuple_get", "check_bound", "unpack_check", "is_", "is_not"}


def _wrap(*names, reals=False):
    """Register ``fn`` for ``names`` when a complex is involved (``reals``: for
    every scalar operand), else defer to the lowering registered before."""
    def register(fn):
        _HANDLED.update(names)
        for name in names:
            prev = LOWERINGS.get(name)

            def lower(ctx, b, node, args, prev=prev, fn=fn):
                types = list(node.in_types) + [node.out_type]
                mine = any(is_complex(t) for t in types) or \
                    reals and node.in_types and scalar_kind(node.in_types[0]) is not None
                if mine:
                    return fn(ctx, b, node, args)
                if prev is None:
                    raise NotLowerable(f"op {node.op}")
                return prev(ctx, b, node, args)
            LOWERINGS[name] = lower
        return fn
    return register


def pack(b, re, im):
    s = b.insert_value(ir.Constant(C128, ir.Undefined), re, 0)
    return b.insert_value(s, im, 1)


def parts(b, v):
    return b.extract_value(v, 0), b.extract_value(v, 1)


def _real(ctx, b, v, t):
    """A real scalar as a double, as CPython's float(x) / numpy's cast give it."""
    kind = scalar_kind(t)
    if kind is None:
        raise NotLowerable(f"{t} in complex arithmetic")
    if kind[0] == "i" and t == INT:
        return b.sitofp(v, F64)
    return cast(ctx, b, v, t, PyScalar("float"))


def as_complex(ctx, b, v, t):
    """``(real, imag, is_complex)`` of an operand: a real one is ``complex(x, 0.0)``."""
    if is_complex(t):
        return (*parts(b, v), True)
    return _real(ctx, b, v, t), ir.Constant(F64, 0.0), False


# ---- literals ---------------------------------------------------------------------

@_wrap("const")
def _const(ctx, b, node, args):
    z = complex(node.attrs["value"])
    return ir.Constant(C128, [ir.Constant(F64, z.real), ir.Constant(F64, z.imag)])


# ---- arithmetic -------------------------------------------------------------------

@_wrap("add", "iadd", "sub", "isub", "mul", "imul", "truediv", "itruediv")
def _arith(ctx, b, node, args):
    if not is_complex(node.out_type):
        raise NotLowerable(f"{node.op} of {node.in_types} typed {node.out_type}")
    (ar, ai, _), (br, bi, _) = (as_complex(ctx, b, v, t) for v, t in zip(args, node.in_types))
    op = node.op.removeprefix("i")
    if op == "add":
        return pack(b, b.fadd(ar, br), b.fadd(ai, bi))
    if op == "sub":
        return pack(b, b.fsub(ar, br), b.fsub(ai, bi))
    if op == "mul":
        return pack(b, b.fsub(b.fmul(ar, br), b.fmul(ai, bi)), b.fadd(b.fmul(ar, bi), b.fmul(ai, br)))
    if isinstance(node.out_type, PyScalar):
        return _cpython_quot(ctx, b, ar, ai, br, bi)
    return _numpy_quot(ctx, b, ar, ai, br, bi)


def _branches(ctx, b, cond, then, otherwise):
    """``then()`` or ``otherwise()`` (each returns (re, im)), merged by phis."""
    yes = b.append_basic_block("c.then")
    no = b.append_basic_block("c.else")
    merge = b.append_basic_block("c.merge")
    b.cbranch(cond, yes, no)
    out = []
    for blk, fn in ((yes, then), (no, otherwise)):
        b.position_at_end(blk)
        re, im = fn()
        out.append((re, im, b.block))
        b.branch(merge)
    b.position_at_end(merge)
    re, im = b.phi(F64), b.phi(F64)
    for r, i, blk in out:
        re.add_incoming(r, blk)
        im.add_incoming(i, blk)
    return re, im


def _cpython_quot(ctx, b, ar, ai, br, bi):
    """``_Py_c_quot`` step for step (Note [complex division])."""
    abs_br = cg.call_math(ctx, b, "fabs", [br])
    abs_bi = cg.call_math(ctx, b, "fabs", [bi])
    zero = ir.Constant(F64, 0.0)
    cg.bail_if(ctx, b, b.and_(b.fcmp_ordered(">=", abs_br, abs_bi),
                              b.fcmp_ordered("==", abs_br, zero)))  # ZeroDivisionError

    def by_real():
        ratio = b.fdiv(bi, br)
        denom = b.fadd(br, b.fmul(bi, ratio))
        return (b.fdiv(b.fadd(ar, b.fmul(ai, ratio)), denom),
                b.fdiv(b.fsub(ai, b.fmul(ar, ratio)), denom))

    def by_imag():
        ratio = b.fdiv(br, bi)
        denom = b.fadd(b.fmul(br, ratio), bi)
        return (b.fdiv(b.fadd(b.fmul(ar, ratio), ai), denom),
                b.fdiv(b.fsub(b.fmul(ai, ratio), ar), denom))

    # abs_br >= abs_bi, else abs_bi >= abs_br, else (a NaN part) nan+nanj, which
    # bails out below like every NaN+NaNj result.
    re, im = _branches(ctx, b, b.fcmp_ordered(">=", abs_br, abs_bi), by_real, by_imag)
    cg.bail_if(ctx, b, b.and_(b.fcmp_unordered("uno", re, re), b.fcmp_unordered("uno", im, im)))
    return pack(b, re, im)


def _numpy_quot(ctx, b, ar, ai, br, bi):
    """numpy's complex division loop (Note [complex division])."""
    abs_br = cg.call_math(ctx, b, "fabs", [br])
    abs_bi = cg.call_math(ctx, b, "fabs", [bi])
    zero, one = ir.Constant(F64, 0.0), ir.Constant(F64, 1.0)
    cg.bail_if(ctx, b, b.and_(b.fcmp_ordered("==", abs_br, zero), b.fcmp_ordered("==", abs_bi, zero)))

    def by_real():
        rat = b.fdiv(bi, br)
        scl = b.fdiv(one, b.fadd(br, b.fmul(bi, rat)))
        return (b.fmul(b.fadd(ar, b.fmul(ai, rat)), scl), b.fmul(b.fsub(ai, b.fmul(ar, rat)), scl))

    def by_imag():
        rat = b.fdiv(br, bi)
        scl = b.fdiv(one, b.fadd(bi, b.fmul(br, rat)))
        return (b.fmul(b.fadd(b.fmul(ar, rat), ai), scl), b.fmul(b.fsub(b.fmul(ai, rat), ar), scl))

    return pack(b, *_branches(ctx, b, b.fcmp_ordered(">=", abs_br, abs_bi), by_real, by_imag))


@_wrap("eq", "ne")
def _compare(ctx, b, node, args):
    for v, t in zip(args, node.in_types):
        if t == INT:  # CPython compares a complex with an int exactly
            big = ir.Constant(I64, _EXACT)
            cg.bail_if(ctx, b, b.or_(b.icmp_signed(">", v, big), b.icmp_signed("<", v, b.neg(big))))
    (ar, ai, _), (br, bi, _) = (as_complex(ctx, b, v, t) for v, t in zip(args, node.in_types))
    equal = b.and_(b.fcmp_ordered("==", ar, br), b.fcmp_ordered("==", ai, bi))
    return equal if node.op == "eq" else b.not_(equal)


@_wrap("neg", "pos")
def _unary(ctx, b, node, args):
    re, im = parts(b, args[0])
    if node.op == "pos":
        return args[0]
    return pack(b, b.fneg(re), b.fneg(im))


@_wrap("abs")
def _abs(ctx, b, node, args):
    """``_Py_c_abs``: hypot, but an infinite part gives inf even beside a NaN (C99
    hypot does the same); a finite complex whose modulus overflows raises
    OverflowError in CPython: bail out.  numpy's ``npy_cabs`` is the same hypot;
    it only warns on overflow, and cannot raise (the node has no exit)."""
    re, im = parts(b, args[0])
    r = cg.call_math(ctx, b, "hypot", [re, im])
    if not isinstance(node.in_types[0], PyScalar):
        return r
    inf = ir.Constant(F64, float("inf"))
    finite = b.and_(b.fcmp_ordered("<", cg.call_math(ctx, b, "fabs", [re]), inf),
                    b.fcmp_ordered("<", cg.call_math(ctx, b, "fabs", [im]), inf))
    cg.bail_if(ctx, b, b.and_(finite, b.fcmp_ordered("==", r, inf)))
    return r


@_wrap("truth", "bool", "not_")
def _truth(ctx, b, node, args):
    re, im = parts(b, args[0])
    zero = ir.Constant(F64, 0.0)
    nonzero = b.or_(b.fcmp_unordered("!=", re, zero), b.fcmp_unordered("!=", im, zero))
    return b.not_(nonzero) if node.op == "not_" else nonzero


# ---- construction and parts ---------------------------------------------------------

@_wrap("complex")
def _complex(ctx, b, node, args):
    """``complex(x[, y])``: from reals, exactly (float(x), float(y)); from complex
    arguments, CPython's ``(x.real - y.imag, y.real + x.imag)`` (a missing term is
    not added: ``-0.0 + 0.0`` would lose a sign)."""
    types = [t for t in node.in_types if t != NONE]
    vals = [v for v, t in zip(args, node.in_types) if t != NONE]
    xr, xi, x_c = as_complex(ctx, b, vals[0], types[0])
    if len(vals) == 1:
        return pack(b, xr, xi)
    yr, yi, y_c = as_complex(ctx, b, vals[1], types[1])
    re = b.fsub(xr, yi) if y_c else xr
    im = b.fadd(yr, xi) if x_c else yr
    return pack(b, re, im)


@_wrap("attr.real", "attr.imag", reals=True)
def _part(ctx, b, node, args):
    (t,), (v,) = node.in_types, args
    out = node.out_type
    if is_complex(t):
        return b.extract_value(v, 0 if node.op == "attr.real" else 1)
    if scalar_kind(out) is None:
        raise NotLowerable(f"{node.op} of {t}")
    if node.op == "attr.real":
        return cast(ctx, b, v, t, out) if t != out else v
    ty = llvm_type(out)
    return ir.Constant(ty, 0.0 if isinstance(ty, ir.DoubleType | ir.FloatType) else 0)


@_wrap("array.conjugate", "np.conjugate")
def _conjugate(ctx, b, node, args):
    (t,), (v,) = node.in_types, args
    if not is_complex(t) or not is_complex(node.out_type):
        raise NotLowerable(f"{node.op} of {t}")
    re, im = parts(b, v)
    return pack(b, re, b.fneg(im))


# ---- every other lowering: complex operands are not lowerable ------------------------

def _guarded(fn):
    def lower(ctx, b, node, args):
        if any(is_complex(t) for t in (*node.in_types, node.out_type)):
            raise NotLowerable(f"{node.op} of a complex")
        return fn(ctx, b, node, args)
    lower.__wrapped__ = fn
    return lower


def _guard_the_rest():
    """The other lowerings were written for real scalars (``scalar_kind`` of a
    complex is None): one reached with a complex operand or result raises
    NotLowerable instead of failing inside.  (``np.multiply`` & co. of complex
    scalars run numpy's ufunc loop, which may use FMAs: not the ``*`` here.)
    The numpy loop lowerings (ufuncs.register_all, registered later) reject
    complex loops themselves."""
    for name, fn in list(LOWERINGS.items()):
        if name not in _HANDLED and name not in _STRUCTURAL:
            LOWERINGS[name] = _guarded(fn)


_guard_the_rest()

__all__ = ["as_complex", "pack", "parts", "I1"]
