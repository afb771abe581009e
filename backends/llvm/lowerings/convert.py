"""Converting scalars between representations, with numpy's and CPython's rules.

``cast(ctx, b, v, src, dst)`` turns a value of scalar type ``src`` into the
representation of ``dst`` the way an arithmetic op of result type ``dst`` sees
its operand: Python ints become doubles exactly as ``float(int)`` rounds; a
Python int meeting a numpy integer type must fit (NumPy 2 raises OverflowError
otherwise, so the region bails out); a Python float meeting ``f32`` is rounded
to float32 first (NEP 50).
"""
from __future__ import annotations

import numpy as np
from llvmlite import ir

from pyjit.ir.types import FLOAT, INT, NpScalar, PyScalar, Type
from pyjit.ir.defs._rules import example

from ..cgutils import bail_if
from ..reprs import NotLowerable, llvm_type, scalar_kind


def common_type(types) -> Type:
    """The type both operands of a binary op are computed in."""
    if all(isinstance(t, PyScalar) for t in types):
        names = {t.name for t in types}
        if "complex" in names:
            raise NotLowerable("complex arithmetic")
        return FLOAT if "float" in names else INT
    with np.errstate(all="ignore"):
        dt = np.result_type(*[example(t) for t in types])
    return NpScalar(dt)


def cast(ctx, b, v, src: Type, dst: Type):
    s, d = scalar_kind(src), scalar_kind(dst)
    if s is None or d is None:
        raise NotLowerable(f"cast {src} -> {dst}")
    dty = llvm_type(dst)
    if src == dst or s == d and v.type == dty:
        return v
    (sk, sb), (dk, db) = s, d
    if dk == "f":
        if sk == "f":
            return b.fpext(v, dty) if db > sb else b.fptrunc(v, dty) if db < sb else v
        if sk in "b" or sk == "u":
            return b.uitofp(v, dty)
        if src == INT and db < 64:  # numpy converts a Python int through a double: two roundings
            return b.fptrunc(b.sitofp(v, ir.DoubleType()), dty)
        return b.sitofp(v, dty)
    if dk in "iu":
        if sk == "f":
            raise NotLowerable(f"implicit float -> int cast {src} -> {dst}")
        if src == INT and isinstance(dst, NpScalar) and db < 64 or src == INT and dk == "u":
            info = np.iinfo(dst.dtype)
            bail_if(ctx, b, b.or_(b.icmp_signed("<", v, ir.Constant(v.type, max(info.min, -2 ** 63))),
                                  b.icmp_signed(">", v, ir.Constant(v.type, min(info.max, 2 ** 63 - 1)))))
        if sb == db:
            return v
        if sb > db:
            return b.trunc(v, dty)
        return b.zext(v, dty) if sk in "ub" else b.sext(v, dty)
    if dk == "b":
        if sk == "f":
            return b.fcmp_unordered("!=", v, ir.Constant(v.type, 0.0))
        return b.icmp_unsigned("!=", v, ir.Constant(v.type, 0))
    raise NotLowerable(f"cast {src} -> {dst}")


__all__ = ["cast", "common_type", "FLOAT", "INT"]
