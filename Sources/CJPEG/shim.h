#ifndef HEADSCOPE_CJPEG_SHIM_H
#define HEADSCOPE_CJPEG_SHIM_H
#include <stdio.h>
#include <setjmp.h>
#include <jpeglib.h>
#include <jerror.h>
static inline int hs_JPEG_LIB_VERSION(void) { return JPEG_LIB_VERSION; }
#endif
