"""Analysing a function once: decode, find regions and breaks, rewrite.

``analyze(fn, options)`` returns a ``CodeAnalysis`` holding the rewritten code
object (the original when nothing compiles), its regions with their
dispatchers, and the breaks.  The analysis depends on bytecode and on the
identities of the globals it resolved, never on argument types, so one serves
every call.  Any failure here is a pyjit bug: it is logged, reported as PJ0010
and the function runs unchanged.
"""
from __future__ import annotations

import builtins as _builtins
from dataclasses import dataclass, field

from bytecode import Instr

from ..log import log
from ..report.reasons import Unsupported
from .cpython import table
from .decode import decode
from .regions import Break, Region, find_regions
from .translate import FnInfo

GENERATOR_LIKE = 0x20 | 0x80 | 0x100 | 0x200  # CO_GENERATOR, COROUTINE, ITERABLE_COROUTINE, ASYNC_GENERATOR


@dataclass
class CodeAnalysis:
    fn: object
    code: object
    new_code: object
    regions: list = field(default_factory=list)
    breaks: list = field(default_factory=list)
    skipped: Unsupported | None = None
    ninstrs: int = 0

    @property
    def compiled_instrs(self) -> int:
        return sum(r.ninstrs for r in self.regions)


def analyze(fn, options) -> CodeAnalysis:
    from pyjit.runtime.dispatcher import RegionDispatcher

    code = fn.__code__
    if code.co_flags & GENERATOR_LIKE:
        u = Unsupported("PJ0009", fn.__qualname__, filename=code.co_filename,
                        lineno=code.co_firstlineno)
        return CodeAnalysis(fn, code, code, skipped=u)
    try:
        d = decode(code)
        info = FnInfo(d, fn.__globals__, _builtins_of(fn), fn.__closure__, fn.__qualname__)
        regions, breaks = find_regions(info)
        for r in regions:
            r.dispatcher = RegionDispatcher(r, options)
        new_code = code
        if regions:
            from .rewrite import rewrite
            new_code = rewrite(d, regions)
        for b in breaks:
            log("breaks", "%s", b.reason)
        ninstrs = sum(isinstance(i, Instr) and not table.is_prologue(i) for i in d.instrs)
        return CodeAnalysis(fn, code, new_code, regions, breaks, None, ninstrs)
    except Exception as exc:  # a pyjit bug must not break the user's program
        from .. import config
        if config.checking():
            raise
        log("errors", "PJ0010 analysing %s failed: %s: %s", fn.__qualname__, type(exc).__name__, exc)
        u = Unsupported("PJ0010", f"{type(exc).__name__}: {exc}", filename=code.co_filename,
                        lineno=code.co_firstlineno)
        return CodeAnalysis(fn, code, code, skipped=u)


def _builtins_of(fn) -> dict:
    b = fn.__globals__.get("__builtins__", _builtins)
    return b if isinstance(b, dict) else b.__dict__


__all__ = ["CodeAnalysis", "Region", "Break", "analyze"]
