"""Decoding a code object into a flat instruction list with the facts regions need.

``decode(code)`` returns a ``Decoded``: the abstract instructions of the
``bytecode`` package (labels and try markers included), and per index the
operand-stack depth, whether the index is a statement boundary, which locals are
definitely assigned there and which are live.

Note [statement boundary]
    A region begins and ends, and a bailout resumes, only where the operand
    stack holds no expression temporaries: only *structural* items (an
    iterator of an enclosing ``for`` loop, a ``with`` block's exit, an active
    exception).  Those indexes are the statement boundaries. Re-executing a
    statement from its boundary recomputes all its temporaries, which is what
    makes a bailout exact.

Note [stack kinds]
    Each operand-stack item has a kind: ``TEMP`` (an expression temporary),
    ``ITER`` (a ``for`` loop's iterator), ``STRUCT`` (a ``with`` exit, an
    exception and its ``lasti``) or ``SAVED`` (3.12+: the value of an inlined
    comprehension's variable, saved by LOAD_FAST_AND_CLEAR and restored by a
    plain STORE_FAST after the loop).  ``SAVED`` is a temporary for
    statement boundaries; definite assignment uses it to tell that restore
    from an assignment (it leaves the local exactly as it was before the
    comprehension, unbound included).  The version tables give the kinds of
    the instructions the net stack effect gets wrong.
"""
from __future__ import annotations


import bytecode
from bytecode import Instr, Label, TryBegin, TryEnd

from ..record import field, record
from .cpython import table

TEMP, ITER, STRUCT, SAVED = "temp", "iter", "struct", "saved"   # Note [stack kinds]
_STRUCTURAL_KINDS = frozenset({ITER, STRUCT})


@record
class Decoded:
    code: object
    bc: bytecode.Bytecode
    instrs: list
    label_index: dict
    depth: list = field(default_factory=list)      # stack depth before each index, or None
    kinds: list = field(default_factory=list)      # stack item kinds before each index
    boundary: list = field(default_factory=list)   # Note [statement boundary]
    defined: list = field(default_factory=list)    # frozenset of definitely-assigned locals
    live: list = field(default_factory=list)       # frozenset of live locals
    preds: dict = field(default_factory=dict)      # index -> indexes that jump or fall into it

    def successors(self, i: int) -> list[int]:
        """Indexes control can reach after executing index ``i`` (labels included)."""
        ins = self.instrs[i]
        out = []
        if isinstance(ins, Instr):
            if ins.has_jump():
                out.append(self.label_index[ins.arg])
            if table.falls_through(ins):
                out.append(i + 1)
        else:
            out.append(i + 1)
        return [j for j in out if j < len(self.instrs)]

    def observed(self, i: int) -> frozenset | None:
        """The locals whose values the code from index ``i`` on may read (Note
        [dead locals at exits]), or None for "any": the function may look at its
        own frame (``locals()``, ``exec``, ``sys._getframe``...).  Cell variables
        are always included (liveness tracks fast locals only)."""
        if i >= len(self.live) or _introspects(self.code):
            return None
        return self.live[i] | frozenset(self.code.co_cellvars) | frozenset(self.code.co_freevars)

    def lineno(self, i: int) -> int | None:
        for j in range(i, len(self.instrs)):
            ins = self.instrs[j]
            if isinstance(ins, Instr) and ins.lineno is not None:
                return ins.lineno
        return None


def decode(code) -> Decoded:
    # The exception table's depths as CPython wrote them: without this flag the
    # package leaves them UNSET, which is an int (0), and every handler inside a
    # ``for`` loop would lose the iterator below it.
    bc = bytecode.Bytecode.from_code(code, conserve_exception_block_stackdepth=True)
    instrs = list(bc)
    label_index = {ins: i for i, ins in enumerate(instrs) if isinstance(ins, Label)}
    d = Decoded(code, bc, instrs, label_index)
    _stack_analysis(d)
    _preds(d)
    _definite_assignment(d)
    _liveness(d)
    return d


def _stack_analysis(d: Decoded) -> None:
    n = len(d.instrs)
    d.kinds = [None] * n
    d.kinds[0] = ()
    handlers = {}
    work = [0]
    while work:
        i = work.pop()
        kinds = d.kinds[i]
        ins = d.instrs[i]
        nexts = []
        if isinstance(ins, TryBegin):
            target = d.label_index[ins.target]
            depth = ins.stack_depth
            hk = tuple(kinds[:depth]) + (STRUCT,) * (1 + bool(ins.push_lasti))
            handlers[target] = hk
            nexts.append((target, hk))
        if isinstance(ins, Instr):
            if ins.has_jump():
                nexts.append((d.label_index[ins.arg], _apply(ins, kinds, True)))
            if table.falls_through(ins) and i + 1 < n:
                nexts.append((i + 1, _apply(ins, kinds, False)))
        elif i + 1 < n:
            nexts.append((i + 1, kinds))
        for j, k in nexts:
            if d.kinds[j] is None:
                d.kinds[j] = k
                work.append(j)
    d.depth = [None if k is None else len(k) for k in d.kinds]
    d.boundary = [k is not None and _STRUCTURAL_KINDS.issuperset(k) for k in d.kinds]


def _apply(ins: Instr, kinds: tuple, jump: bool) -> tuple:
    special = table.stack_kinds(ins, kinds, jump)
    if special is not None:
        return special
    if ins.name == "SWAP" and ins.arg <= len(kinds):  # every version; moves a SAVED or ITER item
        k = list(kinds)
        k[-1], k[-ins.arg] = k[-ins.arg], k[-1]
        return tuple(k)
    effect = ins.stack_effect(jump=jump)
    if effect < 0:
        return kinds[:effect]
    return kinds + (TEMP,) * effect


def _preds(d: Decoded) -> None:
    preds = {i: [] for i in range(len(d.instrs))}
    for i in range(len(d.instrs)):
        if d.kinds[i] is None:
            continue
        for j in d.successors(i):
            preds[j].append(i)
    for ins in d.instrs:
        if isinstance(ins, TryBegin):
            preds[d.label_index[ins.target]].append(-1)
    d.preds = preds


def _store_names(ins) -> tuple:
    """Locals ``ins`` writes: assigned or deleted."""
    return table.stores(ins) + table.deletes(ins) if isinstance(ins, Instr) else ()


def _load_names(ins) -> tuple:
    return table.loads(ins) if isinstance(ins, Instr) else ()


def _definite_assignment(d: Decoded) -> None:
    """Forward must-analysis: locals assigned on every path to each index."""
    code = d.code
    args = code.co_argcount + code.co_kwonlyargcount + bool(code.co_flags & 0x4) + bool(code.co_flags & 0x8)
    start = frozenset(code.co_varnames[:args])
    every = frozenset(code.co_varnames) | start
    n = len(d.instrs)
    state = [every] * n
    state[0] = start
    changed = True
    while changed:
        changed = False
        for i in range(n):
            if d.kinds[i] is None:
                continue
            if i:
                incoming = [_after(d, p, state[p]) if p >= 0 else _handler_state(d, i, state)
                            for p in d.preds[i]]
                new = frozenset.intersection(*incoming) if incoming else frozenset()
                if i and new != state[i]:
                    state[i] = new
                    changed = True
    d.defined = state


def _after(d: Decoded, p: int, before: frozenset) -> frozenset:
    """Definitely-assigned locals after index ``p``: ``del`` unbinds, and a
    comprehension's restore (a store of a ``SAVED`` item) changes nothing."""
    ins = d.instrs[p]
    if not isinstance(ins, Instr):
        return before
    kinds = d.kinds[p]
    assigned = [name for k, name in enumerate(table.stores(ins))
                if k >= len(kinds) or kinds[-1 - k] != SAVED]
    return (before - frozenset(table.deletes(ins))) | frozenset(assigned)


def _handler_state(d: Decoded, i: int, state) -> frozenset:
    # An exception can arrive from anywhere in the try block; be conservative.
    return frozenset()


# Note [dead locals at exits]
#     An exit stores back into the frame the locals the region assigned, but only
#     those the code from the exit's target on may read (``Decoded.observed``:
#     the liveness below, where ``del x`` counts as a read of x's binding).  A
#     dead local is never read again before being written, so its stale value in
#     the frame is never seen; not carrying it means its value need not stay in
#     a register across the region's loops, nor be boxed on the way out
#     (pairwise distances: the inner loop's ``t``, ``k`` and ``d`` are dead after
#     ``out[i, j] = ...``; 10% faster).  The other side: a later region must not
#     load a dead local as a live-in (an earlier exit may not have stored it):
#     a join that needs its value gets UNBOUND (translate.py ``_edge_value``).
#     Exact for the program's own reads; a function that may look at its frame
#     (``locals()``, ``exec``, ``sys._getframe``, ``inspect``: any of the names
#     below in ``co_names``) keeps every local, and cell variables are always kept.
#     A debugger or a frame walked from a callee could see a stale dead local.

# Names through which a function can see its own locals: it keeps every local exact.
# (Not ``stack`` or ``trace``: ``np.stack`` and ``np.trace`` would turn it off, and
# reading a frame's locals from ``inspect.stack()`` needs ``f_locals`` or
# ``getargvalues``.)
_FRAME_READERS = frozenset({"locals", "vars", "dir", "exec", "eval", "breakpoint", "_getframe",
                            "currentframe", "f_locals", "getargvalues", "getouterframes",
                            "getinnerframes", "settrace", "set_trace"})


def _introspects(code) -> bool:
    return not _FRAME_READERS.isdisjoint(code.co_names)


def _liveness(d: Decoded) -> None:
    """Backward may-analysis: locals that may be read before being written."""
    n = len(d.instrs)
    live = [frozenset()] * n
    handler_targets = [d.label_index[ins.target] for ins in d.instrs if isinstance(ins, TryBegin)]
    changed = True
    while changed:
        changed = False
        for i in range(n - 1, -1, -1):
            if d.kinds[i] is None:
                continue
            out = frozenset()
            for j in d.successors(i):
                out |= live[j]
            for h in handler_targets:  # any index may raise into a handler
                out |= live[h]
            ins = d.instrs[i]
            # ``del x`` reads x's binding (UnboundLocalError if unbound): a use, then a kill
            new = (out - frozenset(_store_names(ins))) | frozenset(_load_names(ins)) | \
                frozenset(table.deletes(ins) if isinstance(ins, Instr) else ())
            if new != live[i]:
                live[i] = new
                changed = True
    d.live = live
