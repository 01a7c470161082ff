// `yolo_v1 convert`: Pascal VOC XML annotations and COCO instances JSON into minidl's YOLO txt
// dataset layout (labels.h): OUT/images/ (links to the images, or copies), OUT/labels/<name>.txt
// with one line `class cx cy w h` per object relative to the image, and OUT/classes.names.
#pragma once

#include <filesystem>
#include <ostream>
#include <string>
#include <vector>

#include "apps/yolo_v1/labels.h"

namespace yolo {

/// VOC's 20 classes in darknet's order (its data/voc.names; apps/yolo_v1/cfg/voc.names).
const std::vector<std::string>& voc_names();

struct ConvertOptions {
  std::string from;  // "voc" or "coco"
  /// voc: the folder holding Annotations/*.xml (and JPEGImages/); coco: the instances JSON file.
  fs::path source;
  fs::path out;  // the dataset folder written
  /// Class names. When the file exists every class must be in it; when it does not, it is
  /// written (voc: VOC's 20 classes; coco: the categories in id order). Empty: those names,
  /// written to OUT/classes.names only.
  fs::path names;
  /// Where the images are: voc: SOURCE/JPEGImages by default; coco: the JSON file's folder.
  fs::path image_dir;
  bool skip_difficult = false;  // voc: leave objects marked difficult out of labels/
  bool copy_images = false;     // copy the images into OUT/images instead of linking them
};

/// One image and its boxes, as read from an annotation file.
struct ConvertedImage {
  fs::path image;              // where the image is
  fs::path relative;           // its path under OUT/images (a plain name for VOC)
  std::vector<Box> boxes;      // the labels written
  std::vector<Box> difficult;  // voc: the objects marked difficult (in boxes too unless skipped)
};

/// What a conversion read, before anything is written.
struct ConvertedDataset {
  std::vector<std::string> names;
  bool write_names_file = false;  // options.names does not exist yet: write it
  std::vector<ConvertedImage> images;
  int objects = 0, difficult = 0, skipped = 0;  // skipped: difficult (voc) or crowd (coco) ones
};

/// Reads a VOC folder: every SOURCE/Annotations/*.xml (sorted by name), root <annotation> with
/// <filename>, <size> (<width>, <height>) and per <object> its <name>, <difficult> (0 or 1,
/// absent: 0) and <bndbox> (<xmin> <ymin> <xmax> <ymax>, 1-based inclusive pixels, so that
/// cx = (xmin - 1 + xmax) / 2 / width and w = (xmax - xmin + 1) / width). Throws minidl::Error
/// "file:line: reason" for malformed XML, a missing element, a number that is not one,
/// coordinates outside the image or reversed, an unknown class, or a missing image.
ConvertedDataset read_voc(const ConvertOptions& opt);

/// Reads a COCO instances JSON file: images (id, file_name, width, height), annotations
/// (image_id, category_id, bbox [x, y, w, h] in pixels from the top-left corner, iscrowd) and
/// categories (id, name). Crowd annotations (iscrowd 1) are skipped and counted. A box may reach
/// past the image by at most half a pixel (rounding in COCO's files), and is clipped there.
/// Throws minidl::Error "file: element: reason" (e.g. "annotations[3] (id 17): ...") for bad
/// JSON, a missing or mistyped field, duplicate ids, a box outside the image or not positive,
/// an unknown image or category, a category not in the names file, or a missing image.
ConvertedDataset read_coco(const ConvertOptions& opt);

/// Converts as ConvertOptions says and prints a summary to `out`. Everything is read and checked
/// before anything is written; every file is written atomically. Throws minidl::Error as
/// read_voc and read_coco do, and naming the file when one cannot be written.
ConvertedDataset convert_dataset(const ConvertOptions& opt, std::ostream& out);

// ---- shared by the readers ----

/// d.names: the opt.names file's when it exists; else `defaults`, and d.write_names_file is set
/// when opt.names is given (it is written with the dataset).
void choose_names(ConvertedDataset& d, const ConvertOptions& opt,
                  const std::vector<std::string>& defaults);
/// The index of `name` in d.names, or -1.
int class_index(const ConvertedDataset& d, const std::string& name);
/// Where the names came from, for messages: "'FILE'", "VOC's 20 classes" or "the categories".
std::string names_source(const ConvertOptions& opt, const ConvertedDataset& d);
/// dir / file_name, checked: a relative path without '..', an image type minidl reads, an
/// existing file. Throws minidl::Error "where: reason" otherwise.
fs::path image_path(const fs::path& dir, const std::string& file_name, const std::string& where);

}  // namespace yolo
