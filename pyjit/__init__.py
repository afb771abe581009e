"""pyjit: a JIT compiler for numeric CPython code.

    >>> import pyjit
    >>> @pyjit.jit
    ... def f(a, b):
    ...     return a * b + 1.0
    >>> print(pyjit.explain(f, 2.0, 3.0))

See README.md for the user's view and ../DESIGN.md for the architecture.
"""
from .api import explain, jit  # noqa: F401
from .errors import GraphBreakError  # noqa: F401
from .capture import capture  # noqa: F401
from .report.dryrun import dryrun, spec  # noqa: F401

__version__ = "0.1.0"
__all__ = ["jit", "explain", "dryrun", "spec", "GraphBreakError"]
