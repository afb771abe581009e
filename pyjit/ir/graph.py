"""The graph IR: SSA values, nodes, blocks with block arguments, and exits.

A region of bytecode becomes one ``Graph``. Its entry block's parameters are the
region's live-ins; control leaves the graph only through an ``Exit``: the end of
the region, a jump elsewhere in the function, a ``return``, or a *resume* point
(a bailout that continues in the region's eager copy at a statement).

    >>> g = Graph("demo")
    >>> b = g.new_block()
    >>> x = g.add_input("x", "local")
    >>> y = b.add("add", [x, b.add("const", [], value=1)])
    >>> b.exit(g.add_exit(Exit("end", names=("y",), values=[y])))

Note [exits carry state]
    Each exit lists the values of the frame's locals (``names``) and of the
    operand-stack items above the region's base depth (``stack``) that the
    rewritten bytecode stores before jumping to the exit's target.  A node that
    may raise names the *resume* exit of its statement in ``node.exit``; the
    values of that exit are those at the statement's start, so they dominate
    every node of the statement.  The numpy backend takes that exit when the
    node's reference implementation raises; the LLVM backend when a check fails.
    CPython then re-executes the statement from its start and raises the real
    exception, with the real traceback.
"""
from __future__ import annotations

import itertools

from ..record import field, record
from .types import Type


class Value:
    """An SSA value: the result of a node or a block parameter."""

    __slots__ = ("id", "type", "hint")

    def __init__(self, id: int, type: Type | None = None, hint: str | None = None):
        self.id = id
        self.type = type
        self.hint = hint

    def __repr__(self) -> str:
        return f"%{self.id}" if self.type is None else f"%{self.id}:{self.type}"


class Node:
    """One operation: ``outputs = op(inputs, **attrs)``.

    ``attrs`` hold compile-time constants (a literal's value, a reduction's
    ``axis``); ``exit`` is the resume exit taken if the op raises.
    """

    __slots__ = ("op", "inputs", "attrs", "outputs", "exit", "loc")

    def __init__(self, op: str, inputs, attrs=None, outputs=(), exit=None, loc=None):
        self.op = op
        self.inputs = list(inputs)
        self.attrs = dict(attrs or {})
        self.outputs = list(outputs)
        self.exit = exit
        self.loc = loc

    @property
    def out(self) -> Value:
        return self.outputs[0]

    def __repr__(self) -> str:
        return f"Node({self.op}, {self.inputs}, {self.attrs})"


@record
class Term:
    """A block terminator.

    ``br``: ``targets=[(block, args)]``; ``cbr``: ``cond`` plus the true and false
    targets; ``exit``: leave the graph through exit number ``exit``.
    """

    kind: str
    cond: Value | None = None
    targets: list = field(default_factory=list)
    exit: int | None = None


class Block:
    """A basic block: parameters (the block arguments), nodes, one terminator."""

    def __init__(self, graph: "Graph", id: int):
        self.graph = graph
        self.id = id
        self.params: list[Value] = []
        self.nodes: list[Node] = []
        self.term: Term | None = None

    def add_param(self, type: Type | None = None, hint: str | None = None) -> Value:
        v = self.graph.new_value(type, hint)
        self.params.append(v)
        return v

    def add(self, op: str, inputs, *, exit=None, loc=None, type=None, **attrs) -> Value:
        """Append ``op(inputs, **attrs)`` and return its (single) result."""
        out = self.graph.new_value(type)
        self.nodes.append(Node(op, inputs, attrs, [out], exit, loc))
        return out

    def br(self, target: "Block", args) -> None:
        self.term = Term("br", targets=[(target, list(args))])

    def cbr(self, cond: Value, t: "Block", targs, f: "Block", fargs) -> None:
        self.term = Term("cbr", cond=cond, targets=[(t, list(targs)), (f, list(fargs))])

    def exit(self, k: int) -> None:
        self.term = Term("exit", exit=k)

    @property
    def successors(self) -> list["Block"]:
        return [b for b, _ in self.term.targets] if self.term else []

    def __repr__(self) -> str:
        return f"^{self.id}"


@record
class StackItem:
    """An operand-stack item an exit must rebuild, from ``values``.

    ``kind`` is ``"value"`` (push the value itself), ``"range_iter"`` (values:
    start, stop, step, index of the next item), ``"seq_iter"`` (values: the
    sequence, index of the next item), or ``zip``/``enumerate`` followed by its
    sources' kinds, ``"zip_seq_range"``, ``"enumerate_seq"`` (values: the
    enumerate count, each source's start, stop, step or sequence, the index).
    """

    kind: str
    values: list


@record
class Exit:
    """A way out of the graph; see Note [exits carry state].

    kind: ``end`` (fall through past the region), ``jump`` (to ``target``),
    ``return`` (the one stack item is the return value), ``resume`` (continue
    the eager copy at statement ``target``).
    """

    kind: str
    target: object = None
    names: tuple = ()
    values: list = field(default_factory=list)
    stack: list = field(default_factory=list)
    maybe: frozenset = frozenset()   # names whose value may be UNBOUND: stored only if bound

    def all_values(self) -> list:
        vals = list(self.values)
        for item in self.stack:
            vals.extend(item.values)
        return vals


@record
class LiveIn:
    """A region input. ``source`` is ``local``, ``global`` or ``deref``.

    A ``static`` live-in (a module, a function to inline, ``range``) must be the
    very object the graph was built against: the dispatcher guards it with ``is``.
    """

    name: str
    source: str
    value: Value
    static: object = None
    is_static: bool = False


class Graph:
    """A region's graph: live-ins, blocks (``blocks[0]`` is the entry), exits."""

    def __init__(self, name: str = "region"):
        self.name = name
        self.inputs: list[LiveIn] = []
        self.blocks: list[Block] = []
        self.exits: list[Exit] = []
        self._ids = itertools.count()

    def __getstate__(self):
        # pickled by the disk cache (backends/llvm/graphcache.py): the id counter as
        # the next id, since pickling itertools objects is deprecated
        state = dict(self.__dict__)
        state["_ids"] = n = next(self._ids)
        self._ids = itertools.count(n)
        return state

    def __setstate__(self, state):
        self.__dict__.update(state, _ids=itertools.count(state["_ids"]))

    def new_value(self, type: Type | None = None, hint: str | None = None) -> Value:
        return Value(next(self._ids), type, hint)

    def new_block(self) -> Block:
        b = Block(self, len(self.blocks))
        self.blocks.append(b)
        return b

    @property
    def entry(self) -> Block:
        return self.blocks[0]

    def add_input(self, name: str, source: str, *, static=None, is_static=False, type=None) -> Value:
        if not self.blocks:
            self.new_block()
        v = self.entry.add_param(type, hint=name)
        self.inputs.append(LiveIn(name, source, v, static, is_static))
        return v

    def add_exit(self, exit: Exit) -> int:
        self.exits.append(exit)
        return len(self.exits) - 1

    def nodes(self):
        for b in self.blocks:
            yield from b.nodes

    def incoming(self) -> dict:
        """Block parameter -> the values the branches into its block pass for it."""
        incoming: dict = {}
        for blk in self.blocks:
            if blk.term is None:
                continue
            for target, args in blk.term.targets:
                for p, a in zip(target.params, args):
                    incoming.setdefault(p, []).append(a)
        return incoming

    def renumber(self) -> None:
        """Number values densely in block order, so printed graphs are stable."""
        counter = itertools.count()
        for b in self.blocks:
            for p in b.params:
                p.id = next(counter)
            for n in b.nodes:
                for o in n.outputs:
                    o.id = next(counter)
        self._ids = counter

    def __str__(self) -> str:
        from .printer import print_graph
        return print_graph(self)
