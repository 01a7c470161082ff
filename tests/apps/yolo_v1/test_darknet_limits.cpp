// Tests of darknet .cfg files at their limits (apps/yolo_v1/darknet.h, darknet_model.h): the cap
// on a network's total weights, a layer that cannot be allocated, side*side*((1 + coords)*num +
// classes) beyond 64 bits, many keys in one section, and what an error quotes of a long or binary
// line. The layers' sizes worked out without building and the .weights checks (before building, NaN
// and infinity, the header) are tested in test_darknet.cpp, test_darknet_detect.cpp and
// test_darknet_train.cpp.
#include <catch2/catch.hpp>
#include <fstream>
#include <string>
#include <vector>

#ifdef __linux__
#include <sys/resource.h>
#include <unistd.h>
#endif

#include "apps/yolo_v1/darknet_model.h"
#include "tests/apps/yolo_v1/temp_dir.h"

using namespace yolo;
using Catch::Matchers::Contains;
using Catch::Matchers::EndsWith;
using Catch::Matchers::StartsWith;
using minidl::test::error_of;
using yolo_test::TempDir;
using yolo_test::write_text;

namespace {

DarknetConfig parse(const std::string& text) { return parse_darknet_cfg_text(text, "t.cfg"); }

std::string build_error(const std::string& text) {
  return error_of([&] {
    minidl::Generator gen(1);
    build_darknet_network(parse(text), gen);
  });
}

}  // namespace

TEST_CASE("darknet limits: weights of more than 2^31 floats in all are an error before building",
          "[darknet]") {
  // Each connected layer is under the 2^31 - 1 floats of one tensor; together they are 15.7 GB.
  const std::string text =
      "[net]\nwidth=1\nheight=1\nchannels=65536\n\n[connected]\noutput=30000\n\n"
      "[connected]\noutput=65536\n";
  const std::string want =
      "t.cfg:9: layer 1 [connected]: the network's weights would reach 3932255536 floats with "
      "this layer's 1966145536 (minidl builds at most 2^31 floats, 8 GiB, in all)";
  CHECK(error_of([&] { darknet_weight_sizes(parse(text)); }) == want);
  CHECK(build_error(text) == want);  // before the first layer takes its 7.9 GB
}

// Not under AddressSanitizer: it reserves terabytes of address space for its shadow memory, and its
// own allocations would fail under the limit below (it aborts instead of returning null).
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define MINIDL_TEST_ASAN 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define MINIDL_TEST_ASAN 1
#endif
#if defined(__linux__) && !defined(MINIDL_TEST_ASAN)
TEST_CASE("darknet limits: a layer that cannot be allocated names the .cfg file and the layer",
          "[darknet]") {
  // A 2 GB connected layer under an address-space limit 256 MB above what the process maps now.
  const std::string text = "[net]\nwidth=1\nheight=1\nchannels=65536\n\n[connected]\noutput=8192\n";
  minidl::empty_cpu_cache();  // no cached block may serve the request
  long pages = 0;
  std::ifstream("/proc/self/statm") >> pages;
  REQUIRE(pages > 0);
  rlimit old{};
  REQUIRE(getrlimit(RLIMIT_AS, &old) == 0);
  rlimit tight = old;
  tight.rlim_cur = static_cast<rlim_t>(pages) * sysconf(_SC_PAGESIZE) + (rlim_t{256} << 20);
  if (old.rlim_cur != RLIM_INFINITY && old.rlim_cur < tight.rlim_cur) tight.rlim_cur = old.rlim_cur;
  REQUIRE(setrlimit(RLIMIT_AS, &tight) == 0);
  const std::string err = build_error(text);
  REQUIRE(setrlimit(RLIMIT_AS, &old) == 0);
  CHECK_THAT(err, StartsWith("t.cfg:6: layer 0 [connected]: building the layer: ") &&
                      Contains("out of host memory"));
}
#endif

TEST_CASE("darknet limits: side*side*((1 + coords)*num + classes) too large for 64 bits",
          "[darknet]") {
  TempDir dir("dn_limits_side");
  write_text(dir / "big.cfg",
             "[net]\nwidth=1\nheight=1\nchannels=1\n\n[connected]\noutput=1\n\n[detection]\n"
             "side=65536\ncoords=65536\nnum=65536\nclasses=65536\n");
  CHECK(error_of([&] { load_darknet_network(dir / "big.cfg"); }) ==
        (dir / "big.cfg").string() +
            ":9: layer 1 [detection]: side*side*((1 + coords)*num + classes) = "
            "65536*65536*((1 + 65536)*65536 + 65536) = 4294967296*4295098368 (more than 2^63 - "
            "1) inputs expected, the layer before gives 1");
  // train's hint for the last layer's size, in 64 bits: 65536*65536*(5*1 + 2).
  write_text(dir / "side.cfg",
             "[net]\nwidth=32\nheight=32\nchannels=3\n\n[connected]\noutput=1\n\n[detection]\n"
             "side=65536\ncoords=4\nnum=1\nclasses=1\n");
  CHECK_THAT(error_of([&] { darknet_train_config(dir / "side.cfg", 2, 0, 0, 0, "sse"); }),
             EndsWith("output=65536*65536*(5*1 + 2) = 30064771072"));
}

TEST_CASE("darknet limits: a key set twice among 100,000 is reported with both lines",
          "[darknet]") {
  std::string text = "[net]\n";
  for (int i = 0; i < 100000; ++i) text.append("k").append(std::to_string(i)).append("=1\n");
  text += "k0=2\n";  // line 100002; k0 is line 2
  CHECK(error_of([&] { parse(text); }) ==
        "t.cfg:100002: k0 is set twice in [net] (first at line 2)");
  // Keys are per section: the same key in another section is not a repeat, and a repeat names
  // the first line in its own section.
  CHECK(parse("[a]\nx=1\n[b]\nx=2\n").sections.size() == 2);
  CHECK(error_of([&] { parse("[a]\nx=1\n[b]\nx=2\ny=0\nx=3\n"); }) ==
        "t.cfg:6: x is set twice in [b] (first at line 4)");
}

TEST_CASE("darknet limits: errors quote at most 80 characters of a line, non-printable escaped",
          "[darknet]") {
  CHECK(darknet_clip("width=3") == "width=3");
  CHECK(darknet_clip(std::string(80, 'a')) == std::string(80, 'a'));
  CHECK(darknet_clip(std::string(81, 'a')) == std::string(80, 'a') + "...");
  CHECK(darknet_clip(std::string("a\0b\x01\xff\\", 6)) == "a\\x00b\\x01\\xff\\\\");

  // A 5 MB line without '=': the message quotes its first 80 characters.
  const std::string long_line = "[net]\n" + std::string(5'000'000, 'a') + "\n";
  const std::string err = error_of([&] { parse(long_line); });
  CHECK(err == "t.cfg:2: expected key=value or [section], got '" + std::string(80, 'a') + "...'");
  // Binary bytes come out escaped.
  CHECK(error_of([&] { parse(std::string("[net]\nab\0\x01\xff", 11) + "cd\n"); }) ==
        "t.cfg:2: expected key=value or [section], got 'ab\\x00\\x01\\xffcd'");
  CHECK(error_of([&] { parse(std::string(200, 'x') + "=1\n[net]\n"); }) ==
        "t.cfg:1: '" + std::string(80, 'x') + "...' comes before the first [section]");
  CHECK(error_of([&] { parse("[" + std::string(200, 'n') + "\n"); }) ==
        "t.cfg:1: a section header reads [type], got '[" + std::string(79, 'n') + "...'");
  // The same for the keys and values the network builder quotes.
  CHECK(build_error("[net]\n" + std::string(1000, 'k') + "=1\n") ==
        "t.cfg:2: unknown key '" + std::string(80, 'k') +
            "...' in [net] (minidl reads: width, height, channels, batch, subdivisions, "
            "learning_rate, momentum, decay, max_batches, policy, steps, scales, saturation, "
            "exposure, hue)");
  CHECK(build_error("[net]\nwidth=" + std::string(1000, '9') + "\nheight=1\nchannels=1\n") ==
        "t.cfg:2: width=" + std::string(80, '9') + "... is not a whole number");
  CHECK(build_error("[" + std::string(1000, 's') + "]\n") ==
        "t.cfg:1: the first section must be [net], got [" + std::string(80, 's') + "...]");
}
