#ifndef HEADSCOPE_IMAGE_CODECS_H
#define HEADSCOPE_IMAGE_CODECS_H
// PNG and JPEG coding behind setjmp-based error handlers.
//
// libpng and libjpeg report fatal errors by longjmp (or, by default, by exit()); Swift frames
// cannot be jumped over, so every call into those libraries happens here, and each function
// returns 0 on success or -1 with a message in `error`. Nothing here exits or aborts on bad input.
#include <stddef.h>
#include <stdint.h>

#define HS_CODEC_ERROR_CAPACITY 256

/// A decoded image: 8-bit samples, rows top to bottom, channels interleaved.
/// `pixels` is malloc'd by the decoder; release it with hs_codec_free.
typedef struct hs_decoded_image {
    unsigned char *pixels;
    uint32_t width;
    uint32_t height;
    /// 1 gray, 2 gray+alpha, 3 RGB, 4 RGBA.
    int channels;
    /// Bit depth of the samples as stored in the file (PNG: 1, 2, 4, 8, 16; JPEG: 8).
    int source_bit_depth;
} hs_decoded_image;

/// Decodes a PNG held in memory. Palettes expand to RGB (RGBA when a tRNS chunk is present), gray
/// and RGB tRNS expand to an alpha channel, 1/2/4-bit gray scales to 8 bits, and 16-bit samples
/// keep their high byte. Images over `max_pixels` pixels are refused before any allocation.
int hs_png_decode(const unsigned char *data, size_t size, uint64_t max_pixels,
                  hs_decoded_image *out, char error[HS_CODEC_ERROR_CAPACITY]);

/// Decodes a baseline or progressive JPEG held in memory with libjpeg's defaults (islow DCT, fancy
/// upsampling): gray stays gray, everything else becomes RGB. CMYK/YCCK files are refused, and so
/// are truncated files (libjpeg itself would only warn and pad the image with gray).
int hs_jpeg_decode(const unsigned char *data, size_t size, uint64_t max_pixels,
                   hs_decoded_image *out, char error[HS_CODEC_ERROR_CAPACITY]);

/// Encodes 8-bit interleaved pixels (channels 1 to 4) as a non-interlaced PNG in memory;
/// `*out_data` is malloc'd (release with hs_codec_free).
int hs_png_encode(const unsigned char *pixels, uint32_t width, uint32_t height, int channels,
                  unsigned char **out_data, size_t *out_size,
                  char error[HS_CODEC_ERROR_CAPACITY]);

/// Releases memory handed out by this target.
void hs_codec_free(void *pointer);

#endif
