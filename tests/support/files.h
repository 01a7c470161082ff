// Test helpers for code that reads and writes files: a fresh temporary directory per test, the
// bytes of a file read and written whole, and the message of the minidl::Error a call throws. One
// copy, shared by the tests of serialize, file, idx, data and the yolo_v1 app.
#pragma once

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <iterator>
#include <string>
#include <vector>

#include "core/error.h"

namespace minidl::test {

/// A fresh directory under the system temp directory ("minidl_<tag>_<pid>_<n>"), removed with
/// everything in it when the test ends (even if a test took away its write permission).
struct TempDir {
  std::filesystem::path path;
  explicit TempDir(const std::string& tag = "test") {
    static std::atomic<int> counter{0};
    path = std::filesystem::temp_directory_path() /
           ("minidl_" + tag + "_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    std::filesystem::remove_all(path);
    std::filesystem::create_directories(path);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::permissions(path, std::filesystem::perms::owner_all,
                                 std::filesystem::perm_options::add, ec);
    std::filesystem::remove_all(path, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path operator/(const std::string& name) const { return path / name; }
  /// Names of the entries in the directory, sorted (hidden ones, such as temporary files, too).
  std::vector<std::string> list() const {
    std::vector<std::string> names;
    for (const auto& e : std::filesystem::directory_iterator(path))
      names.push_back(e.path().filename());
    std::sort(names.begin(), names.end());
    return names;
  }
};

/// Bytes from a list of values 0..255: B({0x1f, 0x8b}) is gzip's magic number.
inline std::string B(std::initializer_list<int> bytes) {
  std::string s;
  for (int b : bytes) s += static_cast<char>(b);
  return s;
}

/// The whole file as bytes ("" when it cannot be read).
inline std::string read_bytes(const std::filesystem::path& file) {
  std::ifstream in(file, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

/// Writes `bytes` to `file` as they are (no newline translation), creating its folder.
inline void write_bytes(const std::filesystem::path& file, const std::string& bytes) {
  std::filesystem::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << bytes;
}

/// Writes `text` to `file`, creating its folder (write_bytes, under the name text files read by).
inline void write_text(const std::filesystem::path& file, const std::string& text) {
  write_bytes(file, text);
}

/// The message of the minidl::Error that f throws, or "(no error)".
inline std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

}  // namespace minidl::test
