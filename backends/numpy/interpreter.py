"""The numpy backend: an interpreter over typed graphs.

Each node calls its op's reference implementation (the very Python or numpy
callable CPython would have run), so this backend is exact by construction;
what it checks is everything around the ops: control flow, block arguments,
exits, and, with ``PYJIT_CHECK=1``, that every value has the type inference
said it would (the LLVM backend relies on those types).

    >>> run = compile_graph(typed_graph)
    >>> exit_number, values = run((x, y))

An op that raises (or raises ``Deopt``) takes its node's resume exit: the
region returns the state at the start of the statement and CPython re-executes
it, raising the real exception.  ``run_node`` can be overridden to trace or
instrument execution, as in torch.fx's Interpreter.
"""
from __future__ import annotations

import operator
import os

from pyjit.ir.registry import OPS
from pyjit.ir.types import Array, TupleT, members, typeof
from pyjit.errors import InternalError


def compile_graph(graph, options=None):
    """Return ``run(args) -> (exit number, values)`` for a typed graph."""
    interp = Interpreter(graph)

    def run(args):
        return interp.run(args)

    run.backend, run.note = "numpy", ""
    return run


class Interpreter:
    def __init__(self, graph):
        self.graph = graph
        self.check = os.environ.get("PYJIT_CHECK") == "1"
        self.plan = {b: [(OPS[n.op].impl, n) for n in b.nodes] for b in graph.blocks}
        self.kills = _last_uses(graph)

    def run(self, args):
        env = {}
        block = self.graph.entry
        for p, a in zip(block.params, args):
            env[p] = a
        while True:
            for impl, node in self.plan[block]:
                try:
                    result = self.run_node(impl, node, env)
                except Exception:  # the op raised: CPython re-runs the statement (see module doc)
                    if node.exit is None:
                        raise
                    return self.take_exit(node.exit, env)
                env[node.outputs[0]] = result
                for dead in self.kills.get(node, ()):
                    del env[dead]  # free temporaries as CPython does: big arrays reuse memory
            term = block.term
            if term.kind == "exit":
                return self.take_exit(term.exit, env)
            if term.kind == "br":
                target, targs = term.targets[0]
            else:
                target, targs = term.targets[0 if env[term.cond] else 1]
            values = [env[a] for a in targs]
            for p, v in zip(target.params, values):
                env[p] = v
            block = target

    def run_node(self, impl, node, env):
        result = impl(*[env[i] for i in node.inputs], **node.attrs)
        if self.check:
            _check_type(node, result)
        return result

    def take_exit(self, k: int, env) -> tuple:
        e = self.graph.exits[k]
        values = [env[v] for v in e.values]
        values.extend(materialize(item.kind, [env[v] for v in item.values]) for item in e.stack)
        return k, tuple(values)


def _last_uses(graph) -> dict:
    """For each node, the values defined in its block whose last use it is, and
    that nothing outside the block (other blocks, terminators, exits) reads."""
    outside = set()
    for b in graph.blocks:
        if b.term is not None:
            if b.term.cond is not None:
                outside.add(b.term.cond)
            for _, args in b.term.targets:
                outside.update(args)
    for e in graph.exits:
        outside.update(e.all_values())
    home = {}
    for b in graph.blocks:
        for n in b.nodes:
            for o in n.outputs:
                home[o] = b
    for b in graph.blocks:
        for n in b.nodes:
            for v in n.inputs:
                if home.get(v) is not b:
                    outside.add(v)
    kills = {}
    for b in graph.blocks:
        seen = set()
        for n in reversed(b.nodes):
            dead = [v for v in n.inputs if v not in seen and v not in outside and home.get(v) is b]
            seen.update(n.inputs)
            if dead:
                kills[n] = tuple(dict.fromkeys(dead))
    return kills


def materialize(kind: str, values: list):
    """Build the Python object an exit pushes for a stack item."""
    if kind == "value":
        return values[0]
    if kind == "range_iter":
        start, stop, step, k = values
        r = iter(range(start, stop, step))
    elif kind == "seq_iter":
        seq, k = values
        r = iter(seq)
    elif kind.startswith(("zip_", "enumerate_")):   # the sources' kinds follow (items.ZipArgs)
        return _advanced(kind.split("_"), list(values[:-1]), values[-1])
    else:
        raise InternalError(f"unknown stack item kind {kind}")
    r.__setstate__(k)
    return r


def _advanced(tokens: list, values: list, k: int):
    """The iterator the first of ``tokens`` names, over the first of ``values``
    (both consumed), advanced by ``k`` items."""
    head = tokens.pop(0)
    if head == "enumerate":
        count = values.pop(0)
        return enumerate(_advanced(tokens, values, k), operator.index(count) + k)
    if head == "zip":   # the last source of its kind: the rest are its sources
        iters = []
        while tokens:
            iters.append(_advanced(tokens, values, k))
        return zip(*iters)
    if head == "range":
        r = iter(range(*values[:3]))
        del values[:3]
    else:
        r = iter(values.pop(0))
    r.__setstate__(k)
    return r


def _check_type(node, result) -> None:
    expected = node.outputs[0].type
    actual = typeof(result)
    if not _fits(actual, expected):
        raise InternalError(f"type rule of {node.op} said {expected}, the value is {actual}")


def _fits(actual, expected) -> bool:
    """A value of type ``actual`` is one ``expected`` allows: a member of a union,
    an array of any layout for layout A, a tuple whose items each fit."""
    if expected == actual or actual in members(expected):
        return True
    if isinstance(expected, Array) and isinstance(actual, Array):
        return expected.dtype == actual.dtype and expected.ndim == actual.ndim and \
            expected.layout == "A"
    if isinstance(expected, TupleT) and isinstance(actual, TupleT):
        return len(expected.items) == len(actual.items) and \
            all(_fits(a, e) for a, e in zip(actual.items, expected.items))
    return False
