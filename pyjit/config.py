"""Options of ``jit`` and ``capture``, and the environment switches."""
from __future__ import annotations

from dataclasses import dataclass
import os

LEVELS = ("O0", "O1", "O2")
BACKENDS = ("numpy", "llvm")


@dataclass(frozen=True)
class Options:
    """What a jitted function was asked for. ``jit(level="O2", backend="numpy")``."""

    level: str = "O1"
    backend: str = "llvm"
    fullgraph: bool = False
    fastmath: bool = False
    parallel: bool = False
    cache: bool = False

    def __post_init__(self):
        if self.level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}, not {self.level!r}")
        if self.backend not in BACKENDS:
            raise ValueError(f"backend must be one of {BACKENDS}, not {self.backend!r}")


def disabled() -> bool:
    """``PYJIT_DISABLE=1`` turns the JIT off: decorated functions run as written."""
    return os.environ.get("PYJIT_DISABLE", "") not in ("", "0")


def checking() -> bool:
    """``PYJIT_CHECK=1``: verify graphs after every step and check every value's type."""
    return os.environ.get("PYJIT_CHECK") == "1"


def keep_small_regions() -> bool:
    """``PYJIT_KEEP_SMALL=1``: compile every region, even scalar code without a loop
    that CPython runs faster than a dispatch (the tests set it, so that every
    region's compiled code is exercised)."""
    return os.environ.get("PYJIT_KEEP_SMALL") == "1"
