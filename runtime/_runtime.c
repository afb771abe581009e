/* pyjit.runtime._runtime: the PEP 523 frame-evaluation hook behind pyjit.capture().
 *
 * What it does, per frame, while installed (runtime/README.md has the long form):
 *
 *   1. Frames not owned by the thread (generators, coroutines) run as they are.
 *   2. Stack guard: a thread-owned frame entered with less than a margin of C
 *      stack left raises RecursionError instead (3.11 has no C-level guard, and
 *      an installed hook turns every Python call into a C call).
 *   3. Pass through unless this thread has a callback, is not inside the
 *      callback already (the recursion guard), the frame is not a throw,
 *      the code is a plain function body (no generator/coroutine flags, not a
 *      module or class body), the frame has not started, and no exception is set.
 *   4. Look the code up in its co_extra slot: an entry made for this capture
 *      (same epoch) and these globals says "skip" or names the rewritten code.
 *      A miss calls the Python callback with the frame's *function* (never a
 *      frame object: the frame is incomplete) and caches its answer.
 *   5. Retarget the frame in place to the rewritten code (Note [retarget]) and
 *      run the default evaluator on it.  CPython then owns the frame exactly as
 *      it owns any frame: clearing, popping, frame objects kept alive by
 *      tracebacks, tracing and monitoring all take their usual path.
 *
 * Every version difference is in pyjit_cpython.h.
 */
#include "pyjit_cpython.h"

#if defined(__linux__) && defined(__GLIBC__)
#  include <pthread.h>
#  define PJ_HAVE_STACK_BOUNDS 1
#endif

#include "dispatch.h"
#include "arrays.h"
#include "products.h"

#if defined(__GNUC__)
#  define PJ_STACK_POINTER() ((uintptr_t)__builtin_frame_address(0))
#else
static uintptr_t PJ_STACK_POINTER(void) { volatile char here; return (uintptr_t)&here; }
#endif

/* ---- state ------------------------------------------------------------------------ */

/* One per thread: the capture active on it (callback and epoch), the recursion
 * guard, and where its C stack ends. */
typedef struct {
    PyObject *callback;   /* strong; NULL when no capture is active on this thread */
    long long epoch;      /* the capture's number: cache entries of other captures miss */
    int busy;             /* inside the callback: frames pass through */
    int stack_known;
    uintptr_t stack_low;  /* entering a frame below this address raises RecursionError */
} pj_thread_state;

#if defined(__GNUC__) && defined(__ELF__)
/* initial-exec: a direct thread-pointer access instead of a __tls_get_addr call on
 * every frame (the state is small; glibc reserves static TLS for such modules) */
static _Thread_local pj_thread_state pj_tls __attribute__((tls_model("initial-exec")));
#else
static _Thread_local pj_thread_state pj_tls;
#endif

/* A code object's co_extra entry: the answer for one capture and one globals dict. */
typedef struct {
    long long epoch;
    PyObject *globals;    /* identity only (borrowed): same code, other module = miss */
    PyObject *code;       /* strong: the rewritten code; NULL = run the original */
} pj_entry;

static Py_ssize_t pj_extra_index = -1;
static _PyFrameEvalFunction pj_previous_eval = NULL;  /* what we chain to */
static Py_ssize_t pj_users = 0;                        /* active captures, all threads */
static int pj_installed = 0;

static struct {
    unsigned long long intercepted, callbacks, replaced, no_room, stack_errors;
} pj_stats;

/* ---- the co_extra cache ---------------------------------------------------------- */

static void
pj_entry_free(void *p)
{
    pj_entry *e = (pj_entry *)p;
    if (e != NULL) {
        Py_XDECREF(e->code);
        PyMem_RawFree(e);
    }
}

/* ---- the stack guard ------------------------------------------------------------- */

static void
pj_stack_init(pj_thread_state *t)
{
    t->stack_known = 1;
    t->stack_low = 0;
#ifdef PJ_HAVE_STACK_BOUNDS
    pthread_attr_t attr;
    void *addr;
    size_t size;
    if (pthread_getattr_np(pthread_self(), &attr) != 0) {
        return;
    }
    if (pthread_attr_getstack(&attr, &addr, &size) == 0 && addr != NULL) {
        /* Keep a margin for the C code that runs between two frame entries and for
         * handling the RecursionError itself. */
        size_t margin = size >= ((size_t)4 << 20) ? ((size_t)512 << 10) : size / 4;
        t->stack_low = (uintptr_t)addr + margin;
    }
    pthread_attr_destroy(&attr);
#endif
}

/* ---- retargeting a frame to the rewritten code ------------------------------------

   Note [retarget]
     The hook runs the rewritten code in the very frame CPython pushed for the
     original, instead of building a shadow frame beside it.  This is sound because
     at hook time nothing has executed: the argument slots [0, nargs) hold the bound
     arguments (defaults, *args and **kwargs included), every other local, cell and
     free-variable slot is NULL, and the value stack is empty.  The rewritten code
     has the same arguments in the same slots and the same free variables
     (pj_incompatible checks it once per cache entry), and starts with the normal
     prologue (COPY_FREE_VARS reads f_func's closure, MAKE_CELL wraps arguments), so
     it can start from exactly this state.  What changes:
       - the code field (a strong reference) and the instruction pointer;
       - stacktop, which is co_nlocalsplus of the code the frame starts with;
       - the frame's size: the frame is the top of the thread's data stack
         (checked), so datastack_top moves to its new end.  Popping resets
         datastack_top to the frame's base, on every version, so a larger or smaller
         frame pops correctly.  With no room left in the chunk the call runs the
         original code (counted as no_room; semantics are the same).
     Everything afterwards is CPython's usual path for this frame (Note [frame
     ownership] in pyjit_cpython.h): who clears it does not change, take-ownership
     by a frame object kept alive by a traceback sizes the copy from the code field,
     and tracing/monitoring see the rewritten code.  f_func keeps the original
     function; nothing in 3.11-3.13 derives a running thread frame's layout from
     func_code (generators would, and are never retargeted). */
static int
pj_retarget(PyThreadState *ts, PJFrame *f, PyCodeObject *old, PyCodeObject *new)
{
    PyObject **base = (PyObject **)f;
    Py_ssize_t old_words = PJ_FRAME_WORDS(old), new_words = PJ_FRAME_WORDS(new);
    if (ts->datastack_top != base + old_words) {
        return 0;
    }
    if (new_words > old_words && ts->datastack_limit - ts->datastack_top <= new_words - old_words) {
        return 0;
    }
    for (int i = old->co_nlocalsplus; i < new->co_nlocalsplus; i++) {
        f->localsplus[i] = NULL;
    }
    ts->datastack_top = base + new_words;
    PJ_FRAME_SET_CODE(f, (PyCodeObject *)Py_NewRef((PyObject *)new));
    Py_DECREF(old);  /* never the last reference: the frame's function holds it */
    f->stacktop = new->co_nlocalsplus;
    PJ_FRAME_SET_START(f, new);
    return 1;
}

static int
pj_same_name(PyObject *names_a, PyObject *names_b, Py_ssize_t ia, Py_ssize_t ib)
{
    PyObject *a = PyTuple_GET_ITEM(names_a, ia), *b = PyTuple_GET_ITEM(names_b, ib);
    return a == b || PyUnicode_Compare(a, b) == 0;
}

/* Why `new` cannot run in a frame set up for `old`, or NULL when it can. */
static const char *
pj_incompatible(PyCodeObject *old, PyCodeObject *new)
{
    if ((new->co_flags & (CO_OPTIMIZED | CO_NEWLOCALS)) != (CO_OPTIMIZED | CO_NEWLOCALS)) {
        return "the replacement is not a function body";
    }
    if (new->co_flags & PJ_GENERATOR_LIKE) {
        return "the replacement is a generator or coroutine";
    }
    if (old->co_argcount != new->co_argcount || old->co_posonlyargcount != new->co_posonlyargcount
        || old->co_kwonlyargcount != new->co_kwonlyargcount
        || ((old->co_flags ^ new->co_flags) & (CO_VARARGS | CO_VARKEYWORDS))) {
        return "the replacement's arguments differ";
    }
    Py_ssize_t nargs = old->co_argcount + old->co_kwonlyargcount
                       + !!(old->co_flags & CO_VARARGS) + !!(old->co_flags & CO_VARKEYWORDS);
    for (Py_ssize_t i = 0; i < nargs; i++) {
        if (!pj_same_name(old->co_localsplusnames, new->co_localsplusnames, i, i)) {
            return "the replacement's argument names differ";
        }
    }
    if (old->co_nfreevars != new->co_nfreevars) {
        return "the replacement's free variables differ";
    }
    for (int k = 1; k <= old->co_nfreevars; k++) {
        if (!pj_same_name(old->co_localsplusnames, new->co_localsplusnames,
                          old->co_nlocalsplus - k, new->co_nlocalsplus - k)) {
            return "the replacement's free variables differ";
        }
    }
    return NULL;
}

/* ---- the hook -------------------------------------------------------------------- */

static inline PyObject *
pj_run(PyThreadState *ts, PJFrame *f, int throwflag)
{
    return pj_previous_eval(ts, f, throwflag);
}

/* Ask the callback about `co` and cache the answer.  Returns the entry, or NULL
 * with an exception set. */
static pj_entry *
pj_fill(pj_thread_state *t, PyCodeObject *co, PyObject *func, PyObject *globals)
{
    PyObject *callback = Py_NewRef(t->callback);
    long long epoch = t->epoch;
    pj_stats.callbacks++;
    t->busy = 1;
    PyObject *answer = PyObject_CallOneArg(callback, func);
    t->busy = 0;
    Py_DECREF(callback);
    if (answer == NULL) {
        return NULL;
    }
    PyObject *code = NULL;
    if (answer != Py_None) {
        if (!PyCode_Check(answer)) {
            PyErr_Format(PyExc_TypeError, "pyjit capture callback returned %.100s, not a code object",
                         Py_TYPE(answer)->tp_name);
            Py_DECREF(answer);
            return NULL;
        }
        const char *why = pj_incompatible(co, (PyCodeObject *)answer);
        if (why != NULL) {
            PyErr_Format(PyExc_TypeError, "pyjit: cannot run the rewritten code of %U: %s",
                         co->co_qualname, why);
            Py_DECREF(answer);
            return NULL;
        }
        if (answer != (PyObject *)co) {
            code = answer;   /* the entry takes the reference */
        }
        else {
            Py_DECREF(answer);
        }
    }
    else {
        Py_DECREF(answer);
    }
    pj_entry *e = PyMem_RawMalloc(sizeof(pj_entry));
    if (e == NULL) {
        Py_XDECREF(code);
        PyErr_NoMemory();
        return NULL;
    }
    e->epoch = epoch;
    e->globals = globals;
    e->code = code;
    if (PJ_Code_SetExtra((PyObject *)co, pj_extra_index, e) < 0) {  /* frees the old entry */
        pj_entry_free(e);
        return NULL;
    }
    return e;
}

static PyObject *
pj_eval_frame(PyThreadState *ts, PJFrame *frame, int throwflag)
{
    if (frame->owner != FRAME_OWNED_BY_THREAD) {
        return pj_run(ts, frame, throwflag);   /* generator and coroutine frames */
    }
    pj_thread_state *t = &pj_tls;
    if (!t->stack_known) {
        pj_stack_init(t);
    }
    if (PJ_STACK_POINTER() < t->stack_low) {
        pj_stats.stack_errors++;
        PyErr_SetString(PyExc_RecursionError,
                        "maximum recursion depth exceeded (C stack nearly exhausted while "
                        "pyjit's frame hook is installed)");
        pj_discard_frame(ts, frame);
        return NULL;
    }
    if (t->callback == NULL || t->busy || throwflag) {
        return pj_run(ts, frame, throwflag);
    }
    PyCodeObject *co = PJ_FRAME_CODE(frame);
    if ((co->co_flags & PJ_GENERATOR_LIKE) || !(co->co_flags & CO_OPTIMIZED)
        || !PJ_FRAME_AT_START(frame, co) || PJ_ERR_OCCURRED(ts)) {
        return pj_run(ts, frame, throwflag);
    }
    PyObject *func = PJ_FRAME_FUNC(frame);
    if (!PyFunction_Check(func) || ((PyFunctionObject *)func)->func_code != (PyObject *)co) {
        return pj_run(ts, frame, throwflag);
    }
    pj_stats.intercepted++;
    pj_entry *e = (pj_entry *)pj_code_extra_get(co, pj_extra_index);
    if (e == NULL || e->epoch != t->epoch || e->globals != frame->f_globals) {
        e = pj_fill(t, co, func, frame->f_globals);
        if (e == NULL) {
            pj_discard_frame(ts, frame);
            return NULL;
        }
    }
    if (e->code == NULL) {
        return pj_run(ts, frame, throwflag);
    }
    if (!pj_retarget(ts, frame, co, (PyCodeObject *)e->code)) {
        pj_stats.no_room++;
        return pj_run(ts, frame, throwflag);
    }
    pj_stats.replaced++;
    return pj_run(ts, frame, throwflag);
}

/* ---- installing ------------------------------------------------------------------ */

static void
pj_install(void)
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    _PyFrameEvalFunction current = _PyInterpreterState_GetEvalFrameFunc(interp);
    if (current != pj_eval_frame) {
        pj_previous_eval = current;   /* chain to whoever was there (usually the default) */
        _PyInterpreterState_SetEvalFrameFunc(interp, pj_eval_frame);
    }
    pj_installed = 1;
}

static void
pj_uninstall(void)
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    if (_PyInterpreterState_GetEvalFrameFunc(interp) == pj_eval_frame) {
        _PyInterpreterState_SetEvalFrameFunc(interp, pj_previous_eval);
    }
    /* else another hook was installed over ours and may chain to it: ours stays
     * callable and passes everything through, since no capture is active. */
    pj_installed = 0;
}

/* ---- module functions ------------------------------------------------------------ */

PyDoc_STRVAR(set_thread_callback_doc,
"set_thread_callback(callback, epoch) -> (previous callback, previous epoch)\n\n"
"Set this thread's capture: callback(function) -> code object or None is asked\n"
"once per code object (and epoch); None clears it.  Returns the previous pair so a\n"
"nested capture can restore it.");

static PyObject *
set_thread_callback(PyObject *self, PyObject *args)
{
    PyObject *callback;
    long long epoch;
    if (!PyArg_ParseTuple(args, "OL:set_thread_callback", &callback, &epoch)) {
        return NULL;
    }
    if (callback != Py_None && !PyCallable_Check(callback)) {
        PyErr_SetString(PyExc_TypeError, "callback must be callable or None");
        return NULL;
    }
    pj_thread_state *t = &pj_tls;
    PyObject *previous = t->callback != NULL ? t->callback : Py_NewRef(Py_None);
    PyObject *result = Py_BuildValue("(NL)", previous, t->epoch);
    if (result == NULL) {
        if (t->callback == NULL) {
            Py_DECREF(Py_None);
        }
        return NULL;
    }
    t->callback = callback == Py_None ? NULL : Py_NewRef(callback);
    t->epoch = epoch;
    if (!t->stack_known) {
        pj_stack_init(t);
    }
    return result;
}

PyDoc_STRVAR(pause_doc,
"pause() -> state\n\n"
"Stop intercepting frames on this thread until resume(state): pyjit's own work\n"
"(specializing, compiling) must not run through the JIT it is building.");

static PyObject *
pj_pause(PyObject *self, PyObject *unused)
{
    int was = pj_tls.busy;
    pj_tls.busy = 1;
    return PyLong_FromLong(was);
}

PyDoc_STRVAR(resume_doc, "resume(state)\n\nUndo the pause() that returned `state`.");

static PyObject *
pj_resume(PyObject *self, PyObject *state)
{
    long was = PyLong_AsLong(state);
    if (was == -1 && PyErr_Occurred()) {
        return NULL;
    }
    pj_tls.busy = (int)was;
    Py_RETURN_NONE;
}

PyDoc_STRVAR(hook_acquire_doc,
"hook_acquire()\n\nCount one more active capture; installs the hook on the first.");

static PyObject *
hook_acquire(PyObject *self, PyObject *unused)
{
    if (pj_users++ == 0) {
        pj_install();
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(hook_release_doc,
"hook_release()\n\nCount one capture less; removes the hook after the last.");

static PyObject *
hook_release(PyObject *self, PyObject *unused)
{
    if (pj_users <= 0) {
        PyErr_SetString(PyExc_RuntimeError, "pyjit: hook_release() without hook_acquire()");
        return NULL;
    }
    if (--pj_users == 0) {
        pj_uninstall();
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(hook_installed_doc,
"hook_installed() -> bool\n\nWhether pyjit's hook is the interpreter's frame evaluator now.");

static PyObject *
hook_installed(PyObject *self, PyObject *unused)
{
    PyInterpreterState *interp = PyInterpreterState_Get();
    return PyBool_FromLong(_PyInterpreterState_GetEvalFrameFunc(interp) == pj_eval_frame);
}

PyDoc_STRVAR(check_replacement_doc,
"check_replacement(original, replacement)\n\n"
"Raise TypeError if `replacement` cannot run in a frame set up for `original`\n"
"(arguments, free variables, flags; Note [retarget] in _runtime.c).");

static PyObject *
check_replacement(PyObject *self, PyObject *args)
{
    PyObject *old, *new;
    if (!PyArg_ParseTuple(args, "O!O!:check_replacement", &PyCode_Type, &old, &PyCode_Type, &new)) {
        return NULL;
    }
    const char *why = pj_incompatible((PyCodeObject *)old, (PyCodeObject *)new);
    if (why != NULL) {
        PyErr_SetString(PyExc_TypeError, why);
        return NULL;
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(forget_doc,
"forget(code)\n\nDrop the hook's cached answer for `code`.");

static PyObject *
forget(PyObject *self, PyObject *code)
{
    if (!PyCode_Check(code)) {
        PyErr_SetString(PyExc_TypeError, "forget() expects a code object");
        return NULL;
    }
    if (PJ_Code_SetExtra(code, pj_extra_index, NULL) < 0) {
        return NULL;
    }
    Py_RETURN_NONE;
}

PyDoc_STRVAR(stats_doc,
"stats() -> dict\n\nCounters of the hook: frames intercepted, callback calls, frames\n"
"run with rewritten code, frames that ran the original for lack of data-stack room,\n"
"RecursionErrors raised by the stack guard; and the number of active captures.");

static PyObject *
stats(PyObject *self, PyObject *unused)
{
    return Py_BuildValue("{sKsKsKsKsKsnsi}",
                         "intercepted", pj_stats.intercepted, "callbacks", pj_stats.callbacks,
                         "replaced", pj_stats.replaced, "no_room", pj_stats.no_room,
                         "stack_errors", pj_stats.stack_errors, "users", pj_users,
                         "installed", pj_installed);
}

static PyMethodDef pj_methods[] = {
    {"set_thread_callback", set_thread_callback, METH_VARARGS, set_thread_callback_doc},
    {"pause", pj_pause, METH_NOARGS, pause_doc},
    {"resume", pj_resume, METH_O, resume_doc},
    {"hook_acquire", hook_acquire, METH_NOARGS, hook_acquire_doc},
    {"hook_release", hook_release, METH_NOARGS, hook_release_doc},
    {"hook_installed", hook_installed, METH_NOARGS, hook_installed_doc},
    {"check_replacement", check_replacement, METH_VARARGS, check_replacement_doc},
    {"forget", forget, METH_O, forget_doc},
    {"stats", stats, METH_NOARGS, stats_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef pj_module = {
    PyModuleDef_HEAD_INIT,
    "pyjit.runtime._runtime",
    "pyjit's native runtime: the PEP 523 frame hook of pyjit.capture() and the region\n"
    "dispatcher.  See runtime/README.md.",
    -1,
    pj_methods,
};

PyMODINIT_FUNC
PyInit__runtime(void)
{
    PyObject *m = PyModule_Create(&pj_module);
    if (m == NULL) {
        return NULL;
    }
    if (pj_extra_index < 0) {
        pj_extra_index = PJ_RequestCodeExtraIndex(pj_entry_free);
        if (pj_extra_index < 0) {
            Py_DECREF(m);
            return NULL;
        }
    }
    if (pj_previous_eval == NULL) {
        pj_previous_eval = _PyEval_EvalFrameDefault;
    }
    if (pj_dispatch_init(m) < 0 || pj_arrays_init(m) < 0 || pj_products_init(m) < 0) {
        Py_DECREF(m);
        return NULL;
    }
    return m;
}
