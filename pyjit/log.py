"""The ``pyjit`` logger and its topics: ``PYJIT_LOG=breaks,recompiles,bailouts,ir,bytecode``
(or ``all``) turns topics on; each message is one line."""
from __future__ import annotations

import logging
import os

logger = logging.getLogger("pyjit")
TOPICS = ("breaks", "recompiles", "bailouts", "ir", "llvm", "bytecode", "errors")


def _enabled() -> frozenset:
    raw = os.environ.get("PYJIT_LOG", "")
    names = {t.strip() for t in raw.split(",") if t.strip()}
    if "all" in names:
        return frozenset(TOPICS)
    return frozenset(names)


_ON = _enabled()
if _ON and not logger.handlers:
    _h = logging.StreamHandler()
    _h.setFormatter(logging.Formatter("[pyjit:%(topic)s] %(message)s"))
    logger.addHandler(_h)
    logger.setLevel(logging.DEBUG)


def on(topic: str) -> bool:
    return topic in _ON


def log(topic: str, message: str, *args) -> None:
    """Log under a topic; errors are always logged at WARNING level."""
    if topic in _ON:
        logger.debug(message, *args, extra={"topic": topic})
    elif topic == "errors":
        logger.warning(message, *args, extra={"topic": topic})
