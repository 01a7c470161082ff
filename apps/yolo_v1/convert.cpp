// `yolo_v1 convert` (convert.h): what the VOC and COCO readers share (class names, image paths)
// and the writer of the dataset folder. The readers are in convert_voc.cpp and convert_coco.cpp.
#include "apps/yolo_v1/convert.h"

#include <minidl/minidl.h>

#include <algorithm>
#include <map>
#include <set>

namespace yolo {

const std::vector<std::string>& voc_names() {
  static const std::vector<std::string> names = {
      "aeroplane", "bicycle",     "bird",  "boat",        "bottle", "bus",      "car",
      "cat",       "chair",       "cow",   "diningtable", "dog",    "horse",    "motorbike",
      "person",    "pottedplant", "sheep", "sofa",        "train",  "tvmonitor"};
  return names;
}

void choose_names(ConvertedDataset& d, const ConvertOptions& opt,
                  const std::vector<std::string>& defaults) {
  std::error_code ec;
  if (!opt.names.empty() && fs::exists(opt.names, ec)) {
    d.names = read_names(opt.names);
    d.write_names_file = false;
    return;
  }
  d.names = defaults;
  d.write_names_file = !opt.names.empty();
}

int class_index(const ConvertedDataset& d, const std::string& name) {
  const auto it = std::find(d.names.begin(), d.names.end(), name);
  return it == d.names.end() ? -1 : static_cast<int>(it - d.names.begin());
}

std::string names_source(const ConvertOptions& opt, const ConvertedDataset& d) {
  if (!d.write_names_file && !opt.names.empty()) return minidl::str("'", opt.names.string(), "'");
  return opt.from == "voc" ? "VOC's 20 classes" : "the categories";
}

fs::path image_path(const fs::path& dir, const std::string& file_name, const std::string& where) {
  const fs::path rel(file_name);
  MINIDL_CHECK(file_name.find('\0') == std::string::npos, where, ": image file name '",
               printable(file_name), "' holds a NUL byte");
  bool safe = !file_name.empty() && rel.is_relative() && rel.has_filename();
  for (const fs::path& part : rel) safe = safe && part != ".." && part != ".";
  MINIDL_CHECK(safe, where, ": image file name '", printable(file_name),
               "' must be a relative path inside the image folder");
  MINIDL_CHECK(is_image_file(rel), where, ": '", printable(file_name),
               "' is not a file type minidl reads (png, jpg, jpeg, bmp, tga, gif, pnm, ppm, pgm)");
  const fs::path p = dir / rel;
  std::error_code ec;
  MINIDL_CHECK(fs::is_regular_file(p, ec), where, ": image '", printable(p.string()),
               "' does not exist (--image-dir sets the folder)");
  return p;
}

namespace {

// dst as a symbolic link to src (absolute), or a copy of it; atomic either way.
void place_image(const fs::path& src, const fs::path& dst, bool copy) {
  std::error_code ec;
  fs::create_directories(dst.parent_path(), ec);
  MINIDL_CHECK(!ec, "cannot create '", dst.parent_path().string(), "': ", ec.message());
  if (copy) {
    minidl::write_file_atomic(dst, read_file(src));
    return;
  }
  fs::path tmp = dst;
  tmp += ".link-tmp";
  fs::remove(tmp, ec);
  const fs::path target = fs::absolute(src, ec);
  if (!ec) fs::create_symlink(target, tmp, ec);
  if (!ec) fs::rename(tmp, dst, ec);
  MINIDL_CHECK(!ec, "cannot link '", dst.string(), "' to '", src.string(), "': ", ec.message(),
               " (--copy-images copies instead)");
}

}  // namespace

ConvertedDataset convert_dataset(const ConvertOptions& opt, std::ostream& out) {
  MINIDL_CHECK(opt.from == "voc" || opt.from == "coco", "--from must be voc or coco; got '",
               opt.from, "'");
  MINIDL_CHECK(!opt.out.empty(), "convert: --out is required");
  const ConvertedDataset d = opt.from == "voc" ? read_voc(opt) : read_coco(opt);
  MINIDL_CHECK(!d.images.empty(), "'", opt.source.string(), "' holds no image to convert");
  std::set<fs::path> seen;
  for (const ConvertedImage& im : d.images)
    MINIDL_CHECK(seen.insert(im.relative).second, "two annotations name the image '",
                 im.relative.string(), "'");
  // A second .names file would leave the dataset without a clear class list.
  std::error_code ec;
  for (auto it = fs::directory_iterator(opt.out, ec); !ec && it != fs::end(it); it.increment(ec))
    MINIDL_CHECK(it->path().extension() != ".names" || it->path().filename() == "classes.names",
                 "'", opt.out.string(), "' already holds '", it->path().filename().string(),
                 "': the converted dataset's classes go to classes.names; remove the other");

  fs::create_directories(opt.out / "labels", ec);
  MINIDL_CHECK(!ec, "cannot create '", (opt.out / "labels").string(), "': ", ec.message());
  for (const ConvertedImage& im : d.images) {
    place_image(im.image, opt.out / "images" / im.relative, opt.copy_images);
    fs::path label = opt.out / "labels" / im.relative;
    label.replace_extension(".txt");
    fs::create_directories(label.parent_path(), ec);
    write_labels(label, im.boxes);
    if (!im.difficult.empty()) {
      fs::path marked = opt.out / "difficult" / im.relative;
      marked.replace_extension(".txt");
      fs::create_directories(marked.parent_path(), ec);
      write_labels(marked, im.difficult);
    }
  }
  write_names(opt.out / "classes.names", d.names);
  if (d.write_names_file) write_names(opt.names, d.names);

  out << "converted " << d.images.size() << " images and " << d.objects << " objects from "
      << opt.source.string() << " (" << opt.from << ") into " << opt.out.string() << "\n";
  out << "  images/: " << (opt.copy_images ? "copies" : "links to the images")
      << "; labels/: one line `class cx cy w h` per object\n";
  out << "  classes: " << d.names.size() << " from " << names_source(opt, d) << " in "
      << (opt.out / "classes.names").string();
  if (d.write_names_file) out << " and " << opt.names.string();
  out << "\n";
  if (opt.from == "voc")
    out << "  difficult objects: " << d.difficult
        << (opt.skip_difficult ? " left out of labels/ (--skip-difficult)" : " kept in labels/")
        << (d.difficult ? ", and listed in difficult/" : "") << "\n";
  else
    out << "  crowd annotations (iscrowd 1) skipped: " << d.skipped << "\n";
  out << "check with: yolo_v1 check-dataset " << opt.out.string() << "\n";
  return d;
}

}  // namespace yolo
