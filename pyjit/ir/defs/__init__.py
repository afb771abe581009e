"""Op declarations, one family a file; importing this package registers them all."""
from . import (arith, attributes, builtins, core, creation, indexing, linalg,  # noqa: F401
               mathfns, reductions, ufuncs)
