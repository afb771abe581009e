/* pyjit_cpython.h: every CPython-version difference the native runtime depends on.
 *
 * The rest of the C code (_runtime.c, dispatch.c) never tests PY_VERSION_HEX: it
 * uses the PJ_* names below.  Supported: CPython 3.11, 3.12 and 3.13 with the GIL.
 * The facts behind each definition are in ../shared/notes/cpython-eval-frame.md
 * (section 2: the table per version) and in runtime/README.md.
 *
 * Porting to a new minor version means: read its internal/pycore_frame.h, re-check
 * every definition here, and add a branch.  An unknown version fails the build,
 * which setup.py treats as optional: pyjit then runs without the native runtime.
 */
#ifndef PYJIT_CPYTHON_H
#define PYJIT_CPYTHON_H

#include <Python.h>

#if PY_VERSION_HEX < 0x030B0000 || PY_VERSION_HEX >= 0x030E0000
#  error "pyjit's native runtime supports CPython 3.11-3.13 (see runtime/pyjit_cpython.h)"
#endif
#ifdef Py_GIL_DISABLED
#  error "pyjit's native runtime needs the GIL (the free-threaded build is not ported)"
#endif

/* Py_BUILD_CORE only around the internal header, after Python.h: defined earlier
 * it redirects public macros (PyThreadState_GET) to hidden symbols. */
#define Py_BUILD_CORE 1
#include <internal/pycore_frame.h>
#if PY_VERSION_HEX >= 0x030D0000
#  include <internal/pycore_ceval.h>   /* _PyEval_FrameClearAndPop (exported in 3.13) */
#endif
#undef Py_BUILD_CORE

typedef struct _PyInterpreterFrame PJFrame;

#define PJ_GENERATOR_LIKE (CO_GENERATOR | CO_COROUTINE | CO_ITERABLE_COROUTINE | CO_ASYNC_GENERATOR)

/* ---- code object of a frame, and swapping it ------------------------------------ */
#if PY_VERSION_HEX >= 0x030D0000                          /* 3.13: f_executable */
#  define PJ_FRAME_CODE(f)      ((PyCodeObject *)(f)->f_executable)
#  define PJ_FRAME_SET_CODE(f, co) ((f)->f_executable = (PyObject *)(co))
#  define PJ_FRAME_FUNC(f)      ((f)->f_funcobj)
#else                                                     /* 3.11, 3.12: f_code */
#  define PJ_FRAME_CODE(f)      ((f)->f_code)
#  define PJ_FRAME_SET_CODE(f, co) ((f)->f_code = (co))
#  if PY_VERSION_HEX >= 0x030C0000
#    define PJ_FRAME_FUNC(f)    ((f)->f_funcobj)
#  else
#    define PJ_FRAME_FUNC(f)    ((PyObject *)(f)->f_func)
#  endif
#endif

/* ---- the instruction pointer of a frame that has not started -------------------- */
#if PY_VERSION_HEX >= 0x030D0000                  /* 3.13: instr_ptr == first unit */
#  define PJ_FRAME_AT_START(f, co) ((f)->instr_ptr == _PyCode_CODE(co))
#  define PJ_FRAME_SET_START(f, co) ((f)->instr_ptr = _PyCode_CODE(co))
#else                                   /* 3.11, 3.12: prev_instr == first unit - 1 */
#  define PJ_FRAME_AT_START(f, co) ((f)->prev_instr == _PyCode_CODE(co) - 1)
#  define PJ_FRAME_SET_START(f, co) ((f)->prev_instr = _PyCode_CODE(co) - 1)
#endif

/* ---- the frame's size on the thread's data stack, in words ---------------------- */
#if PY_VERSION_HEX >= 0x030C0000
#  define PJ_FRAME_WORDS(co) ((Py_ssize_t)(co)->co_framesize)
#else  /* 3.11 has no co_framesize: _PyEvalFramePushAndInit computes it like this */
#  define PJ_FRAME_WORDS(co) \
    ((Py_ssize_t)((co)->co_nlocalsplus + (co)->co_stacksize + FRAME_SPECIALS_SIZE))
#endif

/* ---- co_extra ------------------------------------------------------------------- */
#if PY_VERSION_HEX >= 0x030C0000
#  define PJ_RequestCodeExtraIndex PyUnstable_Eval_RequestCodeExtraIndex
#  define PJ_Code_GetExtra PyUnstable_Code_GetExtra
#  define PJ_Code_SetExtra PyUnstable_Code_SetExtra
#else
#  define PJ_RequestCodeExtraIndex _PyEval_RequestCodeExtraIndex
#  define PJ_Code_GetExtra _PyCode_GetExtra
#  define PJ_Code_SetExtra _PyCode_SetExtra
#endif

/* ---- reading co_extra on the hot path ------------------------------------------------
 * PJ_Code_GetExtra is a call that re-checks its arguments; the hook reads the slot
 * directly.  The layout is _PyCodeObjectExtra (internal/pycore_code.h), unchanged
 * from 3.6 to 3.13. */
typedef struct {
    Py_ssize_t ce_size;
    void *ce_extras[1];
} pj_code_extra;

static inline void *
pj_code_extra_get(PyCodeObject *co, Py_ssize_t index)
{
    pj_code_extra *ce = (pj_code_extra *)co->co_extra;
    return (ce != NULL && index < ce->ce_size) ? ce->ce_extras[index] : NULL;
}

/* ---- "an exception is set" without a call --------------------------------------------- */
#if PY_VERSION_HEX >= 0x030C0000
#  define PJ_ERR_OCCURRED(ts) ((ts)->current_exception != NULL)
#else
#  define PJ_ERR_OCCURRED(ts) ((ts)->curexc_type != NULL)
#endif

/* ---- the raised exception as one object -------------------------------------------- */
#if PY_VERSION_HEX >= 0x030C0000
#  define PJ_FetchException() PyErr_GetRaisedException()
#else
static inline PyObject *
PJ_FetchException(void)
{
    PyObject *type, *value, *tb;
    PyErr_Fetch(&type, &value, &tb);
    PyErr_NormalizeException(&type, &value, &tb);
    if (tb != NULL && value != NULL) {
        PyException_SetTraceback(value, tb);
    }
    Py_XDECREF(type);
    Py_XDECREF(tb);
    return value;
}
#endif

/* ---- vectorcall for Python subclasses of a C type ---------------------------------
 * 3.12+ gives a heap subclass Py_TPFLAGS_HAVE_VECTORCALL when it inherits tp_call;
 * 3.11 only does it for static types, so the runtime sets it (same effect). */
#if PY_VERSION_HEX >= 0x030C0000
#  define PJ_INHERIT_VECTORCALL(tp) ((void)(tp))
#else
#  define PJ_INHERIT_VECTORCALL(tp) ((tp)->tp_flags |= Py_TPFLAGS_HAVE_VECTORCALL)
#endif

/* ---- who clears and pops the frame handed to the hook --------------------------
 *
 * Note [frame ownership]
 *   3.11: the caller (_PyEval_Vector) clears and pops it after the evaluator
 *   returns, whether or not it ran: a hook that does not run it does nothing.
 *   3.12+: the evaluator clears and pops it; a hook that does not run it (an
 *   error before evaluation) must clear and pop it itself, or the references in
 *   it leak and datastack_top is left too high.  pj_discard_frame() is that
 *   duty: it is called exactly once, only on a frame that never ran and never
 *   had a frame object (the hook never makes one for an incomplete frame).
 */
#if PY_VERSION_HEX >= 0x030D0000
/* 3.13 exports CPython's own clear-and-pop. */
static inline void
pj_discard_frame(PyThreadState *ts, PJFrame *f)
{
    _PyEval_FrameClearAndPop(ts, f);
}
#elif PY_VERSION_HEX >= 0x030C0000
/* 3.12: _PyFrame_ClearExceptCode and _PyThreadState_PopFrame are hidden symbols;
 * this is their effect on a frame that never ran (no frame object, no stack). */
static inline void
pj_discard_frame(PyThreadState *ts, PJFrame *f)
{
    for (int i = 0; i < f->stacktop; i++) {
        Py_XDECREF(f->localsplus[i]);
    }
    f->stacktop = 0;
    Py_CLEAR(f->f_locals);
    Py_DECREF(f->f_funcobj);
    Py_DECREF(f->f_code);
    PyObject **base = (PyObject **)f;
    _PyStackChunk *chunk = ts->datastack_chunk;
    if (base == &chunk->data[0]) {      /* the frame opened this chunk: free it */
        _PyStackChunk *previous = chunk->previous;
        ts->datastack_top = &previous->data[previous->top];
        ts->datastack_chunk = previous;
        ts->datastack_limit = (PyObject **)(((char *)previous) + previous->size);
        PyObjectArenaAllocator arena;  /* chunks come from the object arena allocator */
        PyObject_GetArenaAllocator(&arena);
        arena.free(arena.ctx, chunk, chunk->size);
    }
    else {
        ts->datastack_top = base;
    }
}
#else
static inline void
pj_discard_frame(PyThreadState *ts, PJFrame *f)
{
    (void)ts;
    (void)f;
}
#endif

#endif /* PYJIT_CPYTHON_H */
