/* dispatch.c: the region dispatcher's fast path in C (runtime/README.md, "The
 * dispatcher").
 *
 * `Dispatcher` is the base type of runtime/dispatcher.py's RegionDispatcher, the
 * object the rewritten bytecode calls with a region's live-ins.  Its vectorcall:
 *
 *   1. checks the static live-ins and the inlined callees' globals by identity;
 *   2. computes the key in C: one 64-bit kind per dynamic live-in (exact float,
 *      int, bool, complex, None, UNBOUND, a registered numpy scalar type, or an
 *      exact ndarray by dtype number, ndim, layout and writeability); anything
 *      else has kind 0;
 *   3. finds the key among the specializations Python installed (_c_install):
 *        EAGER   -> (-1, ())                          "run the eager copy"
 *        PYENTRY -> entry(args)                       the backend's Python-level entry
 *        NATIVE  -> i32 fn(i64 *in, i64 *out)         Note [slot ABI], boxing in C
 *   4. anything else (a kind-0 value, a guard failure, a miss, timing on) calls
 *      the Python method _dispatch_python(*args), the full Python dispatcher, which
 *      specializes and installs the new key here.
 *
 * A key installed here always maps to the same Python key: kinds are refinements
 * of pyjit.ir.types.typeof (equal kinds imply equal typeof), so C never serves
 * a specialization Python would not.
 */
#include "pyjit_cpython.h"
#include "dispatch.h"
#include "arrays.h"
#include "plans.h"

#include <stdint.h>
#include <string.h>
#include <structmember.h>

#ifdef PYJIT_HAVE_NUMPY
#  include <numpy/ndarraytypes.h>
#endif

#define PJ_MAX_DYN 16      /* dynamic live-ins a key can hold */
#define PJ_MAX_SPECS 8     /* specializations served from C per region */

enum { PJ_EAGER = 0, PJ_PYENTRY = 1, PJ_NATIVE = 2 };

typedef struct {
    uint64_t key[PJ_MAX_DYN];
    int mode;
    PyObject *spec;            /* the Python Specialization (strong) */
    PyObject *entry;           /* PYENTRY / NATIVE fallback: entry(args) (strong) */
    int32_t (*fn)(int64_t *, int64_t *);
    int nin;
    pj_in *in;
    int nexits;
    pj_exit *exits;
    int allocates;             /* native code makes arrays: collect them around the call */
    unsigned long long calls;
} pj_spec;

typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    Py_ssize_t nargs;                 /* -1: not configured, always the Python path */
    Py_ssize_t nstatic;
    Py_ssize_t *static_index;
    PyObject **static_obj;            /* strong */
    Py_ssize_t nguards;
    PyObject **guards;                /* (dict, name, obj) triples, strong */
    Py_ssize_t ndyn;
    Py_ssize_t dyn_index[PJ_MAX_DYN];
    int nspecs;
    pj_spec specs[PJ_MAX_SPECS];
    unsigned long long calls, eager_calls, bailouts;
} PJDispatcher;

static PyObject *pj_eager_result;     /* (-1, ()) */
static PyObject *pj_unbound;          /* pyjit.ir.types.UNBOUND */
static PyTypeObject *pj_ndarray;      /* numpy.ndarray */
static PyObject *pj_np_scalars;       /* tuple of numpy scalar types, index = kind */
static int pj_fast = 1;               /* 0 while explain() times every call */
static PyObject *pj_str_python;       /* "_dispatch_python" */
static PyObject *pj_str_failed;       /* "_entry_failed" */

/* ---- keys ------------------------------------------------------------------------ */

static inline uint64_t
pj_kind(PyObject *v)
{
    PyTypeObject *tp = Py_TYPE(v);
    if (tp == &PyFloat_Type) return 1;
    if (tp == &PyLong_Type) return 2;
    if (tp == &PyBool_Type) return 3;
    if (tp == &PyComplex_Type) return 4;
    if (v == Py_None) return 5;
    if (v == pj_unbound) return 6;
#ifdef PYJIT_HAVE_NUMPY
    if (tp == pj_ndarray) {
        PyArrayObject *a = (PyArrayObject *)v;
        PyArray_Descr *d = PyArray_DESCR(a);
        int num = d->type_num;
        if (num > NPY_CLONGDOUBLE || num < 0 || d->byteorder == '>' || d->byteorder == '<') {
            return 0;  /* not a builtin numeric dtype in native order: Python decides */
        }
        int flags = PyArray_FLAGS(a);
        uint64_t layout = (flags & NPY_ARRAY_C_CONTIGUOUS) ? 1 : (flags & NPY_ARRAY_F_CONTIGUOUS) ? 2 : 3;
        if (!(flags & NPY_ARRAY_WRITEABLE)) {
            layout |= 4;  /* read-only: another key (Note [read-only arrays] in pyjit/ir/infer.py) */
        }
        return ((uint64_t)1 << 32) | ((uint64_t)num << 16) | ((uint64_t)PyArray_NDIM(a) << 4) | layout;
    }
#endif
    if (pj_np_scalars != NULL) {
        Py_ssize_t n = PyTuple_GET_SIZE(pj_np_scalars);
        for (Py_ssize_t i = 0; i < n; i++) {
            if ((PyObject *)tp == PyTuple_GET_ITEM(pj_np_scalars, i)) {
                return 0x100 + (uint64_t)i;
            }
        }
    }
    return 0;
}

/* ---- calls ----------------------------------------------------------------------- */

static PyObject *
pj_tuple(PyObject *const *args, Py_ssize_t n)
{
    PyObject *t = PyTuple_New(n);
    if (t != NULL) {
        for (Py_ssize_t i = 0; i < n; i++) {
            PyTuple_SET_ITEM(t, i, Py_NewRef(args[i]));
        }
    }
    return t;
}

static PyObject *
pj_python_path(PJDispatcher *d, PyObject *const *args, Py_ssize_t n)
{
    PyObject *stack[64];
    if (n + 1 > (Py_ssize_t)(sizeof stack / sizeof stack[0])) {
        PyObject *tuple = pj_tuple(args, n);
        if (tuple == NULL) return NULL;
        PyObject *meth = PyObject_GetAttr((PyObject *)d, pj_str_python);
        PyObject *r = meth == NULL ? NULL : PyObject_Call(meth, tuple, NULL);
        Py_XDECREF(meth);
        Py_DECREF(tuple);
        return r;
    }
    stack[0] = (PyObject *)d;
    memcpy(&stack[1], args, n * sizeof(PyObject *));
    return PyObject_VectorcallMethod(pj_str_python, stack, (size_t)(n + 1) | PY_VECTORCALL_ARGUMENTS_OFFSET, NULL);
}

static PyObject *
pj_call_entry(PJDispatcher *d, pj_spec *s, PyObject *const *args, Py_ssize_t n)
{
    PyObject *tuple = pj_tuple(args, n);
    if (tuple == NULL) return NULL;
    PyObject *r = PyObject_CallOneArg(s->entry, tuple);
    Py_DECREF(tuple);
    if (r == NULL) {
        /* Python decides: GraphBreakError and checking mode re-raise, else EAGER */
        PyObject *exc = PJ_FetchException();
        PyObject *answer = PyObject_CallMethodOneArg((PyObject *)d, pj_str_failed, exc);
        Py_DECREF(exc);
        return answer;
    }
    if (PyTuple_Check(r) && PyTuple_GET_SIZE(r) == 2) {
        long k = PyLong_AsLong(PyTuple_GET_ITEM(r, 0));
        if (k >= 0 && k < s->nexits && s->exits[k].resume) {
            d->bailouts++;
        }
        else if (k == -1 && PyErr_Occurred()) {
            PyErr_Clear();
        }
    }
    return r;
}

static PyObject *
pj_call_native(PJDispatcher *d, pj_spec *s, PyObject *const *args, Py_ssize_t n)
{
    int64_t in[PJ_MAX_SLOTS], out[PJ_MAX_SLOTS];
    if (!pj_unbox(s->in, s->nin, args, in)) {
        return pj_call_entry(d, s, args, n);
    }
    pj_ctx ctx = {NULL, args, n};
    PyObject *prev = NULL, *r = NULL, *values = NULL;
    if (s->allocates && pj_arrays_begin(&ctx.allocated, &prev) < 0) {
        return NULL;
    }
    int32_t k = s->fn(in, out);
    if (k < 0 || k >= s->nexits) {
        PyErr_Format(PyExc_SystemError, "pyjit: native region returned exit %d", (int)k);
        goto done;
    }
    pj_exit *e = &s->exits[k];
    if (e->resume) {
        d->bailouts++;
    }
    values = PyTuple_New(e->nvalues);
    if (values == NULL) goto done;
    for (int i = 0; i < e->nvalues; i++) {
        PyObject *v = pj_box_value(&e->values[i], out, &ctx);
        if (v == NULL) goto done;
        PyTuple_SET_ITEM(values, i, v);
    }
    r = PyTuple_New(2);
    if (r == NULL) goto done;
    PyTuple_SET_ITEM(r, 0, Py_NewRef(e->number));
    PyTuple_SET_ITEM(r, 1, values);
    values = NULL;
done:
    Py_XDECREF(values);
    if (ctx.allocated != NULL) {
        pj_arrays_end(ctx.allocated, prev);
    }
    return r;
}

static PyObject *
pj_dispatch(PyObject *self, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    PJDispatcher *d = (PJDispatcher *)self;
    Py_ssize_t n = PyVectorcall_NARGS(nargsf);
    if (!pj_fast || kwnames != NULL || n != d->nargs || d->nspecs == 0) {
        return pj_python_path(d, args, n);
    }
    for (Py_ssize_t i = 0; i < d->nstatic; i++) {
        if (args[d->static_index[i]] != d->static_obj[i]) {
            return pj_python_path(d, args, n);
        }
    }
    for (Py_ssize_t i = 0; i < d->nguards; i++) {
        PyObject **g = &d->guards[3 * i];
        PyObject *now = PyDict_GetItemWithError(g[0], g[1]);
        if (now != g[2]) {
            if (now == NULL && PyErr_Occurred()) return NULL;
            return pj_python_path(d, args, n);
        }
    }
    uint64_t key[PJ_MAX_DYN];
    for (Py_ssize_t j = 0; j < d->ndyn; j++) {
        key[j] = pj_kind(args[d->dyn_index[j]]);
        if (key[j] == 0) {
            return pj_python_path(d, args, n);
        }
    }
    for (int i = 0; i < d->nspecs; i++) {
        pj_spec *s = &d->specs[i];
        if (memcmp(s->key, key, (size_t)d->ndyn * sizeof(uint64_t)) != 0) {
            continue;
        }
        d->calls++;
        s->calls++;
        switch (s->mode) {
        case PJ_EAGER:
            d->eager_calls++;
            return Py_NewRef(pj_eager_result);
        case PJ_PYENTRY:
            return pj_call_entry(d, s, args, n);
        default:
            return pj_call_native(d, s, args, n);
        }
    }
    return pj_python_path(d, args, n);
}

/* ---- building plans from Python ----------------------------------------------------- */

static void
pj_spec_clear(pj_spec *s)
{
    Py_CLEAR(s->spec);
    Py_CLEAR(s->entry);
    PyMem_Free(s->in);
    s->in = NULL;
    for (int i = 0; i < s->nexits; i++) {
        for (int j = 0; j < s->exits[i].nvalues; j++) {
            pj_box_clear(&s->exits[i].values[j]);
        }
        PyMem_Free(s->exits[i].values);
        Py_CLEAR(s->exits[i].number);
    }
    PyMem_Free(s->exits);
    s->exits = NULL;
    s->nexits = s->nin = 0;
}

/* ---- the type --------------------------------------------------------------------- */

static int
pj_traverse(PJDispatcher *d, visitproc visit, void *arg)
{
    for (Py_ssize_t i = 0; i < d->nstatic; i++) Py_VISIT(d->static_obj[i]);
    for (Py_ssize_t i = 0; i < 3 * d->nguards; i++) Py_VISIT(d->guards[i]);
    for (int i = 0; i < d->nspecs; i++) {
        Py_VISIT(d->specs[i].spec);
        Py_VISIT(d->specs[i].entry);
    }
    return 0;
}

static void
pj_reset(PJDispatcher *d)
{
    for (Py_ssize_t i = 0; i < d->nstatic; i++) Py_CLEAR(d->static_obj[i]);
    for (Py_ssize_t i = 0; i < 3 * d->nguards; i++) Py_CLEAR(d->guards[i]);
    PyMem_Free(d->static_obj);
    PyMem_Free(d->static_index);
    PyMem_Free(d->guards);
    d->static_obj = d->guards = NULL;
    d->static_index = NULL;
    d->nstatic = d->nguards = 0;
    for (int i = 0; i < d->nspecs; i++) pj_spec_clear(&d->specs[i]);
    d->nspecs = 0;
    d->nargs = -1;
}

static int
pj_clear(PJDispatcher *d)
{
    pj_reset(d);
    return 0;
}

/* For instances of a Python subclass, subtype_dealloc untracks, calls this, and
 * drops the reference to the heap type itself (the base is static). */
static void
pj_dealloc(PJDispatcher *d)
{
    PyObject_GC_UnTrack(d);
    pj_reset(d);
    Py_TYPE(d)->tp_free((PyObject *)d);
}

static PyObject *
pj_new(PyTypeObject *tp, PyObject *args, PyObject *kw)
{
    PJDispatcher *d = (PJDispatcher *)tp->tp_alloc(tp, 0);
    if (d != NULL) {
        d->vectorcall = pj_dispatch;
        d->nargs = -1;
    }
    return (PyObject *)d;
}

PyDoc_STRVAR(configure_doc,
"_c_configure(nargs, static, guards, dynamic)\n\n"
"static: ((index, object), ...) checked with `is`; guards: ((dict, name, object), ...)\n"
"checked with `dict.get(name) is object`; dynamic: indices of the keyed live-ins.\n"
"Drops every installed specialization.");

static PyObject *
pj_configure(PJDispatcher *d, PyObject *args)
{
    Py_ssize_t nargs;
    PyObject *statics, *guards, *dynamic;
    if (!PyArg_ParseTuple(args, "nO!O!O!", &nargs, &PyTuple_Type, &statics, &PyTuple_Type, &guards,
                          &PyTuple_Type, &dynamic)) {
        return NULL;
    }
    pj_reset(d);
    Py_ssize_t ns = PyTuple_GET_SIZE(statics), ng = PyTuple_GET_SIZE(guards), nd = PyTuple_GET_SIZE(dynamic);
    if (nd > PJ_MAX_DYN) {
        Py_RETURN_NONE;  /* too many live-ins for a C key: always the Python path */
    }
    d->static_obj = PyMem_Calloc(ns ? ns : 1, sizeof(PyObject *));
    d->static_index = PyMem_Calloc(ns ? ns : 1, sizeof(Py_ssize_t));
    d->guards = PyMem_Calloc(ng ? 3 * ng : 1, sizeof(PyObject *));
    if (!d->static_obj || !d->static_index || !d->guards) {
        pj_reset(d);
        return PyErr_NoMemory();
    }
    for (Py_ssize_t i = 0; i < ns; i++) {
        Py_ssize_t index;
        PyObject *obj;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(statics, i), "nO", &index, &obj)) goto fail;
        if (index < 0 || index >= nargs) { PyErr_SetString(PyExc_ValueError, "static index"); goto fail; }
        d->static_index[i] = index;
        d->static_obj[i] = Py_NewRef(obj);
        d->nstatic = i + 1;
    }
    for (Py_ssize_t i = 0; i < ng; i++) {
        PyObject *dict, *name, *obj;
        if (!PyArg_ParseTuple(PyTuple_GET_ITEM(guards, i), "O!OO", &PyDict_Type, &dict, &name, &obj)) goto fail;
        d->guards[3 * i] = Py_NewRef(dict);
        d->guards[3 * i + 1] = Py_NewRef(name);
        d->guards[3 * i + 2] = Py_NewRef(obj);
        d->nguards = i + 1;
    }
    for (Py_ssize_t j = 0; j < nd; j++) {
        Py_ssize_t index = PyLong_AsSsize_t(PyTuple_GET_ITEM(dynamic, j));
        if (index == -1 && PyErr_Occurred()) goto fail;
        if (index < 0 || index >= nargs) { PyErr_SetString(PyExc_ValueError, "dynamic index"); goto fail; }
        d->dyn_index[j] = index;
    }
    d->ndyn = nd;
    d->nargs = nargs;
    Py_RETURN_NONE;
fail:
    pj_reset(d);
    return NULL;
}

PyDoc_STRVAR(key_doc,
"_c_key(args) -> bytes or None\n\nThe C key of these live-ins (None: some value has\n"
"no C kind, so such calls always take the Python path).");

static PyObject *
pj_key(PJDispatcher *d, PyObject *args)
{
    if (!PyTuple_Check(args) || d->nargs < 0 || PyTuple_GET_SIZE(args) != d->nargs) {
        Py_RETURN_NONE;
    }
    uint64_t key[PJ_MAX_DYN];
    for (Py_ssize_t j = 0; j < d->ndyn; j++) {
        key[j] = pj_kind(PyTuple_GET_ITEM(args, d->dyn_index[j]));
        if (key[j] == 0) Py_RETURN_NONE;
    }
    return PyBytes_FromStringAndSize((const char *)key, (Py_ssize_t)(d->ndyn * sizeof(uint64_t)));
}

PyDoc_STRVAR(install_doc,
"_c_install(key, spec, mode, entry, address, in_plan, exit_plans, allocates=False) -> bool\n\n"
"Serve `key` (from _c_key) from C: mode 0 eager, 1 entry(args), 2 the native\n"
"function at `address` with in_plan ((kind, slot, ndim) per live-in) and\n"
"exit_plans ((resume, ((kind, slot, obj, members), ...)) per exit).  False when\n"
"the table is full.  `allocates` (optional): the native code makes arrays, so\n"
"the call collects them (runtime/arrays.c) for the exits' BOX_ARRAY boxes.");

static PyObject *
pj_install_spec(PJDispatcher *d, PyObject *args)
{
    Py_buffer key;
    PyObject *spec, *entry, *in_plan, *exit_plans;
    int mode, allocates = 0;
    unsigned long long address;
    if (!PyArg_ParseTuple(args, "y*OiOKOO|p", &key, &spec, &mode, &entry, &address, &in_plan, &exit_plans,
                          &allocates)) {
        return NULL;
    }
    if (d->nargs < 0 || key.len != (Py_ssize_t)(d->ndyn * sizeof(uint64_t))) {
        PyBuffer_Release(&key);
        PyErr_SetString(PyExc_ValueError, "_c_install: key does not fit this dispatcher");
        return NULL;
    }
    if (d->nspecs >= PJ_MAX_SPECS) {
        PyBuffer_Release(&key);
        Py_RETURN_FALSE;
    }
    pj_spec *s = &d->specs[d->nspecs];
    memset(s, 0, sizeof *s);
    memcpy(s->key, key.buf, key.len);
    PyBuffer_Release(&key);
    s->mode = mode;
    s->allocates = allocates;
    s->spec = Py_NewRef(spec);
    s->entry = Py_NewRef(entry);
    if (mode == PJ_NATIVE) {
        if (address == 0 || !PyTuple_Check(in_plan) || !PyTuple_Check(exit_plans)
            || PyTuple_GET_SIZE(in_plan) != d->nargs) {
            PyErr_SetString(PyExc_ValueError, "_c_install: bad native plan");
            goto fail;
        }
        s->fn = (int32_t (*)(int64_t *, int64_t *))(uintptr_t)address;
        Py_ssize_t nin = PyTuple_GET_SIZE(in_plan);
        s->in = PyMem_Calloc(nin ? nin : 1, sizeof(pj_in));
        if (s->in == NULL) { PyErr_NoMemory(); goto fail; }
        s->nin = (int)nin;
        for (Py_ssize_t i = 0; i < nin; i++) {
            pj_in *p = &s->in[i];
            if (!PyArg_ParseTuple(PyTuple_GET_ITEM(in_plan, i), "iii", &p->kind, &p->slot, &p->ndim)) goto fail;
            int width = p->kind == IN_ARRAY ? 1 + 2 * p->ndim : 1;
            if (p->kind < IN_NONE || p->kind > IN_ARRAY || p->slot < 0 || p->slot + width > PJ_MAX_SLOTS) {
                PyErr_SetString(PyExc_ValueError, "_c_install: bad in plan");
                goto fail;
            }
        }
    }
    if (PyTuple_Check(exit_plans)) {
        Py_ssize_t ne = PyTuple_GET_SIZE(exit_plans);
        s->exits = PyMem_Calloc(ne ? ne : 1, sizeof(pj_exit));
        if (s->exits == NULL) { PyErr_NoMemory(); goto fail; }
        for (Py_ssize_t k = 0; k < ne; k++) {
            pj_exit *e = &s->exits[k];
            PyObject *values;
            s->nexits = (int)k + 1;
            if (!PyArg_ParseTuple(PyTuple_GET_ITEM(exit_plans, k), "pO!", &e->resume, &PyTuple_Type, &values)) goto fail;
            e->number = PyLong_FromSsize_t(k);
            if (e->number == NULL) goto fail;
            if (mode != PJ_NATIVE) continue;
            Py_ssize_t nv = PyTuple_GET_SIZE(values);
            e->values = PyMem_Calloc(nv ? nv : 1, sizeof(pj_box));
            if (e->values == NULL) { PyErr_NoMemory(); goto fail; }
            int max_slot = 0;
            for (Py_ssize_t j = 0; j < nv; j++) {
                e->nvalues = (int)j + 1;
                if (pj_box_parse(PyTuple_GET_ITEM(values, j), &e->values[j], &max_slot) < 0) goto fail;
            }
        }
    }
    d->nspecs++;
    Py_RETURN_TRUE;
fail:
    pj_spec_clear(s);
    return NULL;
}

PyDoc_STRVAR(take_counts_doc,
"_c_take_counts() -> (calls, eager_calls, bailouts, ((spec, calls), ...))\n\n"
"The calls served from C since the last call, which resets them.");

static PyObject *
pj_take_counts(PJDispatcher *d, PyObject *unused)
{
    PyObject *per = PyTuple_New(d->nspecs);
    if (per == NULL) return NULL;
    for (int i = 0; i < d->nspecs; i++) {
        PyObject *item = Py_BuildValue("(OK)", d->specs[i].spec, d->specs[i].calls);
        if (item == NULL) { Py_DECREF(per); return NULL; }
        PyTuple_SET_ITEM(per, i, item);
        d->specs[i].calls = 0;
    }
    PyObject *r = Py_BuildValue("(KKKN)", d->calls, d->eager_calls, d->bailouts, per);
    d->calls = d->eager_calls = d->bailouts = 0;
    return r;
}

static PyMethodDef pj_dispatcher_methods[] = {
    {"_c_configure", (PyCFunction)pj_configure, METH_VARARGS, configure_doc},
    {"_c_key", (PyCFunction)pj_key, METH_O, key_doc},
    {"_c_install", (PyCFunction)pj_install_spec, METH_VARARGS, install_doc},
    {"_c_take_counts", (PyCFunction)pj_take_counts, METH_NOARGS, take_counts_doc},
    {NULL, NULL, 0, NULL},
};

static PyMemberDef pj_dispatcher_members[] = {
    {"__vectorcalloffset__", T_PYSSIZET, offsetof(PJDispatcher, vectorcall), READONLY, NULL},
    {NULL, 0, 0, 0, NULL},
};

static PyTypeObject PJDispatcher_Type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "pyjit.runtime._runtime.Dispatcher",
    .tp_basicsize = sizeof(PJDispatcher),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_doc = "The C fast path of a region dispatcher (runtime/dispatch.c); subclassed by\n"
              "pyjit.runtime.dispatcher.RegionDispatcher, which supplies _dispatch_python\n"
              "and _entry_failed.",
    .tp_new = pj_new,
    .tp_dealloc = (destructor)pj_dealloc,
    .tp_traverse = (traverseproc)pj_traverse,
    .tp_clear = (inquiry)pj_clear,
    .tp_call = PyVectorcall_Call,
    .tp_vectorcall_offset = offsetof(PJDispatcher, vectorcall),
    .tp_methods = pj_dispatcher_methods,
    .tp_members = pj_dispatcher_members,
};

/* ---- module functions -------------------------------------------------------------- */

static PyObject *
pj_set_types(PyObject *self, PyObject *args)
{
    PyObject *unbound, *ndarray, *scalars;
    if (!PyArg_ParseTuple(args, "OOO!:set_types", &unbound, &ndarray, &PyTuple_Type, &scalars)) {
        return NULL;
    }
    if (ndarray != Py_None && !PyType_Check(ndarray)) {
        PyErr_SetString(PyExc_TypeError, "ndarray must be a type or None");
        return NULL;
    }
    Py_XSETREF(pj_unbound, Py_NewRef(unbound));
    Py_XSETREF(pj_ndarray, ndarray == Py_None ? NULL : (PyTypeObject *)Py_NewRef(ndarray));
    Py_XSETREF(pj_np_scalars, Py_NewRef(scalars));
    Py_RETURN_NONE;
}

static PyObject *
pj_set_fast(PyObject *self, PyObject *flag)
{
    int on = PyObject_IsTrue(flag);
    if (on < 0) return NULL;
    pj_fast = on;
    Py_RETURN_NONE;
}

static PyObject *
pj_inherit_vectorcall(PyObject *self, PyObject *cls)
{
    if (!PyType_Check(cls) || !PyType_IsSubtype((PyTypeObject *)cls, &PJDispatcher_Type)) {
        PyErr_SetString(PyExc_TypeError, "inherit_vectorcall() expects a Dispatcher subclass");
        return NULL;
    }
    PyTypeObject *tp = (PyTypeObject *)cls;
    if (tp->tp_call != PJDispatcher_Type.tp_call) {
        Py_RETURN_FALSE;  /* the subclass defines __call__: it is the call */
    }
    PJ_INHERIT_VECTORCALL(tp);
    Py_RETURN_TRUE;
}

static PyMethodDef pj_dispatch_functions[] = {
    {"set_types", pj_set_types, METH_VARARGS,
     "set_types(UNBOUND, numpy.ndarray or None, numpy scalar types)\n\nWhat the C keys recognise."},
    {"set_fast", pj_set_fast, METH_O,
     "set_fast(flag)\n\nFalse sends every dispatch to the Python path (explain() times calls)."},
    {"inherit_vectorcall", pj_inherit_vectorcall, METH_O,
     "inherit_vectorcall(cls) -> bool\n\nLet a Python subclass of Dispatcher be called through\n"
     "vectorcall (3.12+ does it by itself; pyjit_cpython.h)."},
    {NULL, NULL, 0, NULL},
};

int
pj_dispatch_init(PyObject *module)
{
    if (PyType_Ready(&PJDispatcher_Type) < 0) return -1;
    if (PyModule_AddObjectRef(module, "Dispatcher", (PyObject *)&PJDispatcher_Type) < 0) return -1;
    if (PyModule_AddFunctions(module, pj_dispatch_functions) < 0) return -1;
    pj_eager_result = Py_BuildValue("(i())", -1);
    pj_str_python = PyUnicode_InternFromString("_dispatch_python");
    pj_str_failed = PyUnicode_InternFromString("_entry_failed");
    if (!pj_eager_result || !pj_str_python || !pj_str_failed) return -1;
    if (PyModule_AddObjectRef(module, "EAGER", pj_eager_result) < 0) return -1;
    return 0;
}
