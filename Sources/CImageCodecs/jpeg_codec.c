// JPEG decoding through libjpeg(-turbo) with a setjmp error handler.
#include <stdio.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <jpeglib.h>
#include <jerror.h>
#include "image_codecs.h"

/// libjpeg's error manager extended with the jump target and the caller's message buffer.
typedef struct jpeg_state {
    struct jpeg_error_mgr manager;
    jmp_buf jump;
    char *error;
    int truncated;
    unsigned char *pixels;
} jpeg_state;

static void on_error_exit(j_common_ptr cinfo) {
    jpeg_state *state = (jpeg_state *)cinfo->err;
    char message[JMSG_LENGTH_MAX];
    (*cinfo->err->format_message)(cinfo, message);
    snprintf(state->error, HS_CODEC_ERROR_CAPACITY, "%s", message);
    longjmp(state->jump, 1);
}

// libjpeg only warns when the data ends early and pads the rest of the image with gray; Pillow
// raises "image file is truncated" instead, and so do we. Other warnings (extraneous bytes before
// a marker, for instance) are tolerated as they are by Pillow.
static void on_emit_message(j_common_ptr cinfo, int level) {
    jpeg_state *state = (jpeg_state *)cinfo->err;
    if (level < 0 && cinfo->err->msg_code == JWRN_JPEG_EOF) state->truncated = 1;
}

static int decode_jpeg(jpeg_state *state, const unsigned char *data, size_t size,
                       uint64_t max_pixels, hs_decoded_image *out) {
    struct jpeg_decompress_struct cinfo;
    cinfo.err = jpeg_std_error(&state->manager);
    state->manager.error_exit = on_error_exit;
    state->manager.emit_message = on_emit_message;
    if (setjmp(state->jump)) {
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    jpeg_CreateDecompress(&cinfo, JPEG_LIB_VERSION, sizeof cinfo);
    jpeg_mem_src(&cinfo, data, (unsigned long)size);
    jpeg_read_header(&cinfo, TRUE);
    if (state->truncated) {
        snprintf(state->error, HS_CODEC_ERROR_CAPACITY, "file is truncated (ends inside the header)");
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    switch (cinfo.jpeg_color_space) {
    case JCS_GRAYSCALE:
        cinfo.out_color_space = JCS_GRAYSCALE;
        break;
    case JCS_YCbCr:
    case JCS_RGB:
        cinfo.out_color_space = JCS_RGB;
        break;
    case JCS_CMYK:
    case JCS_YCCK:
        snprintf(state->error, HS_CODEC_ERROR_CAPACITY,
                 "CMYK/YCCK JPEGs are not supported; convert the image to RGB first");
        jpeg_destroy_decompress(&cinfo);
        return -1;
    default:
        snprintf(state->error, HS_CODEC_ERROR_CAPACITY, "unsupported JPEG color space %d",
                 (int)cinfo.jpeg_color_space);
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    if ((uint64_t)cinfo.image_width * (uint64_t)cinfo.image_height > max_pixels) {
        snprintf(state->error, HS_CODEC_ERROR_CAPACITY, "image is larger than the pixel limit");
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    jpeg_start_decompress(&cinfo);
    int channels = cinfo.output_components;
    size_t row_bytes = (size_t)cinfo.output_width * (size_t)channels;
    state->pixels = malloc(row_bytes * cinfo.output_height);
    if (!state->pixels) {
        snprintf(state->error, HS_CODEC_ERROR_CAPACITY, "out of memory for the pixels");
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    while (cinfo.output_scanline < cinfo.output_height) {
        JSAMPROW row = state->pixels + (size_t)cinfo.output_scanline * row_bytes;
        jpeg_read_scanlines(&cinfo, &row, 1);
    }
    jpeg_finish_decompress(&cinfo);
    if (state->truncated) {
        snprintf(state->error, HS_CODEC_ERROR_CAPACITY,
                 "file is truncated (image data ends early)");
        jpeg_destroy_decompress(&cinfo);
        return -1;
    }
    out->pixels = state->pixels;
    out->width = cinfo.output_width;
    out->height = cinfo.output_height;
    out->channels = channels;
    out->source_bit_depth = 8;
    state->pixels = NULL;
    jpeg_destroy_decompress(&cinfo);
    return 0;
}

int hs_jpeg_decode(const unsigned char *data, size_t size, uint64_t max_pixels,
                   hs_decoded_image *out, char error[HS_CODEC_ERROR_CAPACITY]) {
    memset(out, 0, sizeof *out);
    error[0] = 0;
    if (size < 3 || data[0] != 0xFF || data[1] != 0xD8 || data[2] != 0xFF) {
        snprintf(error, HS_CODEC_ERROR_CAPACITY, "not a JPEG file (bad signature)");
        return -1;
    }
    jpeg_state state;
    memset(&state, 0, sizeof state);
    state.error = error;
    int status = decode_jpeg(&state, data, size, max_pixels, out);
    free(state.pixels);
    return status;
}
