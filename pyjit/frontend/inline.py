"""Inlining calls to plain Python functions whose bodies translate completely.

The callee's bytecode is translated into the caller's graph by a child
translator; its ``return`` statements branch to a continuation block whose
parameter is the call's value.  The callee has no exits of its own: a node of
the callee that may raise uses the resume exit of the caller's statement, so a
bailout re-executes the whole call in CPython.  That is only exact if the callee
has no side effects before it raises, so callees that store into subscripts
or attributes are not inlined.
"""
from __future__ import annotations

import builtins
import types

from bytecode import Instr

from ..report.reasons import Unsupported
from . import items as it
from .decode import decode
from .translate import FnInfo, State, Translator

_DECODED: dict = {}

_CO_VARARGS, _CO_VARKEYWORDS, _CO_GENERATOR_LIKE = 0x4, 0x8, 0x20 | 0x80 | 0x100 | 0x200
_MUTATING = frozenset({"STORE_SUBSCR", "STORE_SLICE", "STORE_ATTR", "DELETE_SUBSCR",
                       "STORE_GLOBAL", "STORE_DEREF", "DELETE_FAST"})  # STORE_SLICE: 3.12+


def inline_call(tx, fn: types.FunctionType, args: list, kwnames: tuple):
    code = fn.__code__
    label = fn.__qualname__
    if tx.depth + 1 > 3:
        return tx.fail("PJ0012", f"call to {label}")
    if code.co_flags & (_CO_VARARGS | _CO_VARKEYWORDS | _CO_GENERATOR_LIKE) or code.co_kwonlyargcount \
            or code.co_cellvars:
        return tx.fail("PJ0001", f"call to {label} (generator, *args, **kwargs, keyword-only "
                                 "arguments or cells)")
    d = _DECODED.get(code)
    if d is None:
        d = _DECODED[code] = decode(code)
    if any(isinstance(i, Instr) and i.name in _MUTATING for i in d.instrs):
        return tx.fail("PJ0001", f"call to {label}: it mutates state, so it stays in CPython")
    env = _bind(tx, fn, args, kwnames)
    if isinstance(env, Unsupported):
        return env
    child = Translator(FnInfo(d, fn.__globals__, _builtins_of(fn), fn.__closure__, label),
                       tx.graph, 0, len(d.instrs), depth=tx.depth + 1, parent=tx)
    err = child.run(State(env, []), tx.block)
    if err is not None:
        if not err.inlined_from:
            err.detail = f"{err.detail} (inlined from {label})".strip()
        return err
    if not child.returns:
        return tx.fail("PJ0001", f"call to {label}: it never returns normally")
    cont = tx.graph.new_block()
    result = cont.add_param(hint=f"{label}()")
    for block, value in child.returns:
        block.br(cont, [value])
    tx.block = cont
    tx.push(result)
    return None


def _bind(tx, fn, args, kwnames):
    code = fn.__code__
    params = code.co_varnames[:code.co_argcount]
    npos = len(args) - len(kwnames)
    if npos > len(params):
        return tx.fail("PJ0001", f"call to {fn.__qualname__} with too many arguments")
    bound = dict(zip(params, args[:npos]))
    for name, item in zip(kwnames, args[npos:]):
        if name not in params or name in bound:
            return tx.fail("PJ0001", f"call to {fn.__qualname__} with keyword {name!r}")
        bound[name] = item
    defaults = fn.__defaults__ or ()
    first_default = len(params) - len(defaults)
    env = {}
    for i, name in enumerate(params):
        item = bound.get(name)
        if item is None:
            if i < first_default:
                return tx.fail("PJ0001", f"call to {fn.__qualname__} missing {name!r}")
            item = it.Static(defaults[i - first_default])
        v = tx.value(item)
        if isinstance(v, Unsupported):
            return v
        env[name] = v
    return env


def _builtins_of(fn) -> dict:
    b = fn.__globals__.get("__builtins__", builtins)
    return b if isinstance(b, dict) else b.__dict__
