// minidl::str: values written one after another into a string, for messages and file metadata.
#pragma once

#include <sstream>
#include <string>

namespace minidl {

/// Writes each argument with operator<< into a std::ostringstream in its default state and returns
/// the text: str("epoch ", 3, ", loss ", 0.25) is "epoch 3, loss 0.25". A float or double prints
/// with six significant digits, as std::cout does (str(1.0 / 3) is "0.333333"); str() is "".
/// MINIDL_CHECK builds its messages the same way.
template <class... Args>
std::string str(const Args&... args) {
  std::ostringstream s;
  ((s << args), ...);
  return s.str();
}

}  // namespace minidl
