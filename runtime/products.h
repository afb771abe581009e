/* products.h: matrix products for native code, computed by numpy (products.c). */
#ifndef PYJIT_PRODUCTS_H
#define PYJIT_PRODUCTS_H

#include <Python.h>

/* Add set_products() and product_address() to the module (nothing without numpy's
 * headers at build time); 0 on success, -1 with an exception set. */
int pj_products_init(PyObject *module);

#endif
