"""The rewrite-rule engine: constant folding and exact algebraic simplification.

A rule is a function of one node that returns the value to use in place of the
node's result, or None.  Rules register per op name (``"*"``: every op); the
engine applies them over the graph until nothing changes:

    @rule("mul")
    def times_one(node, c):              # x * 1 -> x, when that is exactly x
        ...

Note [exact rewrites only]
    Without ``fastmath`` a rewrite must give the very value CPython computes,
    bit for bit, for every input: ``x * 1.0 -> x`` holds (NaN, -0.0 and inf
    included); ``x + 0.0 -> x`` does not (``-0.0 + 0.0`` is ``+0.0``), but
    ``x + -0.0 -> x`` and ``x - 0.0 -> x`` do.  A replacement must have the
    node's exact type (``True * 1`` is the int ``1``, not ``True``), and arrays
    are never replaced by an operand (``a * 1`` is a new array: the caller may
    mutate it).  Folding evaluates the op's reference implementation on the
    constants; if that raises or warns, or gives a Python int beyond 64 bits,
    the node is left for run time, where it takes the same path it always did.
"""
from __future__ import annotations

import math
import warnings

import numpy as np

from pyjit.ir.registry import OPS
from pyjit.ir.types import INT, NpScalar, PyScalar, typeof

from .graphutil import is_pure, is_scalar, replace_uses

RULES: dict = {}
_I64 = (-(1 << 63), (1 << 63) - 1)


def rule(*ops):
    def register(fn):
        for op in ops:
            RULES.setdefault(op, []).append(fn)
        return fn
    return register


class Consts:
    """Which values are scalar constants: ``c.value(v)`` -> (known, value)."""

    def __init__(self, graph):
        self.producer = {n.outputs[0]: n for n in graph.nodes() if n.outputs}

    def value(self, v):
        n = self.producer.get(v)
        if n is not None and n.op == "const" and is_scalar(v.type):
            return True, n.attrs["value"]
        return False, None

    def is_const(self, v, expected) -> bool:
        known, x = self.value(v)
        if not known or isinstance(x, bool) or x != expected:
            return False
        if isinstance(expected, int) and not isinstance(x, int):
            return False  # an int literal asked for: -0.0 == 0, but x - (-0.0) is not x
        if isinstance(expected, float):  # the sign of zero matters
            return math.copysign(1.0, x) == math.copysign(1.0, expected)
        return True

    def made_by(self, v, op):
        n = self.producer.get(v)
        return n if n is not None and n.op == op else None


def run(graph, options=None) -> int:
    """Apply the rules until nothing changes; return the number of rewrites."""
    total = 0
    for _ in range(8):
        consts = Consts(graph)
        mapping = {}
        for n in graph.nodes():
            if len(n.outputs) != 1 or n.op == "const":
                continue
            for fn in RULES.get(n.op, []) + RULES.get("*", []):
                new = fn(n, consts)
                if new is not None and new is not n.out:
                    if new.type == n.out.type:
                        mapping[n.out] = new
                        break
                elif new is n.out:  # rewritten in place
                    total += 1
                    break
        replace_uses(graph, mapping)
        total += len(mapping)
        if not mapping:
            break
    return total


# -- folding ---------------------------------------------------------------------------------

@rule("*")
def fold(node, c):
    """An op of scalar constants becomes a constant (see Note [exact rewrites only])."""
    if not is_pure(node) or not is_scalar(node.out.type):
        return None
    values = []
    for v in node.inputs:
        known, x = c.value(v)
        if not known:
            return None
        values.append(x)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            with np.errstate(all="raise"):
                result = OPS[node.op].impl(*values, **node.attrs)
    except Exception:
        return None
    if typeof(result) != node.out.type:
        return None
    if node.out.type == INT and not (_I64[0] <= result <= _I64[1]):
        return None
    node.op, node.inputs, node.attrs = "const", [], {"value": result}
    return node.out


# -- algebra ---------------------------------------------------------------------------------

def _is_float(t) -> bool:
    return (t == PyScalar("float")) or (isinstance(t, NpScalar) and t.dtype.kind == "f")


def _is_int(t) -> bool:
    return t == INT or (isinstance(t, NpScalar) and t.dtype.kind in "iu")


def _scalar_operands(node):
    a, b = node.inputs
    return (a, b) if is_scalar(a.type) and is_scalar(b.type) else None


@rule("add", "iadd")
def add_zero(node, c):
    ab = _scalar_operands(node)
    if ab is None:
        return None
    for x, zero in (ab, ab[::-1]):
        if _is_int(x.type) and c.is_const(zero, 0) and _is_int(zero.type):
            return x
        if _is_float(x.type) and c.is_const(zero, -0.0):
            return x  # x + (-0.0) is x for every x, -0.0 included; x + 0.0 is not
    return None


@rule("sub", "isub")
def sub_zero(node, c):
    ab = _scalar_operands(node)
    if ab is None:
        return None
    x, zero = ab
    if _is_int(x.type) and _is_int(zero.type) and c.is_const(zero, 0):
        return x
    if _is_float(x.type) and (c.is_const(zero, 0.0) or c.is_const(zero, 0)):
        return x  # x - 0.0 is x for every x (-0.0 - 0.0 is -0.0)
    return None


@rule("mul", "imul")
def mul_one(node, c):
    ab = _scalar_operands(node)
    if ab is None:
        return None
    for x, one in (ab, ab[::-1]):
        if _is_int(x.type) and _is_int(one.type) and c.is_const(one, 1):
            return x
        if _is_float(x.type) and (c.is_const(one, 1.0) or c.is_const(one, 1)):
            return x
    return None


@rule("truediv", "itruediv")
def div_one(node, c):
    ab = _scalar_operands(node)
    if ab is None:
        return None
    x, one = ab
    if _is_float(x.type) and (c.is_const(one, 1.0) or c.is_const(one, 1)):
        return x
    return None


@rule("neg")
def neg_neg(node, c):
    inner = c.made_by(node.inputs[0], "neg")
    if inner is not None and is_scalar(inner.inputs[0].type):
        return inner.inputs[0]
    return None


@rule("pos")
def pos_scalar(node, c):
    x = node.inputs[0]
    return x if is_scalar(x.type) else None


@rule("truth")
def truth_of_bool(node, c):
    x = node.inputs[0]
    return x if x.type == PyScalar("bool") else None


@rule("not_")
def not_not(node, c):
    inner = c.made_by(node.inputs[0], "not_")
    if inner is not None and inner.inputs[0].type == PyScalar("bool"):
        return inner.inputs[0]
    return None
