// minidl's one exception type and the check macro every op uses.
// Messages carry the op name, the shapes and devices involved, or the file and line of bad input.
#pragma once

#include <sstream>
#include <stdexcept>
#include <string>

namespace minidl {

/// Every error minidl reports is a minidl::Error (or derives from it).
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
template <class... Args>
std::string cat(const Args&... args) {
  std::ostringstream s;
  (s << ... << args);
  return s.str();
}
}  // namespace detail

}  // namespace minidl

/// MINIDL_CHECK(cond, parts...): throws minidl::Error with the parts streamed together when !cond.
#define MINIDL_CHECK(cond, ...)                                             \
  do {                                                                      \
    if (!(cond)) throw ::minidl::Error(::minidl::detail::cat(__VA_ARGS__)); \
  } while (0)
