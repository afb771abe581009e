"""numpy's floating-point warnings in native code: the FPU's sticky flags and
checkpoints.

numpy clears the FPU's exception flags before a ufunc loop and reads them after;
by ``np.errstate`` (default: warn on *invalid*, *divide* and *overflow*, ignore
underflow) it then warns (``RuntimeWarning: divide by zero encountered in
divide``), raises ``FloatingPointError``, calls or logs — for numpy scalars as
for arrays.  Native code must not lose that.

Note [floating-point flags and checkpoints]
    The flags are sticky, so testing them costs nothing per operation: a region
    with numpy float operations clears invalid/divide/overflow on entry and
    tests them where it matters.  When a flag is up, native code leaves through
    a *checkpoint*'s resume exit, and CPython re-runs from there: numpy then
    reacts exactly as the user's errstate says, at the user's line.

    A checkpoint is a statement from which re-running is harmless: the region's
    first statement, and the statement after each write to memory
    (``a[i] = v``, ``a += b``; nothing else a region does is visible before it
    returns).  ``plan`` computes, for every node, the checkpoint in effect (a
    forward dataflow: where paths bring different checkpoints, the statement at
    the join is the checkpoint — re-running it alone is harmless, only a
    warning of the statements before it could be lost).  Flags are tested

    - before each write (so what is re-run has not happened yet), but an
      element write in a loop (Note [element writes in loops]),
    - on every exit: a normal one (``return``, the region's end) leaves through
      the checkpoint instead, and so does a bailout (a bounds check, an
      overflow), since CPython re-running from the checkpoint reaches the
      failing statement too.

    So a pure loop (``s += a[i] * a[i]``) pays one test per call, and a loop
    that writes one test per write.  Flags raised by Python floats (CPython
    ignores them: ``1e308 * 10`` is ``inf`` without a word) also send the region
    back to CPython: a slower call, the same result.

    Note [element writes in loops]
        A test costs a read of MXCSR and a branch: before every ``out[i, j] = v``
        of a scalar loop it made pairwise distances 1.6x and a stencil 1.4x
        slower (the branch stops vectorization).  So an element write in a loop
        is not tested; the checkpoint still moves past it, so a flag raised
        before it is seen at the next test (a write of an array, an exit) and
        the region leaves through a checkpoint after it: nothing is re-run
        twice, but that warning is lost (and ``np.errstate(...='raise')`` does
        not raise for it).  A flag raised after the loop's last write is exact.

    Not covered: a flag raised by a write itself — an in-place array op
    (``a /= b`` with a zero in ``b``) has written its target before the flags
    can be read, so it cannot be re-run; its warning is lost (and
    ``np.errstate(divide='raise')`` does not raise there).  A numpy call from
    native code (a matrix product) clears the flags as numpy does: flags raised
    between the checkpoint and it are lost.  Underflow (ignored by default) is
    never tested, so ``np.errstate(under='raise')`` is not honoured.  Under
    ``np.errstate(all='ignore')`` a region whose numpy math raises flags still
    leaves through its checkpoint on every call (CPython then computes, and
    numpy ignores): the same results, at CPython's speed from there.
"""
from __future__ import annotations

from llvmlite import ir

from pyjit.ir.registry import OPS
from pyjit.ir.types import Array, NpScalar

from . import engine
from .reprs import I32

# MXCSR: IE (invalid) 0x1, ZE (divide by zero) 0x4, OE (overflow) 0x8.
_X86_FLAGS = 0x0D


def needed(graph) -> bool:
    """Whether the region computes with numpy floats (scalars, array elements),
    or divides numpy integers (which raise the flags by hand: ``raise_flags``)."""
    return any(_numpy_float(n) or _numpy_int_division(n) for n in graph.nodes())


def _numpy_int_division(n) -> bool:
    return n.op in ("floordiv", "ifloordiv", "mod", "imod") and any(
        isinstance(v.type, (NpScalar, Array)) and v.type.dtype.kind in "iu" for v in n.inputs)


def _numpy_float(n) -> bool:
    op = OPS[n.op]
    types = [v.type for v in n.inputs] + [o.type for o in n.outputs]
    floats = any(isinstance(t, NpScalar) and t.dtype.kind in "fc" or
                 isinstance(t, Array) and t.dtype.kind in "fc" for t in types)
    return floats and (op.elementwise or op.reduction or n.op in _CALLS_NUMPY or n.op == "sum")


# Ops whose lowering calls numpy, which clears the flags: tested before, like writes.
_CALLS_NUMPY = frozenset({"matmul", "imatmul", "np.matmul", "np.dot", "np.inner", "np.vdot",
                          "np.outer"})


def writes(node) -> bool:
    """A write to memory a re-run would repeat."""
    op = OPS[node.op]
    return bool(op.mutates) and bool(node.inputs) and isinstance(node.inputs[0].type, Array)


def tested_before(node, in_loop: bool) -> bool:
    """Whether the flags are tested before ``node``: a numpy call; a write, unless
    it stores one element inside a loop (Note [element writes in loops])."""
    if calls_numpy(node):
        return True
    if not writes(node):
        return False
    element = node.op == "setitem" and not isinstance(node.inputs[2].type, Array) and \
        not isinstance(node.outputs[0].type, Array)
    return not (element and in_loop)


def calls_numpy(node) -> bool:
    """The lowering calls numpy, which reacts to the flags its call raises by the
    user's errstate (bailing out where it would warn or raise): after it, the
    flags are cleared, so an ignored one does not send the region back."""
    return node.op in _CALLS_NUMPY


def constant_operands(graph) -> set:
    """The numpy float nodes all of whose inputs are fixed at translation time
    (Note [constant operands]): constants, what nodes compute from them alone,
    and block parameters every incoming value of which is such a value."""
    incoming = graph.incoming()
    params = set(incoming)  # optimistic; a parameter with a variable incoming value is dropped
    while True:
        known = set(params)
        grew = True
        while grew:
            grew = False
            for n in graph.nodes():
                out = n.outputs[0]
                if out not in known and (n.op == "const" or
                                         n.inputs and all(v in known for v in n.inputs)):
                    known.add(out)
                    grew = True
        dropped = {p for p in params if not all(a in known for a in incoming[p])}
        if not dropped:
            return {n for n in graph.nodes() if n.op != "const" and n.inputs and
                    all(v in known for v in n.inputs) and _numpy_float(n)}
        params -= dropped


def opaque(b: ir.IRBuilder, values) -> list:
    """``values`` with each float passed through an empty asm, whose result LLVM
    cannot know.

    Note [constant operands]
        LLVM folds float arithmetic on constants (``np.float64(1.0) /
        np.float64(0.0)`` becomes ``inf``) and does not raise the flags a folded
        operation would have raised: numpy's warning was lost, at every level.
        pyjit's own folding leaves out operations that may warn, so the operands
        of such a node are made opaque to LLVM: the operation then runs, and
        raises its flag.  Only nodes whose inputs are all fixed are handled (an
        operation with a variable operand cannot be folded); the asm has side
        effects, so it also stays below the region's clear (Note [clearing
        before the loads])."""
    from .cgutils import opaque
    return [v if isinstance(getattr(v, "type", None), ir.IntType) else opaque(b, v, side_effect=True)
            for v in values]


# ---- checkpoints ---------------------------------------------------------------------

_PENDING = "pending"      # after a write, until the next statement starts
_CURRENT = "current"      # the next statement is the checkpoint (a join, the start)


def plan(graph, order) -> tuple[dict, dict]:
    """``(before, at_end)``: the checkpoint exit in effect before each node and at
    each block's terminator, or None where no re-run is harmless (between a
    write and the end of its statement)."""
    preds: dict = {b: [] for b in order}
    for b in order:
        for s in b.successors:
            if s in preds:
                preds[s].append(b)
    out: dict = {}
    before: dict = {}
    at_end: dict = {}
    changed = True
    while changed:
        changed = False
        for b in order:
            if b is graph.entry:
                state = _CURRENT
            else:
                states = {out[p] for p in preds[b] if p in out}
                state = states.pop() if len(states) == 1 else _CURRENT
            for n in b.nodes:
                state = _resolve(state, n.exit)
                before[n] = state if isinstance(state, int) else None
                if writes(n):
                    state = (_PENDING, n.exit)
            at_end[b] = state if isinstance(state, int) else None
            if out.get(b, object()) != state:
                out[b] = state
                changed = True
    return before, at_end


def _resolve(state, exit_):
    """The state at a node of statement ``exit_``: a pending checkpoint becomes
    the first statement after the write's."""
    if exit_ is None:
        return state
    if state == _CURRENT:
        return exit_
    if isinstance(state, tuple) and state[0] == _PENDING and state[1] != exit_:
        return exit_
    return state


# ---- code ----------------------------------------------------------------------------

def _x86() -> bool:
    return engine.triple().startswith(("x86_64", "i686", "i386"))


def supported() -> bool:
    return _x86()


def _slot(ctx, b: ir.IRBuilder):
    """The function's one i32 of stack for MXCSR.  Made in the entry block: a
    builder positioned there is re-positioned, since an instruction inserted at
    the block's start would shift its insertion point."""
    slot = getattr(ctx, "_mxcsr_slot", None)
    if slot is None:
        slot = ctx._mxcsr_slot = ctx.alloca(I32)
        if b.block is ctx.fn.entry_basic_block:
            b.position_at_end(b.block)
    return slot


def clear(ctx, b: ir.IRBuilder) -> None:
    """Lower the invalid, divide and overflow flags (region entry).

    Note [clearing before the loads]
        LLVM models neither the flags nor which instructions raise them (outside
        its constrained-FP mode, whose intrinsics would slow every operation),
        so it moves float arithmetic freely across ``ldmxcsr``.  At O1 the x86
        backend scheduled ``x / y`` of two arguments, loaded before the entry's
        clear, above that clear: the division by zero raised its flag, the clear
        lowered it, and numpy's warning was lost.  The clear now comes first:
        the region's inputs are loaded after it, and a load does not move above
        an instruction with side effects, so every float the region computes
        comes from values that exist only after the clear."""
    slot = _slot(ctx, b)
    b.call(_intrinsic(ctx, "stmxcsr"), [b.bitcast(slot, ir.IntType(8).as_pointer())])
    b.store(b.and_(b.load(slot), ir.Constant(I32, ~_X86_FLAGS & 0xFFFFFFFF)), slot)
    b.call(_intrinsic(ctx, "ldmxcsr"), [b.bitcast(slot, ir.IntType(8).as_pointer())])


DIVIDE, OVERFLOW = 0x4, 0x8


def raise_flags(ctx, b: ir.IRBuilder, cond, bits: int) -> None:
    """If ``cond``, raise flags (``DIVIDE``, ``OVERFLOW``) as numpy's integer
    loops do by hand for ``x // 0`` and ``MIN // -1``: the region's tests then
    see them like a float's (Note [floating-point flags and checkpoints])."""
    if not supported():
        return
    with b.if_then(cond, likely=False):
        slot = _slot(ctx, b)
        p = b.bitcast(slot, ir.IntType(8).as_pointer())
        b.call(_intrinsic(ctx, "stmxcsr"), [p])
        b.store(b.or_(b.load(slot), ir.Constant(I32, bits)), slot)
        b.call(_intrinsic(ctx, "ldmxcsr"), [p])


def raised(ctx, b: ir.IRBuilder, fence=()):
    """An i1: is one of the invalid, divide and overflow flags up?  ``fence``:
    float values whose computation must come before the test (Note [fencing
    the test])."""
    _fence(b, [f for v in fence for f in _floats(b, v)])
    slot = _slot(ctx, b)
    b.call(_intrinsic(ctx, "stmxcsr"), [b.bitcast(slot, ir.IntType(8).as_pointer())])
    return b.icmp_unsigned("!=", b.and_(b.load(slot), ir.Constant(I32, _X86_FLAGS)),
                           ir.Constant(I32, 0))


def _floats(b: ir.IRBuilder, v) -> list:
    """The float values ``v`` is or holds: a tuple returned or stored at an exit
    (``return x / y, k``) holds its floats in a struct, which must not hide them
    from the fence."""
    t = getattr(v, "type", None)
    if isinstance(t, (ir.DoubleType, ir.FloatType)):
        return [v]
    if isinstance(t, ir.LiteralStructType):
        return [f for i in range(len(t.elements)) for f in _floats(b, b.extract_value(v, i))]
    return []


def _fence(b: ir.IRBuilder, values) -> None:
    """An empty inline asm that reads ``values``.

    Note [fencing the test]
        LLVM assumes nobody reads the flags, so it may compute a float after a
        test placed after it in the program (an ``fdiv`` sunk below the test, to
        just before the store that uses it): the flag would then be seen one
        test late, at a checkpoint past the statement that raised it, and its
        warning lost.  The asm (which has side effects, so it stays before the
        test) takes the block's numpy float values and the written values as
        inputs, so they are computed before the test.  An array kernel's floats
        are computed inside its loop, which LLVM does not move past a call.  LLVM
        may still hoist a later float above a test (it may speculate): that only
        makes a bailout come early, which is harmless.  A value computed in an
        earlier block and used only after the test could still sink past it.
        (No memory clobber: it would make every loop around a test reload its
        arrays.)"""
    types = [v.type for v in values]
    asm = ir.InlineAsm(ir.FunctionType(ir.VoidType(), types), "",
                       ",".join(["x"] * len(types)), side_effect=True)
    b.call(asm, list(values))


def _intrinsic(ctx, name: str):
    return ctx.intrinsic(f"llvm.x86.sse.{name}", ir.VoidType(), [ir.IntType(8).as_pointer()])
