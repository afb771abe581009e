/* products.c: matrix products for native code (``a @ b``, ``a @= b``, np.matmul,
 * np.dot, np.inner, np.vdot, np.outer), computed by numpy itself.
 *
 *   set_products(functions)    the tuple of callables native code may ask for, by
 *                              index (backends/llvm/addresses.py PRODUCTS); called
 *                              when the address is resolved, before any product runs
 *   product_address() -> int   the address of pj_product, which native code calls
 *
 * Note [native products]
 *     numpy computes products with BLAS, whose summation order no loop of ours
 *     would match bit for bit, so native code calls numpy instead:
 *
 *       int64_t pj_product(op, kind, a_ndim, a_typenum, a, b_ndim, b_typenum, b,
 *                          out_ndim, out_typenum, out)
 *
 *     where a and b point at array structs in slot form (data pointer, shape,
 *     strides in bytes: backends/llvm/reprs.py, Note [slot ABI]).  Each operand is
 *     wrapped as an ndarray over that memory without copying (PyArray_NewFromDescr:
 *     no OWNDATA, no base, read-only unless the op writes it), and functions[op] is
 *     called with the two wrappers.  What is written to out depends on kind:
 *
 *       PJ_SCALAR    the numpy scalar result's raw value into out[0] (zero-filled
 *                    first: a float32 or bool occupies its low bytes)
 *       PJ_ARRAY     the result array's data pointer, shape and strides (its own,
 *                    as numpy made it: never recomputed), into out[0 .. 2*ndim]
 *       PJ_C_ARRAY   the same, and the result must be C-contiguous (the type says so)
 *       PJ_INPLACE   nothing: a is wrapped writeable and the result must be a
 *                    itself (``a @= b``, ndarray.__imatmul__)
 *
 *     An array result is appended to the call's list of arrays (pj_arrays_keep,
 *     Note [native allocation] in arrays.c), so it lives until the exit has been
 *     boxed, and an exit returning it boxes the very array numpy made.
 *
 *     It returns 1 on success.  It never raises: any Python exception (numpy's
 *     ValueError on mismatched shapes, MemoryError), or a result other than the
 *     type promised (dtype, ndim, a scalar for an array, contiguity), clears the
 *     exception and returns 0; native code then bails out and CPython re-runs the
 *     statement, raising numpy's own error.
 *
 *     Floating-point errors: numpy warns ("invalid value encountered in matmul":
 *     inf * 0, overflow), raises, prints, calls or ignores them as np.errstate
 *     says, and a warning issued from here would name the wrong line.  So the call
 *     runs under the caller's error state with every action but "ignore" made
 *     "raise" (numpy's ContextVar set around it, as np.errstate does; the derived
 *     state is cached for the last state seen): an error numpy would act on is an
 *     exception, so a bailout, and CPython re-runs the statement under the user's
 *     own state; one it ignores (underflow, by default) stays ignored.
 *
 *     The GIL is held: native code runs either under ctypes' PYFUNCTYPE (the run
 *     wrapper, backends/llvm/__init__.py) or directly from the C dispatcher's
 *     vectorcall (pj_call_native in dispatch.c), neither of which releases it.
 *
 *     Lifetime: the wrappers point into memory they do not own (a live-in, or an
 *     array of this call that dies when it returns), so they must not outlive the
 *     call.  numpy's products keep no reference to their operands; should one be
 *     kept anyway (a reference count above 1 once the exception is cleared and
 *     the result released), the product counts as failed and native code bails out.
 */
#include "products.h"
#include "arrays.h"

#include <stdint.h>
#include <string.h>

#ifdef PYJIT_HAVE_NUMPY
#include <numpy/arrayobject.h>

enum { PJ_SCALAR = 0, PJ_ARRAY = 1, PJ_C_ARRAY = 2, PJ_INPLACE = 3 };

static PyObject *pj_products;   /* tuple of callables, indexed by op */
static PyObject *pj_errvar;     /* numpy's ContextVar of the ufunc error state (np.errstate) */
static PyObject *pj_derive;      /* error state -> the same with every action but ignore: raise */
static PyObject *pj_seen;        /* the last error state derived from (kept: its id stays unique) */
static PyObject *pj_raising;     /* what pj_derive made of it */

/* The error state to compute under: the caller's, with every floating-point error
 * it does not ignore raising (Note [native products]); a new reference. */
static PyObject *
pj_raising_state(void)
{
    PyObject *cur;
    if (PyContextVar_Get(pj_errvar, NULL, &cur) < 0) {
        return NULL;
    }
    if (cur == pj_seen && pj_raising != NULL) {
        Py_DECREF(cur);
        return Py_NewRef(pj_raising);
    }
    PyObject *r = PyObject_CallOneArg(pj_derive, cur);
    if (r == NULL) {
        Py_DECREF(cur);
        return NULL;
    }
    Py_XSETREF(pj_seen, cur);
    Py_XSETREF(pj_raising, Py_NewRef(r));
    return r;
}

/* An ndarray over the slot-form array struct s, owning nothing. */
static PyObject *
pj_wrap(int64_t ndim, int64_t typenum, const int64_t *s, int writeable)
{
    if (ndim < 0 || ndim > NPY_MAXDIMS) {
        PyErr_SetString(PyExc_ValueError, "pj_product: bad ndim");
        return NULL;
    }
    PyArray_Descr *descr = PyArray_DescrFromType((int)typenum);  /* a new reference */
    if (descr == NULL) {
        return NULL;
    }
    /* steals descr; computes the contiguity and ALIGNED flags from data and strides */
    return PyArray_NewFromDescr(&PyArray_Type, descr, (int)ndim, (npy_intp *)(s + 1),
                                (npy_intp *)(s + 1 + ndim), (void *)(intptr_t)s[0],
                                writeable ? NPY_ARRAY_WRITEABLE : 0, NULL);
}

static int
pj_same_dtype(PyArray_Descr *have, int64_t typenum)
{
    PyArray_Descr *want = PyArray_DescrFromType((int)typenum);
    if (want == NULL) {
        return 0;
    }
    int same = PyArray_EquivTypes(have, want);
    Py_DECREF(want);
    return same;
}

static int
pj_scalar_out(PyObject *r, int64_t typenum, int64_t *out)
{
    if (!PyArray_IsScalar(r, Generic)) {
        return 0;
    }
    PyArray_Descr *d = PyArray_DescrFromScalar(r);
    if (d == NULL) {
        return 0;
    }
    int ok = pj_same_dtype(d, typenum) && PyDataType_ELSIZE(d) <= 8;
    Py_DECREF(d);
    if (!ok) {
        return 0;
    }
    out[0] = 0;
    PyArray_ScalarAsCtype(r, out);
    return 1;
}

static int
pj_array_out(PyObject *r, int64_t ndim, int64_t typenum, int c_order, int64_t *out)
{
    if (!PyArray_CheckExact(r)) {
        return 0;
    }
    PyArrayObject *arr = (PyArrayObject *)r;
    if (PyArray_NDIM(arr) != ndim || !pj_same_dtype(PyArray_DESCR(arr), typenum)
            || (c_order && !PyArray_IS_C_CONTIGUOUS(arr))) {
        return 0;
    }
    if (pj_arrays_keep(r) < 0) {
        return 0;
    }
    out[0] = (int64_t)(intptr_t)PyArray_DATA(arr);
    for (int64_t d = 0; d < ndim; d++) {
        out[1 + d] = PyArray_DIMS(arr)[d];
        out[1 + ndim + d] = PyArray_STRIDES(arr)[d];
    }
    return 1;
}

static int64_t
pj_product(int64_t op, int64_t kind,
           int64_t a_ndim, int64_t a_typenum, const int64_t *a,
           int64_t b_ndim, int64_t b_typenum, const int64_t *b,
           int64_t out_ndim, int64_t out_typenum, int64_t *out)
{
    if (pj_products == NULL || pj_errvar == NULL || op < 0 || op >= PyTuple_GET_SIZE(pj_products)) {
        return 0;
    }
    int64_t ok = 0;
    PyObject *r = NULL;
    PyObject *x = pj_wrap(a_ndim, a_typenum, a, kind == PJ_INPLACE);
    PyObject *y = x ? pj_wrap(b_ndim, b_typenum, b, 0) : NULL;
    if (y != NULL) {
        PyObject *raising = pj_raising_state();  /* Note [native products] */
        PyObject *token = raising ? PyContextVar_Set(pj_errvar, raising) : NULL;
        Py_XDECREF(raising);
        if (token != NULL) {
            PyObject *args[2] = {x, y};
            r = PyObject_Vectorcall(PyTuple_GET_ITEM(pj_products, op), args, 2, NULL);
            if (r == NULL) {
                PyErr_Clear();  /* not pending across the reset; dropped anyway */
            }
            if (PyContextVar_Reset(pj_errvar, token) < 0) {
                Py_CLEAR(r);
            }
            Py_DECREF(token);
        }
    }
    if (r != NULL) {
        switch (kind) {
        case PJ_SCALAR: ok = pj_scalar_out(r, out_typenum, out); break;
        case PJ_ARRAY: ok = pj_array_out(r, out_ndim, out_typenum, 0, out); break;
        case PJ_C_ARRAY: ok = pj_array_out(r, out_ndim, out_typenum, 1, out); break;
        case PJ_INPLACE: ok = r == x; break;
        default: break;
        }
        Py_DECREF(r);
    }
    PyErr_Clear();  /* drops a traceback, and with it any frame holding a wrapper */
    if ((x != NULL && Py_REFCNT(x) != 1) || (y != NULL && Py_REFCNT(y) != 1)) {
        ok = 0;  /* something kept a wrapper (Note [native products]: lifetime) */
    }
    Py_XDECREF(x);
    Py_XDECREF(y);
    return ok;
}

PyDoc_STRVAR(set_products_doc,
"set_products(functions, errvar, derive): the callables pj_product calls, by index;\n"
"numpy's error-state ContextVar, and derive(state) -> that state with every action\n"
"but 'ignore' made 'raise' (Note [native products] in runtime/products.c).");

static PyObject *
set_products(PyObject *self, PyObject *args)
{
    PyObject *functions, *errvar, *derive;
    if (!PyArg_ParseTuple(args, "O!O!O", &PyTuple_Type, &functions, &PyContextVar_Type, &errvar,
                          &derive)) {
        return NULL;
    }
    if (PyArray_API == NULL && _import_array() < 0) {  /* numpy's C API, on first use */
        return NULL;
    }
    Py_INCREF(functions);
    Py_XSETREF(pj_products, functions);
    Py_INCREF(errvar);
    Py_XSETREF(pj_errvar, errvar);
    Py_INCREF(derive);
    Py_XSETREF(pj_derive, derive);
    Py_CLEAR(pj_seen);
    Py_CLEAR(pj_raising);
    Py_RETURN_NONE;
}

PyDoc_STRVAR(product_address_doc, "product_address() -> int: the address of pj_product for native code.");

static PyObject *
product_address(PyObject *self, PyObject *unused)
{
    return PyLong_FromVoidPtr((void *)&pj_product);
}

static PyMethodDef pj_product_methods[] = {
    {"set_products", set_products, METH_VARARGS, set_products_doc},
    {"product_address", product_address, METH_NOARGS, product_address_doc},
    {NULL, NULL, 0, NULL},
};

int
pj_products_init(PyObject *module)
{
    return PyModule_AddFunctions(module, pj_product_methods);
}

#else  /* no numpy headers at build time: products stay on the numpy backend */

int
pj_products_init(PyObject *module)
{
    return 0;
}

#endif
