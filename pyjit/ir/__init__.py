"""The graph IR: types, graphs, the op registry, printing, parsing, checking, inference."""
from .types import Type, typeof  # noqa: F401
from .graph import Block, Exit, Graph, LiveIn, Node, StackItem, Term, Value  # noqa: F401
from . import registry  # noqa: F401
from . import defs  # noqa: F401
