// Tests for core/file: write_file_atomic writes the bytes given (in one piece or several), replaces
// an existing file, leaves no temporary file behind, and fails naming the path without touching
// what was there.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <string>
#include <vector>

#include "core/file.h"
#include "support/files.h"
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;
using Catch::Matchers::Contains;
namespace fs = std::filesystem;

namespace {}  // namespace

TEST_CASE("file: write_file_atomic writes the bytes and replaces an existing file", "[file]") {
  TempDir dir;
  const fs::path p = dir.path / "data.bin";
  // Binary content, a zero byte included: 5 bytes.
  const std::string first("ab\0cd", 5);
  write_file_atomic(p, first);
  CHECK(read_bytes(p) == first);
  CHECK(fs::file_size(p) == 5);
  CHECK(dir.list() == std::vector<std::string>{"data.bin"});

  // In pieces: written one after the other, "head" + "" + "-tail" = "head-tail" (9 bytes).
  write_file_atomic(p, std::vector<std::string_view>{"head", "", "-tail"});
  CHECK(read_bytes(p) == "head-tail");
  CHECK(fs::file_size(p) == 9);

  // An empty file.
  write_file_atomic(p, std::string_view());
  CHECK(fs::exists(p));
  CHECK(fs::file_size(p) == 0);
  CHECK(dir.list() == std::vector<std::string>{"data.bin"});

  // A path relative to the working directory (its directory is "."): written there.
  const fs::path cwd = fs::current_path();
  fs::current_path(dir.path);
  write_file_atomic("relative.txt", "here");
  fs::current_path(cwd);
  CHECK(read_bytes(dir.path / "relative.txt") == "here");
  CHECK(dir.list() == std::vector<std::string>{"data.bin", "relative.txt"});
}

TEST_CASE("file: write_file_atomic fails naming the path and leaves everything as it was",
          "[file]") {
  TempDir dir;
  const fs::path keep = dir.path / "keep.txt";
  write_file_atomic(keep, "old");

  // The directory does not exist: the temporary file cannot be created.
  const fs::path missing = dir.path / "nowhere" / "x.txt";
  CHECK_THAT(error_of([&] { write_file_atomic(missing, "x"); }),
             Contains("cannot write '" + missing.string() + "'") &&
                 Contains("creating the temporary file") && Contains("No such file or directory"));

  // The "directory" is a file.
  const fs::path under_file = keep / "x.txt";
  CHECK_THAT(error_of([&] { write_file_atomic(under_file, "x"); }),
             Contains("cannot write '" + under_file.string() + "'") && Contains("Not a directory"));

  // The destination is a non-empty directory: everything is written, then the rename fails; the
  // temporary file is removed and the directory keeps its content.
  fs::create_directories(dir.path / "sub");
  write_file_atomic(dir.path / "sub" / "inner.txt", "inner");
  CHECK_THAT(error_of([&] { write_file_atomic(dir.path / "sub", std::string(1000, 'z')); }),
             Contains("cannot write '" + (dir.path / "sub").string() + "'") &&
                 Contains("renaming the temporary file onto it failed"));
  CHECK(read_bytes(dir.path / "sub" / "inner.txt") == "inner");

  // A path that names no file.
  CHECK_THAT(error_of([&] { write_file_atomic(dir.path / "", "x"); }),
             Contains("does not name a file"));

  // A directory without write permission. root may write anywhere, so only other users check it.
  if (::geteuid() != 0) {
    const fs::path ro = dir.path / "readonly";
    fs::create_directories(ro);
    fs::permissions(ro, fs::perms::owner_read | fs::perms::owner_exec);
    CHECK_THAT(error_of([&] { write_file_atomic(ro / "x.txt", "x"); }),
               Contains("cannot write '" + (ro / "x.txt").string() + "'") &&
                   Contains("Permission denied"));
    fs::permissions(ro, fs::perms::owner_all);
    CHECK(fs::is_empty(ro));
  }

  // Nothing was left behind, and the file that was there is untouched.
  std::vector<std::string> expected{"keep.txt", "sub"};
  if (::geteuid() != 0) expected = {"keep.txt", "readonly", "sub"};
  CHECK(dir.list() == expected);
  CHECK(read_bytes(keep) == "old");
}
