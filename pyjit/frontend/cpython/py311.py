"""CPython 3.11: what each opcode means to pyjit.

``HANDLERS`` maps opcode names to translation handlers; the other functions
tell the decoder and the rewriter the 3.11 forms of stack effects, names and
call sequences.  py312.py and py313.py have the same shape; ``table.py`` picks one.
"""
from __future__ import annotations

from bytecode import BinaryOp, Compare, FreeVar, Instr

from .. import handlers as h
from ..decode import ITER, STRUCT, TEMP

VERSION = (3, 11)

BINARY_OPS = {
    BinaryOp.ADD: "add", BinaryOp.AND: "and_", BinaryOp.FLOOR_DIVIDE: "floordiv",
    BinaryOp.LSHIFT: "lshift", BinaryOp.MATRIX_MULTIPLY: "matmul", BinaryOp.MULTIPLY: "mul",
    BinaryOp.REMAINDER: "mod", BinaryOp.OR: "or_", BinaryOp.POWER: "pow",
    BinaryOp.RSHIFT: "rshift", BinaryOp.SUBTRACT: "sub", BinaryOp.TRUE_DIVIDE: "truediv",
    BinaryOp.XOR: "xor",
    BinaryOp.INPLACE_ADD: "iadd", BinaryOp.INPLACE_AND: "iand",
    BinaryOp.INPLACE_FLOOR_DIVIDE: "ifloordiv", BinaryOp.INPLACE_LSHIFT: "ilshift",
    BinaryOp.INPLACE_MATRIX_MULTIPLY: "imatmul", BinaryOp.INPLACE_MULTIPLY: "imul",
    BinaryOp.INPLACE_REMAINDER: "imod", BinaryOp.INPLACE_OR: "ior",
    BinaryOp.INPLACE_POWER: "ipow", BinaryOp.INPLACE_RSHIFT: "irshift",
    BinaryOp.INPLACE_SUBTRACT: "isub", BinaryOp.INPLACE_TRUE_DIVIDE: "itruediv",
    BinaryOp.INPLACE_XOR: "ixor",
}

COMPARE_OPS = {Compare.LT: "lt", Compare.LE: "le", Compare.EQ: "eq", Compare.NE: "ne",
               Compare.GT: "gt", Compare.GE: "ge"}

_NO_FALLTHROUGH = frozenset({
    "JUMP_FORWARD", "JUMP_BACKWARD", "JUMP_BACKWARD_NO_INTERRUPT", "RETURN_VALUE",
    "RAISE_VARARGS", "RERAISE",
})


def falls_through(ins: Instr) -> bool:
    return ins.name not in _NO_FALLTHROUGH


def stores(ins: Instr) -> tuple:
    """Locals ``ins`` assigns from the stack, in the order it pops their values."""
    return (ins.arg,) if ins.name == "STORE_FAST" else ()


def deletes(ins: Instr) -> tuple:
    return (ins.arg,) if ins.name == "DELETE_FAST" else ()


def loads(ins: Instr) -> tuple:
    return (ins.arg,) if ins.name in ("LOAD_FAST", "LOAD_FAST_CHECK") else ()


def stack_kinds(ins: Instr, kinds: tuple, jump: bool):
    """Stack item kinds after ``ins`` where the generic net-effect rule is wrong."""
    name = ins.name
    if name == "GET_ITER":
        return kinds[:-1] + (ITER,)
    if name == "FOR_ITER":
        return kinds[:-1] if jump else kinds + (TEMP,)
    if name == "BEFORE_WITH":
        return kinds[:-1] + (STRUCT, TEMP)
    return None


# Exception handling and with-blocks: never in a region, and not a break of their own.
STRUCTURAL = frozenset({"PUSH_EXC_INFO", "POP_EXCEPT", "RERAISE", "CHECK_EXC_MATCH",
                        "BEFORE_WITH", "WITH_EXCEPT_START", "CHECK_EG_MATCH", "PREP_RERAISE_STAR"})


def is_prologue(ins: Instr) -> bool:
    """Instructions a function starts with that never belong to a region."""
    return ins.name in ("RESUME", "COPY_FREE_VARS", "MAKE_CELL", "NOP")


# ---- the rewriter's instruction sequences ---------------------------------------------

def call_sequence(callee, load_args: list, nargs: int) -> list:
    """Call ``callee`` (a constant) with the arguments pushed by ``load_args``."""
    return [Instr("PUSH_NULL"), Instr("LOAD_CONST", callee), *load_args,
            Instr("PRECALL", nargs), Instr("CALL", nargs)]


def load_live_in(source: str, name: str) -> Instr:
    if source == "local":
        return Instr("LOAD_FAST", name)
    if source == "global":
        return Instr("LOAD_GLOBAL", (False, name))
    if source == "deref":
        return Instr("LOAD_DEREF", FreeVar(name))
    raise ValueError(source)


def jump(label, forward: bool) -> Instr:
    return Instr("JUMP_FORWARD" if forward else "JUMP_BACKWARD", label)


def jump_if_false(label) -> Instr:
    return Instr("POP_JUMP_FORWARD_IF_FALSE", label)


def jump_if_true(label) -> Instr:
    return Instr("POP_JUMP_FORWARD_IF_TRUE", label)


# ---- translation handlers ----------------------------------------------------------------

def _load_global(tx, ins):
    push_null, name = ins.arg
    return h.load_global_named(tx, name, push_null)


def _call(tx, ins):
    kwnames, tx.kwnames = tx.kwnames, ()
    return h.call_from_stack(tx, ins.arg, kwnames, null_below=True)


def _binary_op(tx, ins):
    return h.binary(tx, BINARY_OPS[ins.arg])


def _compare_op(tx, ins):
    return h.binary(tx, COMPARE_OPS[ins.arg])


def _for_iter(tx, ins):
    return h.for_iter_step(tx, ins, keep_iterator=False)


HANDLERS = {
    "NOP": h.nop, "RESUME": h.nop, "PRECALL": h.nop, "COPY_FREE_VARS": h.nop,
    "POP_TOP": h.pop_top, "PUSH_NULL": h.push_null, "COPY": h.copy, "SWAP": h.swap,
    "LOAD_FAST": h.load_fast, "LOAD_FAST_CHECK": h.load_fast, "STORE_FAST": h.store_fast,
    "LOAD_CONST": h.load_const, "LOAD_GLOBAL": _load_global, "LOAD_DEREF": h.load_deref,
    "LOAD_ATTR": h.load_attr, "LOAD_METHOD": h.load_method, "KW_NAMES": h.kw_names,
    "CALL": _call,
    "BINARY_OP": _binary_op, "COMPARE_OP": _compare_op, "IS_OP": h.is_op,
    "UNARY_NEGATIVE": h.unary_handler("neg"), "UNARY_POSITIVE": h.unary_handler("pos"),
    "UNARY_INVERT": h.unary_handler("invert"), "UNARY_NOT": h.unary_handler("not_"),
    "BINARY_SUBSCR": h.binary_subscr, "STORE_SUBSCR": h.store_subscr,
    "BUILD_TUPLE": h.build_tuple, "BUILD_SLICE": h.build_slice,
    "UNPACK_SEQUENCE": h.unpack_sequence,
    "GET_ITER": h.get_iter, "FOR_ITER": _for_iter,
    "JUMP_FORWARD": h.jump, "JUMP_BACKWARD": h.jump, "JUMP_BACKWARD_NO_INTERRUPT": h.jump,
    "POP_JUMP_FORWARD_IF_FALSE": h.pop_jump_handler(False),
    "POP_JUMP_BACKWARD_IF_FALSE": h.pop_jump_handler(False),
    "POP_JUMP_FORWARD_IF_TRUE": h.pop_jump_handler(True),
    "POP_JUMP_BACKWARD_IF_TRUE": h.pop_jump_handler(True),
    "POP_JUMP_FORWARD_IF_NONE": h.pop_jump_handler(True, "is_"),
    "POP_JUMP_BACKWARD_IF_NONE": h.pop_jump_handler(True, "is_"),
    "POP_JUMP_FORWARD_IF_NOT_NONE": h.pop_jump_handler(True, "is_not"),
    "POP_JUMP_BACKWARD_IF_NOT_NONE": h.pop_jump_handler(True, "is_not"),
    "JUMP_IF_FALSE_OR_POP": lambda tx, ins: h.jump_if_or_pop(tx, ins, False),
    "JUMP_IF_TRUE_OR_POP": lambda tx, ins: h.jump_if_or_pop(tx, ins, True),
    "RETURN_VALUE": h.return_value,
}
