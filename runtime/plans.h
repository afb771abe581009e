/* plans.h: the in and exit plans of a native call served by the C dispatcher:
 * how live-ins go into slots and how an exit's values come out (plans.c). */
#ifndef PYJIT_PLANS_H
#define PYJIT_PLANS_H

#include <Python.h>
#include <stdint.h>

#define PJ_MAX_SLOTS 128   /* in and out slots of a native call */

/* Unboxing a live-in into slots (in plan) */
enum { IN_NONE = 0, IN_F64 = 1, IN_I64 = 2, IN_BOOL = 3, IN_ARRAY = 4 };
/* Boxing an exit value from slots (exit plan) */
enum { BOX_FLOAT = 1, BOX_INT = 2, BOX_BOOL = 3, BOX_CONST = 4, BOX_NPFLOAT = 5, BOX_NPINT = 6,
       BOX_NPUINT64 = 7, BOX_NPBOOL = 8, BOX_UNION = 9, BOX_CALL = 10, BOX_ARRAY = 11, BOX_ARG = 12 };

typedef struct pj_box {
    int kind;
    int slot;
    PyObject *obj;             /* BOX_CONST: the value; BOX_NP*: the numpy scalar type;
                                  BOX_CALL: obj(list of the boxed members) builds it */
    int nmembers;              /* BOX_UNION: members, selected by the tag in slot + ndim */
    struct pj_box *members;
    int ndim;                  /* BOX_ARRAY: slots data, shape[ndim], strides[ndim]; an array
                                  the call allocated, else obj(data, shape, strides,
                                  allocated, args) finds the view.  BOX_ARG: slot is the
                                  index of the live-in returned as it is.  BOX_UNION: the
                                  tag's offset from slot (1 for scalars) */
} pj_box;

/* What boxing an exit's arrays needs: the arrays this call allocated and the live-ins. */
typedef struct {
    PyObject *allocated;       /* list, or NULL */
    PyObject *const *args;
    Py_ssize_t nargs;
} pj_ctx;

typedef struct {
    int nvalues;
    int resume;                /* a bailout: counted */
    pj_box *values;
    PyObject *number;          /* the exit number, as the int object */
} pj_exit;

typedef struct {
    int kind, slot, ndim;
} pj_in;

/* Write the live-ins into `in` by `plan`; 0 when a value does not fit (an int beyond
 * 64 bits: the Python entry runs the reference instead). */
int pj_unbox(const pj_in *plan, int nin, PyObject *const *args, int64_t *in);
/* The Python object for box `b` from the out slots; NULL with an exception set. */
PyObject *pj_box_value(const pj_box *b, const int64_t *out, const pj_ctx *ctx);
/* (kind, slot, obj, members) from Python into `b`; -1 with an exception set. */
int pj_box_parse(PyObject *t, pj_box *b, int *max_slot);
void pj_box_clear(pj_box *b);

#endif
