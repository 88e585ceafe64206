#include <stdlib.h>
#include "image_codecs.h"

void hs_codec_free(void *pointer) { free(pointer); }
