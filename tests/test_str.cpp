// minidl::str (core/str.h): values streamed into one string, as MINIDL_CHECK's messages are.
#include <catch2/catch.hpp>
#include <filesystem>

#include "core/error.h"
#include "core/str.h"

TEST_CASE("str: writes its arguments one after another as a default ostream does") {
  CHECK(minidl::str() == "");
  CHECK(minidl::str("epoch ", 3, ", loss ", 0.25) == "epoch 3, loss 0.25");
  // Six significant digits for floating point: 1/3 = 0.333333..., 2/3 rounds up to 0.666667.
  CHECK(minidl::str(1.0 / 3, " ", 2.0f / 3) == "0.333333 0.666667");
  CHECK(minidl::str(1e-7) == "1e-07");  // below 1e-4 the default format switches to exponent
  CHECK(minidl::str(true, '/', std::string("x"), static_cast<int64_t>(-5)) == "1/x-5");
  // A path prints quoted, as operator<< of std::filesystem::path writes it.
  CHECK(minidl::str(std::filesystem::path("a b")) == "\"a b\"");
}

TEST_CASE("str: MINIDL_CHECK builds the same text") {
  try {
    MINIDL_CHECK(false, "got ", 2.5, " of ", 4);
    FAIL("MINIDL_CHECK(false, ...) did not throw");
  } catch (const minidl::Error& e) {
    CHECK(std::string(e.what()) == minidl::str("got ", 2.5, " of ", 4));
    CHECK(std::string(e.what()) == "got 2.5 of 4");
  }
}
