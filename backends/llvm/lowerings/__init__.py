"""Lowerings, one op family a file; importing this package registers them all.

``slicing`` comes after ``core`` and ``indexing``: it wraps their ``build_tuple``,
``getitem`` and ``setitem`` lowerings (an index that makes a view is its own).
"""
from . import arith, core, indexing, mathfns, npscalar, reductions  # noqa: F401
from . import slicing  # noqa: F401  (after core and indexing)
from . import creation  # noqa: F401
from . import complex  # noqa: F401  (after arith, core, indexing, npscalar: it wraps theirs)
from . import logical, moments, scans  # noqa: F401
from . import intops  # noqa: F401
from . import products  # noqa: F401
from . import npfloat  # noqa: F401
from . import rounding  # noqa: F401
from . import casting, linspace  # noqa: F401  (after creation: they use its allocation)
from . import builtinreduce  # noqa: F401  (after core: it wraps its min/max)
