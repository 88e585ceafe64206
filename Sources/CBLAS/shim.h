#ifndef HEADSCOPE_CBLAS_SHIM_H
#define HEADSCOPE_CBLAS_SHIM_H
#include <cblas.h>
// The Fortran-interface prototypes, for the LAPACK routines OpenBLAS carries (Cholesky).
#include <f77blas.h>
#endif
