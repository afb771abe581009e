"""The numpy backend: the reference semantics every other backend is tested against."""
from .interpreter import compile_graph  # noqa: F401
