"""The graph verifier: the invariants every pass may rely on and must keep.

    >>> verify(graph)                 # returns None or raises VerifyError
    >>> verify(typed, typed=True)     # also: every type is the one its op gives

Checked: the entry block's parameters are the live-ins; every value is defined
once and every use is dominated by its definition (a node's ``!exit`` and an
``exit`` terminator use their exit's values); every block ends in a terminator
whose targets are blocks of the graph with as many arguments as parameters;
exit numbers exist; every op is registered (or is one of the untyped frontend
ops ``call``, ``method``, ``getattr``) and has its inputs and attributes.
With ``typed=True``: every value has a type, each node's type is what its
op's type rule gives, and each branch argument fits its block parameter.
"""
from __future__ import annotations

import itertools
import os

import numpy as np

from . import registry
from .graph import Block, Graph, Value
from .printer import value_text
from .registry import TypeRuleError
from .types import BOOL, NpScalar, Type, UnionT, members, unify

FRONTEND_OPS = frozenset({"call", "method", "getattr"})
_CONDITION_TYPES = (BOOL, NpScalar(np.dtype(np.bool_)))


class VerifyError(Exception):
    """A graph breaks an IR invariant; the message says which and where."""


def maybe_verify(graph: Graph, *, typed: bool = False) -> None:
    """``verify`` when ``PYJIT_CHECK=1`` (always in tests), else nothing: passes
    call it after they run."""
    if os.environ.get("PYJIT_CHECK") == "1":
        verify(graph, typed=typed)


def verify(graph: Graph, *, typed: bool = False) -> None:
    """Raise ``VerifyError`` unless ``graph`` keeps the IR invariants.

        >>> verify(parse("graph f() {\\n^0():\\n  exit 0\\nexits:\\n}"))
        Traceback (most recent call last):
        VerifyError: ^0: exit 0 does not exist (the graph has 0 exits)
    """
    _Verifier(graph, typed).run()


def _vals(values) -> str:
    return "(" + ", ".join(value_text(v) for v in values) + ")"


def _where(i: int, block: Block) -> str:
    """Where position ``i`` of a block is, for messages: ``^2 node 0 (add)``."""
    if i < 0:
        return f"the parameters of ^{block.id}"
    if i >= len(block.nodes):
        return f"the terminator of ^{block.id}"
    return f"^{block.id} node {i} ({block.nodes[i].op})"


class _Verifier:
    def __init__(self, graph: Graph, typed: bool):
        self.g = graph
        self.typed = typed
        # value -> (block, index): index -1 for a block parameter, else the node's index.
        self.defs: dict[Value, tuple[Block, int]] = {}

    def fail(self, msg: str):
        raise VerifyError(msg)

    def run(self) -> None:
        g = self.g
        if not g.blocks:
            self.fail("the graph has no blocks")
        self.check_blocks()
        inputs = [li.value for li in g.inputs]
        if inputs != g.entry.params:
            self.fail(f"entry block ^{g.entry.id} parameters {_vals(g.entry.params)} are not "
                      f"the live-in values {_vals(inputs)}")
        self.collect_defs()
        self.dom = _dominators(g)
        for b in g.blocks:
            for i, n in enumerate(b.nodes):
                self.check_node(b, i, n)
            self.check_term(b)
        for k, e in enumerate(g.exits):
            for v in e.all_values():
                if v not in self.defs:
                    self.fail(f"exit {k} ({e.kind}) uses {value_text(v)}, which is never defined")
            if len(e.names) != len(e.values):
                self.fail(f"exit {k} names {len(e.names)} locals but has {len(e.values)} values")

    def check_blocks(self) -> None:
        ids = {}
        for b in self.g.blocks:
            if b.id in ids:
                self.fail(f"two blocks are numbered ^{b.id}")
            ids[b.id] = b
            if b.term is None:
                self.fail(f"^{b.id} has no terminator")

    def collect_defs(self) -> None:
        ids: dict[int, str] = {}

        def define(v: Value, b: Block, i: int) -> None:
            where = f"a parameter of ^{b.id}" if i < 0 else _where(i, b)
            if v in self.defs:
                self.fail(f"{value_text(v)} is defined twice: as {ids[v.id]} and as {where}")
            if v.id in ids:
                self.fail(f"two values are numbered %{v.id}: {ids[v.id]} and {where}")
            self.defs[v] = (b, i)
            ids[v.id] = where
            if self.typed and v.type is None:
                self.fail(f"{value_text(v)}, {where}, has no type")

        for b in self.g.blocks:
            for p in b.params:
                define(p, b, -1)
            for i, n in enumerate(b.nodes):
                if len(n.outputs) != 1:
                    self.fail(f"{_where(i, b)} has {len(n.outputs)} outputs; ops have one")
                define(n.out, b, i)

    def check_use(self, v: Value, b: Block, i: int, via: str = "") -> None:
        """``v`` is used in ``b`` before node ``i`` (``len(b.nodes)``: by the terminator)."""
        user = f"{_where(i, b)}{via}"
        if v is None:
            self.fail(f"{user} uses a missing value (None)")
        if v not in self.defs:
            self.fail(f"{user} uses {value_text(v)}, which is never defined")
        db, di = self.defs[v]
        if db is b:
            if di == i:
                self.fail(f"{user} uses its own result {value_text(v)}")
            if di > i:
                self.fail(f"{user} uses {value_text(v)} before its definition at {_where(di, db)}")
        elif b in self.dom and db not in self.dom[b]:
            # Unreachable blocks (not in self.dom) are exempt, as in LLVM.
            self.fail(f"{user} uses {value_text(v)}, defined in ^{db.id}, which does not "
                      f"dominate ^{b.id}")

    def check_exit_index(self, k, what: str) -> None:
        if not isinstance(k, int) or not 0 <= k < len(self.g.exits):
            self.fail(f"{what}: exit {k} does not exist (the graph has {len(self.g.exits)} exits)")

    def check_node(self, b: Block, i: int, n) -> None:
        where = _where(i, b)
        for v in n.inputs:
            self.check_use(v, b, i)
        if n.exit is not None:
            self.check_exit_index(n.exit, where)
            # The exit's state is read when the node raises: it must exist before the node.
            for v in self.g.exits[n.exit].all_values():
                self.check_use(v, b, i, f", through exit {n.exit},")
        if n.op in FRONTEND_OPS:
            if self.typed:
                self.fail(f"{where}: untyped frontend op in a typed graph")
            return
        op = registry.OPS.get(n.op)
        if op is None:
            self.fail(f"{where}: unknown op {n.op!r}")
        if not op.varargs and len(n.inputs) != len(op.args):
            self.fail(f"{where}: {n.op} takes {len(op.args)} inputs {op.args}, "
                      f"not {len(n.inputs)}")
        unknown = set(n.attrs) - set(op.attrs) - ({registry.OMITTED} if op.optional else set())
        if unknown:
            self.fail(f"{where}: {n.op} has no attribute {sorted(unknown)[0]!r}")
        if self.typed:
            self.check_type(where, n, op)

    def check_type(self, where: str, n, op) -> None:
        types = [v.type for v in n.inputs]
        try:
            expected = op.infer(types, {**op.attrs, **n.attrs})
        except TypeRuleError as exc:
            self.fail(f"{where} rejects its input types ({', '.join(map(str, types))}): {exc}")
        if n.out.type != expected:
            self.fail(f"{where}: {value_text(n.out)} should have type {expected}")

    def check_term(self, b: Block) -> None:
        t = b.term
        end = len(b.nodes)
        where = _where(end, b)
        if t.kind == "exit":
            if t.targets or t.cond is not None:
                self.fail(f"{where}: an exit has no targets or condition")
            self.check_exit_index(t.exit, where)
            for v in self.g.exits[t.exit].all_values():
                self.check_use(v, b, end, f" (exit {t.exit})")
            return
        if t.kind not in ("br", "cbr"):
            self.fail(f"{where}: unknown terminator {t.kind!r}")
        count = 1 if t.kind == "br" else 2
        if len(t.targets) != count:
            self.fail(f"{where}: {t.kind} needs {count} targets, has {len(t.targets)}")
        if t.kind == "cbr":
            if t.cond is None:
                self.fail(f"{where}: cbr has no condition")
            self.check_use(t.cond, b, end, " (cbr condition)")
            if self.typed and not all(m in _CONDITION_TYPES for m in members(t.cond.type)):
                self.fail(f"{where}: cbr condition {value_text(t.cond)} is not a bool")
        elif t.cond is not None:
            self.fail(f"{where}: br has a condition")
        for target, args in t.targets:
            if target not in self.g.blocks:
                self.fail(f"{where}: {t.kind} to ^{target.id}, which is not a block of the graph")
            if len(args) != len(target.params):
                self.fail(f"{where}: {t.kind} passes {len(args)} arguments to ^{target.id}, "
                          f"which has {len(target.params)} parameters")
            for a, p in zip(args, target.params):
                self.check_use(a, b, end, f" ({t.kind} argument)")
                if self.typed and unify(p.type, a.type) != p.type:
                    self.fail(f"{where}: {t.kind} passes {value_text(a)} to ^{target.id} "
                              f"parameter {value_text(p)}")


def _dominators(g: Graph) -> dict[Block, set[Block]]:
    """For each block reachable from the entry, the set of blocks dominating it
    (itself included): the iterative data-flow solution over reverse post-order."""
    order = reverse_postorder(g)
    preds: dict[Block, list[Block]] = {b: [] for b in order}
    for b in order:
        for s in b.successors:
            if s in preds:
                preds[s].append(b)
    dom = {b: set(order) for b in order}
    dom[g.entry] = {g.entry}
    changed = True
    while changed:
        changed = False
        for b in order[1:]:
            new = set.intersection(*(dom[p] for p in preds[b])) | {b}
            if new != dom[b]:
                dom[b] = new
                changed = True
    return dom


def reverse_postorder(g: Graph) -> list[Block]:
    """The blocks reachable from the entry, each after all its forward-edge
    predecessors: the order data-flow over the graph converges fastest in.

    >>> [b.id for b in reverse_postorder(loop_graph)]
    [0, 1, 2, 3]
    """
    blocks = set(g.blocks)
    seen: set[Block] = set()
    post: list[Block] = []
    # Successors are pushed last-first so that the first comes first in the result.
    stack = [(g.entry, reversed(g.entry.successors))]
    seen.add(g.entry)
    while stack:
        block, succs = stack[-1]
        for s in succs:
            if s not in seen and s in blocks:
                seen.add(s)
                stack.append((s, reversed(s.successors)))
                break
        else:
            post.append(block)
            stack.pop()
    return post[::-1]
