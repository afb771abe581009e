"""Lowering a typed graph to one LLVM function.

Blocks become basic blocks, block parameters become phis, every exit becomes a
block that stores the exit's values into the ``out`` slots and returns the exit
number (Note [slot ABI] in reprs.py).  A node is lowered by the function its op
registered with ``@lowering``: ``fn(ctx, builder, node, args) -> value``, where
``node`` is a ``NodeView`` (op, attrs, input and output types).  A check that
fails inside a lowering branches to the node's resume exit (``cgutils.bail_if``).

Union-typed inputs (``float|f64``) are handled here once for every op: the
lowering runs once per combination of members, selected by the tags, and the
result is packed back with its own tag (see ``_lower_over_members``).
"""
from __future__ import annotations

from dataclasses import dataclass
import functools
import itertools

from llvmlite import ir

from pyjit.ir.registry import OPS
from pyjit.ir.types import UNDEF, Array, NpScalar, PyScalar, TupleT, Type, UnionT, members
from pyjit.ir.verify import _dominators, reverse_postorder

from pyjit.passes.graphutil import natural_loops

from . import cgutils as cg
from . import deferred as deferred_checks
from . import early
from . import engine
from . import hoist
from . import fpflags
from . import sweep
from .facts import Facts, last_items
from .reprs import I8, I32, I64, I64P, NotLowerable, llvm_type, load_value, slots, store_value

LOWERINGS: dict = {}

# Ops whose result bits are the same for Python floats and numpy float64s.
IEEE_UNIFORM = frozenset({"add", "iadd", "sub", "isub", "mul", "imul", "neg", "pos", "lt", "le",
                          "eq", "ne", "gt", "ge", "abs", "math.sqrt", "np.sqrt", "truth", "not_",
                          "float"})


# Note [loop hints]
#     The back edge of an innermost loop nested in another loop carries
#     ``!llvm.loop !{..., !{"llvm.loop.unroll.runtime.disable"}}``: LLVM does not
#     unroll it by a factor its trip count is tested against at run time.  Such
#     an inner loop usually runs few iterations each time it is entered (``for k
#     in range(x.shape[1])`` over 3 coordinates in a pairwise distance): runtime
#     unrolling then only adds a prologue and a remainder loop paid on every
#     outer iteration (pairwise 1000x3: 1.23x Numba's time with it, 1.03x
#     without).  A top-level loop keeps it (a sum of squares over 1e7 floats is
#     ~10% slower without).  Vectorization, unrolling by a constant trip count
#     and the vectorizer's own interleaving are unaffected.  An explicit
#     ``interleave.count`` was tried and measured no gain: not set.
LOOP_HINTS = (("llvm.loop.unroll.runtime.disable",),)


def _float_union(t) -> bool:
    reps = {llvm_type(m) for m in members(t) if m != UNDEF}
    return len(reps) == 1 and isinstance(next(iter(reps)), ir.DoubleType) and UNDEF not in members(t)


def lowering(*names: str):
    """Register a lowering for the ops ``names``: ``fn(ctx, builder, node, args)``."""
    def register(fn):
        for name in names:
            LOWERINGS[name] = fn
        return fn
    return register


@dataclass
class NodeView:
    op: str
    attrs: dict
    in_types: list
    out_type: Type
    inputs: list          # the graph values, for lowerings that look at constants
    guarded: bool = False  # cannot overflow where used (facts.py, Note [guarded range arithmetic])
    hoisted: dict | None = None  # {dim: i1 "every iteration in bounds"} (hoist.py)
    # False, or "flag": overflow sets the flag tested on exit (Note [deferred overflow
    # checks]), or "bound": no check, the sum is bounded (Note [bounded sums])
    deferred: bool | str = False


class Lowering:
    """The state of lowering one graph; lowerings see it as ``ctx``."""

    def __init__(self, graph, name: str, level: str = "O1", exact_of: "Lowering | None" = None):
        """``level``: the LLVM pipeline the module will get (engine.py); ``exact_of``:
        lower ``graph`` again, with every overflow check in place, as an internal
        function of that lowering's module (Note [bounded sums])."""
        self.graph = graph
        self.level = level
        self.name = name  # the entry's: address globals are named after it (addresses.py)
        self.exact = exact_of is not None
        if exact_of is None:
            self.module = ir.Module(name=name)
            self.module.triple = engine.triple()
            self.fn = ir.Function(self.module, ir.FunctionType(I32, [I64P, I64P]), name)
        else:
            self.module = exact_of.module
            self.fn = ir.Function(self.module, exact_of.fn.ftype, name + ".exact")
            self.fn.linkage = "internal"
            self.fn.attributes.add("noinline")
            self.fn.attributes.add("cold")
        self.inbuf, self.outbuf = self.fn.args
        self.values: dict = {}
        self.exit_blocks: dict = {}
        self.current_exit = None
        self.current_checkpoint = None  # Note [floating-point flags and checkpoints] (fpflags.py)
        self.checks_fp = False
        self.constant_operands: set = set()  # numpy float nodes of fixed inputs (fpflags.py)
        self.overflow_flag = None  # the i1 of Note [deferred overflow checks] (deferred.py)
        self.deferred: frozenset = frozenset()
        self.bounds = None  # deferred.Bounds: Note [bounded sums]
        self.magnitude = self.count = None  # its A and C, i64 allocas (deferred.start_bounds)
        self.replay = None  # the block that calls the exact function when the bound fails
        self._leave: dict = {}
        self._decls: dict = {} if exact_of is None else exact_of._decls
        if exact_of is not None:  # one table of address globals for the module
            self.address_globals = vars(exact_of).setdefault("address_globals", {})
        self.alias = _input_aliases(graph)
        self.producers = {n.outputs[0]: n for n in graph.nodes()}
        self.uses = _use_counts(graph)
        dom = _dominators(graph)  # one analysis for facts.py and hoist.py
        self.facts = Facts(graph, self.producers, dom)
        self.loop_plans = hoist.plan(graph, self.producers, dom)
        self.hoisted: dict = {}  # node -> {dim: all_ok}, Note [hoisted bounds checks]
        self.latches = hoist.inner_latches(graph, dom)
        self.early = early.plan(graph, self.producers, dom)  # Note [next item early] (early.py)
        self.speculating = False  # lowering early.py's unchecked copies: bail_if emits nothing
        self._early_phis: dict = {}
        self._early_next: dict = {}
        self.last_items = last_items(graph, self.producers, dom)  # Note [last item] in facts.py
        self._last_entry: dict = {}  # loop variable -> its value entering the loop
        self._loop_md = None
        self.fresh: dict = {}  # id -> struct of an array this call just made (kernels._reuse)
        # fastmath=True: float arithmetic may be reassociated (Note [fastmath flags], cgutils.py)
        self.fastmath = bool(getattr(graph, "fastmath", False))

    # ---- helpers lowerings use -----------------------------------------------------

    def intrinsic(self, name: str, ret, args):
        if name not in self._decls:
            self._decls[name] = ir.Function(self.module, ir.FunctionType(ret, args), name)
        return self._decls[name]

    def libm(self, name: str, ty, nargs: int):
        return self.intrinsic(name, ty, [ty] * nargs)

    def alloca(self, ty):
        """Stack space in the entry block: an alloca inside a loop would grow the
        stack on every iteration."""
        eb = ir.IRBuilder(self.fn.entry_basic_block)
        eb.position_at_start(self.fn.entry_basic_block)
        return eb.alloca(ty)

    def bail_block(self):
        if self.current_exit is None:
            raise NotLowerable("a check outside any statement")
        return self._leave_block(self.current_exit, self.current_checkpoint)

    def _leave_block(self, k: int, checkpoint):
        """Where leaving through exit ``k`` goes: exit ``k``, or, if a floating-point
        flag numpy reacts to is up, the checkpoint's exit (Note [floating-point
        flags and checkpoints] in fpflags.py)."""
        if checkpoint is None or checkpoint == k:
            return self._exit_block(k)
        if (k, checkpoint) not in self._leave:
            blk = self.fn.append_basic_block(name=f"leave{k}.fp")
            lb = ir.IRBuilder(blk)
            fence = [self.values.get(v) for v in self.graph.exits[k].all_values()]
            lb.cbranch(self._flags_up(lb, fence), self._checkpoint_block(checkpoint),
                       self._exit_block(k))
            self._leave[(k, checkpoint)] = blk
        return self._leave[(k, checkpoint)]

    def _flags_up(self, b, fence=()):
        """An i1: must the region leave through its checkpoint?  A numpy
        floating-point flag or the deferred overflow flag is up, or the bound
        on the deferred sums is exceeded."""
        up = fpflags.raised(self, b, fence) if self.checks_fp else None
        flag = None
        if self.overflow_flag is not None:
            flag = b.load(self.overflow_flag)
        elif self.bounds is not None:
            flag = deferred_checks.exceeded(self, b)
        if flag is not None:
            up = flag if up is None else b.or_(up, flag)
        return up

    def _checkpoint_block(self, k: int):
        """Where a raised flag leaves to: the checkpoint's exit, or with bounded sums
        the exact function, which re-runs the region from the start (Note
        [bounded sums]: ``deferred.start_bounds`` made that block)."""
        return self._exit_block(k) if self.bounds is None else self.replay

    def _exit_block(self, k: int):
        if k not in self.exit_blocks:
            self.exit_blocks[k] = self.fn.append_basic_block(name=f"exit{k}")
        return self.exit_blocks[k]

    # ---- the walk ------------------------------------------------------------------

    def run(self) -> str:
        """The module's IR text."""
        self.emit()
        return str(self.module)

    def emit(self) -> None:
        g = self.graph
        start = self.fn.append_basic_block(name="entry")
        b = ir.IRBuilder(start)
        checks_fp = self.checks_fp = fpflags.supported() and fpflags.needed(g)
        if checks_fp:
            # Before the inputs are loaded: LLVM does not know that float arithmetic
            # reads the flags, and moved a division of two arguments above a clear
            # placed after their loads, losing its flag; a load does not move
            # above the clear (Note [clearing before the loads] in fpflags.py).
            fpflags.clear(self, b)
        offset = 0
        for li in g.inputs:
            t = li.value.type
            self.values[li.value] = load_value(b, self.inbuf, offset, t)
            offset += slots(t)
        order = reverse_postorder(g)
        loops = natural_loops(g)
        loop_blocks = {blk for lp in loops for blk in lp.blocks}
        checkpoint_plan = functools.cache(lambda: fpflags.plan(g, order))
        if not self.exact and self.level != "O0":  # bounds pay where loops vectorize
            self.bounds = deferred_checks.bounded(g, self.facts.guarded, checkpoint_plan, loops)
        if self.bounds is not None:  # Note [bounded sums]
            self.deferred = self.bounds.nodes
            b = deferred_checks.start_bounds(self, b, Lowering(g, self.name, self.level, exact_of=self))
        elif not self.exact:
            self.deferred = deferred_checks.plan(g, self.facts.guarded, checkpoint_plan, loop_blocks)
        if self.deferred and self.bounds is None:  # Note [deferred overflow checks]
            self.overflow_flag = self.alloca(ir.IntType(1))
            b.position_at_end(b.block)  # the alloca went in before b's position
            b.store(ir.Constant(ir.IntType(1), 0), self.overflow_flag)
        checks = checks_fp or bool(self.deferred)
        fp_before, fp_end = checkpoint_plan() if checks else ({}, {})
        self.constant_operands = fpflags.constant_operands(g) if checks_fp else set()
        if checks_fp:
            self.early = {}  # an early copy past the last item could raise a flag
        early_body = {e.body: e for e in self.early.values()}

        def checkpoints(blocks):  # the exits a raised flag may leave these blocks through
            found = {fp_before.get(n) for blk in blocks for n in blk.nodes}
            return (found | {fp_end.get(blk) for blk in blocks}) - {None}
        self.sweeps = sweep.plan(g, order, loops, checkpoints if checks else None)  # Note [sweeping dead arrays]
        blocks = {blk: self.fn.append_basic_block(name=f"b{blk.id}") for blk in order}
        phis = {}
        for blk in order:
            if blk is g.entry:
                continue
            pb = ir.IRBuilder(blocks[blk])
            for p in blk.params:
                ty = llvm_type(p.type)
                if p in self.last_items:
                    continue  # computed from the counter (_last_item)
                if ty is not None:
                    phis[p] = self.values[p] = pb.phi(ty)
                else:
                    self.values[p] = None
            if blk in self.early:
                self._early_phis[blk] = [pb.phi(llvm_type(n.outputs[0].type)) for n in self.early[blk].nodes]
        b.branch(blocks[g.entry])
        from .kernels import deferred_nodes, is_kernel_node, lower_kernel
        for blk in order:
            b = ir.IRBuilder(blocks[blk])
            self._fp_values = []  # numpy scalars of this block not yet fenced (fpflags.py)
            deferred = deferred_nodes(blk, self.uses)
            for p in blk.params:
                if p in self.last_items:
                    self.values[p] = self._last_item(b, p)
            e = early_body.get(blk)
            if e is not None:  # the next item's values (Note [next item early])
                item = self.values[e.item.outputs[0]]
                self._early_next[e.header] = early.speculate(self, b, e, b.add(item, ir.Constant(I64, 1)))
                carried = dict(zip(e.nodes, self._early_phis[e.header]))
            for node in blk.nodes:
                self.current_exit = node.exit
                self.current_checkpoint = fp_before.get(node)
                if checks_fp and self.current_checkpoint is not None and \
                        fpflags.tested_before(node, blk in loop_blocks):
                    ok = self.fn.append_basic_block(name="fp.ok")
                    fence = self._fp_values + [self.values.get(v) for v in node.inputs]
                    b.cbranch(self._flags_up(b, fence), self._checkpoint_block(self.current_checkpoint), ok)
                    b.position_at_end(ok)
                    self._fp_values = []
                out = node.outputs[0]
                if node in deferred:
                    self.values[out] = None  # computed inside its consumer's kernel
                elif is_kernel_node(node):
                    self.values[out] = lower_kernel(self, b, node, deferred)
                else:
                    self.values[out] = self._lower_node(b, node)
                    if checks_fp and isinstance(out.type, NpScalar):
                        self._fp_values.append(self.values[out])  # Note [fencing the test]
                    if e is not None and node in carried:
                        self.values[out] = carried[node]  # computed an iteration early
                if checks_fp and fpflags.calls_numpy(node):
                    fpflags.clear(self, b)  # numpy handled its own flags by the user's errstate
            self.current_checkpoint = fp_end.get(blk)
            self._terminate(b, blk, blocks, phis)
        for k, eb in list(self.exit_blocks.items()):
            self._store_exit(ir.IRBuilder(eb), k)

    def _terminate(self, b, blk, blocks, phis):
        t = blk.term
        if t.kind == "exit":
            b.branch(self._leave_block(t.exit, self.current_checkpoint))
            return
        if t.kind == "br" and blk in self.loop_plans:
            self._hoist_checks(b, self.loop_plans[blk])
        incoming = [[] for _ in t.targets]  # per edge: [(phi, value)]
        chain = self.bounds.chain if self.bounds is not None else ()
        for (target, args), edge in zip(t.targets, incoming):
            entering = []  # values entering the chain of bounded sums (Note [bounded sums])
            for p, a in zip(target.params, args):
                if p in phis:
                    v = self.convert(b, self.values[a], a.type, p.type)
                    edge.append((phis[p], v))
                elif p in self.last_items and self.last_items[p][2] is blk and \
                        llvm_type(p.type) is not None:
                    v = self._last_entry[p] = self.convert(b, self.values[a], a.type, p.type)
                else:
                    continue
                if p in chain and a not in chain:
                    entering.append((v, p.type))
            if entering:
                deferred_checks.record(self, b, entering)
        for (target, _), edge in zip(t.targets, incoming):
            e = self.early.get(target)
            if e is not None:  # Note [next item early]
                values = early.speculate(self, b, e, self.values[e.start]) if blk is e.pre \
                    else self._early_next[target]
                edge.extend(zip(self._early_phis[target], values))
        dests = [self._edge(b, blk, target, blocks, edge)
                 for (target, _), edge in zip(t.targets, incoming)]
        if t.kind == "br":
            br = b.branch(dests[0])
        else:
            cond = self.values[t.cond]
            if cond.type != ir.IntType(1):
                cond = b.icmp_unsigned("!=", cond, ir.Constant(cond.type, 0))
            br = b.cbranch(cond, dests[0], dests[1])
        if blk in self.latches:
            br.set_metadata("llvm.loop", self._loop_hints())

    def _edge(self, b, blk, target, blocks, incoming):
        """The LLVM block a branch from ``blk`` to ``target`` goes to: the target's,
        or, on a back edge that sweeps dead arrays (Note [sweeping dead arrays] in
        sweep.py), a block of its own that sweeps and goes on to the target."""
        here = b.block
        keep = self.sweeps.get((blk, target))
        if keep is not None:
            edge = self.fn.append_basic_block(name=f"sweep.b{blk.id}")
            eb = ir.IRBuilder(edge)
            if sweep.emit(self, eb, keep):
                br = eb.branch(blocks[target])
                if blk in self.latches:
                    br.set_metadata("llvm.loop", self._loop_hints())
                for phi, v in incoming:
                    phi.add_incoming(v, edge)
                return edge
            edge.parent.basic_blocks.remove(edge)
        for phi, v in incoming:
            phi.add_incoming(v, here)
        return blocks[target]

    def _loop_hints(self):
        """The ``!llvm.loop`` node of inner loops' back edges (Note [loop hints])."""
        if self._loop_md is None:
            m = self.module
            opts = [m.add_metadata([ir.MetaDataString(m, k)] +
                                   ([ir.Constant(I32, v[0])] if v else []))
                    for k, *v in LOOP_HINTS]
            md = ir.values.MDValue(m, [], name=str(len(m.metadata)))
            md.operands = (md, *opts)  # a loop ID refers to itself
            self._loop_md = md
        return self._loop_md

    def _last_item(self, b, p):
        """The loop variable ``p`` at its loop's header: the entry value before the
        first iteration, else the previous item (Note [last item] in facts.py)."""
        if llvm_type(p.type) is None:
            return None
        k, item, _ = self.last_items[p]
        start, step = (self.values[v] for v in item.inputs[:2])
        kv = self.values[k]
        prev = b.add(start, b.mul(b.sub(kv, ir.Constant(I64, 1)), step))  # wraps: exact when used
        return b.select(b.icmp_signed("==", kv, ir.Constant(I64, 0)), self._last_entry[p],
                        self.convert(b, prev, item.outputs[0].type, p.type))

    def _hoist_checks(self, b, plan):
        """On the edge into a range loop, decide its hoistable bounds checks for
        every iteration at once (Note [hoisted bounds checks] in hoist.py)."""
        e = self.graph.exits[plan.exit]
        subst = dict(zip(plan.header.params, plan.pre.term.targets[0][1]))
        in_header = {n.outputs[0] for n in plan.header.nodes}
        if any(v in in_header for v in e.all_values()):
            return
        wide = ir.IntType(128)
        ext = lambda v: b.sext(v, wide)  # noqa: E731
        k = lambda c: ir.Constant(wide, c)  # noqa: E731
        n = ext(self.values[plan.n])
        start = ext(self.values[plan.start])
        all_ok = ir.Constant(ir.IntType(1), 1)
        for c in plan.checks:
            dim = ext(b.extract_value(self.values[c.array], [1, c.dim]))
            if c.index is None:
                lo = b.add(start, k(c.offset))
                hi = b.add(b.add(start, n), k(c.offset - 1))
            else:
                lo = hi = b.add(ext(self.values[c.index]), k(c.offset))
            good = b.and_(b.icmp_signed(">=", lo, b.sub(k(0), dim)), b.icmp_signed("<", hi, dim))
            all_ok = b.and_(all_ok, good)
        all_ok = b.or_(b.icmp_signed("<=", n, k(0)), all_ok)
        entry_values = {p: self.convert(b, self.values[a], a.type, p.type)
                        for p, a in subst.items() if llvm_type(p.type) is not None}
        bail = self.fn.append_basic_block(name=f"hoist.exit{plan.exit}")
        cont = self.fn.append_basic_block(name="hoist.ok")
        b.cbranch(all_ok, cont, bail).set_weights([1 << 20, 1])
        bb = ir.IRBuilder(bail)
        if self.current_checkpoint is not None and self.current_checkpoint != plan.exit:
            # a bailout with a flag up leaves through the checkpoint (fpflags.py)
            store = self.fn.append_basic_block(name=f"hoist.exit{plan.exit}.store")
            bb.cbranch(self._flags_up(bb, list(entry_values.values())),
                       self._checkpoint_block(self.current_checkpoint), store)
            bb = ir.IRBuilder(store)
        self._store_exit(bb, plan.exit, entry_values)
        b.position_at_end(cont)
        for c in plan.checks:
            self.hoisted.setdefault(c.node, {})[c.dim] = all_ok

    def _lower_node(self, b, node):
        op = OPS[node.op]
        fn = LOWERINGS.get(node.op)
        if fn is None:
            raise NotLowerable(f"op {node.op}")
        in_types = [v.type for v in node.inputs]
        args = [self.values[v] for v in node.inputs]
        if node in self.constant_operands:  # Note [constant operands] in fpflags.py
            args = fpflags.opaque(b, args)
        if not op.sees_unions and any(isinstance(t, UnionT) for t in in_types):
            r = self._lower_over_members(b, node, op, fn, in_types, args)
        else:
            view = NodeView(node.op, node.attrs, in_types, node.outputs[0].type, node.inputs,
                            self.facts.guarded(node), self.hoisted.get(node),
                            deferred=self._deferral(node))
            r = fn(self, b, view, args)
            self._bail_on_int_warning(b, node, view.out_type, args, in_types)
        if self._deferral(node) == "bound":
            deferred_checks.record(self, b, [(args[i], in_types[i]) for i in self.bounds.external[node]],
                                   count=self.bounds.counts[node])
        return r

    def _deferral(self, node):
        """How ``node``'s overflow check is deferred: False (it is not), "flag"
        (Note [deferred overflow checks]) or "bound" (Note [bounded sums])."""
        if node not in self.deferred:
            return False
        return "flag" if self.bounds is None else "bound"

    def _bail_on_int_warning(self, b, node, out_t, args, in_types):
        """numpy's scalar operators on integers warn (``overflow encountered in
        scalar add``, ``divide by zero encountered in scalar floor_divide``) where
        the ufuncs and arrays wrap quietly: bail out there, and CPython runs the
        statement (Note [numpy integer scalars warn]).  For an operand that is a
        union, per member (``_lower_over_members``): ``s += a[i]`` with ``s = 0``.
        A bounded sum has no check of its own (Note [bounded sums])."""
        op = node.op
        if op not in _INT_OPERATORS or not _numpy_int(out_t) or self.current_exit is None or \
                self._deferral(node) == "bound":
            return
        from .lowerings.convert import cast
        w = out_t.dtype.itemsize * 8
        signed = out_t.dtype.kind == "i"
        xs = [cast(self, b, v, t, out_t) for v, t in zip(args, in_types)]
        zero = ir.Constant(xs[0].type, 0)
        minimum = ir.Constant(xs[0].type, -(1 << (w - 1)) if signed else 0)
        op = op[1:] if op in ("iadd", "isub", "imul", "ifloordiv", "imod") else op
        if op in ("add", "sub", "mul"):
            ty = xs[0].type
            name = f"llvm.{'s' if signed else 'u'}{op}.with.overflow.i{w}"
            checked = b.call(self.intrinsic(name, ir.LiteralStructType([ty, ir.IntType(1)]), [ty, ty]), xs)
            bad = b.extract_value(checked, 1)
        elif op == "neg":
            bad = b.icmp_signed("==", xs[0], minimum) if signed else b.icmp_unsigned("!=", xs[0], zero)
        elif op == "abs":
            if not signed:
                return
            bad = b.icmp_signed("==", xs[0], minimum)
        else:  # floordiv, mod: a zero divisor; MIN // -1 overflows
            bad = b.icmp_unsigned("==", xs[1], zero)
            if op == "floordiv" and signed:
                bad = b.or_(bad, b.and_(b.icmp_signed("==", xs[0], minimum),
                                        b.icmp_signed("==", xs[1], ir.Constant(xs[1].type, -1))))
        cg.bail_if(self, b, bad)

    def _lower_over_members(self, b, node, op, fn, in_types, args):
        out_t = node.outputs[0].type
        if node.op in IEEE_UNIFORM and all(_float_union(t) for t in in_types if isinstance(t, UnionT)):
            return self._lower_uniform(b, node, op, fn, in_types, args, out_t)
        out_ty = llvm_type(out_t)
        merge = self.fn.append_basic_block(name=f"{node.op}.merge")
        incoming = []
        choices = [list(enumerate(members(t))) if isinstance(t, UnionT) else [(None, t)]
                   for t in in_types]
        for combo in itertools.product(*choices):
            if any(m == UNDEF for _, m in combo):
                continue
            cond = ir.Constant(ir.IntType(1), 1)
            parts = []
            for (tag, m), t, v in zip(combo, in_types, args):
                if tag is None:
                    parts.append(v)
                    continue
                cond = b.and_(cond, b.icmp_unsigned("==", b.extract_value(v, 1), ir.Constant(I8, tag)))
                parts.append(self._member_value(b, v, m))
            yes = self.fn.append_basic_block(name=f"{node.op}.case")
            no = self.fn.append_basic_block(name=f"{node.op}.next")
            b.cbranch(cond, yes, no)
            b.position_at_end(yes)
            types = [m for _, m in combo]
            view = NodeView(node.op, node.attrs, types, op.infer(types, node.attrs), node.inputs)
            r = fn(self, b, view, parts)
            self._bail_on_int_warning(b, node, view.out_type, parts, types)
            incoming.append((self.convert(b, r, view.out_type, out_t), b.block))
            b.branch(merge)
            b.position_at_end(no)
        b.unreachable()
        b.position_at_end(merge)
        if out_ty is None:
            return None
        phi = b.phi(out_ty)
        for v, blk in incoming:
            phi.add_incoming(v, blk)
        return phi

    def _lower_uniform(self, b, node, op, fn, in_types, args, out_t):
        """``float|f64`` operands of an op that computes the same bits for Python
        floats and numpy float64s (IEEE add, multiply, compare…): compute once and
        only select the result's tag, so the loop carries no branch per member."""
        canonical, values, tags = [], [], []
        for t, v in zip(in_types, args):
            if isinstance(t, UnionT):
                ms = [m for m in members(t) if m != UNDEF]
                canonical.append(next((m for m in ms if not isinstance(m, PyScalar)), ms[0]))
                values.append(b.extract_value(v, 0))
                tags.append((t, b.extract_value(v, 1)))
            else:
                canonical.append(t)
                values.append(v)
        view = NodeView(node.op, node.attrs, canonical, op.infer(canonical, node.attrs), node.inputs)
        r = fn(self, b, view, values)
        if not isinstance(out_t, UnionT):
            return self.convert(b, r, view.out_type, out_t) if view.out_type != out_t else r
        out_members = members(out_t)
        tag = None
        union_inputs = [t for t in in_types if isinstance(t, UnionT)]
        choices = [list(enumerate(members(t))) for t in union_inputs]
        for combo in itertools.product(*choices):
            it_combo = iter(m for _, m in combo)
            types = [next(it_combo) if isinstance(t, UnionT) else t for t in in_types]
            if UNDEF in types:
                continue
            k = ir.Constant(I8, out_members.index(op.infer(types, node.attrs)))
            if tag is None:
                tag = k
                continue
            cond = ir.Constant(ir.IntType(1), 1)
            for (i, _), (_, tv) in zip(combo, tags):
                cond = b.and_(cond, b.icmp_unsigned("==", tv, ir.Constant(I8, i)))
            tag = b.select(cond, k, tag)
        s = b.insert_value(ir.Constant(llvm_type(out_t), ir.Undefined), r, 0)
        return b.insert_value(s, tag, 1)

    def _member_value(self, b, v, m: Type):
        raw = b.extract_value(v, 0)
        ty = llvm_type(m)
        return raw if raw.type == ty else ir.Constant(ty, ir.Undefined)

    def convert(self, b, v, src: Type, dst: Type):
        """A value of type ``src`` as the representation of ``dst`` (a join's type)."""
        if src == dst or isinstance(src, Array) and isinstance(dst, Array):
            return v
        if isinstance(dst, UnionT):
            dst_members = members(dst)
            ty = llvm_type(dst)
            if isinstance(src, UnionT):
                src_members = members(src)
                tag = b.extract_value(v, 1)
                new_tag = ir.Constant(I8, 0)
                for i, m in enumerate(src_members):
                    new_tag = b.select(b.icmp_unsigned("==", tag, ir.Constant(I8, i)),
                                       ir.Constant(I8, dst_members.index(m)), new_tag)
                raw = b.extract_value(v, 0)
            else:
                new_tag = ir.Constant(I8, dst_members.index(src))
                raw = v if src != UNDEF else ir.Constant(ty.elements[0], ir.Undefined)
            if raw.type != ty.elements[0]:
                raw = ir.Constant(ty.elements[0], ir.Undefined)
            s = b.insert_value(ir.Constant(ty, ir.Undefined), raw, 0)
            return b.insert_value(s, new_tag, 1)
        if isinstance(src, TupleT) and isinstance(dst, TupleT) and len(src.items) == len(dst.items):
            s = ir.Constant(llvm_type(dst), ir.Undefined)  # item by item: (f64, f64) -> (f64|float, ...)
            for i, (si, di) in enumerate(zip(src.items, dst.items)):
                s = b.insert_value(s, self.convert(b, b.extract_value(v, i), si, di), i)
            return s
        raise NotLowerable(f"conversion from {src} to {dst}")

    def _store_exit(self, b, k: int, subst=None):
        """Store exit ``k``'s values; ``subst`` overrides some (a loop header's
        parameters by the values the loop is entered with)."""
        e = self.graph.exits[k]
        offset = 0
        for v in e.all_values():
            if isinstance(v.type, Array) and self.alias.get(v) is not None:
                continue  # boxed from the live-in itself
            val = subst[v] if subst and v in subst else self.values[v]
            store_value(b, self.outbuf, offset, v.type, val)
            offset += slots(v.type)
        b.ret(ir.Constant(I32, k))


# Note [numpy integer scalars warn]
#     numpy's scalar math (``np.int8(100) + np.int8(100)``, ``-np.uint8(1)``,
#     ``np.int64(5) // 0``) checks each result and warns on overflow or a zero
#     divisor; the ufuncs on the same scalars (``np.add``) and every array op
#     wrap without a word (arrays still warn on a zero divisor: see the lowering
#     of // and %).  So the operators bail out where numpy would warn: CPython
#     re-runs the statement and numpy warns, or raises under np.errstate.
_INT_OPERATORS = frozenset({"add", "sub", "mul", "iadd", "isub", "imul", "neg", "abs",
                            "floordiv", "ifloordiv", "mod", "imod"})


def _numpy_int(t) -> bool:
    return isinstance(t, NpScalar) and t.dtype.kind in "iu"


def _use_counts(graph) -> dict:
    uses: dict = {}
    for blk in graph.blocks:
        for n in blk.nodes:
            for v in n.inputs:
                uses[v] = uses.get(v, 0) + 1
        if blk.term is not None:
            vals = [blk.term.cond] if blk.term.cond is not None else []
            for _, args in blk.term.targets:
                vals += list(args)
            for v in vals:
                uses[v] = uses.get(v, 0) + 1
    for e in graph.exits:
        for v in e.all_values():
            uses[v] = uses.get(v, 0) + 1
    return uses


def _input_aliases(graph) -> dict:
    """Values that are provably one of the live-ins (through block parameters):
    value -> live-in index.  A tuple built of such arrays (``return pos, vel``
    after ``pos += ...``) maps to a tuple of indexes, None for other items, so
    that its boxing returns the live-ins themselves, as CPython would."""
    alias = {li.value: i for i, li in enumerate(graph.inputs)}
    for n in graph.nodes():  # ``a += b`` on an array returns ``a`` itself
        if OPS[n.op].mutates and isinstance(n.outputs[0].type, Array) and \
                isinstance(n.inputs[0].type, Array) and n.inputs[0] in alias:
            alias[n.outputs[0]] = alias[n.inputs[0]]
    incoming = graph.incoming()
    changed = True
    while changed:
        changed = False
        for p, args in incoming.items():
            if p in alias:
                continue
            sources = {alias.get(a, -1) if a is not p else None for a in args} - {None}
            if len(sources) == 1 and -1 not in sources:
                alias[p] = sources.pop()
                changed = True
    for n in graph.nodes():
        if n.op == "build_tuple" and isinstance(n.outputs[0].type, TupleT):
            items = tuple(alias.get(v) if isinstance(v.type, Array) and isinstance(alias.get(v), int)
                          else None for v in n.inputs)
            if any(i is not None for i in items):
                alias[n.outputs[0]] = items
    return alias


__all__ = ["LOWERINGS", "Lowering", "NodeView", "NotLowerable", "lowering", "I64"]
