// write_file_atomic (file.h): temporary file, fsync, rename, fsync of the directory.
#include "core/file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <string>

#include "core/error.h"

namespace minidl {

namespace fs = std::filesystem;

namespace {

// The temporary file: created by the constructor, removed by the destructor unless committed.
class TempFile {
 public:
  TempFile(const fs::path& dest, const std::string& what) : what_(what) {
    static std::atomic<unsigned> counter{0};
    // The pid and a counter keep two writers of one file (two processes, two threads) apart.
    // (Built with append, not "." + std::string: GCC 12's -Wrestrict misreads that inlined form.)
    std::string name(".");
    name.append(dest.filename().string()).append(".tmp.").append(std::to_string(::getpid()));
    name.append(".").append(std::to_string(counter++));
    path_ = dest.parent_path() / name;
    fd_ = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    MINIDL_CHECK(fd_ >= 0, what_, "creating the temporary file '", path_.string(),
                 "' failed: ", std::strerror(errno));
  }
  ~TempFile() {
    if (fd_ >= 0) ::close(fd_);
    if (!committed_) ::unlink(path_.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;

  void write(std::string_view bytes) {
    const char* p = bytes.data();
    size_t n = bytes.size();
    while (n > 0) {
      const ssize_t k = ::write(fd_, p, n);
      if (k < 0 && errno == EINTR) continue;
      MINIDL_CHECK(k > 0, what_, "writing '", path_.string(), "' failed: ", std::strerror(errno));
      p += k;
      n -= static_cast<size_t>(k);
    }
  }

  // fsync, close, rename over `dest`.
  void commit(const fs::path& dest) {
    MINIDL_CHECK(::fsync(fd_) == 0, what_, "fsync failed: ", std::strerror(errno));
    const int rc = ::close(fd_);
    fd_ = -1;
    MINIDL_CHECK(rc == 0, what_, "close failed: ", std::strerror(errno));
    MINIDL_CHECK(::rename(path_.c_str(), dest.c_str()) == 0, what_,
                 "renaming the temporary file onto it failed: ", std::strerror(errno));
    committed_ = true;
  }

 private:
  fs::path path_;
  std::string what_;  // "cannot write '<dest>': "
  int fd_ = -1;
  bool committed_ = false;
};

}  // namespace

void write_file_atomic(const fs::path& path, const std::vector<std::string_view>& pieces) {
  const std::string what = "cannot write '" + path.string() + "': ";
  MINIDL_CHECK(path.has_filename(), what, "the path does not name a file");
  TempFile tmp(path, what);
  for (std::string_view piece : pieces) tmp.write(piece);
  tmp.commit(path);
  // A rename lives in the directory: flush it too, or a crash could bring back the old file.
  // Best effort: some file systems refuse fsync on a directory, and the new file is in place.
  const fs::path dir = path.parent_path().empty() ? fs::path(".") : path.parent_path();
  const int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    (void)::fsync(dfd);
    ::close(dfd);
  }
}

void write_file_atomic(const fs::path& path, std::string_view bytes) {
  write_file_atomic(path, std::vector<std::string_view>{bytes});
}

}  // namespace minidl
