/* arrays.h: array helpers of pyjit.runtime._runtime for the run wrapper and native code (arrays.c). */
#ifndef PYJIT_ARRAYS_H
#define PYJIT_ARRAYS_H

#include <Python.h>

/* Add the array helpers to the module; 0 on success, -1 with an exception set. */
int pj_arrays_init(PyObject *module);

#endif
