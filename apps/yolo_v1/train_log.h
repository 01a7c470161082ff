// The training log of a run folder: one CSV row per epoch (loss and its five terms, validation mAP
// under both VOC definitions, speed), kept across resumes and rewritten whole (atomically) after
// every epoch.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace yolo {

namespace fs = std::filesystem;

/// One epoch of training. loss and the terms are means over the epoch's batches.
struct EpochRow {
  int epoch = 0;     // 1-based
  int64_t step = 0;  // optimizer steps done after this epoch, counted from the run's start
  double lr = 0;     // learning rate of the epoch's last step
  double loss = 0, xy = 0, wh = 0, obj = 0, noobj = 0, cls = 0;
  double map_all = 0, map_11 = 0;  // validation mAP@0.5: VOC2010+ all-point, VOC2007 11-point
  double seconds = 0;              // training time of the epoch (evaluation not included)
  double images_per_s = 0;
};

/// The CSV header: "epoch,step,lr,loss,xy,wh,obj,noobj,cls,val_map_all_point,val_map_11_point,
/// seconds,images_per_s".
const char* log_header();

/// Reads a log. Throws minidl::Error "file:line: reason" for a bad header or row (wrong field
/// count, not a number) and naming the file when it cannot be read; a missing file has no rows.
std::vector<EpochRow> read_log(const fs::path& file);

/// An open log. Opening keeps the rows with epoch <= keep_epochs (rows of epochs that a resumed
/// run will train again are dropped) and writes the header to a new file. Every write rewrites
/// the whole file with minidl::write_file_atomic, so a run killed at any moment leaves the log of
/// the epochs it finished, never half a row (a log is a few kilobytes: one row per epoch).
class TrainLog {
 public:
  TrainLog(const fs::path& file, int keep_epochs);
  /// Adds one row and rewrites the file. Throws minidl::Error naming the file when the write
  /// fails (the file then holds the rows before this one).
  void append(const EpochRow& row);
  /// Every row: those kept on opening, then those appended.
  const std::vector<EpochRow>& rows() const { return rows_; }
  const fs::path& file() const { return file_; }

 private:
  void write() const;

  fs::path file_;
  std::vector<EpochRow> rows_;
};

}  // namespace yolo
