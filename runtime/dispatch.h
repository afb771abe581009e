/* dispatch.h: the region dispatcher type of pyjit.runtime._runtime (dispatch.c). */
#ifndef PYJIT_DISPATCH_H
#define PYJIT_DISPATCH_H

#include <Python.h>

/* Add the dispatcher type to the module; 0 on success, -1 with an exception set. */
int pj_dispatch_init(PyObject *module);

#endif
