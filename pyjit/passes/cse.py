"""Common-subexpression elimination over the dominator tree.

    %23:f64 = getitem %13, %22        # x[i] * x[i]: the second load and its
    %24:f64 = getitem %13, %22        # bounds check go; %24's uses read %23
    %25:f64 = mul %23, %24

A node is replaced by an identical earlier one (same op, inputs, attributes and
type) that dominates it.  That is exact even for a node that can raise: the
earlier node ran first with the same inputs and did not.  Results that read
array contents are reused only inside one block and only until a node that may
write memory; array results are never merged (each is its own object, which the
program may mutate).
"""
from __future__ import annotations

import numpy as np

from pyjit.ir.types import TupleT

from .graphutil import (dominator_children, dominators, is_pure, is_scalar, mutates,
                        reads_memory, replace_uses)


class _Unhashable(Exception):
    pass


def _freeze(x):
    if isinstance(x, float):
        return ("f", x.hex())          # tells -0.0 from 0.0
    if isinstance(x, np.generic):
        return ("np", x.dtype.str, x.tobytes())
    if isinstance(x, (tuple, list)):
        return (type(x).__name__,) + tuple(_freeze(i) for i in x)
    if isinstance(x, (int, str, bool, type(None))):
        return (type(x).__name__, x)
    raise _Unhashable


def _mergeable_type(t) -> bool:
    if is_scalar(t):
        return True
    if isinstance(t, TupleT):
        return all(_mergeable_type(i) for i in t.items)
    return False


def _key(node):
    if len(node.outputs) != 1 or not _mergeable_type(node.out.type) or not is_pure(node):
        return None
    try:
        attrs = tuple(sorted((k, _freeze(v)) for k, v in node.attrs.items()))
    except _Unhashable:
        return None
    return (node.op, tuple(id(v) for v in node.inputs), attrs, node.out.type)


def run(graph, options=None) -> int:
    idom = dominators(graph)
    kids = dominator_children(idom)
    mapping: dict = {}
    removed = 0

    def walk(block, scope):
        nonlocal removed
        scope = dict(scope)      # values available from dominating blocks
        memory: dict = {}        # results that read arrays: this block only
        keep = []
        for n in block.nodes:
            n.inputs = [_follow(mapping, v) for v in n.inputs]
            key = _key(n)
            table = memory if key is not None and reads_memory(n) else scope
            if key is not None and key in table:
                mapping[n.out] = table[key]
                removed += 1
                continue
            keep.append(n)
            if mutates(n):
                memory.clear()
            if key is not None:
                table[key] = n.out
        block.nodes = keep
        for child in kids[block]:
            walk(child, scope)

    walk(graph.entry, {})
    replace_uses(graph, mapping)
    return removed


def _follow(mapping, v):
    while v in mapping:
        v = mapping[v]
    return v



