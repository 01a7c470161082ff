// Files written whole or not at all. Every file minidl and its apps write goes through
// write_file_atomic: model and checkpoint files, PNG images, label and class-name files, CSV
// training logs and benchmark results.
#pragma once

#include <filesystem>
#include <string_view>
#include <vector>

namespace minidl {

/// Writes `bytes` to `path` so that `path` always holds either what it held before (or nothing)
/// or the whole new content, even when the program is killed or the machine loses power midway:
///   1. the bytes go to a new temporary file beside `path`, named ".<name>.tmp.<pid>.<n>";
///   2. the temporary file is flushed to disk (fsync) and closed;
///   3. it is renamed over `path` (one atomic step on POSIX file systems);
///   4. the directory is flushed (fsync), so that the rename survives a crash too (best effort:
///      a file system that cannot fsync a directory leaves this step out).
/// On failure the temporary file is removed, a file already at `path` is left untouched, and
/// minidl::Error reads "cannot write '<path>': <step> failed: <the system's reason>".
void write_file_atomic(const std::filesystem::path& path, std::string_view bytes);

/// The same, with the content given in pieces that are written one after the other (a large
/// file, such as a model's tensors, is never copied into one buffer).
void write_file_atomic(const std::filesystem::path& path,
                       const std::vector<std::string_view>& pieces);

}  // namespace minidl
