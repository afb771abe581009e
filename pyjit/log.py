"""The ``pyjit`` logger and its topics.

``PYJIT_LOG=breaks,recompiles`` (a comma list, or ``all``) turns topics on when
pyjit is imported; ``enable``/``disable`` change them at run time:

    >>> import pyjit.log
    >>> pyjit.log.enable("breaks", "bailouts")

=============  ==================================================================
``breaks``     every graph break as it is found, and every key that runs eagerly:
               one line, ``file:line: PJxxxx title: detail [instruction]``
``recompiles`` new specializations, rebound globals, regions dropped: one line
               with ``file:line``
``bailouts``   each bailout from compiled code: one line naming the line the
               eager copy resumes at (only on the Python dispatch path: with the
               topic on when a region is created, C leaves bailouts to Python)
``ir``         each region's graph text, as the frontend built it
``llvm``       each module's LLVM IR, and regions the LLVM backend declines
``bytecode``   each rewritten code object, disassembled
``errors``     internal errors: always logged, at WARNING
=============  ==================================================================

Messages go to the ``pyjit`` logger at DEBUG (``errors`` at WARNING) with the
topic in ``record.topic``; a handler printing ``[pyjit:topic] message`` to
stderr is installed the first time a topic is turned on, unless the logger
already has one.  An unknown topic name warns once.
"""
from __future__ import annotations

import logging
import os
import warnings

logger = logging.getLogger("pyjit")
TOPICS = ("breaks", "recompiles", "bailouts", "ir", "llvm", "bytecode", "errors")
# Topics whose every message is one line (newlines inside values are escaped).
ONE_LINE = frozenset({"breaks", "recompiles", "bailouts"})

_on: set = set()
_warned: set = set()


def _parse(names) -> set:
    out = set()
    for raw in names:
        for name in raw.split(","):
            name = name.strip()
            if not name:
                continue
            if name == "all":
                out.update(TOPICS)
            elif name in TOPICS:
                out.add(name)
            elif name not in _warned:
                _warned.add(name)
                warnings.warn(f"unknown PYJIT_LOG topic {name!r}; topics are "
                              f"{', '.join(TOPICS)} or all", RuntimeWarning, stacklevel=3)
    return out


def _install_handler() -> None:
    if not logger.handlers:
        h = logging.StreamHandler()
        h.setFormatter(logging.Formatter("[pyjit:%(topic)s] %(message)s"))
        logger.addHandler(h)
    if logger.level == logging.NOTSET or logger.level > logging.DEBUG:
        logger.setLevel(logging.DEBUG)


def enable(*topics: str) -> None:
    """Turn topics on (``enable("breaks", "ir")``, ``enable("all")``, or one
    comma-separated string as in ``PYJIT_LOG``)."""
    new = _parse(topics)
    if new:
        _on.update(new)
        _install_handler()


def disable(*topics: str) -> None:
    """Turn topics off; with no argument, all of them."""
    if not topics:
        _on.clear()
    else:
        _on.difference_update(_parse(topics))


def enabled() -> frozenset:
    return frozenset(_on)


def on(topic: str) -> bool:
    return topic in _on


def log(topic: str, message: str, *args) -> None:
    """Log under a topic; errors are always logged at WARNING level."""
    if topic in _on:
        if topic in ONE_LINE:
            message, args = _one_line(message % args if args else message), ()
        logger.debug(message, *args, extra={"topic": topic})
    elif topic == "errors":
        logger.warning(message, *args, extra={"topic": topic})


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n")


def region_file(region) -> str | None:
    """The file a region's code comes from (None if no node has a location)."""
    return next((n.loc[0] for n in region.graph.nodes() if n.loc is not None), None)


def region_where(region) -> str:
    """``file:line`` of a region's first line (for one-line messages)."""
    line = region.lines[0] if region.lines else "?"
    return f"{region_file(region) or '?'}:{line}"


def exit_where(region, k: int) -> str:
    """``file:line`` of the statement exit ``k`` of a region resumes at: the line
    of a node that may take it."""
    for n in region.graph.nodes():
        if n.exit == k and n.loc is not None:
            return f"{n.loc[0]}:{n.loc[1]}"
    return region_where(region)


enable(os.environ.get("PYJIT_LOG", ""))
