"""Building a region's untyped graph by symbolic execution of its bytecode.

``translate(fn, d, start, end)`` walks the instructions ``d.instrs[start:end]``
block by block in reverse post-order, keeping a symbolic frame (locals →
values, operand stack → items) and emitting nodes through the handlers of the
running version's table.  It returns a ``Graph`` or an ``Unsupported`` naming
the first instruction it cannot translate.

Joins become block parameters (see ``_enter``); loop headers get a parameter
for every local the loop assigns.  Every statement boundary inside the region
gets a *resume* exit holding the state there, and every node emitted for the
statement names that exit (Note [exits carry state] in ir/graph.py).
"""
from __future__ import annotations

import types

from bytecode import Instr, Label, TryBegin, TryEnd

from ..ir.graph import Exit, Graph, Value
from ..ir.types import UNBOUND
from ..record import field, record
from ..report.reasons import Unsupported
from . import items as it
from .cpython import table

_LITERALS = (bool, int, float, complex, type(None))  # join as const values (_literals_as_values)

INLINE_DEPTH = 3


@record
class FnInfo:
    """The function being translated: its decoded code, globals and closure."""

    d: object
    globals: dict
    builtins: dict
    closure: tuple | None
    name: str


@record
class State:
    """The symbolic frame: locals, operand stack, and the locals that may be
    unbound on some path reaching here (Note [maybe-unbound locals])."""

    env: dict
    stack: list
    maybe: frozenset = frozenset()

    def fork(self, stack=None) -> "State":
        return State(dict(self.env), list(self.stack if stack is None else stack), self.maybe)


# Note [maybe-unbound locals]
#   A local assigned on some paths into a join but not others, and not bound
#   before the region, holds the sentinel ``UNBOUND`` (type ``undef``) on the
#   other paths: the join's block argument has a type like ``float|undef``.
#   Reading such a local goes through ``check_bound`` (which bails out so that
#   CPython raises UnboundLocalError), and an exit stores it only when it is
#   bound (rewrite.py), so the frame ends up exactly as CPython's would.  The
#   classic case is a loop variable read after its loop.


@record
class _Pending:
    src: object          # the IR block whose terminator jumps here
    target: list         # the [block, args] slot of that terminator
    state: State


@record
class Translator:
    """Symbolic execution of one range of one function into a shared graph."""

    fn: FnInfo
    graph: Graph
    start: int
    end: int
    depth: int = 0                       # inlining depth
    parent: "Translator | None" = None
    returns: list = field(default_factory=list)   # inlined callee: (block, value) of returns
    assigned: frozenset = frozenset()
    state: State | None = None
    block: object = None
    stmt_exit: int | None = None
    loc: tuple | None = None
    kwnames: tuple = ()
    live_ins: dict = field(default_factory=dict)
    guards: list = field(default_factory=list)     # (dict, name, object) an inlined callee read
    index: int = 0
    terminated: bool = False
    visited: set = field(default_factory=set)     # instruction indexes translated
    _undef: Value | None = None

    # ---- the driver -------------------------------------------------------------------

    def run(self, entry_state: State, from_block) -> Unsupported | None:
        """Translate the range, entered from ``from_block`` (which gets the branch in)."""
        d = self.fn.d
        self.assigned = frozenset(n for i in range(self.start, self.end)
                                  if isinstance(d.instrs[i], Instr) for n in table.stores(d.instrs[i]))
        self._edges = []
        leaders, succs = self._blocks()
        order = _rpo(self.start, succs)
        slot = [None, []]
        from_block.term = _term_br(slot)
        pending: dict[int, list[_Pending]] = {self.start: [_Pending(from_block, slot, entry_state)]}
        created: dict[int, tuple] = {}
        for idx in order:
            outside = [p for p in self._static_preds(idx) if not self.start <= p < self.end]
            if outside and idx != self.start:
                u = self._fail("PJ0011", "jump into the middle of the region", idx)
                u.cut = True
                return u
            block, state = self._enter(idx, pending.get(idx, []), created)
            if isinstance(block, Unsupported):
                return block
            self.block, self.state = block, state
            err = self._exec(idx, leaders[idx], pending, created)
            if err is not None:
                return err
        return None

    def _blocks(self):
        d = self.fn.d
        leaders = {self.start}
        for i in range(self.start, self.end):
            ins = d.instrs[i]
            if isinstance(ins, Label) and d.preds.get(i):
                leaders.add(i)
            if isinstance(ins, Instr) and (ins.has_jump() or not table.falls_through(ins)):
                if i + 1 < self.end:
                    leaders.add(i + 1)
        ordered = sorted(leaders)
        ends = {a: (ordered[k + 1] if k + 1 < len(ordered) else self.end) for k, a in enumerate(ordered)}
        succs = {}
        for a in ordered:
            last = ends[a] - 1
            succs[a] = [j for j in d.successors(last)] if d.kinds[last] is not None else []
        return ends, succs

    def _static_preds(self, idx: int) -> list[int]:
        return [p for p in self.fn.d.preds.get(idx, []) if p >= 0 and self.fn.d.kinds[p] is not None]

    # ---- joins ------------------------------------------------------------------------

    def _enter(self, idx: int, preds: list[_Pending], created: dict):
        if any(p >= idx for p in self._static_preds(idx) if self.start <= p < self.end):
            return self._loop_header(idx, preds, created)
        if not preds:
            return self._fail("PJ0011", "unreachable block", idx), None
        self._literals_as_values(preds)
        shapes = {tuple(it.shape(x) for x in p.state.stack) for p in preds}
        if len(shapes) != 1:
            return self._fail("PJ0011", "operand stack differs at a join", idx), None
        names = set()
        for p in preds:
            names |= set(p.state.env)
        block = self.graph.new_block()
        env, param_names, maybe = {}, [], set()
        for name in sorted(names):
            vals = [self._edge_value(name, p.state) for p in preds]
            if any(name in p.state.maybe or v is self.undef() for p, v in zip(preds, vals)):
                maybe.add(name)
            if all(v is vals[0] for v in vals):
                env[name] = vals[0]
            else:
                env[name] = block.add_param(hint=name)
                param_names.append(name)
        stack_params = []
        template = preds[0].state.stack
        stack = []
        for pos, item in enumerate(template):
            flat_all = [it.flatten(p.state.stack[pos]) for p in preds]
            new_vals = []
            for j, v in enumerate(it.flatten(item)):
                column = [f[j] for f in flat_all]
                if all(c is column[0] for c in column):
                    new_vals.append(column[0])
                else:
                    new_vals.append(block.add_param())
                    stack_params.append((pos, j))
            stack.append(it.rebuild(item, new_vals))
        sig = (param_names, stack_params)
        created[idx] = (block, sig)
        for p in preds:
            p.target[0] = block
            p.target[1] = self._edge_args(sig, p.state)
        return block, State(env, stack, frozenset(maybe))

    def _literals_as_values(self, preds: list[_Pending]) -> None:
        """A conditional expression joins a value and a literal, or two literals, on
        the stack (``x / n if n else 0.0``, ``1.0 if c else -0.0``): where the
        items at a stack position differ and each is a value or a literal, the
        literals become ``const`` values defined in the entry block (which
        dominates every predecessor), joined by a block parameter."""
        depths = {len(p.state.stack) for p in preds}
        if len(depths) != 1:
            return
        for pos in range(depths.pop()):
            items = [p.state.stack[pos] for p in preds]
            if len({it.shape(x) for x in items}) == 1 or not all(
                    isinstance(x, Value) or (isinstance(x, it.Static) and type(x.obj) in _LITERALS)
                    for x in items):
                continue
            for p in preds:
                x = p.state.stack[pos]
                if isinstance(x, it.Static):
                    stack = list(p.state.stack)
                    stack[pos] = self.graph.entry.add("const", [], value=x.obj)
                    p.state = p.state.fork(stack)

    def _loop_header(self, idx: int, preds: list[_Pending], created: dict):
        """A block entered by a back edge: every local the loop assigns is a parameter."""
        d = self.fn.d
        last = max(p for p in self._static_preds(idx) if p >= idx)
        in_loop = {n for i in range(idx, last + 1) if isinstance(d.instrs[i], Instr)
                   for n in table.stores(d.instrs[i])}
        if len(preds) != 1:
            return self._fail("PJ0015", "loop entered from several places", idx), None
        if self.depth > 0:
            return self._fail("PJ0015", "loop in an inlined function", idx), None
        entry = preds[0].state
        env = dict(entry.env)
        maybe = set(entry.maybe)
        for name in sorted(in_loop - set(env)):
            env[name] = self._edge_value(name, entry)
            if env[name] is self.undef():
                maybe.add(name)  # bound only once the loop body ran
        block = self.graph.new_block()
        param_names = sorted(env)
        new_env = {name: block.add_param(hint=name) for name in param_names}
        stack_params, stack = [], []
        for pos, item in enumerate(entry.stack):
            vals = []
            for j, _ in enumerate(it.flatten(item)):
                vals.append(block.add_param())
                stack_params.append((pos, j))
            stack.append(it.rebuild(item, vals))
        sig = (param_names, stack_params)
        created[idx] = (block, sig)
        preds[0].target[0] = block
        preds[0].target[1] = self._edge_args(sig, State(env, entry.stack, frozenset(maybe)))
        return block, State(new_env, stack, frozenset(maybe))

    def _edge_value(self, name: str, state: State) -> Value:
        """The value of local ``name`` along an edge leaving ``state``."""
        if name in state.env:
            return state.env[name]
        if self.depth == 0 and name in self.fn.d.defined[self.start]:
            observed = self.fn.d.observed(self.start)
            if observed is None or name in observed:
                return self.live_in(name)
            # dead here: an earlier region's exit may not have stored it (Note [dead
            # locals at exits] in decode.py), and no path reads this value
        return self.undef()

    def undef(self) -> Value:
        """The ``UNBOUND`` value, defined once in the entry block (it dominates all)."""
        root = self
        while root.parent is not None:
            root = root.parent
        if root._undef is None:
            root._undef = self.graph.entry.add("const", [], value=UNBOUND)
        return root._undef

    def _edge_args(self, sig, state: State) -> list[Value]:
        names, stack_params = sig
        args = [self._edge_value(n, state) for n in names]
        for pos, j in stack_params:
            args.append(it.flatten(state.stack[pos])[j])
        return args

    # ---- executing one block ----------------------------------------------------------

    def _exec(self, idx, end, pending, created):
        d = self.fn.d
        self.terminated = False
        self.visited.update(range(idx, end))
        for i in range(idx, end):
            ins = d.instrs[i]
            if d.boundary[i] and self.depth == 0:
                self.stmt_exit = self.resume_exit(i)
                if isinstance(self.stmt_exit, Unsupported):
                    return self.stmt_exit
            if isinstance(ins, Label):
                continue
            if isinstance(ins, (TryBegin, TryEnd)) or isinstance(ins, Instr) and ins.name in table.STRUCTURAL:
                u = self._fail("PJ0011", "try, with or exception-handler code", i)
                u.structural = True
                return u
            self.loc = (self.fn.d.code.co_filename, ins.lineno, f"{ins.name} {_argrepr(ins)}".strip())
            self.index = i
            handler = table.HANDLERS.get(ins.name)
            if handler is None:
                return self._fail("PJ0002", ins.name, i)
            res = handler(self, ins)
            if isinstance(res, Unsupported):
                return self._stamp(res, i)
        if not self.terminated:
            err = self.jump_to(end, self.state)
            if err is not None:
                return self._stamp(err, end - 1)
        return self._flush_edges(pending, created)

    def _flush_edges(self, pending, created) -> Unsupported | None:
        edges, self._edges = self._edges, []
        for target_idx, state, slot in edges:
            if target_idx not in created:
                pending.setdefault(target_idx, []).append(_Pending(self.block, slot, state))
                continue
            block, sig = created[target_idx]
            slot[0], slot[1] = block, self._edge_args(sig, state)
        return None

    # ---- API for handlers -------------------------------------------------------------

    _edges: list = None

    def emit(self, op: str, inputs, **attrs) -> Value:
        exit = self.stmt_exit if self.parent is None else self.parent_exit()
        return self.block.add(op, inputs, exit=exit, loc=self.loc, **attrs)

    def parent_exit(self):
        t = self
        while t.parent is not None:
            t = t.parent
        return t.stmt_exit

    def push(self, item) -> None:
        self.state.stack.append(item)

    def pop(self):
        return self.state.stack.pop() if self.state.stack else it.Below()

    def popn(self, n: int) -> list:
        if n == 0:
            return []
        if n > len(self.state.stack):
            return [it.Below()] * n
        out = self.state.stack[-n:]
        del self.state.stack[-n:]
        return out

    def value(self, item) -> Value | Unsupported:
        """The item as a graph value: literals and constants become ``const`` nodes."""
        if isinstance(item, Value):
            return item
        if isinstance(item, it.Static):
            return self.emit("const", [], value=item.obj)
        u = self.fail("PJ0011", f"{type(item).__name__} used as a value")
        u.structural = isinstance(item, it.Below)
        return u

    def load_local(self, name: str):
        if name in self.state.maybe:
            v = self.emit("check_bound", [self.state.env[name]])
            self.state.env[name] = v
            self.state.maybe = self.state.maybe - {name}
            return v
        if name in self.state.env:
            return self.state.env[name]
        if self.depth == 0 and name in self.fn.d.defined[self.start]:
            v = self.live_in(name)
            self.state.env[name] = v
            return v
        return self.fail("PJ0005", f"local {name!r}")

    def store_local(self, name: str, item) -> None | Unsupported:
        v = self.value(item)
        if isinstance(v, Unsupported):
            return v
        self.state.env[name] = v
        self.state.maybe = self.state.maybe - {name}
        return None

    def live_in(self, name: str, source: str = "local", static=None, is_static=False) -> Value:
        root = self
        while root.parent is not None:
            root = root.parent
        key = (source, name)
        if key not in root.live_ins:
            root.live_ins[key] = self.graph.add_input(name, source, static=static, is_static=is_static)
        return root.live_ins[key]

    def load_global(self, name: str):
        g, b = self.fn.globals, self.fn.builtins
        if name in g:
            obj = g[name]
        elif name in b:
            obj = b[name]
        else:
            return self.fail("PJ0003", f"global {name!r} is not defined")
        if self.parent is None:
            self.live_in(name, "global", static=obj, is_static=True)
        else:
            self.guard_global(g if name in g else b, name, obj)
        return it.Static(obj)

    def guard_global(self, d: dict, name: str, obj) -> None:
        root = self
        while root.parent is not None:
            root = root.parent
        root.guards.append((d, name, obj))

    def load_deref(self, name: str):
        code = self.fn.d.code
        if name in code.co_cellvars or self.fn.closure is None:
            return self.fail("PJ0002", f"cell variable {name!r}")
        cell = self.fn.closure[code.co_freevars.index(name)]
        try:
            obj = cell.cell_contents
        except ValueError:
            return self.fail("PJ0005", f"free variable {name!r} is empty")
        if _is_static(obj):
            if self.parent is None:
                self.live_in(name, "deref", static=obj, is_static=True)
            return it.Static(obj)
        if self.parent is not None:
            return self.fail("PJ0002", f"closure variable {name!r} of an inlined function")
        return self.live_in(name, "deref")

    def fail(self, code: str, detail: str = "") -> Unsupported:
        return Unsupported(code, detail)

    def _fail(self, code: str, detail: str, i: int) -> Unsupported:
        return self._stamp(Unsupported(code, detail), i)

    def _stamp(self, u: Unsupported, i: int) -> Unsupported:
        d = self.fn.d
        ins = d.instrs[i] if i < len(d.instrs) else None
        if not u.filename:
            u.filename = d.code.co_filename
            u.lineno = d.lineno(i)
            if isinstance(ins, Instr):
                u.instr = f"{ins.name} {_argrepr(ins)}".strip()
        if self.parent is not None:
            u.inlined_from = u.inlined_from + (self.fn.name,)
        u.index = i
        return u

    # ---- control flow -----------------------------------------------------------------

    def jump_to(self, target_idx: int, state: State) -> Unsupported | None:
        """End the block with a branch to instruction ``target_idx`` (or an exit)."""
        slot = self._target_slot(target_idx, state)
        if isinstance(slot, Unsupported):
            return slot
        self.block.term = _term_br(slot)
        self.terminated = True
        return None

    def branch(self, cond: Value, true_idx: int, true_state: State, false_idx: int,
               false_state: State) -> Unsupported | None:
        from ..ir.graph import Term
        t = self._target_slot(true_idx, true_state)
        f = self._target_slot(false_idx, false_state)
        for s in (t, f):
            if isinstance(s, Unsupported):
                return s
        self.block.term = Term("cbr", cond=cond, targets=[t, f])
        self.terminated = True
        return None

    def branch_into_new_block(self, cond: Value, false_idx: int,
                              false_state: State) -> Unsupported | None:
        """End the block with ``cbr cond``: true to a new block, which becomes the
        current one (the caller emits into it and ends it), false to instruction
        ``false_idx``."""
        from ..ir.graph import Term
        f = self._target_slot(false_idx, false_state)
        if isinstance(f, Unsupported):
            return f
        block = self.graph.new_block()
        self.block.term = Term("cbr", cond=cond, targets=[[block, []], f])
        self.block = block
        return None

    def _target_slot(self, target_idx, state):
        """The ``[block, args]`` slot of a branch to ``target_idx``; leaving the range
        goes through a new block that ends in an exit."""
        if self.start <= target_idx < self.end:
            slot = [None, []]
            self._edges.append((target_idx, state.fork(), slot))
            return slot
        if self.parent is not None:
            return self.fail("PJ0011", "jump out of an inlined function")
        k = self.make_exit("end" if target_idx == self.end else "jump", target_idx, state)
        if isinstance(k, Unsupported):
            return k
        exit_block = self.graph.new_block()
        exit_block.exit(k)
        return [exit_block, []]

    def ret(self, value: Value) -> None:
        if self.parent is not None:
            self.returns.append((self.block, value))
            self.terminated = True
            return
        k = self.graph.add_exit(Exit("return", stack=[it.stack_item(value)]))
        self.block.exit(k)
        self.terminated = True

    def resume_exit(self, i: int) -> int | Unsupported:
        return self.make_exit("resume", i, self.state)

    def make_exit(self, kind: str, target_idx: int, state: State) -> int | Unsupported:
        d = self.fn.d
        names, values = [], []
        observed = d.observed(target_idx)  # Note [dead locals at exits] (decode.py)
        for name in sorted(self.assigned):
            if name in state.env and (observed is None or name in observed):
                names.append(name)
                values.append(state.env[name])
        base = len(d.kinds[self.start])
        if len(state.stack) < base or not all(isinstance(x, it.Below) for x in state.stack[:base]):
            u = self._fail("PJ0011", "control leaves an enclosing Python loop", target_idx)
            u.structural = True
            return u
        if kind != "resume" and any(isinstance(x, it.ITERATORS) for x in state.stack[base:]):
            # The loop this iterator drives is not in the region: keep its header in
            # CPython too, so the whole loop stays a Python loop.
            u = self._fail("PJ0015", "loop header of a loop that is not compiled whole", self.index)
            u.structural = True
            return u
        stack = []
        for item in state.stack[base:]:
            s = it.stack_item(item)
            if s is None:
                return self._fail("PJ0011", "operand stack cannot be rebuilt", target_idx)
            stack.append(s)
        stack.reverse()  # the rewriter pushes them bottom-first; see rewrite.py
        maybe = frozenset(n for n in names if n in state.maybe)
        return self.graph.add_exit(Exit(kind, target_idx, tuple(names), values, stack, maybe))


def _term_br(slot):
    from ..ir.graph import Term
    return Term("br", targets=[slot])


def _rpo(start: int, succs: dict) -> list[int]:
    seen, order = set(), []
    stack = [(start, iter(succs.get(start, [])))]
    seen.add(start)
    while stack:
        node, children = stack[-1]
        for c in children:
            if c in succs and c not in seen:
                seen.add(c)
                stack.append((c, iter(succs.get(c, []))))
                break
        else:
            order.append(node)
            stack.pop()
    order.reverse()
    return order


def _argrepr(ins: Instr) -> str:
    arg = ins.arg
    if isinstance(arg, Label) or arg is None and not ins.require_arg():
        return ""
    if isinstance(arg, tuple) and len(arg) == 2 and isinstance(arg[0], bool):
        return str(arg[1])
    return str(getattr(arg, "name", arg))


_STATIC_CLASSES = (types.ModuleType, types.FunctionType, types.BuiltinFunctionType, type)


def _is_static(obj) -> bool:
    import numpy as np
    return isinstance(obj, _STATIC_CLASSES) or isinstance(obj, np.ufunc)
