// libFuzzer target: the IDX reader (minidl::read_idx) on arbitrary bytes, plain or gzip. An
// accepted plain file holds exactly the header and the values its shape needs.
#include "core/error.h"
#include "core/idx.h"
#include "fuzz/fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  minidl::Tensor t;
  try {
    t = minidl::read_idx(minidl_fuzz::input_file(data, size));
  } catch (const minidl::Error&) {
    return 0;
  }
  FUZZ_ASSERT(t.defined() && t.dim() >= 1);
  const bool gzip = size >= 2 && data[0] == 0x1f && data[1] == 0x8b;
  if (!gzip) {
    FUZZ_ASSERT(t.dim() == data[3]);
    const int type = data[2];
    const size_t bytes = type == 0x08 || type == 0x09 ? 1 : type == 0x0B ? 2 : type == 0x0E ? 8 : 4;
    FUZZ_ASSERT(size == 4 + 4 * static_cast<size_t>(t.dim()) + t.numel() * bytes);
  }
  t.to_vector();  // every element is readable
  return 0;
}
