"""The stable text form of a graph, read back by ``parser.parse``.

    graph f(x:float = local x, np:const<numpy> = static global np) {
    ^0(%0:float, %1:const<numpy>):
      %2:float = mul %0, %0 !1
      exit 0
    exits:
      0 end x=%2
      1 resume 3 x=%0
    }

Nodes print as ``%out:type = op %in, ... {attr=repr} !exit``; types are left
out (``%3``) before inference.  Block parameters are the block arguments;
``br``/``cbr`` pass arguments as ``^2(%4, %5)``.  Exit lines name their kind, target,
the stored locals and the rebuilt stack items (``[range_iter %0 %1 %2 %3]``).
"""
from __future__ import annotations

from .graph import Graph, Value


def _v(v: Value) -> str:
    return f"%{v.id}"


def _vt(v: Value) -> str:
    return f"%{v.id}" if v.type is None else f"%{v.id}:{v.type}"


def _attr(value) -> str:
    from .types import Const, const_label
    if isinstance(value, (int, float, complex, str, bool, type(None), tuple)):
        return repr(value)
    return f"<{const_label(value)}>" if not isinstance(value, Const) else str(value)


def _targets(targets) -> str:
    return ", ".join(f"^{b.id}(" + ", ".join(_v(a) for a in args) + ")" for b, args in targets)


def print_graph(g: Graph) -> str:
    inputs = []
    for li in g.inputs:
        t = f":{li.value.type}" if li.value.type is not None else ""
        static = "static " if li.is_static else ""
        inputs.append(f"{li.name}{t} = {static}{li.source} {li.name}")
    lines = [f"graph {g.name}({', '.join(inputs)}) {{"]
    for b in g.blocks:
        lines.append(f"^{b.id}(" + ", ".join(_vt(p) for p in b.params) + "):")
        for n in b.nodes:
            outs = ", ".join(_vt(o) for o in n.outputs)
            args = ", ".join(_v(i) for i in n.inputs)
            attrs = ""
            if n.attrs:
                attrs = " {" + ", ".join(f"{k}={_attr(v)}" for k, v in n.attrs.items()) + "}"
            exit = f" !{n.exit}" if n.exit is not None else ""
            sep = " " if args else ""
            lines.append(f"  {outs} = {n.op}{sep}{args}{attrs}{exit}")
        t = b.term
        if t is None:
            lines.append("  <no terminator>")
        elif t.kind == "br":
            lines.append(f"  br {_targets(t.targets)}")
        elif t.kind == "cbr":
            lines.append(f"  cbr {_v(t.cond)}, {_targets(t.targets)}")
        else:
            lines.append(f"  exit {t.exit}")
    lines.append("exits:")
    for k, e in enumerate(g.exits):
        parts = [f"  {k} {e.kind}"]
        if e.target is not None:
            parts.append(str(e.target))
        parts += [f"{name}={_v(v)}" for name, v in zip(e.names, e.values)]
        for item in e.stack:
            parts.append(f"[{item.kind} " + " ".join(_v(v) for v in item.values) + "]")
        lines.append(" ".join(parts))
    lines.append("}")
    return "\n".join(lines)
