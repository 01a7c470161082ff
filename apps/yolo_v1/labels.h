// Reading YOLO datasets from disk (docs/yolo_v1_conventions.md): darknet txt label files (one line
// `class cx cy w h` per object), .names class lists, and discovery of image/label pairs in a
// folder (images/ + labels/, or train/ and val/ splits) or in a darknet-style list file.
#pragma once

#include <minidl/minidl.h>

#include <filesystem>
#include <string>
#include <vector>

namespace yolo {

using minidl::Box;
namespace fs = std::filesystem;

/// What to do with a box that reaches past the image edge.
enum class EdgeMode {
  Keep,  // strict: keep it as written (only the rules below are checked)
  Clip,  // cut it to [0, 1]^2; a box whose centre lies outside the image is clipped too, and
         // dropped when nothing of it is left inside
};

/// Boxes changed by EdgeMode::Clip.
struct LabelStats {
  int clipped = 0;  // boxes cut to the image
  int dropped = 0;  // boxes with nothing inside the image
};

/// Parses the text of one label file. `file` is only used in messages. Every non-blank line must
/// be `class cx cy w h` (whitespace separated; CRLF accepted): exactly 5 fields, class an integer
/// in [0, C), four finite numbers, w > 0, h > 0 and (EdgeMode::Keep) the centre inside [0, 1]. On
/// the first bad line throws minidl::Error "file:line: reason" -- unless `problems` is given, in
/// which case every bad line's "file:line: reason" is appended there and the line skipped.
/// Requires C >= 1. Adds to *stats (when given) what clipping did.
std::vector<Box> parse_labels(const std::string& text, const std::string& file, int C,
                              EdgeMode mode = EdgeMode::Keep, LabelStats* stats = nullptr,
                              std::vector<std::string>* problems = nullptr);

/// Reads and parses a label file; a missing or empty file is a background image (no boxes).
/// Throws minidl::Error naming the file when it exists but cannot be read. Otherwise as
/// parse_labels.
std::vector<Box> read_labels(const fs::path& file, int C, EdgeMode mode = EdgeMode::Keep,
                             LabelStats* stats = nullptr,
                             std::vector<std::string>* problems = nullptr);

/// Writes boxes in the same format (6 decimals), atomically (minidl::write_file_atomic).
void write_labels(const fs::path& file, const std::vector<Box>& boxes);

/// Class names from a .names file: one per line, surrounding whitespace trimmed, trailing blank
/// lines ignored. Throws minidl::Error "file:line: reason" for a blank line between names or a
/// duplicate name, and naming the file when it is missing, unreadable or lists no class.
std::vector<std::string> read_names(const fs::path& file);
/// Writes one name per line, atomically (minidl::write_file_atomic).
void write_names(const fs::path& file, const std::vector<std::string>& names);

/// The whole file as a string; throws minidl::Error naming the file when it cannot be read.
std::string read_file(const fs::path& file);

/// Text from a file, fit to quote in a message: control bytes (NUL, newline, ...) and DEL as
/// \xNN and a backslash as \\, so that a message is never cut or split by what it quotes.
std::string printable(const std::string& text);

/// One labelled image: the label file may be absent (background).
struct Sample {
  fs::path image, label;
};

/// A named part of a dataset ("train", "val", or "all" when the dataset is not split).
struct Split {
  std::string name;
  std::vector<Sample> samples;
};

struct Dataset {
  fs::path root;                   // the folder, or the list file
  fs::path names_file;             // empty when none was found
  std::vector<std::string> names;  // empty when none was found
  std::vector<Split> splits;
};

/// path with its last folder named one of `from` replaced by `to` (empty when it has none).
fs::path swap_folder(const fs::path& path, const std::vector<std::string>& from,
                     const std::string& to);

/// The label file darknet expects for an image: the last "/images/" folder in the path replaced by
/// "/labels/" and the extension by ".txt". Throws minidl::Error naming the image when its path has
/// no "images" folder.
fs::path label_path_for(const fs::path& image);

/// True for the file extensions stb reads (.png .jpg .jpeg .bmp .tga .gif .pnm .ppm .pgm; any
/// case).
bool is_image_file(const fs::path& p);

/// Finds a dataset at `where`:
///  - a folder with train/ and/or val/, each holding images/ (and labels/): splits "train", "val";
///  - a folder holding images/ (and labels/): one split "all";
///  - a text file listing image paths, one per line (relative paths are taken relative to the
///    list file's folder; blank lines and lines starting with '#' skipped): one split named after
///    the file's stem.
/// Images in images/ are found recursively and sorted by path; labels by label_path_for. The class
/// names come from the single *.names file in the dataset folder (the list file's folder for a
/// list), when there is one. Throws minidl::Error naming the path when nothing matches, when a
/// split has no image, when a listed image does not exist (file:line), or when several .names
/// files make the choice ambiguous.
Dataset discover_dataset(const fs::path& where);

}  // namespace yolo
