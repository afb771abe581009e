"""Translation handlers shared by every CPython version.

A handler is ``fn(tx, instr) -> None | Unsupported``: it updates the
translator's symbolic stack and emits nodes, or says why it cannot.  The
per-version tables (cpython/py311.py, ...) map opcode names to these handlers
and add the few whose stack effects differ between versions.
"""
from __future__ import annotations

import types

from bytecode import Label

from ..ir import registry
from ..report.reasons import Unsupported
from . import items as it

# ---- stack and locals ---------------------------------------------------------------


def nop(tx, ins):
    return None


def pop_top(tx, ins):
    tx.pop()


def push_null(tx, ins):
    tx.push(it.NULL)


def copy(tx, ins):
    s = tx.state.stack
    tx.push(s[-ins.arg] if ins.arg <= len(s) else it.Below())


def swap(tx, ins):
    s = tx.state.stack
    if ins.arg > len(s):
        return tx.fail("PJ0011", "SWAP below the region's stack")
    s[-1], s[-ins.arg] = s[-ins.arg], s[-1]


def is_local_name(arg) -> bool:
    """Whether a *_FAST argument names a plain local.  It can name a cell slot
    instead (a ``CellVar``/``FreeVar``): 3.13 spells LOAD_CLOSURE as LOAD_FAST,
    and 3.12+ save and restore a comprehension variable that is a cell with
    LOAD_FAST_AND_CLEAR / STORE_FAST.  Those move the cell object itself."""
    return isinstance(arg, str)


def _cell_slot(tx, ins):
    return tx.fail("PJ0002", f"{ins.name} of the cell {getattr(ins.arg, 'name', ins.arg)!r}")


def load_fast(tx, ins):
    if not is_local_name(ins.arg):
        return _cell_slot(tx, ins)
    v = tx.load_local(ins.arg)
    if isinstance(v, Unsupported):
        return v
    tx.push(v)


def store_fast(tx, ins):
    if not is_local_name(ins.arg):
        return _cell_slot(tx, ins)
    return tx.store_local(ins.arg, tx.pop())


def load_const(tx, ins):
    tx.push(it.Static(ins.arg))


def load_deref(tx, ins):
    name = ins.arg.name if hasattr(ins.arg, "name") else ins.arg
    v = tx.load_deref(name)
    if isinstance(v, Unsupported):
        return v
    tx.push(v)


def load_fast_pair(tx, ins):
    """LOAD_FAST_LOAD_FAST (3.13): both names, the first pushed first."""
    if not all(map(is_local_name, ins.arg)):
        return _cell_slot(tx, ins)
    for name in ins.arg:
        v = tx.load_local(name)
        if isinstance(v, Unsupported):
            return v
        tx.push(v)


def store_fast_pair(tx, ins):
    """STORE_FAST_STORE_FAST (3.13): the first name takes the top of the stack."""
    if not all(map(is_local_name, ins.arg)):
        return _cell_slot(tx, ins)
    for name in ins.arg:
        err = tx.store_local(name, tx.pop())
        if err is not None:
            return err


def store_fast_load_fast(tx, ins):
    """STORE_FAST_LOAD_FAST (3.13): store the top into the first name, push the second."""
    store, load = ins.arg
    if not (is_local_name(store) and is_local_name(load)):
        return _cell_slot(tx, ins)
    err = tx.store_local(store, tx.pop())
    if err is not None:
        return err
    v = tx.load_local(load)
    if isinstance(v, Unsupported):
        return v
    tx.push(v)


def load_global_named(tx, name: str, push_null: bool, null_below: bool = True):
    """Push global ``name``, with a NULL below it (3.11, 3.12) or above it (3.13)."""
    v = tx.load_global(name)
    if isinstance(v, Unsupported):
        return v
    if push_null and null_below:
        tx.push(it.NULL)
    tx.push(v)
    if push_null and not null_below:
        tx.push(it.NULL)


# ---- attributes and calls -----------------------------------------------------------


def load_attr(tx, ins):
    obj = tx.pop()
    name = ins.arg if isinstance(ins.arg, str) else ins.arg[1]
    if isinstance(obj, it.Static):
        if not hasattr(obj.obj, name):
            return tx.fail("PJ0003", f"{_label(obj.obj)}.{name}")
        tx.push(it.Static(getattr(obj.obj, name)))
        return None
    if name not in registry.attribute_names():
        return tx.fail("PJ0003", f".{name}")
    v = tx.value(obj)
    if isinstance(v, Unsupported):
        return v
    tx.push(tx.emit("getattr", [v], name=name))


def load_method(tx, ins, null_below: bool = True):
    """``obj.name`` loaded for a call: ``[method, self]``, or for a plain attribute
    ``[NULL, attr]`` (3.11, 3.12) / ``[attr, NULL]`` (3.13)."""
    obj = tx.pop()
    name = ins.arg if isinstance(ins.arg, str) else ins.arg[1]
    if isinstance(obj, it.Static):
        if not hasattr(obj.obj, name):
            return tx.fail("PJ0003", f"{_label(obj.obj)}.{name}")
        attr = it.Static(getattr(obj.obj, name))
        tx.state.stack.extend([it.NULL, attr] if null_below else [attr, it.NULL])
        return None
    if name not in registry.method_names():
        return tx.fail("PJ0004", f".{name}()")
    v = tx.value(obj)
    if isinstance(v, Unsupported):
        return v
    tx.push(it.BoundMethod(v, name))
    tx.push(v)


def load_attr_or_method(null_below: bool):
    """LOAD_ATTR of 3.12+: the low bit of its argument (``ins.arg[0]``) asks for a
    method load, which 3.11 spelled LOAD_METHOD."""
    def handler(tx, ins):
        if ins.arg[0]:
            return load_method(tx, ins, null_below)
        return load_attr(tx, ins)
    return handler


def kw_names(tx, ins):
    tx.kwnames = tuple(ins.arg)


def call_from_stack(tx, nargs: int, kwnames: tuple, null_below: bool):
    """CALL: ``[NULL, callable, args]`` / ``[method, self, args]`` (3.11, 3.12) or
    ``[callable, NULL, args]`` / ``[method, self, args]`` (3.13)."""
    args = tx.popn(nargs)
    upper, lower = tx.pop(), tx.pop()
    null, callee = (lower, upper) if null_below else (upper, lower)
    if null is it.NULL:
        return call_with(tx, callee, args, kwnames)
    return call_with(tx, lower, [upper] + args, kwnames)


def call_with(tx, callee, args: list, kwnames: tuple):
    """Translate ``callee(*args)`` whose last ``len(kwnames)`` args are keywords."""
    if isinstance(callee, it.BoundMethod):
        vals = _values(tx, args)
        if isinstance(vals, Unsupported):
            return vals
        tx.push(tx.emit("method", [callee.receiver] + vals[1:], name=callee.name, kwnames=kwnames))
        return None
    if not isinstance(callee, it.Static):
        return tx.fail("PJ0001", "call of a value computed at run time")
    fn = callee.obj
    if fn is range:
        return _range(tx, args, kwnames)
    if fn is zip or fn is enumerate:
        return _zip(tx, fn, args, kwnames)
    if fn is reversed and len(args) == 1 and not kwnames and isinstance(args[0], it.RangeArgs):
        return _reversed_range(tx, args[0])
    if fn is float and len(args) == 1 and not kwnames and isinstance(args[0], it.Static) \
            and type(args[0].obj) is str:
        return _float_of_literal(tx, args[0].obj)
    if registry.op_for_callable(fn) is not None:
        vals = _values(tx, args)
        if isinstance(vals, Unsupported):
            return vals
        tx.push(tx.emit("call", [tx.emit("const", [], value=fn)] + vals, kwnames=kwnames))
        return None
    if isinstance(fn, types.FunctionType):
        from .inline import inline_call
        return inline_call(tx, fn, args, kwnames)
    return tx.fail("PJ0001", f"call to {_label(fn)}")


def _range(tx, args, kwnames):
    if kwnames or not 1 <= len(args) <= 3:
        return tx.fail("PJ0015", "range() with keywords or a bad argument count")
    vals = _values(tx, args)
    if isinstance(vals, Unsupported):
        return vals
    if len(vals) == 1:
        vals = [tx.emit("const", [], value=0), vals[0]]
    if len(vals) == 2:
        vals.append(tx.emit("const", [], value=1))
    tx.push(it.RangeArgs(*vals))


def _reversed_range(tx, r):
    """``reversed(range(start, stop, step))`` is ``range(last, start - step, -step)``
    with ``last = start + (n - 1) * step``: the same items, as Python ints.
    ``range_item`` computes each bound (``start + k * step`` for k = n - 1, -1, and
    from 0 for -1), so they are ints as ``range`` takes them, from any integer
    arguments, and leaving 64 bits bails out to CPython."""
    n = tx.emit("range_len", [r.start, r.stop, r.step])   # checks the arguments as range() does
    one = tx.emit("const", [], value=1)
    minus_one = tx.emit("const", [], value=-1)
    last = tx.emit("range_item", [r.start, r.step, tx.emit("sub", [n, one])])
    before = tx.emit("range_item", [r.start, r.step, minus_one])
    back = tx.emit("range_item", [tx.emit("const", [], value=0), r.step, minus_one])
    tx.push(it.RangeArgs(last, before, back))


def _float_of_literal(tx, text: str):
    """``float("inf")``, ``float("-inf")``, ``float("nan")``: the literal's value;
    a string ``float`` rejects stays a call, which CPython makes."""
    try:
        value = float(text)
    except ValueError:
        return tx.fail("PJ0001", f"float() of {text!r}")
    tx.push(it.Static(value))


def _zip(tx, fn, args, kwnames):
    """``zip(a, b, ...)`` and ``enumerate(a[, start])`` over arrays and ranges."""
    if fn is zip:
        if kwnames or not args:
            return tx.fail("PJ0015", "zip() with keywords or no argument")
        count, given = None, args
    else:
        if kwnames not in ((), ("start",)) or not 1 <= len(args) <= 2:
            return tx.fail("PJ0015", "enumerate() with a bad argument")
        count = tx.value(args[1]) if len(args) == 2 else tx.emit("const", [], value=0)
        if isinstance(count, Unsupported):
            return count
        given = args[:1]
        if isinstance(args[0], it.ZipArgs) and args[0].count is None:   # enumerate(zip(a, b))
            tx.push(it.ZipArgs((args[0],), count))
            return None
    sources = []
    for item in given:
        src = _iterable(tx, item)
        if isinstance(src, Unsupported):
            return src
        sources.append(src)
    tx.push(it.ZipArgs(tuple(sources), count))


def _iterable(tx, item):
    """What a loop can iterate: ``range(...)`` or a value (an array along its first
    axis); anything else fails here."""
    if isinstance(item, it.RangeArgs):
        return item
    if isinstance(item, it.ZipArgs):
        return tx.fail("PJ0015", "zip() of a zip() or enumerate(), or enumerate() of enumerate()")
    if isinstance(item, it.Static) and not isinstance(item.obj, (int, float, complex)):
        return tx.fail("PJ0015", f"iteration over {type(item.obj).__name__}")
    return tx.value(item)


def _values(tx, items):
    out = []
    for item in items:
        v = tx.value(item)
        if isinstance(v, Unsupported):
            return v
        out.append(v)
    return out


def _label(obj) -> str:
    from ..ir.types import const_label
    return const_label(obj)


# ---- operators ----------------------------------------------------------------------


def binary(tx, op: str):
    b, a = tx.pop(), tx.pop()
    vals = _values(tx, [a, b])
    if isinstance(vals, Unsupported):
        return vals
    tx.push(tx.emit(op, vals))


def unary(tx, op: str):
    vals = _values(tx, [tx.pop()])
    if isinstance(vals, Unsupported):
        return vals
    tx.push(tx.emit(op, vals))


def unary_handler(op: str):
    return lambda tx, ins: unary(tx, op)


def compare_then_truth(tx, op: str):
    """A 3.13 comparison with the "cast to bool" bit: the comparison, then ``bool()``."""
    err = binary(tx, op)
    if err is not None:
        return err
    return unary(tx, "truth")


def is_op(tx, ins):
    return binary(tx, "is_not" if ins.arg else "is_")


def binary_subscr(tx, ins):
    return binary(tx, "getitem")


def store_subscr(tx, ins):
    idx, container, v = tx.pop(), tx.pop(), tx.pop()
    vals = _values(tx, [container, idx, v])
    if isinstance(vals, Unsupported):
        return vals
    tx.emit("setitem", vals)


def binary_slice(tx, ins):
    """``container[start:stop]`` (3.12+): 3.11's BUILD_SLICE 2 + BINARY_SUBSCR."""
    stop, start, container = tx.pop(), tx.pop(), tx.pop()
    vals = _values(tx, [start, stop, it.Static(None)])
    if isinstance(vals, Unsupported):
        return vals
    c = tx.value(container)
    if isinstance(c, Unsupported):
        return c
    tx.push(tx.emit("getitem", [c, tx.emit("build_slice", vals)]))


def store_slice(tx, ins):
    """``container[start:stop] = v`` (3.12+): 3.11's BUILD_SLICE 2 + STORE_SUBSCR."""
    stop, start, container, v = tx.pop(), tx.pop(), tx.pop(), tx.pop()
    vals = _values(tx, [start, stop, it.Static(None)])
    if isinstance(vals, Unsupported):
        return vals
    rest = _values(tx, [container, v])
    if isinstance(rest, Unsupported):
        return rest
    tx.emit("setitem", [rest[0], tx.emit("build_slice", vals), rest[1]])


def build_tuple(tx, ins):
    vals = _values(tx, tx.popn(ins.arg))
    if isinstance(vals, Unsupported):
        return vals
    tx.push(tx.emit("build_tuple", vals))


def build_slice(tx, ins):
    parts = tx.popn(ins.arg)
    if ins.arg == 2:
        parts.append(it.Static(None))
    vals = _values(tx, parts)
    if isinstance(vals, Unsupported):
        return vals
    tx.push(tx.emit("build_slice", vals))


def unpack_sequence(tx, ins):
    vals = _values(tx, [tx.pop()])
    if isinstance(vals, Unsupported):
        return vals
    t = vals[0]
    tx.emit("unpack_check", [t], count=ins.arg)
    for i in reversed(range(ins.arg)):
        tx.push(tx.emit("tuple_get", [t], index=i))


def get_iter(tx, ins):
    src = tx.pop()
    if isinstance(src, it.ZipArgs):
        tx.push(it.ZipIter(src, _length(tx, src), tx.emit("const", [], value=0)))
        return None
    src = _iterable(tx, src)
    if isinstance(src, Unsupported):
        return src
    n = _length(tx, src)
    zero = tx.emit("const", [], value=0)
    if isinstance(src, it.RangeArgs):
        tx.push(it.RangeIter(src.start, src.stop, src.step, n, zero))
    else:
        tx.push(it.SeqIter(src, n, zero))
    return None


def _length(tx, src):
    """How many items a range, a sequence or a zip/enumerate (the shortest source) has."""
    if isinstance(src, it.RangeArgs):
        return tx.emit("range_len", [src.start, src.stop, src.step])
    if isinstance(src, it.ZipArgs):
        lengths = [_length(tx, s) for s in src.sources]
        n = lengths[0]
        for m in lengths[1:]:
            n = tx.emit("min", [n, m])
        return n
    return tx.emit("len", [src])


def _item(tx, src, k):
    """Item ``k`` of a range, a sequence or a zip/enumerate (a tuple)."""
    if isinstance(src, it.RangeArgs):
        return tx.emit("range_item", [src.start, src.step, k])
    if isinstance(src, it.ZipArgs):
        # enumerate's count is an int as range's items are (Python int, from any integer)
        one = tx.emit("const", [], value=1)
        items = [] if src.count is None else [tx.emit("range_item", [src.count, one, k])]
        return tx.emit("build_tuple", items + [_item(tx, s, k) for s in src.sources])
    return tx.emit("getitem", [src, k])


def for_iter_step(tx, ins, keep_iterator: bool):
    """FOR_ITER: continue with the next item, or jump to the loop's exit.

    On exhaustion 3.11 pops the iterator and jumps past the loop; 3.12+ jump to
    the loop's END_FOR with the iterator still on the stack and a dummy above
    it, which END_FOR (and in 3.13 the POP_TOP after it) pop again.  (At run
    time 3.12+ skip those instructions, but their stack effect is the same.)
    """
    iterator = tx.state.stack[-1]
    if not isinstance(iterator, it.ITERATORS):
        u = tx.fail("PJ0015", "loop over an iterator pyjit cannot model")
        u.structural = isinstance(iterator, it.Below)
        return u
    one = tx.emit("const", [], value=1)
    k = iterator.k
    more = tx.emit("lt", [k, iterator.n])
    nxt = tx.emit("add", [k, one])
    if keep_iterator:
        done = tx.state.fork(tx.state.stack + [it.EXHAUSTED])
    else:
        done = tx.state.fork(tx.state.stack[:-1])
    if isinstance(iterator, it.RangeIter):
        item = _item(tx, it.RangeArgs(iterator.start, iterator.stop, iterator.step), k)
        advanced = it.RangeIter(iterator.start, iterator.stop, iterator.step, iterator.n, nxt)
        body = tx.state.fork(tx.state.stack[:-1] + [advanced, item])
        return tx.branch(more, tx.index + 1, body, _target(tx, ins), done)
    # A sequence's item k is read in the loop's body, where k < n: read where the
    # loop tests k < n, item n would fail (IndexError) and bail out of every loop's end.
    err = tx.branch_into_new_block(more, _target(tx, ins), done)
    if err is not None:
        return err
    if isinstance(iterator, it.SeqIter):
        item = _item(tx, iterator.seq, k)
        advanced = it.SeqIter(iterator.seq, iterator.n, nxt)
    else:
        item = _item(tx, iterator.args, k)
        advanced = it.ZipIter(iterator.args, iterator.n, nxt)
    return tx.jump_to(tx.index + 1, tx.state.fork(tx.state.stack[:-1] + [advanced, item]))


# ---- control flow -------------------------------------------------------------------


def _target(tx, ins) -> int:
    return tx.fn.d.label_index[ins.arg]


def jump(tx, ins):
    return tx.jump_to(_target(tx, ins), tx.state)


def pop_jump_if(tx, ins, jump_when: bool, test: str = "truth"):
    v = tx.value(tx.pop())
    if isinstance(v, Unsupported):
        return v
    if test == "truth":
        cond = tx.emit("truth", [v])
    else:
        cond = tx.emit(test, [v, tx.emit("const", [], value=None)])
    here, there = tx.state.fork(), tx.state.fork()
    t, f = (_target(tx, ins), tx.index + 1) if jump_when else (tx.index + 1, _target(tx, ins))
    ts, fs = (there, here) if jump_when else (here, there)
    return tx.branch(cond, t, ts, f, fs)


def pop_jump_handler(jump_when: bool, test: str = "truth"):
    return lambda tx, ins: pop_jump_if(tx, ins, jump_when, test)


def jump_if_or_pop(tx, ins, jump_when: bool):
    """``a and b`` / ``a or b``: jump keeping the value, or pop it and go on."""
    item = tx.state.stack[-1]
    v = tx.value(item)
    if isinstance(v, Unsupported):
        return v
    cond = tx.emit("truth", [v])
    keep = tx.state.fork(tx.state.stack[:-1] + [v])
    popped = tx.state.fork(tx.state.stack[:-1])
    if jump_when:
        return tx.branch(cond, _target(tx, ins), keep, tx.index + 1, popped)
    return tx.branch(cond, tx.index + 1, popped, _target(tx, ins), keep)


def end_for(pops: int):
    """END_FOR: 3.12 pops the iterator and FOR_ITER's dummy, 3.13 only the dummy."""
    def handler(tx, ins):
        tx.popn(pops)
    return handler


def return_value(tx, ins):
    v = tx.value(tx.pop())
    if isinstance(v, Unsupported):
        return v
    tx.ret(v)


def return_const(tx, ins):
    tx.push(it.Static(ins.arg))
    return return_value(tx, ins)


def to_bool(tx, ins):
    """TO_BOOL (3.13): ``bool(x)``, what 3.11 did inside POP_JUMP_IF_* and UNARY_NOT."""
    return unary(tx, "truth")


def call_intrinsic_1(tx, ins):
    """CALL_INTRINSIC_1 (3.12+): only ``+x`` is arithmetic; the others (import *,
    list-to-tuple for ``f(*args)``, typing constructs) stay in CPython."""
    name = getattr(ins.arg, "name", str(ins.arg))
    if name == "INTRINSIC_UNARY_POSITIVE":
        return unary(tx, "pos")
    return tx.fail("PJ0002", f"CALL_INTRINSIC_1 {name}")


def unsupported_here(code: str, detail: str):
    return lambda tx, ins: tx.fail(code, detail)


__all__ = [name for name in dir() if not name.startswith("_") and name not in ("types", "Label")]
