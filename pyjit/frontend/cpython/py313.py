"""CPython 3.13: what each opcode means to pyjit.

The same shape as py311.py.  What changed since 3.12 (see py312.py for 3.11 → 3.12):

- The call stack is ``[callable, NULL|self, args]``: LOAD_GLOBAL and a
  plain-attribute LOAD_ATTR with the method bit push the NULL *above* the
  callable, and the rewriter pushes its dispatcher before PUSH_NULL.
  KW_NAMES is gone: CALL_KW takes the names tuple from the top of the stack.
- Truth tests are explicit: TO_BOOL before POP_JUMP_IF_* and UNARY_NOT, or
  COMPARE_OP with the "cast to bool" bit (the bytecode package's ``*_CAST``
  members).  POP_JUMP_IF_TRUE/FALSE then require an exact bool, which the
  rewriter's IS_OP provides.
- Superinstructions LOAD_FAST_LOAD_FAST, STORE_FAST_STORE_FAST and
  STORE_FAST_LOAD_FAST (the bytecode package keeps them fused, with a tuple of
  two names): ``stores``/``loads`` name both.
- END_FOR pops only FOR_ITER's dummy and a POP_TOP pops the iterator; at run
  time an exhausted FOR_ITER skips both, so the two stay one unit: the decoder
  keeps the item END_FOR leaves a temporary, so no statement boundary, and so
  no dispatcher call, can fall between them.
"""
from __future__ import annotations

from bytecode import Compare, FreeVar, Instr

from .. import handlers as h
from ..decode import ITER, SAVED, STRUCT, TEMP
from .py311 import BINARY_OPS  # noqa: F401  (the bytecode package's BinaryOp is unchanged)

VERSION = (3, 13)

COMPARE_OPS = {Compare.LT: "lt", Compare.LE: "le", Compare.EQ: "eq", Compare.NE: "ne",
               Compare.GT: "gt", Compare.GE: "ge",
               Compare.LT_CAST: "lt", Compare.LE_CAST: "le", Compare.EQ_CAST: "eq",
               Compare.NE_CAST: "ne", Compare.GT_CAST: "gt", Compare.GE_CAST: "ge"}
_CAST_TO_BOOL = frozenset({Compare.LT_CAST, Compare.LE_CAST, Compare.EQ_CAST, Compare.NE_CAST,
                           Compare.GT_CAST, Compare.GE_CAST})

_NO_FALLTHROUGH = frozenset({
    "JUMP_FORWARD", "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT", "RETURN_VALUE",
    "RETURN_CONST", "RAISE_VARARGS", "RERAISE",
})


def falls_through(ins: Instr) -> bool:
    return ins.name not in _NO_FALLTHROUGH


def stores(ins: Instr) -> tuple:
    """Locals ``ins`` assigns from the stack, in the order it pops their values.

    A *_FAST argument can be a ``CellVar``, a cell slot rather than a local
    (LOAD_CLOSURE is spelled LOAD_FAST; a comprehension variable that is a cell
    is saved and restored through its slot): ``stores`` and ``loads`` name
    locals only (``handlers.is_local_name``).  A STORE_FAST_STORE_FAST touching
    a cell slot names neither: the k-th name must pop the k-th item, and
    naming too few only makes definite assignment more conservative.
    """
    name = ins.name
    if name == "STORE_FAST":
        return _names(ins.arg)
    if name == "STORE_FAST_STORE_FAST":  # the first name takes the top of the stack
        names = _names(*ins.arg)
        return names if len(names) == 2 else ()
    if name == "STORE_FAST_LOAD_FAST":
        return _names(ins.arg[0])
    return ()


def deletes(ins: Instr) -> tuple:
    return _names(ins.arg) if ins.name == "DELETE_FAST" else ()


def loads(ins: Instr) -> tuple:
    name = ins.name
    if name in ("LOAD_FAST", "LOAD_FAST_CHECK", "LOAD_FAST_AND_CLEAR"):
        return _names(ins.arg)
    if name == "LOAD_FAST_LOAD_FAST":
        return _names(*ins.arg)
    if name == "STORE_FAST_LOAD_FAST":
        return _names(ins.arg[1])
    return ()


def _names(*args) -> tuple:
    return tuple(a for a in args if h.is_local_name(a))


def stack_kinds(ins: Instr, kinds: tuple, jump: bool):
    """Stack item kinds after ``ins`` where the generic net-effect rule is wrong."""
    name = ins.name
    if name == "GET_ITER":
        return kinds[:-1] + (ITER,)
    if name == "FOR_ITER":  # exhausted: [iter, dummy] at END_FOR
        return kinds + (TEMP,)
    if name == "END_FOR":  # [iter, dummy] -> the iterator, now only waiting for POP_TOP
        return kinds[:-2] + (TEMP,)
    if name == "BEFORE_WITH":
        return kinds[:-1] + (STRUCT, TEMP)
    if name == "LOAD_FAST_AND_CLEAR":
        return kinds + (SAVED,)
    if name == "STORE_FAST_LOAD_FAST":
        return kinds[:-1] + (TEMP,)
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
    return [Instr("LOAD_CONST", callee), Instr("PUSH_NULL"), *load_args, Instr("CALL", nargs)]


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
    """Needs an exact bool on the stack: the rewriter tests with IS_OP."""
    return Instr("POP_JUMP_IF_FALSE", label)


def jump_if_true(label) -> Instr:
    """Needs an exact bool on the stack: the rewriter tests with IS_OP."""
    return Instr("POP_JUMP_IF_TRUE", label)


# ---- translation handlers ----------------------------------------------------------------

def _load_global(tx, ins):
    push_null, name = ins.arg
    return h.load_global_named(tx, name, push_null, null_below=False)


def _call(tx, ins):
    return h.call_from_stack(tx, ins.arg, (), null_below=False)


def _call_kw(tx, ins):
    names = tx.pop()
    if not isinstance(names, h.it.Static) or not isinstance(names.obj, tuple):
        return tx.fail("PJ0013", "CALL_KW without constant keyword names")
    return h.call_from_stack(tx, ins.arg, names.obj, null_below=False)


def _binary_op(tx, ins):
    return h.binary(tx, BINARY_OPS[ins.arg])


def _compare_op(tx, ins):
    if ins.arg in _CAST_TO_BOOL:
        return h.compare_then_truth(tx, COMPARE_OPS[ins.arg])
    return h.binary(tx, COMPARE_OPS[ins.arg])


def _for_iter(tx, ins):
    return h.for_iter_step(tx, ins, keep_iterator=True)


HANDLERS = {
    "NOP": h.nop, "RESUME": h.nop, "COPY_FREE_VARS": h.nop,
    "POP_TOP": h.pop_top, "PUSH_NULL": h.push_null, "COPY": h.copy, "SWAP": h.swap,
    "LOAD_FAST": h.load_fast, "LOAD_FAST_CHECK": h.load_fast, "STORE_FAST": h.store_fast,
    "LOAD_FAST_LOAD_FAST": h.load_fast_pair, "STORE_FAST_STORE_FAST": h.store_fast_pair,
    "STORE_FAST_LOAD_FAST": h.store_fast_load_fast,
    "LOAD_FAST_AND_CLEAR": h.unsupported_here("PJ0002", "inlined comprehension"),
    "LOAD_CONST": h.load_const, "LOAD_GLOBAL": _load_global, "LOAD_DEREF": h.load_deref,
    "LOAD_ATTR": h.load_attr_or_method(null_below=False),
    "CALL": _call, "CALL_KW": _call_kw,
    "BINARY_OP": _binary_op, "COMPARE_OP": _compare_op, "IS_OP": h.is_op,
    "TO_BOOL": h.to_bool,
    "UNARY_NEGATIVE": h.unary_handler("neg"), "UNARY_INVERT": h.unary_handler("invert"),
    "UNARY_NOT": h.unary_handler("not_"), "CALL_INTRINSIC_1": h.call_intrinsic_1,
    "BINARY_SUBSCR": h.binary_subscr, "STORE_SUBSCR": h.store_subscr,
    "BINARY_SLICE": h.binary_slice, "STORE_SLICE": h.store_slice,
    "BUILD_TUPLE": h.build_tuple, "BUILD_SLICE": h.build_slice,
    "UNPACK_SEQUENCE": h.unpack_sequence,
    "GET_ITER": h.get_iter, "FOR_ITER": _for_iter, "END_FOR": h.end_for(1),
    "JUMP_FORWARD": h.jump, "JUMP_BACKWARD": h.jump, "JUMP_BACKWARD_NO_INTERRUPT": h.jump,
    "POP_JUMP_IF_FALSE": h.pop_jump_handler(False),
    "POP_JUMP_IF_TRUE": h.pop_jump_handler(True),
    "POP_JUMP_IF_NONE": h.pop_jump_handler(True, "is_"),
    "POP_JUMP_IF_NOT_NONE": h.pop_jump_handler(True, "is_not"),
    "RETURN_VALUE": h.return_value, "RETURN_CONST": h.return_const,
}
