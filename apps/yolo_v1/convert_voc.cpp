// Pascal VOC annotations into YOLO boxes (convert.h). A VOC box is given in pixels counted from 1,
// both corners inclusive: <xmin>263</xmin> ... <xmax>324</xmax> covers the 62 pixels 263..324,
// which are 262..323 counted from 0, i.e. x in [262, 324) as a continuous interval. So
//   cx = (xmin - 1 + xmax) / 2 / width,   w = (xmax - xmin + 1) / width   (and the same for y),
// the inverse of detect's pixel_box. darknet's scripts/voc_label.py takes
// cx = ((xmin + xmax) / 2 - 1) / width and w = (xmax - xmin) / width instead: half a pixel to the
// left and one pixel narrower.
#include <minidl/minidl.h>

#include <algorithm>
#include <charconv>
#include <cmath>

#include "apps/yolo_v1/convert.h"
#include "apps/yolo_v1/xml.h"

namespace yolo {

namespace {

class VocFile {
 public:
  VocFile(const fs::path& file, const ConvertOptions& opt, ConvertedDataset& d)
      : file_(file.string()), opt_(opt), d_(d) {}

  ConvertedImage read(const fs::path& image_dir) {
    const XmlElement root = parse_xml(read_file(file_), file_);
    MINIDL_CHECK(root.name == "annotation", at(root), ": the root element is <", root.name,
                 ">; a VOC file's is <annotation>");
    const XmlElement& filename = need(root, "filename");
    const XmlElement& size = need(root, "size");
    const double W = side(need(size, "width")), H = side(need(size, "height"));
    ConvertedImage im;
    im.image = image_path(image_dir, filename.text, at(filename));
    im.relative = filename.text;
    for (const XmlElement* obj : root.children_named("object")) {
      const XmlElement& name = need(*obj, "name");
      const int cls = class_index(d_, name.text);
      MINIDL_CHECK(cls >= 0, at(name), ": class '", name.text, "' is not in ",
                   names_source(opt_, d_), " (pass --names with a file that lists it)");
      bool difficult = false;
      if (const XmlElement* e = only(*obj, "difficult")) {
        MINIDL_CHECK(e->text == "0" || e->text == "1", at(*e), ": <difficult> is '", e->text,
                     "'; expected 0 or 1");
        difficult = e->text == "1";
      }
      const XmlElement& box = need(*obj, "bndbox");
      const double x0 = number(need(box, "xmin")), y0 = number(need(box, "ymin"));
      const double x1 = number(need(box, "xmax")), y1 = number(need(box, "ymax"));
      check_axis(box, "x", x0, x1, W, "width");
      check_axis(box, "y", y0, y1, H, "height");
      const Box b{cls, static_cast<float>((x0 - 1 + x1) / 2 / W),
                  static_cast<float>((y0 - 1 + y1) / 2 / H), static_cast<float>((x1 - x0 + 1) / W),
                  static_cast<float>((y1 - y0 + 1) / H)};
      if (difficult) {
        im.difficult.push_back(b);
        ++d_.difficult;
        if (opt_.skip_difficult) {
          ++d_.skipped;
          continue;
        }
      }
      im.boxes.push_back(b);
      ++d_.objects;
    }
    return im;
  }

 private:
  std::string at(const XmlElement& e) const { return minidl::str(file_, ":", e.line); }

  // The child `name` of `parent` when it has one, null when none; two are an error.
  const XmlElement* only(const XmlElement& parent, const std::string& name) const {
    const auto all = parent.children_named(name);
    MINIDL_CHECK(all.size() <= 1, at(*all[1]), ": <", parent.name, "> has more than one <", name,
                 ">");
    return all.empty() ? nullptr : all[0];
  }
  const XmlElement& need(const XmlElement& parent, const std::string& name) const {
    const XmlElement* e = only(parent, name);
    MINIDL_CHECK(e, at(parent), ": <", parent.name, "> has no <", name, ">");
    return *e;
  }

  double number(const XmlElement& e) const {
    const std::string& t = e.text;
    double v = 0;
    const auto [p, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
    MINIDL_CHECK(!t.empty() && ec == std::errc() && p == t.data() + t.size() && std::isfinite(v),
                 at(e), ": <", e.name, "> '", t, "' is not a number");
    return v;
  }
  double side(const XmlElement& e) const {
    const double v = number(e);
    MINIDL_CHECK(v >= 1 && v <= minidl::kMaxImageSide && v == std::floor(v), at(e), ": <", e.name,
                 "> ", e.text, " is not an image side (a whole number of pixels >= 1)");
    return v;
  }

  // VOC pixels are 1..size, both ends inclusive.
  void check_axis(const XmlElement& box, const char* axis, double lo, double hi, double size,
                  const char* side_name) const {
    MINIDL_CHECK(lo <= hi, at(box), ": <bndbox> ", axis, "min=", lo, " is past ", axis, "max=", hi);
    MINIDL_CHECK(lo >= 1 && hi <= size, at(box), ": <bndbox> ", axis, "min=", lo, " ", axis,
                 "max=", hi, " is outside the image (", side_name, " ", size,
                 ": VOC pixels are 1..", size, ")");
  }

  std::string file_;
  const ConvertOptions& opt_;
  ConvertedDataset& d_;
};

}  // namespace

ConvertedDataset read_voc(const ConvertOptions& opt) {
  const fs::path ann = opt.source / "Annotations";
  std::error_code ec;
  MINIDL_CHECK(fs::is_directory(ann, ec), "'", opt.source.string(),
               "' is not a VOC folder: it has no Annotations/ (VOCdevkit/VOC2007 has)");
  std::vector<fs::path> files;
  for (auto it = fs::directory_iterator(ann, ec); !ec && it != fs::end(it); it.increment(ec))
    if (it->path().extension() == ".xml" && it->is_regular_file(ec)) files.push_back(it->path());
  MINIDL_CHECK(!ec, "cannot list '", ann.string(), "': ", ec.message());
  MINIDL_CHECK(!files.empty(), "'", ann.string(), "' holds no .xml file");
  std::sort(files.begin(), files.end());
  ConvertedDataset d;
  choose_names(d, opt, voc_names());
  const fs::path images = opt.image_dir.empty() ? opt.source / "JPEGImages" : opt.image_dir;
  for (const fs::path& f : files) d.images.push_back(VocFile(f, opt, d).read(images));
  return d;
}

}  // namespace yolo
