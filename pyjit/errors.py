"""Exceptions pyjit raises to users, and its internal error type."""


class GraphBreakError(Exception):
    """Raised with ``fullgraph=True`` when a function cannot be compiled whole.

    The message names the break reason code, its title, and the file and line.
    """

    def __init__(self, reason):
        self.reason = reason
        super().__init__(str(reason))


class InternalError(Exception):
    """A bug in pyjit. Outside tests it is logged and the code runs in CPython."""
