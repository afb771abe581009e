"""``@record``: a class of named fields, like ``@dataclasses.dataclass`` without the
cost of making one.

    @record
    class Region:
        number: int
        graph: Graph
        dispatcher: object = None
        guards: list = field(default_factory=list)

``dataclass`` writes each class's ``__init__``, ``__repr__`` and ``__eq__`` as source
text and compiles it when the module is imported: about 0.4 ms a class, which the
classes a first ``jit()`` call imports added up to ~6 ms of a warm first call
(benchmarks/bench_cache.py).  ``record`` gives the same methods from one generic
implementation: ``__init__`` taking the fields positionally or by name, defaults and
``field(default=…, default_factory=…)``; ``__repr__``; ``__eq__`` comparing the
fields of two instances of the same class (and, as a dataclass with ``eq``, no
``__hash__``).  It supports plain field bags only: no ``__post_init__``, ``frozen``,
inheritance of fields or ``ClassVar`` — use ``dataclass`` for those.
"""
from __future__ import annotations

from dataclasses import MISSING, Field, field
import reprlib

__all__ = ["record", "field"]


def record(cls):
    names = list(cls.__dict__.get("__annotations__", {}))
    defaults = {}  # name -> (is_factory, value)
    for name in names:
        if name not in cls.__dict__:
            continue
        value = cls.__dict__[name]
        if isinstance(value, Field):
            if value.default_factory is not MISSING:
                defaults[name] = (True, value.default_factory)
            elif value.default is not MISSING:
                defaults[name] = (False, value.default)
            if value.default is MISSING:
                delattr(cls, name)
            else:
                setattr(cls, name, value.default)
        else:
            defaults[name] = (False, value)
    seen_default = False
    for name in names:
        if name in defaults:
            seen_default = True
        elif seen_default:
            raise TypeError(f"{cls.__name__}: field {name!r} without a default follows one with")
    npos = len(names)
    title = cls.__qualname__

    def __init__(self, *args, **kwargs):
        if len(args) > npos:
            raise TypeError(f"{title}() takes {npos} positional arguments but {len(args)} were given")
        d = self.__dict__
        for name, value in zip(names, args):
            d[name] = value
        for name in names[len(args):]:
            if name in kwargs:
                d[name] = kwargs.pop(name)
            elif name in defaults:
                is_factory, value = defaults[name]
                d[name] = value() if is_factory else value
            else:
                raise TypeError(f"{title}() missing required argument: {name!r}")
        if kwargs:
            raise TypeError(f"{title}() got an unexpected keyword argument {next(iter(kwargs))!r}")

    @reprlib.recursive_repr()
    def __repr__(self):
        return f"{title}(" + ", ".join(f"{n}={getattr(self, n)!r}" for n in names) + ")"

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return all(getattr(self, n) == getattr(other, n) for n in names)

    for fn in (__init__, __repr__, __eq__):
        fn.__qualname__ = f"{title}.{fn.__name__}"
        setattr(cls, fn.__name__, fn)
    cls.__hash__ = None
    cls.__record_fields__ = tuple(names)
    return cls
