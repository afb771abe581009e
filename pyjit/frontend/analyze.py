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

from bytecode import Instr

from ..log import log, on, region_where
from ..record import field, record
from ..report.reasons import Unsupported
from .cpython import table
from .decode import decode
from .regions import Break, Region, find_regions
from .translate import FnInfo

GENERATOR_LIKE = 0x20 | 0x80 | 0x100 | 0x200  # CO_GENERATOR, COROUTINE, ITERABLE_COROUTINE, ASYNC_GENERATOR


@record
class CodeAnalysis:
    fn: object
    code: object
    new_code: object
    regions: list = field(default_factory=list)
    breaks: list = field(default_factory=list)
    skipped: Unsupported | None = None
    ninstrs: int = 0
    decoded: object = None
    dropped: list = field(default_factory=list)
    functions: list = field(default_factory=list)   # weak references to the jitted functions

    def drop_region(self, region) -> None:
        """Rewrite the code without ``region`` (its keys were all too small to gain
        from compiling) and give every jitted function the new code.  Frames
        running the old code finish with it: its dispatcher answers "eager"."""
        if region not in self.regions:
            return
        self.regions = [r for r in self.regions if r is not region]
        self.dropped.append(region)
        from .rewrite import rewrite
        self.new_code = rewrite(self.decoded, self.regions) if self.regions else self.code
        for ref in self.functions:
            fn = ref()
            if fn is not None:
                fn.__code__ = self.new_code
        log("recompiles", "%s: PJ0017 region %s of %s left to CPython: too small to gain",
            region_where(region), region.number, self.fn.__qualname__)

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
        if on("ir"):
            for r in regions:
                log("ir", "region %s of %s, lines %s:\n%s", r.number, fn.__qualname__,
                    "-".join(map(str, r.lines)), r.graph)
        if on("bytecode") and regions:
            log("bytecode", "rewritten %s:\n%s", fn.__qualname__, _disassembly(new_code))
        ninstrs = sum(isinstance(i, Instr) and not table.is_prologue(i) for i in d.instrs)
        analysis = CodeAnalysis(fn, code, new_code, regions, breaks, None, ninstrs, d)
        for r in regions:
            r.on_too_small = analysis.drop_region
        return analysis
    except Exception as exc:  # a pyjit bug must not break the user's program
        from .. import config
        if config.checking():
            raise
        log("errors", "PJ0010 analysing %s failed: %s: %s", fn.__qualname__, type(exc).__name__, exc)
        u = Unsupported("PJ0010", f"{type(exc).__name__}: {exc}", filename=code.co_filename,
                        lineno=code.co_firstlineno)
        return CodeAnalysis(fn, code, code, skipped=u)


def _disassembly(code) -> str:
    import dis
    import io
    out = io.StringIO()
    dis.dis(code, file=out)
    return out.getvalue()


def _builtins_of(fn) -> dict:
    b = fn.__globals__.get("__builtins__", _builtins)
    return b if isinstance(b, dict) else b.__dict__


__all__ = ["CodeAnalysis", "Region", "Break", "analyze"]
