#ifndef HEADSCOPE_JPEG_DECODE_H
#define HEADSCOPE_JPEG_DECODE_H
#include <stddef.h>
#endif
