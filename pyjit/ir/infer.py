"""Type inference: the untyped graph of a region, specialized to its live-in types.

    >>> typed = infer(graph, [FLOAT, INT])
    >>> typed if isinstance(typed, Unsupported) else print(typed)

The frontend builds one untyped graph per region; ``infer`` returns a typed
*copy* for one key (the graph is shared by every specialization and never
changes), or an ``Unsupported`` saying why this key must run in CPython.

Besides typing every value it resolves the frontend's untyped ops, whose
meaning depends on types (Note [frontend ops]):

``call``     inputs ``[callee, *args]``, attrs ``{kwnames}``: the callee's type is
             ``Const(fn)`` and ``fn`` maps to a registered op.
``method``   inputs ``[receiver, *args]``, attrs ``{name, kwnames}``: an op
             registered for (the receiver's type family, name).  On a constant
             receiver (``np.sin(x)`` read through ``LOAD_METHOD``) it is the
             call of the constant's attribute.
``getattr``  inputs ``[obj]``, attrs ``{name}``: a constant's attribute becomes a
             ``const`` node, any other value's an op registered for (family, name).

Call arguments bind to the op's inputs and attributes with ``OpDef.bind``; an
attribute's argument must be a constant (a ``const`` node, or a value of
``Const`` type); a missing optional input becomes a ``const None`` node, named in
the node's ``omitted`` attribute (registry.py, Note [omitted optional inputs]).

Block parameters take the ``unify`` of the types their incoming branches
pass.  Blocks are visited in reverse post-order until no type changes; an
argument on a back edge that has no type yet is ignored until it has one.
Unreachable blocks are left out of the typed copy.
"""
from __future__ import annotations

from . import registry
from .clone import clone
from .graph import Block, Graph, Node, Value
from .registry import OpDef, TypeRuleError
from .types import NONE, Const, TupleT, Type, const_label, members, unify
from .verify import FRONTEND_OPS, maybe_verify, reverse_postorder
from ..report.reasons import Unsupported

_DEFER = object()      # an input's type is not known yet: revisit on the next sweep
_MISSING = object()

# More sweeps than this means a type keeps changing: a bug in a type rule.
_MAX_SWEEPS = 64


def infer(graph: Graph, input_types: list[Type]) -> Graph | Unsupported:
    """A typed copy of ``graph`` for live-ins of ``input_types``, or why not.

        >>> t = infer(g, [INT])              # g computes x * x + 1
        >>> print(t)
        graph f(%0 = local x) {
        ^0(%0 x:int):
          %1:int = mul %0, %0
          %2:int = const {value=1}
          %3:int = add %1, %2
        ...
    """
    if len(input_types) != len(graph.inputs):
        raise ValueError(f"{graph.name} has {len(graph.inputs)} live-ins, "
                         f"got {len(input_types)} types")
    typed = clone(graph)
    result = _Inference(typed, input_types).run()
    if isinstance(result, Unsupported):
        return result
    maybe_verify(typed, typed=True)
    return typed


def _unsupported(code: str, detail: str, loc) -> Unsupported:
    if loc is None:
        return Unsupported(code, detail)
    filename, lineno, instr = loc
    return Unsupported(code, detail, instr=instr or "", filename=filename or "", lineno=lineno)


def _name(v: Value) -> str:
    return v.hint if v.hint is not None else f"%{v.id}"


class _Inference:
    def __init__(self, g: Graph, input_types: list[Type]):
        self.g = g
        self.fixed = {li.value: t for li, t in zip(g.inputs, input_types)}
        self.changed = False
        self.rejected: dict = {}  # node -> its type rule's objection to the current types

    def run(self) -> Unsupported | None:
        g = self.g
        order = reverse_postorder(g)
        reachable = set(order)
        g.blocks = [b for b in g.blocks if b in reachable]
        self.incoming: dict[Block, list[list[Value]]] = {b: [] for b in order}
        for b in order:
            for target, args in b.term.targets:
                self.incoming[target].append(args)
        self.def_node: dict[Value, Node] = {}
        for b in order:
            for p in b.params:
                p.type = None
            for n in b.nodes:
                for o in n.outputs:
                    o.type = None
                    self.def_node[o] = n
        for _ in range(_MAX_SWEEPS):
            self.changed = False
            for b in order:
                problem = self.params(b) or self.nodes(b)
                if problem is not None:
                    return problem
            if not self.changed:
                # Note [type rule errors wait for the fixed point]
                first = next((self.rejected[n] for b in order for n in b.nodes if n in self.rejected),
                             None)
                return first or self.check_complete(order)
        return Unsupported("PJ0010", f"type inference of {g.name} did not converge")

    def set_type(self, v: Value, t: Type) -> None:
        if v.type is None or v.type != t:
            v.type = t
            self.changed = True

    def check_complete(self, order) -> Unsupported | None:
        for b in order:
            for v in b.params + [o for n in b.nodes for o in n.outputs]:
                if v.type is None:
                    return Unsupported("PJ0010", f"no type found for {_name(v)} in ^{b.id}")
        return None

    def params(self, b: Block) -> Unsupported | None:
        for k, p in enumerate(b.params):
            types = [self.fixed[p]] if p in self.fixed else []
            types += [args[k].type for args in self.incoming[b] if args[k].type is not None]
            if not types:
                continue
            t = types[0]
            for u in types[1:]:
                joined = unify(t, u)
                if joined is None:
                    loc = next((n.loc for n in b.nodes if n.loc is not None), None)
                    return _unsupported("PJ0007", f"{_name(p)} is {t} on one path and {u} on "
                                        f"another", loc)
                t = joined
            self.set_type(p, t)
        return None

    def nodes(self, b: Block) -> Unsupported | None:
        # Resolving a call may insert const nodes before it, so the list is rebuilt.
        nodes: list[Node] = []
        for n in b.nodes:
            if n.op in FRONTEND_OPS:
                resolved = _RESOLVERS[n.op](self, n, nodes)
                if isinstance(resolved, Unsupported):
                    return resolved
                if resolved is _DEFER:
                    nodes.append(n)
                    continue
                self.changed = True
            nodes.append(n)
            problem = self.type_node(n)
            if problem is not None:
                return problem
        b.nodes = nodes
        return None

    def type_node(self, n: Node) -> Unsupported | None:
        if n.op == "getitem":
            self.tuple_item(n)
        op = registry.OPS.get(n.op)
        if op is None:
            return _unsupported("PJ0010", f"unknown op {n.op!r}", n.loc)
        types = [v.type for v in n.inputs]
        if any(t is None for t in types):
            return None
        n.attrs = {**op.attrs, **n.attrs}
        try:
            t = op.infer(types, n.attrs)
        except TypeRuleError as exc:
            self.rejected[n] = _unsupported("PJ0006", f"{n.op}: {exc}", n.loc)
            return None
        self.rejected.pop(n, None)
        self.set_type(n.out, t)
        return None

    def tuple_item(self, n: Node) -> None:
        """``t[1]`` with a constant index on a tuple: ``tuple_get``, whose type is
        that item's (``getitem`` types only homogeneous tuples, its index being
        unknown).  An index out of range stays a ``getitem``: CPython raises."""
        t, k = n.inputs[0].type, self.constant(n.inputs[1])
        if isinstance(t, TupleT) and type(k) is int and -len(t.items) <= k < len(t.items):
            n.op, n.inputs, n.attrs = "tuple_get", [n.inputs[0]], {"index": k % len(t.items)}
            self.changed = True

    # Note [type rule errors wait for the fixed point]
    #     Types only grow from sweep to sweep (block parameters join their incoming
    #     types), so a type rule may object to a type that is not final yet: after
    #     ``for ...: t = x * 2`` the first sweep sees ``t`` as only ``undef`` where
    #     the loop's exit reads it (the back edge is typed later), and check_bound
    #     rejects that, while the final ``f64[?]|undef`` is fine.  So an objection is
    #     recorded, not returned, and the node's result stays untyped; the first
    #     objection still standing when the types stop changing is the answer.

    # Note [frontend ops]: each resolver rewrites a call/method/getattr node in
    # place into a registered op, or returns _DEFER while a type it needs is
    # unknown, or an Unsupported.

    def resolve_call(self, n: Node, nodes: list) -> object:
        callee, args = n.inputs[0], n.inputs[1:]
        if callee.type is None:
            return _DEFER
        if not isinstance(callee.type, Const):
            return _unsupported("PJ0001", f"call to {_name(callee)} of type {callee.type}", n.loc)
        return self.call(n, callee.type.value, args, nodes)

    def call(self, n: Node, fn, args: list, nodes: list) -> object:
        op = registry.op_for_callable(fn)
        if op is None:
            return _unsupported("PJ0001", f"call to {const_label(fn)}", n.loc)
        return self.bind(n, op, args, n.attrs.get("kwnames", ()), nodes)

    def resolve_method(self, n: Node, nodes: list) -> object:
        receiver, args = n.inputs[0], n.inputs[1:]
        name = n.attrs["name"]
        if receiver.type is None:
            return _DEFER
        if isinstance(receiver.type, Const):
            fn = getattr(receiver.type.value, name, _MISSING)
            if fn is _MISSING:
                return _unsupported("PJ0003", f"{const_label(receiver.type.value)}.{name}", n.loc)
            return self.call(n, fn, args, nodes)
        op = _by_family(registry.op_for_method, receiver.type, name)
        if op is None:
            return _unsupported("PJ0004", f"{receiver.type}.{name}()", n.loc)
        return self.bind(n, op, [receiver, *args], n.attrs.get("kwnames", ()), nodes)

    def resolve_getattr(self, n: Node, nodes: list) -> object:
        obj, name = n.inputs[0], n.attrs["name"]
        if obj.type is None:
            return _DEFER
        if isinstance(obj.type, Const):
            value = getattr(obj.type.value, name, _MISSING)
            if value is _MISSING:
                return _unsupported("PJ0003", f"{const_label(obj.type.value)}.{name}", n.loc)
            n.op, n.inputs, n.attrs = "const", [], {"value": value}
            return n
        op = _by_family(registry.op_for_attribute, obj.type, name)
        if op is None:
            return _unsupported("PJ0003", f"{obj.type}.{name}", n.loc)
        n.op, n.inputs, n.attrs = op.name, [obj], dict(op.attrs)
        return n

    def bind(self, n: Node, op: OpDef, args: list, kwnames: tuple, nodes: list) -> object:
        bound = op.bind(len(args), tuple(kwnames))
        if isinstance(bound, str):
            return _unsupported("PJ0001", bound, n.loc)
        input_slots, attr_slots = bound
        attrs = dict(op.attrs)
        for name, i in attr_slots.items():
            value = self.constant(args[i])
            if value is _DEFER:
                return _DEFER
            if value is _MISSING:
                return _unsupported("PJ0013", f"{op.name}() argument {name!r} is not a constant "
                                    f"({_name(args[i])} is {args[i].type})", n.loc)
            attrs[name] = value
        inputs = []
        omitted = tuple(name for name, i in zip(op.args, input_slots) if i is None)
        if omitted:   # Note [omitted optional inputs]
            attrs[registry.OMITTED] = omitted
        for i in input_slots:
            if i is None:
                none = Node("const", [], {"value": None}, [self.g.new_value(NONE)], loc=n.loc)
                self.def_node[none.out] = none
                nodes.append(none)
                inputs.append(none.out)
            else:
                inputs.append(args[i])
        n.op, n.inputs, n.attrs = op.name, inputs, attrs
        return n

    def constant(self, v: Value) -> object:
        """The compile-time value of ``v``, ``_DEFER``, or ``_MISSING`` if it has none."""
        node = self.def_node.get(v)
        if node is not None and node.op == "const":
            return node.attrs.get("value")
        if isinstance(v.type, Const):
            return v.type.value
        return _DEFER if v.type is None else _MISSING


def _by_family(lookup, t: Type, name: str) -> OpDef | None:
    """The op ``lookup`` gives for ``name`` on every member of ``t``, if one op."""
    ops = []
    for m in members(t):
        family = registry.family(m)
        ops.append(lookup(family, name) if family is not None else None)
    return ops[0] if all(op is ops[0] for op in ops) else None


_RESOLVERS = {"call": _Inference.resolve_call, "method": _Inference.resolve_method,
              "getattr": _Inference.resolve_getattr}
