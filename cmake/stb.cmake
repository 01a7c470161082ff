# stb_image from Debian's libstb-dev (v2.27), with the fixes minidl's fuzzing found applied: this
# writes a copy of stb_image.h into the build tree, which core/stb.c compiles (core/image.cpp
# includes the same copy). Each fix replaces one exact snippet and must apply, so a different
# stb version fails here rather than silently losing a fix. Sets MINIDL_STB_PATCHED_DIR.
set(_stb_src "${MINIDL_STB_INCLUDE_DIR}/stb_image.h")
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${_stb_src}" "${CMAKE_CURRENT_LIST_FILE}")
file(READ "${_stb_src}" _stb)

# minidl_stb_fix(NAME OLD NEW): replaces the one occurrence of OLD by NEW.
function(minidl_stb_fix name old new)
  string(FIND "${_stb}" "${old}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "cmake/stb.cmake: fix '${name}' does not apply to ${_stb_src} "
                        "(not stb_image 2.27?); check whether this stb still needs it")
  endif()
  string(REPLACE "${old}" "${new}" patched "${_stb}")
  set(_stb "${patched}" PARENT_SCOPE)
endfunction()

# 1. A JPEG DHT segment may declare up to 16 * 255 codes; stbi__build_huffman writes one size per
#    code into size[257] and the segment's values go to values[256]: more than 256 codes write past
#    the table (heap overflow; fuzz_image). Upstream 2.28 rejects such tables too.
minidl_stb_fix(jpeg_dht_codes
"            L -= 17;
            if (tc == 0) {"
"            L -= 17;
            if (n > 256) return stbi__err(\"bad DHT header\",\"Corrupt JPEG\"); /* minidl fix */
            if (tc == 0) {")

# 2. A PNG whose first IDAT chunk is empty makes stb compute null + 0 (undefined behaviour in C;
#    UBSan, fuzz_image): an empty chunk adds nothing, so it is skipped.
minidl_stb_fix(png_empty_idat
"            if (!stbi__getn(s, z->idata+ioff,c.length)) return stbi__err(\"outofdata\",\"Corrupt PNG\");"
"            if (c.length > 0 && !stbi__getn(s, z->idata+ioff,c.length)) return stbi__err(\"outofdata\",\"Corrupt PNG\"); /* minidl fix */")

# 3. A PNM header number past 2^31 - 1 overflows an int while it is read (undefined behaviour;
#    UBSan, fuzz_image). Upstream 2.28 stops with the same error; the size is then 0, which
#    image.cpp rejects.
minidl_stb_fix(pnm_integer_overflow
"   while (!stbi__at_eof(s) && stbi__pnm_isdigit(*c)) {
      value = value*10 + (*c - '0');"
"   while (!stbi__at_eof(s) && stbi__pnm_isdigit(*c)) {
      if (value > 214748364 || (value == 214748364 && *c > '7')) /* minidl fix */
         return stbi__err(\"integer parse overflow\", \"Parsing an integer in the PPM header overflowed a 32-bit int\");
      value = value*10 + (*c - '0');")

# 4. A JPEG whose entropy-coded data runs out mid-block lets the bit reader's count go negative,
#    and the next refill shifts by 32 or more (undefined behaviour; UBSan, fuzz_image, input in
#    tests/fuzz/corpus/image/jpeg_out_of_bits.jpg). Upstream 2.28 returns zero bits instead, as here.
minidl_stb_fix(jpeg_extend_receive_out_of_bits
"   if (j->code_bits < n) stbi__grow_buffer_unsafe(j);

   sgn = "
"   if (j->code_bits < n) stbi__grow_buffer_unsafe(j);
   if (j->code_bits < n) return 0; /* minidl fix: out of bits */

   sgn = ")
minidl_stb_fix(jpeg_get_bits_out_of_bits
"   if (j->code_bits < n) stbi__grow_buffer_unsafe(j);
   k = stbi_lrot"
"   if (j->code_bits < n) stbi__grow_buffer_unsafe(j);
   if (j->code_bits < n) return 0; /* minidl fix: out of bits */
   k = stbi_lrot")
minidl_stb_fix(jpeg_get_bit_out_of_bits
"   if (j->code_bits < 1) stbi__grow_buffer_unsafe(j);
   k = j->code_buffer;"
"   if (j->code_bits < 1) stbi__grow_buffer_unsafe(j);
   if (j->code_bits < 1) return 0; /* minidl fix: out of bits */
   k = j->code_buffer;")
# 7. An IDAT chunk may declare any length up to 2^31 - 1, and stb grows its buffer to hold it
#    before reading a byte: a 150-byte 5x3 PNG asked for 2 GiB (out of memory; fuzz_image,
#    2026-12-06). The compressed data of a valid image is at most its raw size plus 5 bytes per
#    65535 (stored blocks) and a few header bytes; more than twice the raw size plus 1 KiB is an
#    error now, before any allocation.
minidl_stb_fix(png_idat_length
"            if ((int)(ioff + c.length) < (int)ioff) return 0;"
"            if ((int)(ioff + c.length) < (int)ioff) return 0;
            { /* minidl fix: no more compressed data than the image can need */
               unsigned long long raw = ((unsigned long long) s->img_x * z->depth * s->img_n + 7) / 8 * s->img_y + s->img_y;
               if ((unsigned long long) ioff + c.length > 2 * raw + 1024) return stbi__err(\"too much IDAT\", \"Corrupt PNG\");
            }")

set(MINIDL_STB_PATCHED_DIR "${PROJECT_BINARY_DIR}/stb")
set(_stb_out "${MINIDL_STB_PATCHED_DIR}/stb_image.h")
if(EXISTS "${_stb_out}")
  file(READ "${_stb_out}" _stb_old)
endif()
if(NOT _stb_old STREQUAL _stb)  # rewritten only when it changes, so nothing rebuilds needlessly
  file(WRITE "${_stb_out}" "${_stb}")
endif()
unset(_stb_old)
unset(_stb_out)
unset(_stb)
unset(_stb_src)
