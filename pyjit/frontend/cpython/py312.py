"""CPython 3.12: what each opcode means to pyjit.

The same shape as py311.py.  What changed since 3.11, as pyjit sees it:

- No PRECALL; ``CALL n`` alone.  LOAD_METHOD is folded into LOAD_ATTR, whose
  argument is ``(method bit, name)``; the stack order stays ``[NULL|method,
  callable|self, args]``.
- ``for`` loops end in END_FOR: on exhaustion FOR_ITER jumps there with the
  iterator still on the stack (and a dummy above it, by the compiler's stack
  model), END_FOR pops both.  At run time FOR_ITER skips the END_FOR, so
  nothing may ever be inserted between a loop's exit label and its END_FOR;
  the decoder's kinds guarantee it (the END_FOR is never a statement boundary).
- Comprehensions are inlined: LOAD_FAST_AND_CLEAR saves the iteration
  variable, the loop runs in the enclosing frame under an exception-table
  entry, a plain STORE_FAST restores it.  pyjit keeps them in CPython (a break,
  as in 3.11 where a comprehension is a call of a nested function); the
  decoder marks the saved value (``SAVED``) so that the restore is not taken
  for an assignment.
- RETURN_CONST; BINARY_SLICE / STORE_SLICE for two-part slices;
  CALL_INTRINSIC_1 (``+x`` is INTRINSIC_UNARY_POSITIVE); POP_JUMP_IF_* have no
  FORWARD/BACKWARD variants; ``and``/``or`` are COPY + POP_JUMP_IF_* + POP_TOP
  instead of JUMP_IF_*_OR_POP.
- LOAD_FAST no longer checks for an unbound local: the rewriter loads live-ins
  with LOAD_FAST_CHECK, which behaves like 3.11's LOAD_FAST.
"""
from __future__ import annotations

from bytecode import Compare, FreeVar, Instr

from .. import handlers as h
from ..decode import ITER, SAVED, STRUCT, TEMP
from .py311 import BINARY_OPS  # noqa: F401  (the bytecode package's BinaryOp is unchanged)

VERSION = (3, 12)

COMPARE_OPS = {Compare.LT: "lt", Compare.LE: "le", Compare.EQ: "eq", Compare.NE: "ne",
               Compare.GT: "gt", Compare.GE: "ge"}

_NO_FALLTHROUGH = frozenset({
    "JUMP_FORWARD", "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT", "RETURN_VALUE",
    "RETURN_CONST", "RAISE_VARARGS", "RERAISE",
})


def falls_through(ins: Instr) -> bool:
    return ins.name not in _NO_FALLTHROUGH


def stores(ins: Instr) -> tuple:
    """Locals ``ins`` assigns from the stack, in the order it pops their values.

    A STORE_FAST can restore a comprehension variable that is a cell: its
    argument is then a ``CellVar``, a cell slot rather than a local
    (``handlers.is_local_name``); ``stores`` and ``loads`` name locals only.
    """
    return _names(ins.arg) if ins.name == "STORE_FAST" else ()


def deletes(ins: Instr) -> tuple:
    return _names(ins.arg) if ins.name == "DELETE_FAST" else ()


def loads(ins: Instr) -> tuple:
    if ins.name in ("LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_AND_CLEAR"):
        return _names(ins.arg)
    return ()


def _names(*args) -> tuple:
    return tuple(a for a in args if h.is_local_name(a))


def stack_kinds(ins: Instr, kinds: tuple, jump: bool):
    """Stack item kinds after ``ins`` where the generic net-effect rule is wrong."""
    name = ins.name
    if name == "GET_ITER":
        return kinds[:-1] + (ITER,)
    if name == "FOR_ITER":  # exhausted: [iter, dummy] at END_FOR, which pops both
        return kinds + (TEMP,)
    if name == "BEFORE_WITH":
        return kinds[:-1] + (STRUCT, TEMP)
    if name == "LOAD_FAST_AND_CLEAR":
        return kinds + (SAVED,)
    return None


# Exception handling and with-blocks: never in a region, and not a break of their own.
STRUCTURAL = frozenset({"PUSH_EXC_INFO", "POP_EXCEPT", "RERAISE", "CHECK_EXC_MATCH",
                        "BEFORE_WITH", "WITH_EXCEPT_START", "CHECK_EG_MATCH", "CALL_INTRINSIC_2",
                        "CLEANUP_THROW"})


def is_prologue(ins: Instr) -> bool:
    """Instructions a function starts with that never belong to a region."""
    return ins.name in ("RESUME", "COPY_FREE_VARS", "MAKE_CELL", "NOP")


# ---- the rewriter's instruction sequences ---------------------------------------------

def call_sequence(callee, load_args: list, nargs: int) -> list:
    """Call ``callee`` (a constant) with the arguments pushed by ``load_args``."""
    return [Instr("PUSH_NULL"), Instr("LOAD_CONST", callee), *load_args, Instr("CALL", nargs)]


def load_live_in(source: str, name: str) -> Instr:
    if source == "local":
        return Instr("LOAD_FAST_CHECK", name)
    if source == "global":
        return Instr("LOAD_GLOBAL", (False, name))
    if source == "deref":
        return Instr("LOAD_DEREF", FreeVar(name))
    raise ValueError(source)


def jump(label, forward: bool) -> Instr:
    return Instr("JUMP_FORWARD" if forward else "JUMP_BACKWARD", label)


def jump_if_false(label) -> Instr:
    return Instr("POP_JUMP_IF_FALSE", label)


def jump_if_true(label) -> Instr:
    return Instr("POP_JUMP_IF_TRUE", label)


# ---- translation handlers ----------------------------------------------------------------

def _load_global(tx, ins):
    push_null, name = ins.arg
    return h.load_global_named(tx, name, push_null, null_below=True)


def _call(tx, ins):
    kwnames, tx.kwnames = tx.kwnames, ()
    return h.call_from_stack(tx, ins.arg, kwnames, null_below=True)


def _binary_op(tx, ins):
    return h.binary(tx, BINARY_OPS[ins.arg])


def _compare_op(tx, ins):
    return h.binary(tx, COMPARE_OPS[ins.arg])


def _for_iter(tx, ins):
    return h.for_iter_step(tx, ins, keep_iterator=True)


HANDLERS = {
    "NOP": h.nop, "RESUME": h.nop, "COPY_FREE_VARS": h.nop,
    "POP_TOP": h.pop_top, "PUSH_NULL": h.push_null, "COPY": h.copy, "SWAP": h.swap,
    "LOAD_FAST": h.load_fast, "LOAD_FAST_CHECK": h.load_fast, "STORE_FAST": h.store_fast,
    "LOAD_FAST_AND_CLEAR": h.unsupported_here("PJ0002", "inlined comprehension"),
    "LOAD_CONST": h.load_const, "LOAD_GLOBAL": _load_global, "LOAD_DEREF": h.load_deref,
    "LOAD_ATTR": h.load_attr_or_method(null_below=True), "KW_NAMES": h.kw_names,
    "CALL": _call,
    "BINARY_OP": _binary_op, "COMPARE_OP": _compare_op, "IS_OP": h.is_op,
    "UNARY_NEGATIVE": h.unary_handler("neg"), "UNARY_INVERT": h.unary_handler("invert"),
    "UNARY_NOT": h.unary_handler("not_"), "CALL_INTRINSIC_1": h.call_intrinsic_1,
    "BINARY_SUBSCR": h.binary_subscr, "STORE_SUBSCR": h.store_subscr,
    "BINARY_SLICE": h.binary_slice, "STORE_SLICE": h.store_slice,
    "BUILD_TUPLE": h.build_tuple, "BUILD_SLICE": h.build_slice,
    "UNPACK_SEQUENCE": h.unpack_sequence,
    "GET_ITER": h.get_iter, "FOR_ITER": _for_iter, "END_FOR": h.end_for(2),
    "JUMP_FORWARD": h.jump, "JUMP_BACKWARD": h.jump, "JUMP_BACKWARD_NO_INTERRUPT": h.jump,
    "POP_JUMP_IF_FALSE": h.pop_jump_handler(False),
    "POP_JUMP_IF_TRUE": h.pop_jump_handler(True),
    "POP_JUMP_IF_NONE": h.pop_jump_handler(True, "is_"),
    "POP_JUMP_IF_NOT_NONE": h.pop_jump_handler(True, "is_not"),
    "RETURN_VALUE": h.return_value, "RETURN_CONST": h.return_const,
}
