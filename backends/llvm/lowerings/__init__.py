"""Lowerings, one op family a file; importing this package registers them all."""
from . import arith, core, indexing, mathfns, npscalar, reductions  # noqa: F401
