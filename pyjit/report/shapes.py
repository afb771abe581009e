"""Shape propagation over a typed graph: the sizes the ``Array`` type leaves out.

A typed graph knows each array's dtype, ndim and layout, not its dimensions.
``propagate(graph, input_shapes, input_values)`` follows the dimensions of the
live-ins through the ops whose result shape follows from their inputs' shapes
(and from a few static integers: ``np.zeros((n, 3))``, ``a.reshape(m, -1)``):

================================  ==================================================
elementwise ops (``elementwise``)  the broadcast of the array operands' shapes
reductions (``reduction``)         the input's shape without the reduced axes
                                   (kept as 1 with ``keepdims=True``)
``np.cumsum``, ``np.cumprod``      the input's shape, or its size flattened
``matmul``, ``np.dot`` …           numpy's product shapes
creation (``np.zeros`` …)          the static shape argument; ``*_like``, ``copy``,
                                   ``astype`` the input's shape; ``arange``,
                                   ``linspace``, ``eye``, ``identity`` from static values
views                              ``a.T``, ``a[...]`` (basic indexing), ``reshape``,
                                   ``ravel``, ``flatten``, ``real``, ``imag``
in-place ops (``mutates``)         the updated array's shape
block parameters                   the join of the incoming shapes, dimension by dimension
================================  ==================================================

Anything else has *unknown* dimensions (``None``).  A dimension is an ``int``, a
``Sym`` (known only symbolically, when the input shapes are not given: axis 0
of live-in ``a`` is ``Sym("a.0")``) or ``None``.

Static values (``int``, ``tuple`` of ints, ``slice``, ``None``) flow from
``const`` nodes, the given live-in values, ``a.shape``/``a.size``/``a.ndim``/
``len``, tuples and integer arithmetic; a value that differs between the
paths into a block is unknown.  The analysis runs to a fixpoint in reverse
post-order, as type inference does.

    >>> facts = propagate(typed, [(1000, 3), None], [None, 5])
    >>> facts.shape(node.out)
    (1000, 3)
"""
from __future__ import annotations

from dataclasses import dataclass
import math
import operator

from pyjit.ir import registry
from pyjit.ir.types import Array, TupleT
from pyjit.ir.verify import reverse_postorder


class _Unknown:
    """The lattice bottom for static values: not one value on every path."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()


@dataclass(frozen=True)
class Sym:
    """A dimension known by name only.  ``parts`` non-empty: the broadcast of those
    dimensions, which is their maximum whenever the op did not raise."""

    name: str
    parts: tuple = ()

    def __str__(self) -> str:
        return self.name

    def evaluate(self, env: dict) -> int:
        if self.parts:
            return max(evaluate_dim(p, env) for p in self.parts)
        return env[self.name]


def evaluate_dim(d, env: dict) -> int:
    """The integer value of dimension ``d`` given ``env`` (symbol name → int)."""
    return d if isinstance(d, int) else d.evaluate(env)


def input_symbols(name: str, shape) -> dict:
    """``{"a.0": 1000, "a.1": 3}``: the environment binding live-in ``name``'s axes."""
    return {f"{name}.{k}": d for k, d in enumerate(shape)}


def _bcast_dim(a, b):
    if a == b:
        return a
    if a == 1:
        return b
    if b == 1:
        return a
    if isinstance(a, int) and isinstance(b, int):
        return None  # numpy raises: the op never produces a value
    if isinstance(a, int) or isinstance(b, int):
        # The other is unknown or symbolic; if the op succeeds it is a or 1.
        n = a if isinstance(a, int) else b
        return n if n > 1 else None
    if a is None or b is None:
        return None
    parts = tuple(sorted(set((a.parts or (a,)) + (b.parts or (b,))), key=str))
    return Sym("max(" + ",".join(map(str, parts)) + ")", parts)


def broadcast(*shapes):
    """numpy's broadcast of shapes whose dimensions may be symbolic or unknown."""
    ndim = max((len(s) for s in shapes), default=0)
    out = []
    for k in range(ndim):
        dims = [s[len(s) - ndim + k] for s in shapes if len(s) - ndim + k >= 0]
        d = dims[0]
        for e in dims[1:]:
            d = _bcast_dim(d, e)
        out.append(d)
    return tuple(out)


def size_of(shape):
    """Number of elements: an int, or None unless every dimension is an int."""
    if shape is None or any(not isinstance(d, int) for d in shape):
        return None
    return math.prod(shape)


def _join_value(a, b):
    return a if a == b and type(a) is type(b) else UNKNOWN


def _join_shape(a, b):
    if a is None or b is None or len(a) != len(b):
        return None
    return tuple(x if x == y else None for x, y in zip(a, b))


class ShapeFacts:
    """The result of ``propagate``: ``shape(v)`` and ``value(v)`` per graph value."""

    def __init__(self):
        self.shapes: dict = {}
        self.values: dict = {}

    def shape(self, v):
        """``v``'s shape as a tuple of dimensions, or None (not an array, or its ndim
        unknown)."""
        s = self.shapes.get(v)
        if s is None and isinstance(v.type, Array):
            return (None,) * v.type.ndim
        return s

    def value(self, v):
        """``v``'s static value, or ``UNKNOWN``."""
        return self.values.get(v, UNKNOWN)


def propagate(graph, input_shapes=None, input_values=None) -> ShapeFacts:
    """Shapes and static values of every value of the typed ``graph``.

    ``input_shapes[i]`` is the shape of live-in ``i`` (None: not an array, or
    unknown); with ``input_shapes=None`` every array live-in gets symbolic
    dimensions named ``<live-in>.<axis>``.  ``input_values[i]`` is live-in
    ``i``'s value where it is a static integer, tuple or slice (else None).
    """
    facts = ShapeFacts()
    fixed_shapes, fixed_values = {}, {}
    for i, li in enumerate(graph.inputs):
        t = li.value.type
        if isinstance(t, Array):
            shape = input_shapes[i] if input_shapes is not None else \
                tuple(Sym(f"{li.name}.{k}") for k in range(t.ndim))
            if shape is not None:
                fixed_shapes[li.value] = tuple(shape)
        v = input_values[i] if input_values is not None else None
        if _is_static(v):
            fixed_values[li.value] = v
    order = reverse_postorder(graph)
    incoming = {b: [] for b in order}
    for b in order:
        for target, args in b.term.targets:
            incoming.setdefault(target, []).append(args)
    for _ in range(64):
        changed = False
        for b in order:
            for k, p in enumerate(b.params):
                changed |= _set_param(facts, p, [a[k] for a in incoming[b]], fixed_shapes,
                                      fixed_values)
            for n in b.nodes:
                changed |= _transfer(facts, n)
        if not changed:
            break
    return facts


def _is_static(v) -> bool:
    if isinstance(v, (bool, int, float, slice, type(None))):
        return True
    return isinstance(v, tuple) and all(_is_static(x) or isinstance(x, Sym) for x in v)


def _set(table: dict, v, new) -> bool:
    if v in table and table[v] == new and type(table[v]) is type(new):
        return False
    table[v] = new
    return True


def _set_param(facts, p, args, fixed_shapes, fixed_values) -> bool:
    shapes = [fixed_shapes[p]] if p in fixed_shapes else []
    shapes += [facts.shapes[a] for a in args if a in facts.shapes]
    values = [fixed_values[p]] if p in fixed_values else []
    values += [facts.values[a] for a in args if a in facts.values]
    changed = False
    if shapes:
        s = shapes[0]
        for t in shapes[1:]:
            s = _join_shape(s, t)
        changed |= _set(facts.shapes, p, s)
    if values:
        v = values[0]
        for w in values[1:]:
            v = _join_value(v, w)
        changed |= _set(facts.values, p, v)
    return changed


def _transfer(facts: ShapeFacts, n) -> bool:
    changed = False
    value = _VALUE_RULES.get(n.op, _no_value)(facts, n)
    if value is not UNKNOWN:
        changed |= _set(facts.values, n.out, value)
    if n.outputs and isinstance(n.out.type, Array):
        shape = _shape_rule(facts, n)
        if shape is not None and len(shape) == n.out.type.ndim:
            changed |= _set(facts.shapes, n.out, tuple(shape))
    return changed


# --- static values -------------------------------------------------------------

def _no_value(facts, n):
    return UNKNOWN


def _ints(*vals) -> bool:
    return all(type(v) is int for v in vals)


def _arith(fn):
    def rule(facts, n):
        vals = [facts.value(v) for v in n.inputs]
        return fn(*vals) if _ints(*vals) and not (fn is operator.floordiv and vals[1] == 0) \
            else UNKNOWN
    return rule


def _shape_value(facts, n):
    s = facts.shapes.get(n.inputs[0])
    return tuple(s) if s is not None and all(d is not None for d in s) else UNKNOWN


def _size_value(facts, n):
    size = size_of(facts.shapes.get(n.inputs[0]))
    return UNKNOWN if size is None else size


def _ndim_value(facts, n):
    t = n.inputs[0].type
    return t.ndim if isinstance(t, Array) else UNKNOWN


def _len_value(facts, n):
    s = facts.shapes.get(n.inputs[0])
    if s is not None and s and isinstance(s[0], int):
        return s[0]
    t = facts.value(n.inputs[0])
    return len(t) if isinstance(t, tuple) else UNKNOWN


def _tuple_get_value(facts, n):
    t = facts.value(n.inputs[0])
    if isinstance(t, tuple) and -len(t) <= n.attrs["index"] < len(t):
        return t[n.attrs["index"]]
    return UNKNOWN


def _getitem_value(facts, n):
    """``t[i]`` of a static tuple (``a.shape[0]``)."""
    t, i = facts.value(n.inputs[0]), facts.value(n.inputs[1])
    if isinstance(t, tuple) and type(i) is int and -len(t) <= i < len(t):
        return t[i]
    return UNKNOWN


def _build_tuple_value(facts, n):
    items = tuple(facts.value(v) for v in n.inputs)
    return UNKNOWN if any(i is UNKNOWN for i in items) else items


def _build_slice_value(facts, n):
    parts = [facts.value(v) for v in n.inputs]
    if any(p is UNKNOWN or not (p is None or type(p) is int) for p in parts):
        return UNKNOWN
    return slice(*parts)


def _const_value(facts, n):
    v = n.attrs.get("value")
    return v if _is_static(v) else UNKNOWN


def _range_len_value(facts, n):
    vals = [facts.value(v) for v in n.inputs]
    return len(range(*vals)) if _ints(*vals) and vals[2] != 0 else UNKNOWN


_VALUE_RULES = {
    "const": _const_value, "attr.shape": _shape_value, "attr.size": _size_value,
    "attr.ndim": _ndim_value, "len": _len_value, "tuple_get": _tuple_get_value,
    "getitem": _getitem_value,
    "build_tuple": _build_tuple_value, "build_slice": _build_slice_value,
    "range_len": _range_len_value, "check_bound": lambda f, n: f.value(n.inputs[0]),
    "add": _arith(operator.add), "sub": _arith(operator.sub), "mul": _arith(operator.mul),
    "floordiv": _arith(operator.floordiv), "neg": _arith(operator.neg),
}


# --- shapes ----------------------------------------------------------------------

def _shape_rule(facts, n):
    rule = _SHAPE_RULES.get(n.op)
    if rule is not None:
        return rule(facts, n)
    op = registry.OPS.get(n.op)
    if op is None:
        return None
    if op.mutates and n.inputs and isinstance(n.inputs[0].type, Array):
        return facts.shapes.get(n.inputs[0])   # a += b: a, updated
    if op.elementwise:
        return _elementwise(facts, n)
    if op.reduction:
        return _reduced(facts, n)
    return None


def _operand_shape(facts, v):
    """The shape an operand contributes to a broadcast: () for a scalar."""
    if isinstance(v.type, Array):
        return facts.shape(v)
    return ()


def _elementwise(facts, n):
    shapes = [_operand_shape(facts, v) for v in n.inputs if v.type is not None]
    return broadcast(*shapes)


def _axes(axis, ndim):
    if axis is None:
        return set(range(ndim))
    axes = axis if isinstance(axis, tuple) else (axis,)
    return {a % ndim for a in axes} if ndim else set()


def _reduced(facts, n):
    s = facts.shape(n.inputs[0]) if isinstance(n.inputs[0].type, Array) else ()
    axes = _axes(n.attrs.get("axis"), len(s))
    if n.attrs.get("keepdims"):
        return tuple(1 if k in axes else d for k, d in enumerate(s))
    return tuple(d for k, d in enumerate(s) if k not in axes)


def _scan(facts, n):
    s = facts.shape(n.inputs[0]) if isinstance(n.inputs[0].type, Array) else ()
    if n.attrs.get("axis") is None:
        return (size_of(s),)
    return s


def _same(facts, n):
    v = n.inputs[0]
    return facts.shape(v) if isinstance(v.type, Array) else ()


def _dims_from_value(v):
    """A static shape argument: an int or a tuple of ints (or Syms)."""
    if v is UNKNOWN:
        return None
    items = v if isinstance(v, tuple) else (v,)
    if not all(type(d) is int or isinstance(d, Sym) for d in items):
        return None
    return tuple(items)


def _filled(facts, n):
    return _dims_from_value(facts.value(n.inputs[0]))


def _transposed(facts, n):
    s = _same(facts, n)
    return tuple(reversed(s))


def _product(facts, n):
    a, b = (facts.shape(v) if isinstance(v.type, Array) else () for v in n.inputs[:2])
    if n.op == "np.outer":
        return (size_of(a), size_of(b))
    if n.op == "np.vdot":
        return ()
    if n.op == "np.inner":
        return a[:-1] + b[:-1]
    if not a or not b:
        return broadcast(a, b)
    if n.op == "np.dot" and len(b) > 2:
        return a[:-1] + b[:-2] + b[-1:]
    if len(a) == 1 and len(b) == 1:
        return ()
    if len(a) == 1:
        return b[:-2] + b[-1:]
    if len(b) == 1:
        return a[:-1]
    if n.op == "np.dot":
        return a[:-1] + b[-1:]
    return broadcast(a[:-2], b[:-2]) + (a[-2], b[-1])


def _arange(facts, n):
    start, stop, step = (facts.value(v) for v in n.inputs)
    if stop is None:       # np.arange(n): an omitted bound is a const None
        start, stop = 0, start
    step = 1 if step is None else step
    bounds = (start, stop, step)
    if not all(type(x) in (int, float) for x in bounds) or step == 0:
        return None
    return (max(0, math.ceil((stop - start) / step)),)


def _linspace(facts, n):
    num = facts.value(n.inputs[2])
    num = 50 if num is None else num
    return (num,) if type(num) is int else None


def _eye(facts, n):
    N = facts.value(n.inputs[0])
    M = facts.value(n.inputs[1]) if len(n.inputs) > 1 else None
    M = N if M is None else M
    return (N, M) if _ints(N, M) else None


def _identity(facts, n):
    k = facts.value(n.inputs[0])
    return (k, k) if _ints(k) else None


def _index_items(facts, n):
    """The index of ``x[idx]`` as (type, static value) pairs, one per item."""
    idx = n.inputs[1]
    value = facts.value(idx)
    if isinstance(idx.type, TupleT):
        values = value if isinstance(value, tuple) else (UNKNOWN,) * len(idx.type.items)
        return list(zip(idx.type.items, values))
    return [(idx.type, value)]


def _getitem(facts, n):
    x = n.inputs[0]
    if not isinstance(x.type, Array):
        return None
    shape = list(facts.shape(x))
    items = _index_items(facts, n)
    if any(isinstance(t, Array) and t.ndim > 0 or str(t) in ("bool", "b1") for t, _ in items):
        return None   # advanced indexing: shapes depend on index values
    consumed = sum(1 for t, _ in items if str(t) not in ("None", "ellipsis"))
    out, k = [], 0
    for t, v in items:
        kind = str(t)
        if kind == "None":
            out.append(1)
        elif kind == "ellipsis":
            rest = len(shape) - consumed
            out.extend(shape[k:k + rest])
            k += rest
        elif kind == "slice":
            d = shape[k]
            if v == slice(None) or v == slice(None, None, 1):
                out.append(d)              # a[:] keeps even a symbolic dimension
            elif isinstance(v, slice) and type(d) is int:
                out.append(len(range(*v.indices(d))))
            else:
                out.append(None)
            k += 1
        else:
            k += 1  # an integer drops the dimension
    return tuple(out + shape[k:])


def _reshape(facts, n):
    if n.op == "array.reshape":
        parts = [facts.value(v) for v in n.inputs[1:]]
        value = parts[0] if len(parts) == 1 else tuple(parts)
    else:
        value = facts.value(n.inputs[1])
    dims = _dims_from_value(value)
    if dims is None:
        return None
    if -1 in dims:
        total = size_of(facts.shape(n.inputs[0]))
        known = size_of(tuple(d for d in dims if d != -1))
        if total is None or known in (None, 0):
            return tuple(None if d == -1 else d for d in dims)
        return tuple(total // known if d == -1 else d for d in dims)
    return dims


def _flat(facts, n):
    return (size_of(facts.shape(n.inputs[0])),)


def _inplace_or_same(facts, n):
    return facts.shapes.get(n.inputs[0])


_SHAPE_RULES = {
    "np.cumsum": _scan, "np.cumprod": _scan,
    "matmul": _product, "imatmul": _product, "np.matmul": _product, "np.dot": _product,
    "np.vdot": _product, "np.inner": _product, "np.outer": _product,
    "np.zeros": _filled, "np.ones": _filled, "np.empty": _filled, "np.full": _filled,
    "np.zeros_like": _same, "np.ones_like": _same, "np.empty_like": _same,
    "np.full_like": _same, "np.copy": _same, "array.copy": _same, "array.astype": _same,
    "np.arange": _arange, "np.linspace": _linspace, "np.eye": _eye, "np.identity": _identity,
    "attr.T": _transposed, "attr.real": _same, "attr.imag": _same, "array.conjugate": _same,
    "getitem": _getitem, "array.reshape": _reshape, "np.reshape": _reshape,
    "np.ravel": _flat, "array.flatten": _flat, "check_bound": _inplace_or_same,
}
