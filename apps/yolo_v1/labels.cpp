// The darknet label parser, .names reader and dataset discovery of the yolo_v1 app (labels.h).
// Every error names the file and, for a bad line, its line number.
#include "apps/yolo_v1/labels.h"

#include <minidl/minidl.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>

namespace yolo {

namespace {

std::string trim(const std::string& s) {
  size_t a = s.find_first_not_of(" \t\r\n\v\f"), b = s.find_last_not_of(" \t\r\n\v\f");
  return a == std::string::npos ? std::string() : s.substr(a, b - a + 1);
}

std::vector<std::string> split_ws(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string t; in >> t;) out.push_back(t);
  return out;
}

// A finite number filling the whole token (a leading '+' allowed), else false.
bool parse_number(const std::string& t, float& v) {
  const char* b = t.data();
  const char* e = b + t.size();
  if (b != e && *b == '+') ++b;
  if (b == e) return false;
  auto [p, ec] = std::from_chars(b, e, v);
  return ec == std::errc() && p == e && std::isfinite(v);
}

bool parse_int(const std::string& t, int& v) {
  const char* b = t.data();
  const char* e = b + t.size();
  if (b != e && *b == '+') ++b;
  auto [p, ec] = std::from_chars(b, e, v);
  return b != e && ec == std::errc() && p == e;
}

// Checks and (Clip) clips one line's box; returns false when the box is to be skipped.
// Throws "where: reason" for a bad line.
bool check_box(Box& box, const std::string& where, int C, EdgeMode mode, LabelStats& st) {
  MINIDL_CHECK(box.cls >= 0 && box.cls < C, where, ": class ", box.cls, " is outside [0, ", C, ")");
  MINIDL_CHECK(box.w > 0 && box.h > 0, where, ": box size w=", box.w, " h=", box.h, " must be > 0");
  const bool inside = box.cx >= 0 && box.cx <= 1 && box.cy >= 0 && box.cy <= 1;
  if (mode == EdgeMode::Keep) {
    MINIDL_CHECK(inside, where, ": centre (", box.cx, ", ", box.cy, ") is outside [0, 1]");
    return true;
  }
  const float x0 = box.cx - box.w / 2, x1 = box.cx + box.w / 2;
  const float y0 = box.cy - box.h / 2, y1 = box.cy + box.h / 2;
  constexpr float tol = 1e-6f;  // rounding in the file is not clipping
  if (x0 >= -tol && y0 >= -tol && x1 <= 1 + tol && y1 <= 1 + tol) return true;
  const float cx0 = std::max(x0, 0.f), cx1 = std::min(x1, 1.f);
  const float cy0 = std::max(y0, 0.f), cy1 = std::min(y1, 1.f);
  if (cx1 - cx0 <= tol || cy1 - cy0 <= tol) {
    ++st.dropped;
    return false;
  }
  ++st.clipped;
  box.cx = (cx0 + cx1) / 2;
  box.cy = (cy0 + cy1) / 2;
  box.w = cx1 - cx0;
  box.h = cy1 - cy0;
  return true;
}

}  // namespace

std::vector<Box> parse_labels(const std::string& text, const std::string& file, int C,
                              EdgeMode mode, LabelStats* stats,
                              std::vector<std::string>* problems) {
  MINIDL_CHECK(C >= 1, file, ": need at least one class to read labels; got C=", C);
  LabelStats local;
  LabelStats& st = stats ? *stats : local;
  std::vector<Box> boxes;
  std::istringstream in(text);
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    const std::vector<std::string> f = split_ws(line);
    if (f.empty()) continue;
    const std::string where = file + ":" + std::to_string(lineno);
    try {
      MINIDL_CHECK(f.size() == 5, where, ": expected 5 fields `class cx cy w h`, found ", f.size());
      Box b;
      MINIDL_CHECK(parse_int(f[0], b.cls), where, ": class '", printable(f[0]),
                   "' is not an integer");
      float* v[4] = {&b.cx, &b.cy, &b.w, &b.h};
      const char* name[4] = {"cx", "cy", "w", "h"};
      for (int k = 0; k < 4; ++k)
        MINIDL_CHECK(parse_number(f[k + 1], *v[k]), where, ": ", name[k], " '", printable(f[k + 1]),
                     "' is not a finite number");
      if (check_box(b, where, C, mode, st)) boxes.push_back(b);
    } catch (const minidl::Error& e) {
      if (!problems) throw;
      problems->push_back(e.what());
    }
  }
  return boxes;
}

std::string read_file(const fs::path& file) {
  std::error_code ec;
  MINIDL_CHECK(!fs::is_directory(file, ec), "'", file.string(), "' is a directory, not a file");
  std::ifstream in(file, std::ios::binary);
  MINIDL_CHECK(in.good(), "cannot open '", file.string(), "': ", std::strerror(errno));
  std::ostringstream s;
  s << in.rdbuf();
  MINIDL_CHECK(!in.bad(), "cannot read '", file.string(), "'");
  return s.str();
}

std::string printable(const std::string& text) {
  std::string out;
  for (const char c : text) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '\\') {
      out += "\\\\";
    } else if (u < 0x20 || u == 0x7f) {
      char hex[8];
      std::snprintf(hex, sizeof hex, "\\x%02X", u);
      out += hex;
    } else {
      out += c;
    }
  }
  return out;
}

std::vector<Box> read_labels(const fs::path& file, int C, EdgeMode mode, LabelStats* stats,
                             std::vector<std::string>* problems) {
  std::error_code ec;
  if (!fs::exists(file, ec)) return {};
  return parse_labels(read_file(file), file.string(), C, mode, stats, problems);
}

void write_labels(const fs::path& file, const std::vector<Box>& boxes) {
  std::string text;
  char line[128];
  for (const Box& b : boxes) {
    std::snprintf(line, sizeof line, "%d %.6f %.6f %.6f %.6f\n", b.cls, b.cx, b.cy, b.w, b.h);
    text += line;
  }
  minidl::write_file_atomic(file, text);
}

std::vector<std::string> read_names(const fs::path& file) {
  std::error_code ec;
  MINIDL_CHECK(fs::exists(file, ec), "class names file '", file.string(), "' does not exist");
  std::istringstream in(read_file(file));
  std::vector<std::string> names;
  std::set<std::string> seen;
  int blank_line = 0;
  std::string line;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    std::string name = trim(line);
    if (name.empty()) {
      if (!blank_line) blank_line = lineno;
      continue;
    }
    MINIDL_CHECK(!blank_line, file.string(), ":", blank_line, ": blank line between class names");
    MINIDL_CHECK(seen.insert(name).second, file.string(), ":", lineno, ": duplicate class name '",
                 printable(name), "'");
    names.push_back(name);
  }
  MINIDL_CHECK(!names.empty(), "class names file '", file.string(), "' lists no class");
  return names;
}

void write_names(const fs::path& file, const std::vector<std::string>& names) {
  std::string text;
  for (const auto& n : names) text += n + "\n";
  minidl::write_file_atomic(file, text);
}

fs::path swap_folder(const fs::path& path, const std::vector<std::string>& from,
                     const std::string& to) {
  std::vector<fs::path> parts(path.begin(), path.end());
  int at = -1;
  for (int k = 0; k + 1 < static_cast<int>(parts.size()); ++k)
    if (std::find(from.begin(), from.end(), parts[k].string()) != from.end()) at = k;
  if (at < 0) return {};
  fs::path out;
  for (int k = 0; k < static_cast<int>(parts.size()); ++k)
    out /= (k == at ? fs::path(to) : parts[k]);
  return out;
}

fs::path label_path_for(const fs::path& image) {
  fs::path label = swap_folder(image, {"images", "JPEGImages"}, "labels");
  MINIDL_CHECK(!label.empty(), "image '", printable(image.string()),
               "' is not inside an images/ folder, so its labels/ file cannot be found");
  return label.replace_extension(".txt");
}

bool is_image_file(const fs::path& p) {
  std::string ext = p.extension().string();
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  static const std::set<std::string> known = {".png", ".jpg", ".jpeg", ".bmp", ".tga",
                                              ".gif", ".pnm", ".ppm",  ".pgm"};
  return known.count(ext) > 0;
}

namespace {

Split scan_split(const std::string& name, const fs::path& dir) {
  const fs::path images = dir / "images";
  Split s{name, {}};
  std::error_code ec;
  for (auto it = fs::recursive_directory_iterator(images, ec); !ec && it != fs::end(it);
       it.increment(ec))
    if (it->is_regular_file(ec) && is_image_file(it->path())) s.samples.push_back({it->path(), {}});
  MINIDL_CHECK(!ec, "cannot list '", images.string(), "': ", ec.message());
  MINIDL_CHECK(!s.samples.empty(), "split '", name, "': no image in '", images.string(), "'");
  std::sort(s.samples.begin(), s.samples.end(),
            [](const Sample& a, const Sample& b) { return a.image < b.image; });
  for (Sample& x : s.samples) x.label = label_path_for(x.image);
  return s;
}

Split read_list(const fs::path& list) {
  std::istringstream in(read_file(list));
  Split s{list.stem().string(), {}};
  const fs::path base = list.parent_path();
  std::string line;
  std::error_code ec;
  for (int lineno = 1; std::getline(in, line); ++lineno) {
    std::string t = trim(line);
    if (t.empty() || t[0] == '#') continue;
    // A path holds no NUL: the system would read it as the part before the NUL.
    MINIDL_CHECK(t.find('\0') == std::string::npos, list.string(), ":", lineno, ": image '",
                 printable(t), "' holds a NUL byte");
    fs::path p(t);
    if (p.is_relative() && fs::exists(base / p, ec)) p = base / p;
    MINIDL_CHECK(fs::is_regular_file(p, ec), list.string(), ":", lineno, ": image '", printable(t),
                 "' does not exist (relative paths are tried from '",
                 base.empty() ? "." : base.string(), "' and from the working folder)");
    s.samples.push_back({p, label_path_for(p)});
  }
  MINIDL_CHECK(!s.samples.empty(), "list file '", list.string(), "' names no image");
  return s;
}

void find_names(Dataset& d, const fs::path& dir) {
  std::vector<fs::path> found;
  std::error_code ec;
  for (auto it = fs::directory_iterator(dir.empty() ? "." : dir, ec); !ec && it != fs::end(it);
       it.increment(ec))
    if (it->path().extension() == ".names" && it->is_regular_file(ec)) found.push_back(it->path());
  if (found.empty()) return;
  std::sort(found.begin(), found.end());
  MINIDL_CHECK(found.size() == 1, "dataset '", d.root.string(), "' has several .names files ('",
               found[0].string(), "', '", found[1].string(), "', ...): keep one");
  d.names_file = found[0];
  d.names = read_names(found[0]);
}

}  // namespace

Dataset discover_dataset(const fs::path& where) {
  std::error_code ec;
  MINIDL_CHECK(fs::exists(where, ec), "dataset '", where.string(), "' does not exist");
  Dataset d;
  d.root = where;
  if (fs::is_regular_file(where, ec)) {
    d.splits.push_back(read_list(where));
    find_names(d, where.parent_path());
    return d;
  }
  for (const char* name : {"train", "val"})
    if (fs::is_directory(where / name / "images", ec))
      d.splits.push_back(scan_split(name, where / name));
  if (d.splits.empty() && fs::is_directory(where / "images", ec))
    d.splits.push_back(scan_split("all", where));
  MINIDL_CHECK(
      !d.splits.empty(), "'", where.string(),
      "' is not a dataset: expected images/ and labels/ folders, or train/ and val/ folders "
      "holding them, or a text file listing image paths");
  find_names(d, where);
  return d;
}

}  // namespace yolo
