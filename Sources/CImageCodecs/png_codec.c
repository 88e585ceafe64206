// PNG decoding and encoding through libpng's low-level API with a setjmp error handler.
#include <png.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "image_codecs.h"

/// Everything a decode or encode owns, kept outside the setjmp frame so cleanup after a longjmp
/// sees the latest values.
typedef struct png_state {
    jmp_buf jump;
    char *error;
    // Reading from memory.
    const unsigned char *input;
    size_t input_size;
    size_t input_offset;
    // Owned buffers.
    unsigned char *pixels;
    png_bytep *rows;
    // Writing to memory.
    unsigned char *output;
    size_t output_size;
    size_t output_capacity;
} png_state;

static void on_error(png_structp png, png_const_charp message) {
    png_state *state = (png_state *)png_get_error_ptr(png);
    snprintf(state->error, HS_CODEC_ERROR_CAPACITY, "%s", message ? message : "unknown libpng error");
    longjmp(state->jump, 1);
}

// Warnings (bad ancillary chunks, odd sRGB profiles) do not stop decoding, as in Pillow.
static void on_warning(png_structp png, png_const_charp message) { (void)png; (void)message; }

static void read_memory(png_structp png, png_bytep destination, size_t length) {
    png_state *state = (png_state *)png_get_io_ptr(png);
    if (length > state->input_size - state->input_offset) {
        png_error(png, "file is truncated (unexpected end of data)");
    }
    memcpy(destination, state->input + state->input_offset, length);
    state->input_offset += length;
}

static int decode_png(png_state *state, uint64_t max_pixels, hs_decoded_image *out) {
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, state, on_error, on_warning);
    if (!png) {
        snprintf(state->error, HS_CODEC_ERROR_CAPACITY, "out of memory creating the PNG reader");
        return -1;
    }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_read_struct(&png, NULL, NULL);
        snprintf(state->error, HS_CODEC_ERROR_CAPACITY, "out of memory creating the PNG reader");
        return -1;
    }
    if (setjmp(state->jump)) {
        png_destroy_read_struct(&png, &info, NULL);
        return -1;
    }
    png_set_read_fn(png, state, read_memory);
    png_read_info(png, info);

    png_uint_32 width = png_get_image_width(png, info);
    png_uint_32 height = png_get_image_height(png, info);
    int bit_depth = png_get_bit_depth(png, info);
    int color_type = png_get_color_type(png, info);
    if ((uint64_t)width * (uint64_t)height > max_pixels) {
        png_error(png, "image is larger than the pixel limit");
    }
    if (color_type == PNG_COLOR_TYPE_PALETTE) png_set_palette_to_rgb(png);
    if (color_type == PNG_COLOR_TYPE_GRAY && bit_depth < 8) png_set_expand_gray_1_2_4_to_8(png);
    if (png_get_valid(png, info, PNG_INFO_tRNS)) png_set_tRNS_to_alpha(png);
    if (bit_depth == 16) png_set_strip_16(png);
    png_set_interlace_handling(png);
    png_read_update_info(png, info);

    int channels = png_get_channels(png, info);
    size_t row_bytes = png_get_rowbytes(png, info);
    if (channels < 1 || channels > 4 || row_bytes != (size_t)width * (size_t)channels) {
        png_error(png, "unexpected pixel layout after expansion");
    }
    state->pixels = malloc(row_bytes * height);
    state->rows = malloc(sizeof(png_bytep) * height);
    if (!state->pixels || !state->rows) png_error(png, "out of memory for the pixels");
    for (png_uint_32 y = 0; y < height; y++) state->rows[y] = state->pixels + (size_t)y * row_bytes;
    png_read_image(png, state->rows);
    png_read_end(png, NULL);

    out->pixels = state->pixels;
    out->width = width;
    out->height = height;
    out->channels = channels;
    out->source_bit_depth = bit_depth;
    state->pixels = NULL;
    png_destroy_read_struct(&png, &info, NULL);
    return 0;
}

int hs_png_decode(const unsigned char *data, size_t size, uint64_t max_pixels,
                  hs_decoded_image *out, char error[HS_CODEC_ERROR_CAPACITY]) {
    memset(out, 0, sizeof *out);
    error[0] = 0;
    if (size < 8 || png_sig_cmp(data, 0, 8) != 0) {
        snprintf(error, HS_CODEC_ERROR_CAPACITY, "not a PNG file (bad signature)");
        return -1;
    }
    png_state state;
    memset(&state, 0, sizeof state);
    state.error = error;
    state.input = data;
    state.input_size = size;
    int status = decode_png(&state, max_pixels, out);
    free(state.pixels);
    free(state.rows);
    return status;
}

static void write_memory(png_structp png, png_bytep source, size_t length) {
    png_state *state = (png_state *)png_get_io_ptr(png);
    if (length > state->output_capacity - state->output_size) {
        size_t capacity = state->output_capacity ? state->output_capacity : 4096;
        while (capacity - state->output_size < length) {
            if (capacity > SIZE_MAX / 2) png_error(png, "encoded image is too large");
            capacity *= 2;
        }
        unsigned char *grown = realloc(state->output, capacity);
        if (!grown) png_error(png, "out of memory for the encoded image");
        state->output = grown;
        state->output_capacity = capacity;
    }
    memcpy(state->output + state->output_size, source, length);
    state->output_size += length;
}

static void flush_memory(png_structp png) { (void)png; }

static int encode_png(png_state *state, const unsigned char *pixels, uint32_t width,
                      uint32_t height, int channels) {
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, state, on_error, on_warning);
    if (!png) {
        snprintf(state->error, HS_CODEC_ERROR_CAPACITY, "out of memory creating the PNG writer");
        return -1;
    }
    png_infop info = png_create_info_struct(png);
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        snprintf(state->error, HS_CODEC_ERROR_CAPACITY, "out of memory creating the PNG writer");
        return -1;
    }
    if (setjmp(state->jump)) {
        png_destroy_write_struct(&png, &info);
        return -1;
    }
    static const int color_types[5] = {0, PNG_COLOR_TYPE_GRAY, PNG_COLOR_TYPE_GRAY_ALPHA,
                                       PNG_COLOR_TYPE_RGB, PNG_COLOR_TYPE_RGB_ALPHA};
    png_set_write_fn(png, state, write_memory, flush_memory);
    png_set_IHDR(png, info, width, height, 8, color_types[channels], PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    size_t row_bytes = (size_t)width * (size_t)channels;
    for (uint32_t y = 0; y < height; y++) {
        png_write_row(png, pixels + (size_t)y * row_bytes);
    }
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return 0;
}

int hs_png_encode(const unsigned char *pixels, uint32_t width, uint32_t height, int channels,
                  unsigned char **out_data, size_t *out_size,
                  char error[HS_CODEC_ERROR_CAPACITY]) {
    *out_data = NULL;
    *out_size = 0;
    error[0] = 0;
    if (channels < 1 || channels > 4) {
        snprintf(error, HS_CODEC_ERROR_CAPACITY, "unsupported channel count %d", channels);
        return -1;
    }
    if (width == 0 || height == 0) {
        snprintf(error, HS_CODEC_ERROR_CAPACITY, "PNG cannot hold an empty (%ux%u) image",
                 width, height);
        return -1;
    }
    png_state state;
    memset(&state, 0, sizeof state);
    state.error = error;
    int status = encode_png(&state, pixels, width, height, channels);
    if (status != 0) {
        free(state.output);
        return -1;
    }
    *out_data = state.output;
    *out_size = state.output_size;
    return 0;
}
