"""Read back the text ``printer.print_graph`` writes.

    >>> g = parse('''graph f(%0 = local x) {
    ... ^0(%0 x:float):
    ...   %1:float = mul %0, %0
    ...   exit 0
    ... exits:
    ...   0 end x=%1
    ... }''')
    >>> graphs_equal(g, parse(print_graph(g)))
    True

Types parse from their printed form, attribute values from theirs (see the
printer's docstring).  Objects printed by name (``<numpy.sin>``,
``const<math>``) resolve to the very object by import and attribute lookup;
a name that does not resolve (a function local to a test, say) becomes an
``Unresolved`` placeholder that prints back as the same name.
"""
from __future__ import annotations

import ast
import builtins
import importlib
import importlib.util
import itertools
import re
import sys

import numpy as np

from .compare import graphs_equal  # noqa: F401 (parsing and comparing go together in tests)
from .graph import Block, Exit, Graph, LiveIn, Node, StackItem, Term, Value
from .printer import NAME
from .types import (BOOL, COMPLEX, ELLIPSIS, FLOAT, INT, NONE, NUMERIC_DTYPES, SLICE, Array,
                    UNBOUND, UNDEF, Const, NpScalar, Opaque, TupleT, Type, UnionT, dtype_from_name,
                    dtype_name)


class ParseError(Exception):
    """The text is not a printed graph; the message names the line."""


_STRING = re.compile(r"""[bB]?(?:'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*")""")
_WORD = re.compile(r"[A-Za-z_]\w*")
_ID = re.compile(r"%(\d+)")
_BLOCK = re.compile(r"\^(\d+)")
_INT = re.compile(r"-?\d+")
_SCALAR = re.compile(r"[-+\w.]+")
# A complex's repr: ``(1+2j)``, ``(nan-infj)``, ``(-0-0j)``.
_COMPLEX = re.compile(r"\([-+\w.]*j\)")
_DIMS = re.compile(r"[?,]*")
_LAYOUT = re.compile(r":([CFA])\b")
_READONLY = re.compile(r":ro\b")
_NAMED_TYPES = {"int": INT, "float": FLOAT, "bool": BOOL, "complex": COMPLEX,
                "None": NONE, "slice": SLICE, "ellipsis": ELLIPSIS, "undef": UNDEF}


class Unresolved:
    """An object named in a printed graph that ``parse`` could not find.

    One placeholder per name, so two parses of a text compare equal.
    """

    def __init__(self, label: str):
        self.label = label
        # const_label reads these, so the placeholder prints as the same name.
        self.__qualname__ = label
        self.__module__ = None

    def __repr__(self) -> str:
        return f"Unresolved({self.label!r})"


_UNRESOLVED: dict[str, Unresolved] = {}
_OPAQUE_CLASSES: dict[str, type] = {}
_MISSING = object()


class _Cursor:
    """A position in one line of text, with the readers of the grammar's pieces."""

    def __init__(self, text: str, lineno: int = 0):
        self.text = text
        self.pos = 0
        self.lineno = lineno

    def error(self, what: str) -> ParseError:
        where = f"line {self.lineno}: " if self.lineno else ""
        return ParseError(f"{where}{what} at column {self.pos + 1}: {self.text!r}")

    def ws(self) -> None:
        while self.pos < len(self.text) and self.text[self.pos] == " ":
            self.pos += 1

    def at(self, s: str) -> bool:
        return self.text.startswith(s, self.pos)

    def take(self, s: str) -> bool:
        if self.at(s):
            self.pos += len(s)
            return True
        return False

    def expect(self, s: str) -> None:
        if not self.take(s):
            raise self.error(f"expected {s!r}")

    def match(self, pattern: re.Pattern, what: str) -> re.Match:
        m = pattern.match(self.text, self.pos)
        if m is None:
            raise self.error(f"expected {what}")
        self.pos = m.end()
        return m

    def done(self) -> bool:
        self.ws()
        return self.pos == len(self.text)

    def end(self) -> None:
        if not self.done():
            raise self.error("unexpected text")

    def name(self) -> str:
        if self.at("'") or self.at('"'):
            return ast.literal_eval(self.match(_STRING, "a name").group())
        return self.match(NAME, "a name").group()

    def bracketed(self) -> str:
        """The text of a ``<...>`` label, nesting and quoted strings included."""
        start, depth = self.pos, 0
        while self.pos < len(self.text):
            c = self.text[self.pos]
            if c in "'\"":
                self.match(_STRING, "a string")
                continue
            depth += (c == "<") - (c == ">")
            self.pos += 1
            if depth == 0:
                return self.text[start + 1:self.pos - 1]
        raise self.error("unbalanced '<'")

    def type(self) -> Type:
        t = self.primary_type()
        if not self.at("|"):
            return t
        members = [t]
        while self.take("|"):
            members.append(self.primary_type())
        return UnionT(members)

    def primary_type(self) -> Type:
        if self.take("("):
            items = []
            while not self.take(")"):
                items.append(self.type())
                if not self.take(", ") and not self.take(","):
                    self.expect(")")
                    break
            return TupleT(tuple(items))
        word = self.match(_WORD, "a type").group()
        if word in _NAMED_TYPES:
            return _NAMED_TYPES[word]
        if word in ("const", "opaque") and self.at("<"):
            label = self.bracketed()
            return Const(resolve(label)) if word == "const" else Opaque(_opaque_class(label))
        if word not in _DTYPE_NAMES:
            raise self.error(f"unknown type {word!r}")
        dtype = _dtype(word)
        if not self.take("["):
            return NpScalar(dtype)
        dims = self.match(_DIMS, "dimensions").group()
        self.expect("]")
        layout = _LAYOUT.match(self.text, self.pos)
        if layout:
            self.pos = layout.end()
        readonly = _READONLY.match(self.text, self.pos)
        if readonly:
            self.pos = readonly.end()
        return Array(dtype, dims.count("?"), layout.group(1) if layout else "C", not readonly)

    def value(self):
        """An attribute value as ``printer.attr_text`` writes it."""
        if self.at("<"):
            return resolve(self.bracketed())
        if self.at("(") and _COMPLEX.match(self.text, self.pos):
            return complex(self.match(_COMPLEX, "a complex").group())
        if self.take("("):
            items = []
            while not self.take(")"):
                items.append(self.value())
                if not self.take(", ") and not self.take(","):
                    self.expect(")")
                    break
            return tuple(items)
        if _STRING.match(self.text, self.pos):
            return ast.literal_eval(self.match(_STRING, "a string").group())
        scalar = _NP_SCALAR.match(self.text, self.pos)
        if scalar:
            self.pos = scalar.end()
            dtype = _dtype(scalar.group(1))
            # Floats read at their own precision: rounding through a double could differ.
            inner = self.match(_SCALAR, "a number").group() if dtype.kind == "f" else self.value()
            self.expect(")")
            return dtype.type(inner)
        if self.take("slice("):
            parts = [self.value(), self.expect(", "), self.value(), self.expect(", "), self.value()]
            self.expect(")")
            return slice(*parts[::2])
        token = self.match(_SCALAR, "a value").group()
        if token == "...":
            return Ellipsis
        if token in ("nan", "inf", "-inf"):
            return float(token)
        if token.endswith("j"):
            return complex(token)
        if not re.fullmatch(r"-?\d+(\.\d*)?(e[-+]?\d+)?|True|False|None", token):
            raise self.error(f"unknown value {token!r}")
        return ast.literal_eval(token)


_DTYPE_NAMES = frozenset(dtype_name(d) for d in NUMERIC_DTYPES)


def _dtype(name: str) -> np.dtype:
    # By its canonical spelling: types.dtype_from_name("i64") is the 'q' dtype,
    # equal to int64 but with np.longlong scalars rather than np.int64.
    return np.dtype(dtype_from_name(name).str)

_NP_SCALAR = re.compile(r"(%s)\(" % "|".join(sorted(_DTYPE_NAMES)))


def parse_type(text: str) -> Type:
    """A type from its printed form.

    >>> parse_type("(int, f64[?,?]:F)")
    (int, f64[?,?]:F)
    """
    cur = _Cursor(text)
    t = cur.type()
    cur.end()
    return t


def parse_value(text: str):
    """An attribute value from its printed form (``printer.attr_text``).

    >>> parse_value("(1, <math.sqrt>, f32(0.5))")
    (1, <built-in function sqrt>, np.float32(0.5))
    """
    cur = _Cursor(text)
    v = cur.value()
    cur.end()
    return v


def resolve(label: str):
    """The object a label names: ``numpy.sin``, ``len``, ``dtype:int32``, ``'abc'``.

    >>> resolve("math.pi") == math.pi
    True
    """
    if _STRING.fullmatch(label):
        return ast.literal_eval(label)
    if label.startswith("dtype:"):
        return np.dtype(label[len("dtype:"):])
    if label.startswith("type:"):
        return parse_type(label[len("type:"):])
    if label == "UNBOUND":
        return UNBOUND
    obj = _lookup(label)
    if obj is _MISSING:
        obj = _UNRESOLVED.setdefault(label, Unresolved(label))
    return obj


def _lookup(label: str):
    parts = label.split(".")
    if not all(p.isidentifier() for p in parts):
        return _MISSING
    if len(parts) == 1 and hasattr(builtins, label):
        return getattr(builtins, label)
    obj = _module(parts[0])
    for k in range(1, len(parts)):
        if obj is _MISSING:
            break
        found = getattr(obj, parts[k], _MISSING)
        if found is _MISSING and hasattr(obj, "__path__"):
            # A submodule its package does not import by itself.
            found = _module(".".join(parts[:k + 1]))
        obj = found
    return obj


def _module(name: str):
    mod = sys.modules.get(name)
    if mod is None and importlib.util.find_spec(name) is not None:
        mod = importlib.import_module(name)
    return _MISSING if mod is None else mod


def _opaque_class(name: str) -> type:
    for space in (builtins, np):
        cls = getattr(space, name, None)
        if isinstance(cls, type):
            return cls
    if name not in _OPAQUE_CLASSES:
        _OPAQUE_CLASSES[name] = type(name, (), {"__doc__": "Placeholder for an unknown class."})
    return _OPAQUE_CLASSES[name]


class _Reader:
    """Builds the graph line by line; uses may precede definitions (loops)."""

    def __init__(self):
        self.graph: Graph | None = None
        self.values: dict[int, Value] = {}
        self.defined: set[int] = set()
        self.blocks: dict[int, Block] = {}

    def define(self, cur: _Cursor) -> Value:
        vid = int(cur.match(_ID, "a value").group(1))
        if vid in self.defined:
            raise cur.error(f"%{vid} is defined twice")
        self.defined.add(vid)
        v = self.use_id(vid)
        if cur.at(" ") and not cur.at(" ="):
            cur.ws()
            v.hint = cur.name()
        if cur.take(":"):
            v.type = cur.type()
        return v

    def use_id(self, vid: int) -> Value:
        if vid not in self.values:
            self.values[vid] = Value(vid)
        return self.values[vid]

    def use(self, cur: _Cursor) -> Value:
        return self.use_id(int(cur.match(_ID, "a value").group(1)))

    def block(self, bid: int) -> Block:
        if bid not in self.blocks:
            self.blocks[bid] = Block(self.graph, bid)
        return self.blocks[bid]

    def header(self, cur: _Cursor) -> None:
        cur.expect("graph ")
        start = cur.pos
        cur.pos = cur.text.index("(", start) if "(" in cur.text else len(cur.text)
        self.graph = Graph(cur.text[start:cur.pos])
        cur.expect("(")
        while not cur.take(")"):
            value = self.use(cur)
            cur.expect(" = ")
            is_static = cur.take("static ")
            source = cur.match(_WORD, "a live-in source").group()
            cur.ws()
            name = cur.name()
            static = None
            if cur.at(" ") and not cur.at(" )"):
                cur.ws()
                static = cur.value()
            self.graph.inputs.append(LiveIn(name, source, value, static, is_static))
            if not cur.take(", "):
                cur.expect(")")
                break
        cur.ws()
        cur.expect("{")
        cur.end()

    def block_header(self, cur: _Cursor) -> Block:
        b = self.block(int(cur.match(_BLOCK, "a block").group(1)))
        if b in self.graph.blocks:
            raise cur.error(f"block ^{b.id} is defined twice")
        self.graph.blocks.append(b)
        cur.expect("(")
        while not cur.take(")"):
            b.params.append(self.define(cur))
            if not cur.take(", "):
                cur.expect(")")
                break
        cur.expect(":")
        cur.end()
        return b

    def targets(self, cur: _Cursor) -> list:
        targets = []
        while True:
            b = self.block(int(cur.match(_BLOCK, "a block").group(1)))
            cur.expect("(")
            args = []
            while not cur.take(")"):
                args.append(self.use(cur))
                if not cur.take(", "):
                    cur.expect(")")
                    break
            targets.append((b, args))
            if not cur.take(", "):
                return targets

    def terminator(self, cur: _Cursor) -> Term | None:
        if cur.take("<no terminator>"):
            return None
        if cur.take("br "):
            return Term("br", targets=self.targets(cur))
        if cur.take("cbr "):
            cond = None if cur.take("<no cond>") else self.use(cur)
            cur.expect(", ")
            return Term("cbr", cond=cond, targets=self.targets(cur))
        cur.expect("exit ")
        return Term("exit", exit=int(cur.match(_INT, "an exit number").group()))

    def node(self, cur: _Cursor) -> Node:
        outputs = []
        if cur.at("%"):
            while True:
                outputs.append(self.define(cur))
                if not cur.take(", "):
                    break
            cur.expect(" = ")
        op = cur.match(NAME, "an op").group()
        inputs = []
        cur.ws()
        while cur.at("%"):
            inputs.append(self.use(cur))
            if not cur.take(", "):
                break
        attrs = {}
        cur.ws()
        if cur.take("{"):
            while not cur.take("}"):
                key = cur.match(_WORD, "an attribute name").group()
                cur.expect("=")
                attrs[key] = cur.value()
                if not cur.take(", "):
                    cur.expect("}")
                    break
        cur.ws()
        exit = int(cur.match(_INT, "an exit number").group()) if cur.take("!") else None
        return Node(op, inputs, attrs, outputs, exit)

    def exit(self, cur: _Cursor, k: int) -> Exit:
        if int(cur.match(_INT, "an exit number").group()) != k:
            raise cur.error(f"expected exit {k}")
        cur.ws()
        e = Exit(cur.match(_WORD, "an exit kind").group())
        names, maybe = [], []
        cur.ws()
        if not cur.done() and not cur.at("[") and not _NAMED_VALUE.match(cur.text, cur.pos):
            e.target = cur.value()
        while not cur.done():
            if cur.take("["):
                kind = cur.match(_WORD, "a stack item kind").group()
                values = []
                while cur.take(" "):
                    values.append(self.use(cur))
                cur.expect("]")
                e.stack.append(StackItem(kind, values))
                continue
            names.append(cur.name())
            if cur.take("?"):
                maybe.append(names[-1])
            cur.expect("=")
            e.values.append(self.use(cur))
        e.names = tuple(names)
        e.maybe = frozenset(maybe)
        return e


_NAMED_VALUE = re.compile(r"(%s|%s)\??=%%" % (NAME.pattern, _STRING.pattern))
_TERMINATOR = re.compile(r"(br|cbr|exit) |<no terminator>")


def parse(text: str) -> Graph:
    """The graph ``printer.print_graph`` printed as ``text``: same ids, hints,
    types, attributes and exits.

    >>> g = parse(print_graph(graph))
    >>> graphs_equal(g, graph) and print_graph(g) == print_graph(graph)
    True
    """
    lines = [(i + 1, line.strip()) for i, line in enumerate(text.splitlines()) if line.strip()]
    if not lines:
        raise ParseError("empty text")
    reader = _Reader()
    block = None
    in_exits = False
    for lineno, line in lines:
        cur = _Cursor(line, lineno)
        try:
            if reader.graph is None:
                reader.header(cur)
                continue
            if line == "}":
                break
            if in_exits:
                reader.graph.exits.append(reader.exit(cur, len(reader.graph.exits)))
            elif cur.take("exits:"):
                in_exits = True
            elif cur.at("^"):
                block = reader.block_header(cur)
            elif block is None:
                raise cur.error("expected a block")
            elif _TERMINATOR.match(line):
                block.term = reader.terminator(cur)
            else:
                block.nodes.append(reader.node(cur))
            cur.end()
        except (ValueError, SyntaxError) as exc:
            # A literal, number or dtype that Python or numpy would not read.
            raise cur.error(f"{type(exc).__name__}: {exc}") from None
    else:
        raise ParseError("missing the closing '}'")
    missing = set(reader.blocks.values()) - set(reader.graph.blocks)
    if missing:
        raise ParseError(f"branch to undefined block ^{min(b.id for b in missing)}")
    reader.graph._ids = itertools.count(max(reader.values, default=-1) + 1)
    return reader.graph
