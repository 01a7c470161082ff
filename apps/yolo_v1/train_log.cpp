// The per-epoch CSV training log (train_log.h).
#include "apps/yolo_v1/train_log.h"

#include <minidl/minidl.h>

#include <charconv>
#include <cstdio>
#include <sstream>

#include "apps/yolo_v1/labels.h"

namespace yolo {

const char* log_header() {
  return "epoch,step,lr,loss,xy,wh,obj,noobj,cls,val_map_all_point,val_map_11_point,seconds,"
         "images_per_s";
}

namespace {

std::string format_row(const EpochRow& r) {
  char line[512];
  std::snprintf(line, sizeof line,
                "%d,%lld,%.6g,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.6f,%.3f,%.2f\n", r.epoch,
                static_cast<long long>(r.step), r.lr, r.loss, r.xy, r.wh, r.obj, r.noobj, r.cls,
                r.map_all, r.map_11, r.seconds, r.images_per_s);
  return line;
}

EpochRow parse_row(const std::string& line, const std::string& where) {
  std::vector<double> v;
  std::stringstream in(line);
  for (std::string field; std::getline(in, field, ',');) {
    double x = 0;
    auto [p, ec] = std::from_chars(field.data(), field.data() + field.size(), x);
    MINIDL_CHECK(ec == std::errc() && p == field.data() + field.size(), where, ": '", field,
                 "' is not a number");
    v.push_back(x);
  }
  MINIDL_CHECK(v.size() == 13, where, ": expected 13 fields, got ", v.size());
  EpochRow r;
  r.epoch = static_cast<int>(v[0]);
  r.step = static_cast<int64_t>(v[1]);
  r.lr = v[2], r.loss = v[3], r.xy = v[4], r.wh = v[5], r.obj = v[6], r.noobj = v[7];
  r.cls = v[8], r.map_all = v[9], r.map_11 = v[10], r.seconds = v[11], r.images_per_s = v[12];
  return r;
}

}  // namespace

std::vector<EpochRow> read_log(const fs::path& file) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return {};
  std::stringstream in(read_file(file));
  std::vector<EpochRow> rows;
  int n = 0;
  for (std::string line; std::getline(in, line);) {
    ++n;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    const std::string where = file.string() + ":" + std::to_string(n);
    if (n == 1) {
      MINIDL_CHECK(line == log_header(), where, ": not a yolo_v1 training log (header '", line,
                   "')");
      continue;
    }
    rows.push_back(parse_row(line, where));
  }
  return rows;
}

TrainLog::TrainLog(const fs::path& file, int keep_epochs) : file_(file) {
  const std::vector<EpochRow> old = read_log(file);
  for (const EpochRow& r : old)
    if (r.epoch <= keep_epochs) rows_.push_back(r);
  std::error_code ec;
  if (rows_.size() != old.size() || !fs::exists(file, ec) || fs::file_size(file, ec) == 0) write();
}

void TrainLog::append(const EpochRow& row) {
  rows_.push_back(row);
  try {
    write();
  } catch (...) {
    rows_.pop_back();  // rows() stays what the file holds
    throw;
  }
}

void TrainLog::write() const {
  std::string text = std::string(log_header()) + "\n";
  for (const EpochRow& r : rows_) text += format_row(r);
  minidl::write_file_atomic(file_, text);
}

}  // namespace yolo
