"""The op registry: every op declared once, with its rules side by side.

An op has a name, the Python callables that map to it, the parameters it takes
as graph inputs and as compile-time attributes, a type rule, a numpy reference
implementation and its properties.  The frontend asks the registry which op a
callable, a method or an attribute is; type inference asks for the type rule;
the numpy backend calls the reference; passes ask the properties.

    >>> @defop("hypot", callables=[math.hypot], args=("x", "y"), may_raise=True)
    ... def hypot(x, y):
    ...     return math.hypot(x, y)
    >>> @hypot.type_rule
    ... def _(x, y):
    ...     return FLOAT

A type rule receives the input types (and the attributes as keywords) and
returns the result type, or raises ``TypeRuleError`` with a message when the op
does not accept those types: that makes the region's key run eagerly, with the
message in the report.
"""
from __future__ import annotations

import functools
import itertools
from typing import Callable

from ..record import field, record


class TypeRuleError(Exception):
    """Raised by a type rule for inputs the op does not accept."""


_NO_DEFAULT = object()

# Note [omitted optional inputs]
#     An optional input the call leaves out (``complex(x)``, ``math.log(x)``) is a
#     ``const None`` input of the node, as an explicit ``None`` would be, and the
#     node lists its name in the attribute ``omitted``.  The type rule is called
#     without it (``OpDef._rule``), so it sees its default; the reference
#     implementation gets ``None``, which is what it defaults to.  An explicit
#     ``None`` reaches the rule as the type NONE, which the rules of
#     ``complex`` and ``math.log`` reject, as CPython raises TypeError for it: so
#     a lowering that sees NONE among its input types sees an omitted input.
OMITTED = "omitted"


@record
class OpDef:
    """One op. See the module docstring."""

    name: str
    impl: Callable
    args: tuple = ()
    attrs: dict = field(default_factory=dict)
    varargs: bool = False
    callables: tuple = ()
    methods: tuple = ()
    elementwise: bool = False
    reduction: bool = False
    pure: bool = True
    may_raise: bool = False
    mutates: tuple = ()
    optional: frozenset = frozenset()
    attributes: tuple = ()
    sees_unions: bool = False
    rule: Callable | None = None

    def type_rule(self, fn: Callable) -> Callable:
        """Decorator: attach the type rule."""
        self.rule = fn
        return fn

    def infer(self, types, attrs):
        """The result type for inputs of ``types``, or TypeRuleError.

        A ``UnionT`` input is one of its members on each path, so the rule runs
        for every combination of members and the results join (``float|f64 + f64``
        is ``f64``; ``float|f64 + 1`` is ``float|f64``).  Type rules never see a union.
        Every result passes Note [read-only arrays] (readonly.py).
        """
        from .readonly import read_only
        return read_only(self, types, self._infer(types, attrs))

    def _infer(self, types, attrs):
        from .types import UnionT, members, unify
        if self.rule is None:
            raise TypeRuleError(f"op {self.name} has no type rule")
        if self.sees_unions or not any(isinstance(t, UnionT) for t in types):
            return self._rule(types, attrs)
        result = None
        for combination in itertools.product(*(members(t) for t in types)):
            t = self._rule(combination, attrs)
            joined = t if result is None else unify(result, t)
            if joined is None:
                raise TypeRuleError(f"the result is {result} on one path and {t} on another")
            result = joined
        return result

    def _rule(self, types, attrs):
        """The type rule called as the source called the op: an input the call
        omitted (Note [omitted optional inputs]) is left out, so that the rule sees
        its own default and not the type of the ``None`` standing in for it."""
        omitted = attrs.get(OMITTED, ())
        if not omitted:
            return self.rule(*types, **attrs)
        params = {k: v for k, v in attrs.items() if k != OMITTED}
        positional = []
        for name, t in zip(self.args, types):
            if name in omitted:
                continue
            if len(positional) == self.args.index(name):
                positional.append(t)
            else:
                params[name] = t
        return self.rule(*positional, **params)

    def bind(self, nargs: int, kwnames: tuple) -> tuple[list, dict] | str:
        """Map a call's positional count and keyword names onto inputs and attrs.

        Returns ``(input_slots, attr_slots)``: for each input, the index of the
        call argument (or None for a missing optional input); for each attribute
        name, the index of the argument that must be a constant.  Returns an
        error message when the call does not fit the op's signature.
        """
        params = list(self.args) + list(self.attrs)
        npos = nargs - len(kwnames)
        if self.varargs:
            if kwnames:
                return f"{self.name}() takes no keyword arguments here"
            return list(range(nargs)), {}
        if npos > len(params):
            return f"{self.name}() takes at most {len(params)} positional arguments"
        where = {}
        for i in range(npos):
            where[params[i]] = i
        for j, kw in enumerate(kwnames):
            if kw not in params or kw in where:
                return f"{self.name}() got an unexpected keyword argument {kw!r}"
            where[kw] = npos + j
        missing = [a for a in self.args if a not in where and a not in self.optional]
        if missing:
            return f"{self.name}() missing argument {missing[0]!r}"
        inputs = [where.get(a) for a in self.args]
        attrs = {a: where[a] for a in self.attrs if a in where}
        return inputs, attrs


OPS: dict[str, OpDef] = {}
_BY_CALLABLE: dict[int, tuple[object, OpDef]] = {}
_BY_METHOD: dict[tuple[str, str], OpDef] = {}
_BY_ATTR: dict[tuple[str, str], OpDef] = {}


def defop(name: str, *, args=(), attrs=None, varargs=False, callables=(), methods=(),
          attributes=(), elementwise=False, reduction=False, pure=True, may_raise=False,
          mutates=(), sees_unions=False):
    """Declare an op; decorates its numpy reference implementation.

    ``args`` name the graph inputs in call order; ``attrs`` map the names of
    compile-time parameters to their defaults (``{"axis": None}``); both can be
    passed positionally or by keyword. ``callables`` are the Python objects that
    map to the op (``np.sin``, ``math.sin``); ``methods`` are
    ``(type family, name)`` pairs such as ``("array", "sum")`` for calls
    ``a.sum(...)`` (the receiver is the first input), and ``attributes`` the same
    for attribute reads such as ``("array", "shape")``.  An arg name ending in
    ``?`` is optional (its input is ``None`` when the call omits it).
    Type families: ``array``, ``npscalar``, ``int``, ``float``, ``bool``, ``complex``.
    """

    def register(impl: Callable) -> OpDef:
        if name in OPS:
            raise ValueError(f"op {name!r} is declared twice")
        names = tuple(a.rstrip("?") for a in args)
        optional = frozenset(a.rstrip("?") for a in args if a.endswith("?"))
        if optional:
            impl = _ignoring_omitted(impl)
        op = OpDef(name, impl, names, dict(attrs or {}), varargs, tuple(callables),
                   tuple(methods), elementwise, reduction, pure, may_raise, tuple(mutates),
                   optional, tuple(attributes), sees_unions)
        OPS[name] = op
        for obj in op.callables:
            _BY_CALLABLE[id(obj)] = (obj, op)
        for key in op.methods:
            _BY_METHOD[key] = op
        for key in op.attributes:
            _BY_ATTR[key] = op
        return op

    return register


def _ignoring_omitted(impl: Callable) -> Callable:
    """``impl`` taking (and ignoring) the ``omitted`` attribute: its omitted
    inputs arrive as None, its default."""
    @functools.wraps(impl)
    def run(*inputs, omitted=(), **params):
        return impl(*inputs, **params)
    return run


def get(name: str) -> OpDef:
    return OPS[name]


def op_for_callable(obj) -> OpDef | None:
    hit = _BY_CALLABLE.get(id(obj))
    return hit[1] if hit is not None and hit[0] is obj else None


def op_for_method(family: str, name: str) -> OpDef | None:
    """The op for the call ``value.name(...)`` on a value of a type family."""
    return _BY_METHOD.get((family, name))


def op_for_attribute(family: str, name: str) -> OpDef | None:
    """The op for the attribute read ``value.name`` on a value of a type family."""
    return _BY_ATTR.get((family, name))


def method_names() -> frozenset:
    """Names that are a method on some family: the frontend's static check."""
    return frozenset(name for _, name in _BY_METHOD)


def attribute_names() -> frozenset:
    return frozenset(name for _, name in _BY_ATTR)


def family(t) -> str | None:
    """The type family used to look up methods and attributes of a value type."""
    from .types import Array, NpScalar, PyScalar
    if isinstance(t, Array):
        return "array"
    if isinstance(t, NpScalar):
        return "npscalar"
    if isinstance(t, PyScalar):
        return t.name
    return None


class Deopt(Exception):
    """Raised by a reference implementation when the value would not have the
    inferred type (``2 ** -1`` is a float, not an int) or the LLVM backend would
    have to bail out: the region takes the statement's resume exit and CPython
    computes the statement itself."""
