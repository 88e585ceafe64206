#ifndef HEADSCOPE_CPNG_SHIM_H
#define HEADSCOPE_CPNG_SHIM_H
#include <png.h>
// PNG_IMAGE_SIZE and friends are function-like macros.
static inline size_t hs_png_image_size(png_image *image) { return PNG_IMAGE_SIZE(*image); }
static inline png_uint_32 hs_png_image_row_stride(png_image *image) { return PNG_IMAGE_ROW_STRIDE(*image); }
static inline int hs_png_image_failed(png_image *image) { return PNG_IMAGE_FAILED(*image); }
static inline png_uint_32 hs_PNG_IMAGE_VERSION(void) { return PNG_IMAGE_VERSION; }
#endif
