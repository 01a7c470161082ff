// COCO instances JSON into YOLO boxes (convert.h). A COCO bbox is [x, y, w, h] in pixels with
// (x, y) the top-left corner on a continuous axis (0 is the left edge of the first pixel), so
//   cx = (x + w / 2) / width,   w' = w / width   (and the same for y).
// Errors name the JSON element ("annotations[12] (id 345)"): nlohmann's reader keeps no line
// numbers for values, only for syntax errors.
#include <minidl/minidl.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>

#include "apps/yolo_v1/convert.h"

namespace yolo {

namespace {

using json = nlohmann::json;
using minidl::str;

constexpr double kSlack = 0.5;  // pixels a box may reach past the image (rounding in COCO's files)
constexpr int kMaxDepth = 64;   // nesting of arrays and objects; COCO's files need 5

// Throws "file:line: ..." when arrays and objects nest deeper than kMaxDepth. nlohmann parses any
// depth without recursion, but dump() recurses: a deep value put into a message would overflow
// the stack. Strings are skipped (with their escapes); other syntax is left to the parser.
void check_depth(const std::string& text, const std::string& file) {
  int depth = 0;
  int64_t line = 1;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\n') ++line;
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      MINIDL_CHECK(++depth <= kMaxDepth, file, ":", line, ": arrays and objects nest deeper than ",
                   kMaxDepth, " levels (COCO's need 5)");
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
}

// A JSON value for a message: short ones as JSON (cut at 60 characters), a large array or object
// by its kind and size; never a whole untrusted value.
std::string shown(const json& v) {
  if (v.is_structured()) {
    bool small = v.size() <= 8;
    for (const json& e : v) small = small && e.is_primitive();
    if (!small)
      return str(v.is_array() ? "an array (" : "an object (", v.size(),
                 v.is_array() ? " element" : " member", v.size() == 1 ? ")" : "s)");
  }
  std::string s = v.dump(-1, ' ', false, json::error_handler_t::replace);
  if (s.size() > 60) s = s.substr(0, 57) + "...";
  return s;
}

class CocoReader {
 public:
  CocoReader(const ConvertOptions& opt) : opt_(opt), file_(opt.source.string()) {}

  ConvertedDataset read() {
    json j;
    {
      const std::string text = read_file(opt_.source);
      check_depth(text, file_);
      try {
        j = json::parse(text);
      } catch (const json::exception& e) {  // parse_error, out_of_range (a number like 1e400)
        throw minidl::Error(str(file_, ": not valid JSON: ", e.what()));
      }
    }
    MINIDL_CHECK(j.is_object(), file_, ": the top level is not a JSON object");
    ConvertedDataset d;
    read_categories(list(j, "categories", "the file"), d);
    read_images(list(j, "images", "the file"), d);
    read_annotations(list(j, "annotations", "the file"), d);
    return d;
  }

 private:
  const json& get(const json& obj, const char* key, const std::string& where) const {
    MINIDL_CHECK(obj.is_object(), file_, ": ", where, " is not a JSON object");
    const auto it = obj.find(key);
    MINIDL_CHECK(it != obj.end(), file_, ": ", where, " has no '", key, "'");
    return *it;
  }
  const json& list(const json& obj, const char* key, const std::string& where) const {
    const json& v = get(obj, key, where);
    MINIDL_CHECK(v.is_array(), file_, ": ", where, ": '", key, "' is not an array");
    return v;
  }
  int64_t integer(const json& obj, const char* key, const std::string& where) const {
    const json& v = get(obj, key, where);
    MINIDL_CHECK(v.is_number_integer(), file_, ": ", where, ": '", key, "' is ", shown(v),
                 ", not a whole number");
    MINIDL_CHECK(!v.is_number_unsigned() || v.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX),
                 file_, ": ", where, ": '", key, "' is ", shown(v), ", too large");
    return v.get<int64_t>();
  }
  std::string text(const json& obj, const char* key, const std::string& where) const {
    const json& v = get(obj, key, where);
    MINIDL_CHECK(v.is_string(), file_, ": ", where, ": '", key, "' is ", shown(v),
                 ", not a string");
    return v.get<std::string>();
  }

  void read_categories(const json& cats, ConvertedDataset& d) {
    std::map<int64_t, std::string> by_id;  // sorted by id: the default class order
    for (size_t k = 0; k < cats.size(); ++k) {
      const std::string where = str("categories[", k, "]");
      const int64_t id = integer(cats[k], "id", where);
      const std::string name = text(cats[k], "name", where);
      MINIDL_CHECK(!name.empty() && name.find('\n') == std::string::npos, file_, ": ", where,
                   ": the name '", name, "' cannot be a line of a .names file");
      MINIDL_CHECK(by_id.emplace(id, name).second, file_, ": ", where, ": category id ", id,
                   " given twice");
    }
    std::vector<std::string> names;
    for (const auto& [id, name] : by_id) {
      MINIDL_CHECK(std::find(names.begin(), names.end(), name) == names.end(), file_,
                   ": two categories are named '", name, "'");
      names.push_back(name);
    }
    choose_names(d, opt_, names);
    categories_ = by_id;
  }

  void read_images(const json& images, ConvertedDataset& d) {
    const fs::path dir = opt_.image_dir.empty() ? opt_.source.parent_path() : opt_.image_dir;
    for (size_t k = 0; k < images.size(); ++k) {
      const std::string where = str("images[", k, "]");
      const int64_t id = integer(images[k], "id", where);
      const std::string name = text(images[k], "file_name", where);
      const int64_t W = integer(images[k], "width", where), H = integer(images[k], "height", where);
      MINIDL_CHECK(W >= 1 && H >= 1 && W <= minidl::kMaxImageSide && H <= minidl::kMaxImageSide,
                   file_, ": ", where, ": size ", W, "x", H, " is not an image size");
      MINIDL_CHECK(index_.emplace(id, d.images.size()).second, file_, ": ", where, ": image id ",
                   id, " given twice");
      ConvertedImage im;
      im.image = image_path(dir, name, str(file_, ": ", where));
      im.relative = name;
      d.images.push_back(im);
      sizes_.push_back({static_cast<double>(W), static_cast<double>(H)});
    }
  }

  void read_annotations(const json& anns, ConvertedDataset& d) {
    for (size_t k = 0; k < anns.size(); ++k) {
      const json& a = anns[k];
      std::string where = str("annotations[", k, "]");
      if (a.is_object() && a.contains("id")) where += str(" (id ", shown(a["id"]), ")");
      const int64_t image_id = integer(a, "image_id", where);
      const auto im = index_.find(image_id);
      MINIDL_CHECK(im != index_.end(), file_, ": ", where, ": image_id ", image_id,
                   " is not in images");
      int64_t crowd = 0;
      if (a.contains("iscrowd")) crowd = integer(a, "iscrowd", where);
      MINIDL_CHECK(crowd == 0 || crowd == 1, file_, ": ", where, ": iscrowd is ", crowd,
                   "; expected 0 or 1");
      if (crowd) {  // a region of many objects, not one box: YOLO labels have no place for it
        ++d.skipped;
        continue;
      }
      const int64_t cat = integer(a, "category_id", where);
      const auto c = categories_.find(cat);
      MINIDL_CHECK(c != categories_.end(), file_, ": ", where, ": category_id ", cat,
                   " is not in categories");
      const int cls = class_index(d, c->second);
      MINIDL_CHECK(cls >= 0, file_, ": ", where, ": category '", c->second, "' (id ", cat,
                   ") is not in ", names_source(opt_, d),
                   " (pass --names with a file that lists it)");
      const json& bbox = list(a, "bbox", where);
      bool numbers = bbox.size() == 4;
      for (const json& v : bbox) numbers = numbers && v.is_number();
      MINIDL_CHECK(numbers, file_, ": ", where, ": bbox ", shown(bbox),
                   " is not 4 numbers [x, y, w, h]");
      const double x = bbox[0].get<double>(), y = bbox[1].get<double>();
      const double w = bbox[2].get<double>(), h = bbox[3].get<double>();
      const auto [W, H] = sizes_[im->second];
      MINIDL_CHECK(w > 0 && h > 0, file_, ": ", where, ": bbox ", shown(bbox),
                   " has a width or height that is not positive");
      MINIDL_CHECK(x >= -kSlack && y >= -kSlack && x + w <= W + kSlack && y + h <= H + kSlack,
                   file_, ": ", where, ": bbox ", shown(bbox), " reaches outside the image (", W,
                   "x", H, ") of image_id ", image_id);
      const double x0 = std::max(x, 0.0), x1 = std::min(x + w, W);
      const double y0 = std::max(y, 0.0), y1 = std::min(y + h, H);
      MINIDL_CHECK(x1 > x0 && y1 > y0, file_, ": ", where, ": bbox ", shown(bbox),
                   " has nothing inside the image");
      d.images[im->second].boxes.push_back(
          {cls, static_cast<float>((x0 + x1) / 2 / W), static_cast<float>((y0 + y1) / 2 / H),
           static_cast<float>((x1 - x0) / W), static_cast<float>((y1 - y0) / H)});
      ++d.objects;
    }
  }

  const ConvertOptions& opt_;
  std::string file_;
  std::map<int64_t, std::string> categories_;
  std::map<int64_t, size_t> index_;  // image id -> position in ConvertedDataset::images
  std::vector<std::pair<double, double>> sizes_;
};

}  // namespace

ConvertedDataset read_coco(const ConvertOptions& opt) {
  std::error_code ec;
  MINIDL_CHECK(fs::is_regular_file(opt.source, ec), "'", opt.source.string(),
               "' is not a file: --from coco reads an instances JSON file");
  return CocoReader(opt).read();
}

}  // namespace yolo
