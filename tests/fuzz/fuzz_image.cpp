// libFuzzer target: the image loader (minidl::load_image and image_info, through the stb decoders
// compiled into minidl) on arbitrary bytes, then the resize every dataset image goes through.
#include "core/error.h"
#include "core/image.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::filesystem::path& file = minidl_fuzz::input_file(data, size);
  // The header alone first. Decoding the largest images load_image accepts (64 Mpixel) takes
  // seconds under ASan, and the decoders run the same code for 1 Mpixel: larger ones are left
  // to the header checks, so that fuzzing explores formats rather than memset.
  try {
    const minidl::ImageInfo info = minidl::image_info(file);
    if (static_cast<int64_t>(info.width) * info.height > (int64_t{1} << 20)) return 0;
  } catch (const minidl::Error&) {
  }
  minidl::Image im;
  try {
    im = minidl::load_image(file);
  } catch (const minidl::Error&) {
    return 0;
  }
  FUZZ_ASSERT(im.width >= 1 && im.height >= 1 && im.channels >= 1 && im.channels <= 4);
  FUZZ_ASSERT(im.width <= minidl::kMaxImageSide && im.height <= minidl::kMaxImageSide);
  FUZZ_ASSERT(static_cast<int64_t>(im.width) * im.height <= minidl::kMaxImagePixels);
  FUZZ_ASSERT(im.pixels.size() == static_cast<size_t>(im.width) * im.height * im.channels);
  // The header says what the decoder gives (load_image bounds the size from the header).
  const minidl::ImageInfo info = minidl::image_info(file);
  FUZZ_ASSERT(info.width == im.width && info.height == im.height && info.channels == im.channels);
  minidl::Tensor t = minidl::to_tensor(im, 7);  // (3, 7, 7)
  for (float v : t.to_vector()) FUZZ_ASSERT(v >= 0.f && v <= 1.f);
  return 0;
}
