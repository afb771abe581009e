#include "dispatch.h"

int
pj_dispatch_init(PyObject *module)
{
    (void)module;
    return 0;
}
