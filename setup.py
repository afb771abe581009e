"""Builds pyjit's native runtime (runtime/_runtime.c → pyjit.runtime._runtime).

The extension is optional: without a C compiler or CPython headers, on a
CPython the runtime has not been ported to, or on a free-threaded build, the
build prints a warning and the install goes on.  ``import pyjit`` then works
without it: ``jit`` uses the Python dispatcher and ``capture()`` warns once and
runs code unchanged.  Everything else is configured in pyproject.toml.
"""
import os
import sys

from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext


def _numpy_include():
    try:
        import numpy
    except ImportError:
        return [], []
    return [numpy.get_include()], [("PYJIT_HAVE_NUMPY", "1"), ("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")]


class OptionalBuildExt(build_ext):
    """A failed native build is a warning, never a failed install."""

    def run(self):
        try:
            super().run()
        except Exception as exc:  # no compiler at all, missing headers, …
            self._skip(exc)

    def build_extension(self, ext):
        try:
            super().build_extension(ext)
        except Exception as exc:
            self._skip(exc)

    @staticmethod
    def _skip(exc):
        sys.stderr.write(f"warning: pyjit's native runtime was not built ({type(exc).__name__}: {exc}); "
                         "pyjit will run without it\n")


include_dirs, macros = _numpy_include()
here = os.path.dirname(os.path.abspath(__file__))
runtime = Extension(
    "pyjit.runtime._runtime",
    sources=["runtime/_runtime.c", "runtime/dispatch.c", "runtime/arrays.c", "runtime/plans.c",
             "runtime/products.c"],
    depends=["runtime/pyjit_cpython.h", "runtime/dispatch.h", "runtime/arrays.h", "runtime/plans.h",
             "runtime/products.h"],
    include_dirs=include_dirs,
    define_macros=macros,
    extra_compile_args=["-O2", "-std=gnu11"] if os.name != "nt" else [],
    optional=True,
)

setup(ext_modules=[runtime], cmdclass={"build_ext": OptionalBuildExt})
