// libFuzzer target: the yolo_v1 label parser (yolo::parse_labels, both edge modes, with and
// without a problem list) and the .names reader (yolo::read_names) on arbitrary bytes. Whatever
// they accept must satisfy their contracts (apps/yolo_v1/labels.h).
#include <cmath>
#include <set>

#include "apps/yolo_v1/labels.h"
#include "core/error.h"
#include "fuzz/fuzz_support.h"

namespace {

constexpr int kClasses = 3;

void check_boxes(const std::vector<minidl::Box>& boxes, yolo::EdgeMode mode) {
  for (const minidl::Box& b : boxes) {
    FUZZ_ASSERT(b.cls >= 0 && b.cls < kClasses);
    FUZZ_ASSERT(std::isfinite(b.cx) && std::isfinite(b.cy) && std::isfinite(b.w) &&
                std::isfinite(b.h));
    FUZZ_ASSERT(b.w > 0 && b.h > 0);
    if (mode == yolo::EdgeMode::Keep) {
      FUZZ_ASSERT(b.cx >= 0 && b.cx <= 1 && b.cy >= 0 && b.cy <= 1);
    } else {  // clipped into the image (up to the parser's rounding tolerance)
      constexpr float tol = 1e-5f;
      FUZZ_ASSERT(b.cx - b.w / 2 >= -tol && b.cx + b.w / 2 <= 1 + tol);
      FUZZ_ASSERT(b.cy - b.h / 2 >= -tol && b.cy + b.h / 2 <= 1 + tol);
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (yolo::EdgeMode mode : {yolo::EdgeMode::Keep, yolo::EdgeMode::Clip}) {
    yolo::LabelStats stats;
    std::vector<minidl::Box> strict;
    bool threw = false;
    try {
      strict = yolo::parse_labels(text, "fuzz.txt", kClasses, mode, &stats);
      check_boxes(strict, mode);
    } catch (const minidl::Error&) {
      threw = true;
    }
    // With a problem list nothing throws; without problems the result is the strict one.
    std::vector<std::string> problems;
    yolo::LabelStats stats2;
    std::vector<minidl::Box> lenient =
        yolo::parse_labels(text, "fuzz.txt", kClasses, mode, &stats2, &problems);
    check_boxes(lenient, mode);
    FUZZ_ASSERT(threw == !problems.empty());
    for (const std::string& p : problems) FUZZ_ASSERT(p.rfind("fuzz.txt:", 0) == 0);
    if (!threw) FUZZ_ASSERT(lenient.size() == strict.size());
  }
  try {
    const std::vector<std::string> names = yolo::read_names(minidl_fuzz::input_file(data, size));
    FUZZ_ASSERT(!names.empty());
    std::set<std::string> seen;
    for (const std::string& n : names) {
      FUZZ_ASSERT(!n.empty() && seen.insert(n).second);
      FUZZ_ASSERT(n.find('\n') == std::string::npos);
    }
  } catch (const minidl::Error&) {
  }
  return 0;
}
