/* The stb image decoders and the PNG encoder, compiled from Debian's libstb-dev headers into
 * minidl (core/image.cpp calls them), so sanitizer and fuzzing builds instrument them too.
 * Only the formats minidl reads are built: PSD, HDR and PIC are left out, as is float loading. */
#define STBI_NO_PSD
#define STBI_NO_HDR
#define STBI_NO_PIC
#define STBI_NO_LINEAR
/* stb's own per-side limit (its default is 2^24); image.cpp also bounds the pixel count. */
#define STBI_MAX_DIMENSIONS (1 << 15)
/* Zeroed allocations: some decoders (TGA rows) ignore a short read of a truncated file, which then
 * leaves the missing pixels 0 instead of whatever the heap held (image.cpp rejects a short PNM). */
#include <stdlib.h>
#define STBI_MALLOC(size) calloc(1, size)
#define STBI_REALLOC(p, size) realloc(p, size)
#define STBI_FREE(p) free(p)
#define STB_IMAGE_IMPLEMENTATION
#include <stb_image.h>

#define STB_IMAGE_WRITE_IMPLEMENTATION
#include <stb_image_write.h>
