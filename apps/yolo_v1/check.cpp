// check-dataset (check.h): reads every label with the problem-collecting parser, so that one run
// lists all bad lines, and reuses encode_targets to count boxes lost to one object per cell.
#include "apps/yolo_v1/check.h"

#include <minidl/minidl.h>

#include <algorithm>
#include <climits>
#include <cstdio>
#include <fstream>

namespace yolo {

namespace {

std::string bar(int n, int most) {
  const int len = most > 0 ? (n * 40 + most - 1) / most : 0;
  return std::string(static_cast<size_t>(len), '#');
}

}  // namespace

minidl::ImageInfo verify_image(const fs::path& file) {
  const minidl::Image im = minidl::load_image(file);  // decodes every pixel
  std::ifstream in(file, std::ios::binary);
  char head[8] = {};
  in.read(head, 8);
  if (in.gcount() == 8 && std::string(head, 8) == "\x89PNG\r\n\x1a\n") {
    // The last chunk: length 0, "IEND", and its CRC (fixed, as the chunk holds no data).
    static const std::string iend("\0\0\0\0IEND\xAE\x42\x60\x82", 12);
    std::string tail(iend.size(), '\0');
    in.seekg(-static_cast<std::streamoff>(iend.size()), std::ios::end);
    in.read(tail.data(), static_cast<std::streamsize>(tail.size()));
    MINIDL_CHECK(in.gcount() == static_cast<std::streamsize>(tail.size()) && tail == iend, "'",
                 file.string(), "' is truncated: the PNG does not end with its IEND chunk");
  }
  return {im.width, im.height, im.channels};
}

CheckReport check_dataset(const fs::path& where, const CheckOptions& opt, std::ostream& out) {
  MINIDL_CHECK(opt.S >= 1, "--S must be >= 1; got ", opt.S);
  Dataset d = discover_dataset(where);
  std::vector<std::string> names = d.names;
  fs::path names_file = d.names_file;
  if (!opt.names.empty()) {
    names = read_names(opt.names);
    names_file = opt.names;
  }
  MINIDL_CHECK(!names.empty(), "dataset '", where.string(),
               "' has no .names file with its class names: add one or pass --names FILE");
  const int C = static_cast<int>(names.size());
  out << "dataset " << where.string() << ": " << d.splits.size() << " split(s), " << C
      << " classes from " << names_file.string() << "\n";

  CheckReport total;
  total.per_class.assign(C, 0);
  for (const Split& split : d.splits) {
    CheckReport r;
    r.per_class.assign(C, 0);
    int min_w = INT_MAX, max_w = 0, min_h = INT_MAX, max_h = 0, cell_images = 0;
    std::vector<std::string> problems, bad_images;
    LabelStats stats;
    for (const Sample& s : split.samples) {
      ++r.images;
      if (opt.read_images) {
        try {
          const minidl::ImageInfo info = verify_image(s.image);
          min_w = std::min(min_w, info.width), max_w = std::max(max_w, info.width);
          min_h = std::min(min_h, info.height), max_h = std::max(max_h, info.height);
        } catch (const minidl::Error& e) {
          bad_images.push_back(e.what());
        }
      }
      std::vector<Box> boxes;
      try {
        boxes = read_labels(s.label, C, opt.mode, &stats, &problems);
      } catch (const minidl::Error& e) {  // the file exists but cannot be read
        problems.push_back(e.what());
      }
      if (boxes.empty()) ++r.background;
      r.objects += static_cast<int>(boxes.size());
      for (const Box& b : boxes) ++r.per_class[b.cls];
      const int dropped = minidl::encode_targets({boxes}, opt.S, C).dropped;
      r.dropped_by_cell += dropped;
      cell_images += dropped > 0;
    }
    r.label_problems = static_cast<int>(problems.size());
    r.unreadable = static_cast<int>(bad_images.size());
    r.clipped = stats.clipped;
    r.dropped_at_edge = stats.dropped;

    out << "\nsplit " << split.name << ": " << r.images << " images, " << r.objects << " objects, "
        << r.background << " background images (no boxes)\n";
    if (opt.read_images && min_w <= max_w)
      out << "  image sizes: width " << min_w << ".." << max_w << ", height " << min_h << ".."
          << max_h << "\n";
    out << "  class histogram:\n";
    const int most = *std::max_element(r.per_class.begin(), r.per_class.end());
    for (int c = 0; c < C; ++c) {
      char line[160];
      std::snprintf(line, sizeof line, "    %3d %-16s %7d ", c, names[c].c_str(), r.per_class[c]);
      out << line << bar(r.per_class[c], most) << "\n";
    }
    out << "  one object per cell at S=" << opt.S << ": " << r.dropped_by_cell
        << " boxes dropped (in " << cell_images << " images)\n";
    if (opt.mode == EdgeMode::Clip)
      out << "  image edge: " << r.clipped << " boxes clipped, " << r.dropped_at_edge
          << " dropped (nothing inside the image)\n";
    out << "  label problems: " << r.label_problems << "\n";
    for (const auto& p : problems) out << "    " << p << "\n";
    if (opt.read_images) {
      out << "  unreadable images: " << r.unreadable << "\n";
      for (const auto& p : bad_images) out << "    " << p << "\n";
    }

    total.images += r.images;
    total.background += r.background;
    total.objects += r.objects;
    total.label_problems += r.label_problems;
    total.unreadable += r.unreadable;
    total.clipped += r.clipped;
    total.dropped_at_edge += r.dropped_at_edge;
    total.dropped_by_cell += r.dropped_by_cell;
    for (int c = 0; c < C; ++c) total.per_class[c] += r.per_class[c];
  }
  out << "\n"
      << (total.ok() ? "OK" : "PROBLEMS") << ": " << total.images << " images, " << total.objects
      << " objects, " << total.label_problems << " label problems, " << total.unreadable
      << " unreadable images\n";
  return total;
}

}  // namespace yolo
