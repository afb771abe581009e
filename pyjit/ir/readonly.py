"""Read-only arrays: a rule every type rule's result passes through
(``OpDef.infer``), so inference and the verifier agree.

Note [read-only arrays]
    A read-only array (``np.frombuffer(some_bytes)``, ``np.broadcast_to``, a
    read-only memmap, ``a.flags.writeable = False``) has its own key: the type
    says ``writeable=False`` (``f64[?]:ro``) and the C dispatcher's key has a
    bit for it.  An op that writes into an array (``op.mutates``: ``x[i] = v``,
    ``a += b``) rejects a read-only one, so that key runs in CPython, which
    raises numpy's ValueError; native code would have written through it (into
    the bytes object itself).  A result that may share an input's memory must
    stay read-only: rules that derive their result from an input's type keep
    it (``Array.with_``), and ``read_only`` marks the array results of every
    op other than elementwise math, reductions and a list of ops that allocate
    (copies, ``*_like``, products) or keep their inputs' types item by item
    (tuples) read-only when one of its array inputs is.  That may also mark a
    fresh array: writing into it then runs in CPython, which is only slower.
"""
from __future__ import annotations

from .registry import TypeRuleError
from .types import Array, TupleT, UnionT


# Ops whose rule already gives each array result its writeability: those that
# always allocate their result (copies, products, scans, ``*_like``) and those that
# pass their inputs' types through item by item (a tuple of a read-only and a
# writeable array keeps the second writeable).
_FRESH_OR_EXACT = frozenset({
    "array.astype", "array.copy", "array.flatten", "np.copy", "np.cumprod", "np.cumsum",
    "np.dot", "np.inner", "np.matmul", "matmul", "np.outer", "np.vdot", "np.empty_like",
    "np.full_like", "np.ones_like", "np.zeros_like", "divmod", "round",
    "build_tuple", "tuple_get", "check_bound"})


def read_only(op, types, t):
    """Note [read-only arrays]: reject a write into a read-only array; make ``t``
    read-only if it may be a view of a read-only input."""
    for name in op.mutates:
        x = types[list(op.args).index(name)] if name in op.args else None
        if isinstance(x, Array) and not x.writeable:
            raise TypeRuleError("assignment destination is read-only")
    if (op.elementwise and not op.mutates) or op.reduction or op.name in _FRESH_OR_EXACT:
        return t
    if not any(isinstance(x, Array) and not x.writeable for x in _arrays_in(types)):
        return t
    return _as_read_only(t)


def _arrays_in(types):
    for x in types:
        if isinstance(x, TupleT):
            yield from _arrays_in(x.items)
        else:
            yield x


def _as_read_only(t):
    if isinstance(t, Array):
        return t.with_(writeable=False)
    if isinstance(t, TupleT):
        return TupleT(tuple(_as_read_only(i) for i in t.items))
    if isinstance(t, UnionT):
        return UnionT({_as_read_only(m) for m in t.members})
    return t
