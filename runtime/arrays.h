/* arrays.h: array helpers of pyjit.runtime._runtime for the run wrapper and native code (arrays.c). */
#ifndef PYJIT_ARRAYS_H
#define PYJIT_ARRAYS_H

#include <Python.h>

/* Add the array helpers to the module; 0 on success, -1 with an exception set. */
int pj_arrays_init(PyObject *module);

/* Around one native call that may allocate (Note [native allocation]): begin makes a
 * new list of this thread's allocations (*list, a new reference) and saves the one
 * it replaces (*prev, a new reference or NULL); end empties *list (the call's
 * temporaries go; what the exit boxed holds its own references) and restores *prev.
 * begin returns -1 with an exception set on failure. */
int pj_arrays_begin(PyObject **list, PyObject **prev);
void pj_arrays_end(PyObject *list, PyObject *prev);

/* Keep arr alive until the end of the current native call: append it to this
 * thread's list of the call's arrays, as pj_alloc does with a new array (Note
 * [native allocation]).  0 on success; -1 with an exception set (no list: no
 * begin_call on this thread, or no memory).  The GIL must be held. */
int pj_arrays_keep(PyObject *arr);

#endif
