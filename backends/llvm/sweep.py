"""Releasing the arrays a loop iteration leaves behind.

Native code allocates arrays through numpy (alloc.py); each goes into this call's
list of allocations, which keeps it alive until the call returns.  In a loop
that makes a new array every iteration,

    for _ in range(steps):
        x = np.sqrt(x * x + 1.0)         # one new array per iteration

that list would hold every iteration's array: memory grows with the trip count,
and each new array touches fresh pages.  So on every back edge of a loop that
makes arrays, native code calls the runtime's *sweep* with the data pointers of
the arrays still live there; the runtime drops every array of the list that none
of them points into (runtime/arrays.c ``pj_sweep``).  numpy frees it, and the
next iteration's allocation typically gets the same memory back from malloc.

Note [sweeping dead arrays]
    What is live on a back edge ``latch -> header`` is what the header needs:
    the arguments the edge passes to its parameters and the values live on entry
    to the header (SSA liveness, graphutil.live_in; a value stored by a resume
    exit inside the loop is live wherever that exit may be taken, so CPython
    still gets it on a bailout).  Nothing else can be read again: on the edge
    the iteration is over.  A kept array may be a view (``t[1:]``): the runtime
    keeps every list array whose memory range, ends included, contains a kept
    pointer, so a view keeps its base, an empty or reversed view included.
    Keeping too much is safe, releasing too much is a use after free, so:
    a union value passes the pointer slot of its array member whatever its tag
    says, and a loop whose live values hold arrays some other way (a union with
    two array members) is not swept.  A floating-point flag may send code in the
    loop to a *checkpoint*'s exit, before the loop (fpflags.py): that exit's
    values are live in the whole loop, though SSA liveness does not see the
    edge, so they are kept too.  Only those defined before the loop: a checkpoint
    inside the loop stores values of the iteration that takes it (a value of an
    earlier iteration it stores is a header parameter, live there anyway), and a
    value defined inside the loop does not dominate its back edge.  The sweep is on the edge itself: a
    conditional latch (``while`` loops test at the bottom) gets a block of its
    own for it, since values live on its other edge, out of the loop, need not
    be live at the header.

The live-ins' arrays are never in the list, so their pointers keep nothing and
cost nothing; pointers of a nested call's list never meet ours (each call has
its own list, runtime/arrays.c ``pj_arrays_begin``).
"""
from __future__ import annotations

from llvmlite import ir

from pyjit.ir.types import Array, TupleT, UnionT
from pyjit.passes.graphutil import holds_arrays as _holds_arrays, live_in

from .addresses import load_address
from .reprs import I64, llvm_type


def plan(graph, order, loops, checkpoints=None) -> dict:
    """``(latch, header) -> values to keep`` for each back edge of a loop that
    makes array values (Note [sweeping dead arrays]); ``loops``: the graph's
    ``natural_loops``.  ``checkpoints(blocks)``:
    the exits a floating-point flag may send code in those blocks to (fpflags.py),
    whose values stay live there too."""
    loops = [lp for lp in loops
             if any(_holds_arrays(o.type) for b in lp.blocks for n in b.nodes for o in n.outputs)]
    if not loops:
        return {}
    live = live_in(graph, order)
    edges = {}
    for loop in loops:
        h = loop.header
        across = [v for v in live.get(h, ()) if _holds_arrays(v.type)]
        inside = {v for b in loop.blocks for v in b.params + [o for n in b.nodes for o in n.outputs]}
        for k in (checkpoints(loop.blocks) if checkpoints else ()):
            across += [v for v in graph.exits[k].all_values()
                       if v is not None and _holds_arrays(v.type) and v not in across and v not in inside]
        for latch in loop.blocks:
            if latch.term is None:
                continue
            for target, args in latch.term.targets:
                if target is h:
                    keep = across + [a for a in args if a is not None and _holds_arrays(a.type)]
                    if all(_pointers_known(v.type) for v in keep):
                        edges[(latch, h)] = keep
    return edges


def emit(ctx, b: ir.IRBuilder, values) -> bool:
    """Call the runtime's sweep with the data pointers of ``values``; False (and
    nothing emitted) if one of them has no lowered value to read."""
    if any(ctx.values.get(v) is None for v in values):
        return False
    ptrs = [p for v in values for p in _pointers(b, ctx.values[v], v.type)]
    buf = ctx.alloca(ir.ArrayType(I64, max(len(ptrs), 1)))
    for i, p in enumerate(ptrs):
        b.store(p, b.gep(buf, [ir.Constant(I64, 0), ir.Constant(I64, i)]))
    fnty = ir.FunctionType(ir.VoidType(), [I64, I64.as_pointer()])
    fn = load_address(ctx, b, ("sweep",), fnty.as_pointer())
    b.call(fn, [ir.Constant(I64, len(ptrs)), b.bitcast(buf, I64.as_pointer())])
    return True


def _pointers(b, lv, t) -> list:
    if isinstance(t, Array):
        return [b.ptrtoint(b.extract_value(lv, 0), I64)]
    if isinstance(t, TupleT):
        out = []
        for i, item in enumerate(t.items):
            if _holds_arrays(item):
                out.extend(_pointers(b, b.extract_value(lv, i), item))
        return out
    if isinstance(t, UnionT):  # the array member's slot, whatever the tag says (keeps more)
        return [b.ptrtoint(b.extract_value(lv, [0, 0]), I64)]
    return []


def _pointers_known(t) -> bool:
    """Whether ``_pointers`` finds every array a value of type ``t`` may hold."""
    if isinstance(t, Array):
        return True
    if isinstance(t, TupleT):
        return all(_pointers_known(i) for i in t.items if _holds_arrays(i))
    if isinstance(t, UnionT):
        arrays = [m for m in t.members if _holds_arrays(m)]
        if len(arrays) != 1 or not isinstance(arrays[0], Array):
            return False
        try:
            ty = llvm_type(t)
        except Exception:  # noqa: BLE001  (not lowerable: the graph will not be either)
            return False
        first = ty.elements[0]
        return isinstance(first, ir.LiteralStructType) and first == llvm_type(arrays[0])
    return True
