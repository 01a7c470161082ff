// What the two training apps (yolo_v1 train, fashion_mnist) share for a data-parallel run that can
// be resumed: only rank 0 prints, the rules for a run folder's checkpoint, and restoring one.
// A checkpoint holds the one global state of the run (weights, the optimizer's state, the step and
// the epoch) and nothing that belongs to one rank, so a run resumes with any number of processes.
// Rank 0 alone writes it, atomically (save_checkpoint); every rank reads it on --resume.
#pragma once

#include <minidl/minidl.h>

#include <charconv>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <string>
#include <system_error>

namespace minidl_apps {

/// After dist::init(): the standard output of every rank but 0 goes to /dev/null, so that a job of
/// N processes prints each line once (rank 0's). stderr stays open on every rank, so any rank's
/// error reaches the terminal.
inline void quiet_unless_rank0() {
  if (minidl::dist::is_main()) return;
  std::fflush(stdout);
  if (!std::freopen("/dev/null", "w", stdout))
    throw minidl::Error("cannot silence the standard output of rank " +
                        std::to_string(minidl::dist::rank()));
}

/// The rule for the checkpoint `file` of the run folder `out`: with --resume it must exist; a fresh
/// run must not overwrite one (that run would be lost). Throws minidl::Error saying which.
inline void check_checkpoint_rule(const std::filesystem::path& file,
                                  const std::filesystem::path& out, bool resume) {
  std::error_code ec;
  if (resume)
    MINIDL_CHECK(std::filesystem::exists(file, ec), "--resume: '", file.string(),
                 "' does not exist (nothing to resume)");
  else
    MINIDL_CHECK(!std::filesystem::exists(file, ec), "'", out.string(), "' already holds a run (",
                 file.filename().string(),
                 "): pass --resume to continue it, or choose another --out");
}

/// The number stored under `key` in the metadata of the checkpoint `file`, written by `writer`
/// ("yolo_v1 train"). Throws minidl::Error naming the file and the key when it is missing or not a
/// number.
inline double meta_number(const minidl::Metadata& meta, const std::string& key,
                          const std::filesystem::path& file, const std::string& writer) {
  auto it = meta.find(key);
  MINIDL_CHECK(it != meta.end(), file.string(), ": metadata has no '", key,
               "' (not a checkpoint written by ", writer, ")");
  try {
    size_t used = 0;
    const double v = std::stod(it->second, &used);
    if (used == it->second.size()) return v;
  } catch (const std::exception&) {
  }
  throw minidl::Error(
      minidl::str(file.string(), ": metadata '", key, "' is '", it->second, "', not a number"));
}

/// The same for a whole number >= 0 (an epoch, a batch size, a seed), read exactly.
inline uint64_t meta_count(const minidl::Metadata& meta, const std::string& key,
                           const std::filesystem::path& file, const std::string& writer) {
  meta_number(meta, key, file, writer);  // present, and a number
  const std::string& s = meta.at(key);
  uint64_t v = 0;
  const auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  MINIDL_CHECK(ec == std::errc() && end == s.data() + s.size(), file.string(), ": metadata '", key,
               "' is ", s, ", not a whole number >= 0");
  return v;
}

/// Where a resumed run goes on from.
struct Restored {
  int64_t step = 0;  // optimizer steps done
  int epoch = 0;     // epochs done
  minidl::Metadata metadata;
  /// "resuming FILE after epoch E (step S)".
  std::string line(const std::filesystem::path& file) const {
    return minidl::str("resuming ", file.string(), " after epoch ", epoch, " (step ", step, ")");
  }
};

/// --resume: loads the checkpoint `file` into `model` and `optimizer` (built as when it was saved;
/// load_checkpoint checks every tensor and names the file) and reads the epoch under `epoch_key`.
/// Every rank calls it; dist::replicate_from_rank0 then makes sure they all hold rank 0's state.
inline Restored restore_checkpoint(const std::filesystem::path& file, minidl::Module& model,
                                   minidl::Optimizer& optimizer, const std::string& epoch_key,
                                   const std::string& writer) {
  Restored r;
  r.step = minidl::load_checkpoint(file, model, optimizer, &r.metadata);
  const uint64_t epoch = meta_count(r.metadata, epoch_key, file, writer);
  MINIDL_CHECK(epoch <= 1000000000u, file.string(), ": metadata '", epoch_key, "' is ", epoch,
               ", more epochs than any run trains");
  r.epoch = static_cast<int>(epoch);
  return r;
}

/// The line a resumed run prints when it has nothing left to train.
inline std::string nothing_left_line(int epochs_done) {
  return minidl::str("the run has already trained ", epochs_done,
                     " epochs; raise --epochs to go on");
}

}  // namespace minidl_apps
