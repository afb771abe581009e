"""The stable text form of a graph, read back by ``parser.parse``.

    graph f(%0 = local x, %1 = static global np <numpy>) {
    ^0(%0 x:float, %1 np:const<numpy>):
      %2:float = mul %0, %0 !1
      exit 0
    exits:
      0 end x=%2
      1 resume 3 x=%0
    }

The header lists the live-ins: their value, ``static`` if the dispatcher
guards their identity, their source and name, and the object the graph was
built against, if any.  Values print as ``%id``, with the hint (the variable
name) after a space and the type after a colon where known: ``%4 total:int``.
Nodes print as ``%out:type = op %in, ... {attr=value} !exit``.  Block
parameters are the block arguments; ``br``/``cbr`` pass arguments as
``^2(%4, %5)``.  Exit lines name their kind, target, the stored locals and the
rebuilt stack items (``[range_iter %0 %1 %2 %3]``).

Attribute values print as Python literals (``1``, ``'sum'``, ``(0, 1)``,
``nan``, ``slice(None, 2, None)``, ``...``), numpy scalars by dtype
(``f32(0.1)``), types as ``<type:f64[?]>``
and any other object by its name: ``<numpy.sin>``, ``<dtype:float64>``.
"""
from __future__ import annotations

import re

import numpy as np

from .graph import Graph, Value
from .types import Type, const_label, dtype_name

# Names (hints, locals, live-ins) that print bare; others print as a quoted string.
NAME = re.compile(r"[A-Za-z_.][\w.]*")

_LITERALS = (type(None), bool, int, float, complex, str, bytes)


def name_text(name: str) -> str:
    return name if NAME.fullmatch(name) else repr(name)


def _v(v: Value) -> str:
    return f"%{v.id}"


def value_text(v: Value) -> str:
    """A value as its definition prints: ``%4 total:int``."""
    hint = f" {name_text(v.hint)}" if v.hint is not None else ""
    t = f":{v.type}" if v.type is not None else ""
    return f"%{v.id}{hint}{t}"


def attr_text(value) -> str:
    """The printed form of an attribute value; ``parser.parse_value`` reads it back.

    >>> attr_text((0, np.float32(0.5), np.sin))
    '(0, f32(0.5), <numpy.sin>)'
    """
    if isinstance(value, Type):
        return f"<type:{value}>"
    if isinstance(value, np.generic) and value.dtype.kind in "biufc":
        # numpy prints a float scalar with the fewest digits that read back at its precision.
        inner = str(value) if value.dtype.kind == "f" else attr_text(value.item())
        return f"{dtype_name(value.dtype)}({inner})"
    if type(value) is slice:
        return f"slice({attr_text(value.start)}, {attr_text(value.stop)}, {attr_text(value.step)})"
    if value is Ellipsis:
        return "..."
    if type(value) is tuple:
        items = ", ".join(attr_text(v) for v in value)
        return f"({items},)" if len(value) == 1 else f"({items})"
    if type(value) in _LITERALS:
        return repr(value)
    return f"<{const_label(value)}>"


def _targets(targets) -> str:
    return ", ".join(f"^{b.id}(" + ", ".join(_v(a) for a in args) + ")" for b, args in targets)


def _header(g: Graph) -> str:
    inputs = []
    for li in g.inputs:
        static = "static " if li.is_static else ""
        obj = f" {attr_text(li.static)}" if li.static is not None else ""
        inputs.append(f"{_v(li.value)} = {static}{li.source} {name_text(li.name)}{obj}")
    return f"graph {g.name}({', '.join(inputs)}) {{"


def _node(n) -> str:
    args = ", ".join(_v(i) for i in n.inputs)
    text = n.op + (" " + args if args else "")
    if n.attrs:
        text += " {" + ", ".join(f"{k}={attr_text(v)}" for k, v in n.attrs.items()) + "}"
    if n.exit is not None:
        text += f" !{n.exit}"
    if not n.outputs:
        return text
    return ", ".join(value_text(o) for o in n.outputs) + " = " + text


def _term(t) -> str:
    if t is None:
        return "<no terminator>"
    if t.kind == "br":
        return f"br {_targets(t.targets)}"
    if t.kind == "cbr":
        cond = _v(t.cond) if t.cond is not None else "<no cond>"
        return f"cbr {cond}, {_targets(t.targets)}"
    return f"exit {t.exit}"


def _exit(k: int, e) -> str:
    parts = [f"  {k} {e.kind}"]
    if e.target is not None:
        parts.append(attr_text(e.target))
    # ``x?=%3``: x may be UNBOUND here and is stored only if bound.
    parts += [f"{name_text(name)}{'?' if name in e.maybe else ''}={_v(v)}"
              for name, v in zip(e.names, e.values)]
    for item in e.stack:
        parts.append(f"[{item.kind}" + "".join(" " + _v(v) for v in item.values) + "]")
    return " ".join(parts)


def print_graph(g: Graph) -> str:
    """The graph as text; ``parser.parse`` reads it back.

    >>> g = Graph("f")
    >>> x = g.add_input("x", "local", type=FLOAT)
    >>> g.entry.exit(g.add_exit(Exit("end", names=("y",), values=[g.entry.add("neg", [x])])))
    >>> print(print_graph(g))
    graph f(%0 = local x) {
    ^0(%0 x:float):
      %1 = neg %0
      exit 0
    exits:
      0 end y=%1
    }
    """
    lines = [_header(g)]
    for b in g.blocks:
        lines.append(f"^{b.id}(" + ", ".join(value_text(p) for p in b.params) + "):")
        lines += [f"  {_node(n)}" for n in b.nodes]
        lines.append(f"  {_term(b.term)}")
    lines.append("exits:")
    lines += [_exit(k, e) for k, e in enumerate(g.exits)]
    lines.append("}")
    return "\n".join(lines)
