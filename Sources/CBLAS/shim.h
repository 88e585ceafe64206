#ifndef HEADSCOPE_CBLAS_SHIM_H
#define HEADSCOPE_CBLAS_SHIM_H
#include <cblas.h>
#endif
