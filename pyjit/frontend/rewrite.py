"""Writing the rewritten code object: each region becomes a dispatcher call in
front of its eager copy.

For a region covering instructions ``[start, end)`` the new code holds::

    <labels that stood at start>        # jumps to the region still dispatch
    <call the dispatcher with the live-ins>   # table.call_sequence / load_live_in:
                                        # 3.11 PUSH_NULL; LOAD_CONST d; LOAD_FAST ...; PRECALL n; CALL n
                                        # 3.12 PUSH_NULL; LOAD_CONST d; LOAD_FAST_CHECK ...; CALL n
                                        # 3.13 LOAD_CONST d; PUSH_NULL; LOAD_FAST_CHECK ...; CALL n
    UNPACK_SEQUENCE 2                   # (exit number k, values)
    for each exit (non-resume exits first, they are the common ones):
        COPY 1; LOAD_CONST k; IS_OP; POP_JUMP_IF_FALSE next
        POP_TOP; UNPACK_SEQUENCE m; STORE_FAST name ...   # locals, then stack items stay
        JUMP <target> | RETURN_VALUE
      next:
    POP_TOP; POP_TOP                     # no exit matched: run the eager copy
  eager:
    <the region's original instructions, with a label at every resume target>

The values tuple is ``(local_0, ..., local_m, stack_top, ..., stack_bottom)``:
``UNPACK_SEQUENCE`` leaves item 0 on top, so the stores pop the locals in order
and the stack items remain in the order the target expects.
Exit numbers are small ints compared with ``is``: the dispatcher returns the
very int objects stored in ``co_consts`` (CPython's small-int cache makes them
identical anyway).  IS_OP also gives the exact bool that 3.13's POP_JUMP_IF_*
require.
"""
from __future__ import annotations


from bytecode import Bytecode, Instr, Label, TryBegin

from ..ir.types import UNBOUND
from ..record import record
from .cpython import table


@record
class _Jump:
    target: Label
    location: object


def rewrite(d, regions) -> object:
    """Return a new code object; ``regions`` have start, end, dispatcher, graph."""
    instrs = d.instrs
    by_start = {r.start: r for r in regions}
    resume_labels: dict[int, Label] = {}
    for r in regions:
        for e in r.graph.exits:
            if e.kind != "return" and e.target != r.start:
                resume_labels.setdefault(e.target, Label())
    eager = {r.start: Label() for r in regions}
    out: list = []
    for i, ins in enumerate(instrs):
        r = by_start.get(i)
        if r is not None:
            if isinstance(ins, Label):
                out.append(ins)
            if i in resume_labels:  # another region's exit lands here: dispatch again
                out.append(resume_labels[i])
            out.extend(_dispatch(r, eager[i], resume_labels, _location(instrs, i)))
            out.append(eager[i])
            if isinstance(ins, Label):
                continue
        elif i in resume_labels:
            out.append(resume_labels[i])
        out.append(ins)
    if len(instrs) in resume_labels:
        out.append(resume_labels[len(instrs)])
    out = _resolve_jumps(out)
    bc = d.bc.copy()
    bc.clear()
    bc.extend(out)
    if any(isinstance(ins, TryBegin) for ins in out):
        return bc.to_code()
    # Note [stack size of the rewritten code]
    #     ``to_code`` computes the stack size by walking a control-flow graph, a
    #     third of a warm first call's analysis.  The dispatch sequence (_dispatch)
    #     is the only code added; at a region's start, over the stack depth d the
    #     original code has there, it holds at most NULL, the dispatcher and the
    #     live-ins (2 + n), then the unpacked exit values and two more (m + 2), or
    #     four while testing the exit number; d is at most the original stack size.
    #     So that size plus the largest of those is an upper bound (a larger size
    #     only reserves frame space).  Under PYJIT_CHECK the exact size is computed
    #     and the bound checked.  Code with an exception table still gets both
    #     computed by ``bytecode`` (its handlers' stack depths).
    extra = max([4] + [max(2 + len(r.graph.inputs), 2 + max((len(e.names) + len(e.stack)
                                                          for e in r.graph.exits), default=0))
                       for r in regions])
    bound = d.code.co_stacksize + extra
    code = bc.to_code(stacksize=bound, compute_exception_stack_depths=False)
    from .. import config
    if config.checking():
        exact = bc.to_code().co_stacksize
        if exact > bound:
            raise AssertionError(f"rewritten stack size {exact} above the bound {bound}")
    return code


def _dispatch(region, eager_label, resume_labels, location) -> list:
    g = region.graph
    loads = [table.load_live_in(li.source, li.name) for li in g.inputs]
    seq = table.call_sequence(region.dispatcher, loads, len(loads))
    seq.append(Instr("UNPACK_SEQUENCE", 2))
    order = sorted(range(len(g.exits)), key=lambda k: g.exits[k].kind == "resume")
    for k in order:
        e = g.exits[k]
        nxt = Label()
        seq += [Instr("COPY", 1), Instr("LOAD_CONST", k), Instr("IS_OP", 0), table.jump_if_false(nxt),
                Instr("POP_TOP")]
        m = len(e.names) + len(e.stack)
        seq.append(Instr("UNPACK_SEQUENCE", m) if m else Instr("POP_TOP"))
        for name in e.names:
            if name in e.maybe:  # UNBOUND: leave the frame's local as it is
                skip, done = Label(), Label()
                seq += [Instr("COPY", 1), Instr("LOAD_CONST", UNBOUND), Instr("IS_OP", 0),
                        table.jump_if_true(skip), Instr("STORE_FAST", name), _Jump(done, location),
                        skip, Instr("POP_TOP"), done]
            else:
                seq.append(Instr("STORE_FAST", name))
        if e.kind == "return":
            seq.append(Instr("RETURN_VALUE"))
        else:
            target = eager_label if e.target == region.start else resume_labels[e.target]
            seq.append(_Jump(target, location))
        seq.append(nxt)
    seq += [Instr("POP_TOP"), Instr("POP_TOP")]
    for ins in seq:
        if isinstance(ins, Instr):
            ins.location = location
    return seq


def _location(instrs, i):
    for ins in instrs[i:]:
        if isinstance(ins, Instr) and ins.lineno is not None:
            return ins.location
    return None


def _resolve_jumps(out: list) -> list:
    pos = {ins: p for p, ins in enumerate(out) if isinstance(ins, Label)}
    resolved = []
    for p, ins in enumerate(out):
        if isinstance(ins, _Jump):
            j = table.jump(ins.target, forward=pos[ins.target] > p)
            j.location = ins.location
            resolved.append(j)
        else:
            resolved.append(ins)
    return resolved
