/* plans.c: unboxing live-ins into slots and boxing an exit's values from slots, as
 * the C dispatcher (dispatch.c) does for a native call; the plans come from Python
 * (runtime/cdispatch.py) and mirror backends/llvm/slots.py exactly.
 */
#include "pyjit_cpython.h"
#include "plans.h"
#include "arrays.h"

#include <stdint.h>
#include <string.h>

#ifdef PYJIT_HAVE_NUMPY
#  include <numpy/ndarraytypes.h>
#endif

/* ---- boxing and unboxing (Note [slot ABI] in backends/llvm/reprs.py) ------------- */

int
pj_unbox(const pj_in *plan, int nin, PyObject *const *args, int64_t *in)
{
    for (int i = 0; i < nin; i++) {
        const pj_in *p = &plan[i];
        PyObject *v = args[i];
        switch (p->kind) {
        case IN_NONE:
            break;
        case IN_F64: {
            double d = PyFloat_AS_DOUBLE(v);   /* float or np.float64 (a float subclass) */
            memcpy(&in[p->slot], &d, sizeof d);
            break;
        }
        case IN_I64: {
            int overflow;
            long long x = PyLong_AsLongLongAndOverflow(v, &overflow);
            if (overflow) {
                return 0;   /* beyond 64 bits: the Python entry runs the reference */
            }
            in[p->slot] = x;
            break;
        }
        case IN_BOOL:
            in[p->slot] = v == Py_True;
            break;
#ifdef PYJIT_HAVE_NUMPY
        case IN_ARRAY: {
            PyArrayObject *a = (PyArrayObject *)v;
            in[p->slot] = (int64_t)(intptr_t)PyArray_DATA(a);
            for (int k = 0; k < p->ndim; k++) {
                in[p->slot + 1 + k] = PyArray_DIMS(a)[k];
                in[p->slot + 1 + p->ndim + k] = PyArray_STRIDES(a)[k];
            }
            break;
        }
#endif
        default:
            return 0;
        }
    }
    return 1;
}

static PyObject *pj_box_array(const pj_box *b, const int64_t *out, const pj_ctx *ctx);

PyObject *
pj_box_value(const pj_box *b, const int64_t *out, const pj_ctx *ctx)
{
    int64_t raw = out[b->slot];
    double d;
    switch (b->kind) {
    case BOX_FLOAT:
        memcpy(&d, &raw, sizeof d);
        return PyFloat_FromDouble(d);
    case BOX_INT:
        return PyLong_FromLongLong(raw);
    case BOX_BOOL:
        return PyBool_FromLong(raw != 0);
    case BOX_CONST:
        return Py_NewRef(b->obj);
    case BOX_NPFLOAT: {
        memcpy(&d, &raw, sizeof d);
        PyObject *f = PyFloat_FromDouble(d);
        if (f == NULL) return NULL;
        PyObject *r = PyObject_CallOneArg(b->obj, f);
        Py_DECREF(f);
        return r;
    }
    case BOX_NPINT:
    case BOX_NPUINT64:
    case BOX_NPBOOL: {
        PyObject *x = b->kind == BOX_NPINT ? PyLong_FromLongLong(raw)
                      : b->kind == BOX_NPUINT64 ? PyLong_FromUnsignedLongLong((unsigned long long)raw)
                      : PyBool_FromLong(raw != 0);
        if (x == NULL) return NULL;
        PyObject *r = PyObject_CallOneArg(b->obj, x);
        Py_DECREF(x);
        return r;
    }
    case BOX_UNION: {
        int64_t tag = out[b->slot + b->ndim];
        if (tag < 0 || tag >= b->nmembers) {
            PyErr_Format(PyExc_SystemError, "pyjit: union tag %lld out of range", (long long)tag);
            return NULL;
        }
        return pj_box_value(&b->members[tag], out, ctx);
    }
    case BOX_CALL: {
        PyObject *parts = PyList_New(b->nmembers);
        if (parts == NULL) return NULL;
        for (int i = 0; i < b->nmembers; i++) {
            PyObject *v = pj_box_value(&b->members[i], out, ctx);
            if (v == NULL) {
                Py_DECREF(parts);
                return NULL;
            }
            PyList_SET_ITEM(parts, i, v);
        }
        PyObject *r = PyObject_CallOneArg(b->obj, parts);
        Py_DECREF(parts);
        return r;
    }
    case BOX_ARRAY:
        return pj_box_array(b, out, ctx);
    case BOX_ARG:
        if (b->slot >= ctx->nargs) {
            PyErr_SetString(PyExc_SystemError, "pyjit: exit names a live-in out of range");
            return NULL;
        }
        return Py_NewRef(ctx->args[b->slot]);
    }
    PyErr_SetString(PyExc_SystemError, "pyjit: unknown box kind");
    return NULL;
}

/* An exit's array: the very array this call allocated at that address with that
 * shape and strides (an empty one: that shape), or (a view: a.T, a slice) whatever the Python side makes of it. */
static PyObject *
pj_box_array(const pj_box *b, const int64_t *out, const pj_ctx *ctx)
{
    const int64_t *slots = out + b->slot;
    int ndim = b->ndim;
#ifdef PYJIT_HAVE_NUMPY
    if (ctx->allocated != NULL) {
        Py_ssize_t n = PyList_GET_SIZE(ctx->allocated);
        for (Py_ssize_t i = 0; i < n; i++) {
            PyArrayObject *a = (PyArrayObject *)PyList_GET_ITEM(ctx->allocated, i);
            if ((int64_t)(intptr_t)PyArray_DATA(a) != slots[0] || PyArray_NDIM(a) != ndim) continue;
            /* an empty array matches by shape alone (Note [boxing an exit's array] in
             * backends/llvm/__init__.py) */
            int empty = 0;
            for (int d = 0; d < ndim; d++) {
                empty |= PyArray_DIMS(a)[d] == 0;
            }
            int same = 1;
            for (int d = 0; d < ndim && same; d++) {
                same = PyArray_DIMS(a)[d] == slots[1 + d] &&
                       (empty || PyArray_STRIDES(a)[d] == slots[1 + ndim + d]);
            }
            if (same) return Py_NewRef((PyObject *)a);
        }
    }
#endif
    PyObject *shape = PyTuple_New(ndim), *strides = PyTuple_New(ndim);
    PyObject *argt = NULL, *r = NULL;
    if (shape == NULL || strides == NULL) goto done;
    for (int d = 0; d < ndim; d++) {
        PyObject *x = PyLong_FromLongLong(slots[1 + d]);
        PyObject *y = PyLong_FromLongLong(slots[1 + ndim + d]);
        if (x == NULL || y == NULL) { Py_XDECREF(x); Py_XDECREF(y); goto done; }
        PyTuple_SET_ITEM(shape, d, x);
        PyTuple_SET_ITEM(strides, d, y);
    }
    argt = PyTuple_New(ctx->nargs);
    if (argt == NULL) goto done;
    for (Py_ssize_t i = 0; i < ctx->nargs; i++) {
        PyTuple_SET_ITEM(argt, i, Py_NewRef(ctx->args[i]));
    }
    {
        PyObject *data = PyLong_FromLongLong(slots[0]);
        if (data == NULL) goto done;
        PyObject *allocated = ctx->allocated != NULL ? ctx->allocated : Py_None;
        r = PyObject_CallFunctionObjArgs(b->obj, data, shape, strides, allocated, argt, NULL);
        Py_DECREF(data);
    }
done:
    Py_XDECREF(shape);
    Py_XDECREF(strides);
    Py_XDECREF(argt);
    return r;
}

void
pj_box_clear(pj_box *b)
{
    Py_CLEAR(b->obj);
    for (int i = 0; i < b->nmembers; i++) {
        pj_box_clear(&b->members[i]);
    }
    PyMem_Free(b->members);
    b->members = NULL;
    b->nmembers = 0;
}

/* (kind, slot, obj, members) */
int
pj_box_parse(PyObject *t, pj_box *b, int *max_slot)
{
    PyObject *obj, *members;
    memset(b, 0, sizeof *b);
    if (!PyArg_ParseTuple(t, "iiOO", &b->kind, &b->slot, &obj, &members)) return -1;
    if (b->kind < BOX_FLOAT || b->kind > BOX_ARG || b->slot < 0 || b->slot + 2 > PJ_MAX_SLOTS) {
        PyErr_SetString(PyExc_ValueError, "bad box plan");
        return -1;
    }
    int width = 1;
    if (b->kind == BOX_UNION) {
        /* obj: the tag's offset from the union's slot (slots.union_tag_offset), or None for 1 */
        long tag = obj == Py_None ? 1 : PyLong_AsLong(obj);
        if (tag < 1 || tag > 1 + 2 * 32 || b->slot + tag + 1 > PJ_MAX_SLOTS) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "bad union box");
            return -1;
        }
        b->ndim = (int)tag;
        width = (int)tag + 1;
    }
    if (b->kind == BOX_ARRAY) {
        long ndim = PyLong_AsLong(members);
        if (ndim < 0 || ndim > 32 || b->slot + 1 + 2 * ndim > PJ_MAX_SLOTS) {
            if (!PyErr_Occurred()) PyErr_SetString(PyExc_ValueError, "bad array box");
            return -1;
        }
        b->ndim = (int)ndim;
        width = 1 + 2 * (int)ndim;
    }
    if (b->kind != BOX_ARG && b->slot + width > *max_slot) {
        *max_slot = b->slot + width;
    }
    b->obj = Py_NewRef(obj);
    if (b->kind == BOX_UNION || b->kind == BOX_CALL) {
        if (!PyTuple_Check(members)) {
            PyErr_SetString(PyExc_TypeError, "members must be a tuple");
            return -1;
        }
        Py_ssize_t m = PyTuple_GET_SIZE(members);
        b->members = PyMem_Calloc(m ? m : 1, sizeof(pj_box));
        if (b->members == NULL) { PyErr_NoMemory(); return -1; }
        for (Py_ssize_t i = 0; i < m; i++) {
            b->nmembers = (int)i + 1;
            if (pj_box_parse(PyTuple_GET_ITEM(members, i), &b->members[i], max_slot) < 0) return -1;
            if (b->kind == BOX_UNION && b->members[i].slot != b->slot) {
                PyErr_SetString(PyExc_ValueError, "union members share the union's slot");
                return -1;
            }
        }
    }
    return 0;
}
