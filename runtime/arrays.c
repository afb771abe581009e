/* arrays.c: what a region that computes arrays needs on every call, in C.
 *
 * A region's native code allocates its result arrays through numpy (so they are
 * ordinary arrays owned by Python), and the run wrapper (backends/llvm/__init__.py)
 * reads the data pointers of the arrays it passes in and gets out.  Done in Python
 * (a ctypes callback, ``arr.ctypes.data``) that costs about a microsecond per array
 * and several per allocation, which dominates a region over small arrays.  These
 * helpers do the same work through the buffer protocol and the C API:
 *
 *   data_address(arr)      -> int: the address of arr's first element
 *   begin_call()           -> list: starts collecting this thread's allocations
 *   set_allocator(empty, dtypes)   np.empty and {typenum: dtype}, once at import
 *   alloc_address()        -> int: address of pj_alloc, which native code calls
 *   sweep_address()        -> int: address of pj_sweep, which native code calls on
 *                          the back edges of loops that make arrays
 *   pj_arrays_begin/end    the same as begin_call around a call from the C
 *                          dispatcher (dispatch.c), restoring the caller's list
 *   pj_arrays_keep(arr)    appends arr to this thread's list (pj_alloc, and the
 *                          results of native products: products.c)
 *
 * Note [native allocation]
 *     pj_alloc(ndim, shape, typenum) is called by native code with the GIL held
 *     (native entries run under ctypes' PYFUNCTYPE or the C dispatcher).  It calls
 *     np.empty(shape, dtype), appends the array to the list begin_call() made for
 *     this thread (kept in the thread state's dict, so threads never see each
 *     other's), and returns its data pointer.  It never raises: any failure (no
 *     memory, no list) clears the exception and returns 0, on which native code
 *     bails out and CPython re-runs the statement, raising MemoryError itself.
 */
#include "arrays.h"

#include <stdint.h>

#define PJ_MAX_TYPENUM 64

static PyObject *pj_np_empty;                       /* numpy.empty */
static PyObject *pj_dtypes[PJ_MAX_TYPENUM];         /* typenum -> numpy dtype */
static PyObject *pj_arrays_key;                     /* "pyjit.arrays" */

static int64_t
pj_address(PyObject *obj)
{
    Py_buffer view;
    if (PyObject_GetBuffer(obj, &view, PyBUF_STRIDES) < 0) {
        return -1;
    }
    int64_t address = (int64_t)(intptr_t)view.buf;
    PyBuffer_Release(&view);
    return address;
}

int
pj_arrays_keep(PyObject *arr)
{
    PyObject *state = PyThreadState_GetDict();
    PyObject *list = state ? PyDict_GetItemWithError(state, pj_arrays_key) : NULL;
    if (list == NULL || !PyList_Check(list)) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_RuntimeError, "no list of this call's arrays (begin_call)");
        }
        return -1;
    }
    return PyList_Append(list, arr);
}

static int64_t
pj_alloc(int64_t ndim, const int64_t *shape, int64_t typenum)
{
    if (pj_np_empty == NULL || typenum < 0 || typenum >= PJ_MAX_TYPENUM || pj_dtypes[typenum] == NULL) {
        return 0;
    }
    PyObject *dims = PyTuple_New((Py_ssize_t)ndim);
    if (dims == NULL) {
        PyErr_Clear();
        return 0;
    }
    for (int64_t d = 0; d < ndim; d++) {
        PyObject *n = PyLong_FromLongLong(shape[d]);
        if (n == NULL) {
            Py_DECREF(dims);
            PyErr_Clear();
            return 0;
        }
        PyTuple_SET_ITEM(dims, d, n);
    }
    PyObject *arr = PyObject_CallFunctionObjArgs(pj_np_empty, dims, pj_dtypes[typenum], NULL);
    Py_DECREF(dims);
    if (arr == NULL) {
        PyErr_Clear();
        return 0;
    }
    int64_t address = pj_address(arr);
    if (address <= 0 || pj_arrays_keep(arr) < 0) {
        Py_DECREF(arr);
        PyErr_Clear();
        return 0;
    }
    Py_DECREF(arr);  /* the list keeps it alive until the next begin_call() */
    return address;
}

/* Note [sweep]: native code calls pj_sweep(n, keep) on a loop's back edge with the
 * data pointers of the arrays live there (backends/llvm/sweep.py, Note [sweeping
 * dead arrays]).  Every array of this call's list whose memory [start, start +
 * nbytes] (ends included: an empty or one-past view) contains none of them is
 * dropped from the list, and numpy frees it.  An array whose buffer cannot be read
 * is kept.  Like pj_alloc it runs with the GIL held and never raises. */
static void
pj_sweep(int64_t n, const int64_t *keep)
{
    PyObject *state = PyThreadState_GetDict();
    PyObject *list = state ? PyDict_GetItemWithError(state, pj_arrays_key) : NULL;
    if (list == NULL || !PyList_Check(list)) {
        PyErr_Clear();
        return;
    }
    for (Py_ssize_t i = PyList_GET_SIZE(list) - 1; i >= 0; i--) {
        Py_buffer view;
        if (PyObject_GetBuffer(PyList_GET_ITEM(list, i), &view, PyBUF_SIMPLE) < 0) {
            PyErr_Clear();
            continue;
        }
        int64_t start = (int64_t)(intptr_t)view.buf, end = start + (int64_t)view.len;
        PyBuffer_Release(&view);
        int live = 0;
        for (int64_t k = 0; k < n && !live; k++) {
            live = start <= keep[k] && keep[k] <= end;
        }
        if (!live && PyList_SetSlice(list, i, i + 1, NULL) < 0) {
            PyErr_Clear();
        }
    }
}

int
pj_arrays_begin(PyObject **list, PyObject **prev)
{
    PyObject *state = PyThreadState_GetDict();
    *list = *prev = NULL;
    if (state == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "no thread state dict");
        return -1;
    }
    *prev = PyDict_GetItemWithError(state, pj_arrays_key);
    if (*prev == NULL && PyErr_Occurred()) {
        return -1;
    }
    Py_XINCREF(*prev);
    *list = PyList_New(0);
    if (*list == NULL || PyDict_SetItem(state, pj_arrays_key, *list) < 0) {
        Py_CLEAR(*list);
        Py_CLEAR(*prev);
        return -1;
    }
    return 0;
}

void
pj_arrays_end(PyObject *list, PyObject *prev)
{
    PyObject *type, *value, *tb;   /* a failed boxing leaves its exception pending */
    PyErr_Fetch(&type, &value, &tb);
    PyObject *state = PyThreadState_GetDict();
    if (state != NULL) {
        if (prev != NULL) {
            PyDict_SetItem(state, pj_arrays_key, prev);
        }
        else {
            PyDict_DelItem(state, pj_arrays_key);
        }
    }
    PyList_SetSlice(list, 0, PyList_GET_SIZE(list), NULL);
    PyErr_Clear();
    PyErr_Restore(type, value, tb);
    Py_DECREF(list);
    Py_XDECREF(prev);
}

PyDoc_STRVAR(data_address_doc, "data_address(arr) -> int: the address of arr's first element.");

static PyObject *
data_address(PyObject *self, PyObject *obj)
{
    int64_t address = pj_address(obj);
    if (address == -1 && PyErr_Occurred()) {
        return NULL;
    }
    return PyLong_FromLongLong(address);
}

PyDoc_STRVAR(begin_call_doc,
"begin_call() -> list: a new list, where native allocations on this thread are\n"
"collected from now on (Note [native allocation] in runtime/arrays.c).");

static PyObject *
begin_call(PyObject *self, PyObject *unused)
{
    PyObject *state = PyThreadState_GetDict();
    if (state == NULL) {
        PyErr_SetString(PyExc_RuntimeError, "no thread state dict");
        return NULL;
    }
    PyObject *list = PyList_New(0);
    if (list == NULL) {
        return NULL;
    }
    if (PyDict_SetItem(state, pj_arrays_key, list) < 0) {
        Py_DECREF(list);
        return NULL;
    }
    return list;
}

PyDoc_STRVAR(set_allocator_doc,
"set_allocator(empty, dtypes): numpy.empty and a dict {typenum: dtype} for pj_alloc.");

static PyObject *
set_allocator(PyObject *self, PyObject *args)
{
    PyObject *empty, *dtypes, *key, *value;
    Py_ssize_t pos = 0;
    if (!PyArg_ParseTuple(args, "OO!", &empty, &PyDict_Type, &dtypes)) {
        return NULL;
    }
    while (PyDict_Next(dtypes, &pos, &key, &value)) {
        long num = PyLong_AsLong(key);
        if (num == -1 && PyErr_Occurred()) {
            return NULL;
        }
        if (num < 0 || num >= PJ_MAX_TYPENUM) {
            PyErr_Format(PyExc_ValueError, "typenum %ld out of range", num);
            return NULL;
        }
        Py_INCREF(value);
        Py_XSETREF(pj_dtypes[num], value);
    }
    Py_INCREF(empty);
    Py_XSETREF(pj_np_empty, empty);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(alloc_address_doc, "alloc_address() -> int: the address of pj_alloc for native code.");

static PyObject *
alloc_address(PyObject *self, PyObject *unused)
{
    return PyLong_FromVoidPtr((void *)&pj_alloc);
}

PyDoc_STRVAR(sweep_address_doc, "sweep_address() -> int: the address of pj_sweep for native code.");

static PyObject *
sweep_address(PyObject *self, PyObject *unused)
{
    return PyLong_FromVoidPtr((void *)&pj_sweep);
}

static PyMethodDef pj_array_methods[] = {
    {"data_address", data_address, METH_O, data_address_doc},
    {"begin_call", begin_call, METH_NOARGS, begin_call_doc},
    {"set_allocator", set_allocator, METH_VARARGS, set_allocator_doc},
    {"alloc_address", alloc_address, METH_NOARGS, alloc_address_doc},
    {"sweep_address", sweep_address, METH_NOARGS, sweep_address_doc},
    {NULL, NULL, 0, NULL},
};

int
pj_arrays_init(PyObject *module)
{
    pj_arrays_key = PyUnicode_InternFromString("pyjit.arrays");
    if (pj_arrays_key == NULL) {
        return -1;
    }
    return PyModule_AddFunctions(module, pj_array_methods);
}
