// Tests of the yolo_v1 app's dataset reading: the darknet label parser (each error names file and
// line), clipping at the image edge, .names files, dataset discovery and check-dataset's counts.
#include <catch2/catch.hpp>
#include <sstream>

#include "apps/yolo_v1/check.h"
#include "apps/yolo_v1/labels.h"
#include "core/error.h"
#include "core/image.h"
#include "tests/apps/yolo_v1/temp_dir.h"

using namespace yolo;
using Catch::Matchers::Contains;
using yolo_test::TempDir;
using yolo_test::write_text;

TEST_CASE("yolo_v1 app: labels parse with blank lines and CRLF and keep the numbers",
          "[yolo_app]") {
  auto boxes = parse_labels("0 0.5 0.5 0.25 0.125\r\n\n   \n2\t0.1 0.2 0.3 0.4  \r\n", "a.txt", 3);
  REQUIRE(boxes.size() == 2);
  CHECK((boxes[0].cls == 0 && boxes[0].cx == 0.5f && boxes[0].cy == 0.5f && boxes[0].w == 0.25f &&
         boxes[0].h == 0.125f));
  CHECK((boxes[1].cls == 2 && boxes[1].cx == 0.1f && boxes[1].cy == 0.2f && boxes[1].w == 0.3f &&
         boxes[1].h == 0.4f));
  // A box reaching past the edge is kept as written in the strict mode; the centre may be on it.
  auto edge = parse_labels("1 0.95 1 0.2 0.5\n", "b.txt", 2);
  REQUIRE(edge.size() == 1);
  CHECK(edge[0].w == 0.2f);
}

TEST_CASE("yolo_v1 app: every bad label line is an error naming the file and line", "[yolo_app]") {
  TempDir dir("labels_bad");
  struct Case {
    const char* second_line;
    const char* reason;
  };
  const Case cases[] = {
      {"3 0.5 0.5 0.1 0.1", "class 3 is outside [0, 3)"},
      {"-1 0.5 0.5 0.1 0.1", "class -1 is outside [0, 3)"},
      {"1.5 0.5 0.5 0.1 0.1", "class '1.5' is not an integer"},
      {"cat 0.5 0.5 0.1 0.1", "class 'cat' is not an integer"},
      {"0 abc 0.5 0.1 0.1", "cx 'abc' is not a finite number"},
      {"0 0.5 0.5x 0.1 0.1", "cy '0.5x' is not a finite number"},
      {"0 0.5 0.5 nan 0.1", "w 'nan' is not a finite number"},
      {"0 0.5 0.5 0.1 inf", "h 'inf' is not a finite number"},
      {"0 0.5 0.5 0.1", "expected 5 fields `class cx cy w h`, found 4"},
      {"0 0.5 0.5 0.1 0.1 0.9", "expected 5 fields `class cx cy w h`, found 6"},
      {"0 0.5 0.5 0 0.1", "must be > 0"},
      {"0 0.5 0.5 0.1 -0.2", "must be > 0"},
      {"0 1.2 0.5 0.1 0.1", "centre (1.2, 0.5) is outside [0, 1]"},
      {"0 0.5 -0.1 0.1 0.1", "centre (0.5, -0.1) is outside [0, 1]"},
  };
  for (const Case& c : cases) {
    INFO(c.second_line);
    const auto file = dir / "labels" / "img7.txt";
    write_text(file, std::string("0 0.5 0.5 0.2 0.2\n") + c.second_line + "\n1 0.1 0.1 0.1 0.1\n");
    CHECK_THROWS_WITH(read_labels(file, 3), Contains(file.string() + ":2: ") && Contains(c.reason));
  }
}

TEST_CASE("yolo_v1 app: with a problem list every bad line is reported and good lines kept",
          "[yolo_app]") {
  std::vector<std::string> problems;
  auto boxes =
      parse_labels("0 0.5 0.5 0.2 0.2\n9 0.5 0.5 0.2 0.2\n1 0.3 0.3 0.1\n1 0.3 0.3 0.1 0.1\n",
                   "l.txt", 2, EdgeMode::Keep, nullptr, &problems);
  CHECK(boxes.size() == 2);
  REQUIRE(problems.size() == 2);
  CHECK_THAT(problems[0], Contains("l.txt:2: class 9"));
  CHECK_THAT(problems[1], Contains("l.txt:3: expected 5 fields"));
}

TEST_CASE("yolo_v1 app: a missing or empty label file is a background image", "[yolo_app]") {
  TempDir dir("labels_bg");
  CHECK(read_labels(dir / "labels" / "none.txt", 2).empty());
  write_text(dir / "labels" / "empty.txt", "");
  CHECK(read_labels(dir / "labels" / "empty.txt", 2).empty());
  write_text(dir / "labels" / "blank.txt", "\n  \n");
  CHECK(read_labels(dir / "labels" / "blank.txt", 2).empty());
}

TEST_CASE("yolo_v1 app: clip mode cuts boxes at the edge and counts clipped and dropped",
          "[yolo_app]") {
  LabelStats st;
  // Line 1 is inside: untouched. Line 2 spans x [0.875, 1.125] -> [0.875, 1]: cx 0.9375, w 0.125.
  // Line 3 has its centre outside but spans x [0.875, 1.125]: clipped the same way.
  // Line 4 spans x [1.25, 1.75]: nothing inside, dropped. Line 5 spans y [-0.25, 0.25] -> [0,
  // 0.25].
  auto boxes = parse_labels(
      "0 0.5 0.5 0.5 0.5\n0 1 0.5 0.25 0.5\n1 1.0 0.5 0.25 0.25\n1 1.5 0.5 0.5 0.5\n0 0.5 0 0.5 "
      "0.5\n",
      "c.txt", 2, EdgeMode::Clip, &st);
  CHECK(st.clipped == 3);
  CHECK(st.dropped == 1);
  REQUIRE(boxes.size() == 4);
  CHECK((boxes[0].cx == 0.5f && boxes[0].w == 0.5f));
  CHECK(boxes[1].cx == Approx(0.9375f));
  CHECK(boxes[1].w == Approx(0.125f));
  CHECK(boxes[1].h == 0.5f);
  CHECK(boxes[2].cx == Approx(0.9375f));
  CHECK(boxes[3].cy == Approx(0.125f));
  CHECK(boxes[3].h == Approx(0.25f));
  // The same text in the strict mode stops at line 4 (centre outside), not at line 2.
  CHECK_THROWS_WITH(parse_labels("0 1 0.5 0.25 0.5\n1 1.5 0.5 0.5 0.5\n", "c.txt", 2),
                    Contains("c.txt:2: centre (1.5, 0.5)"));
}

TEST_CASE("yolo_v1 app: names files are read and bad ones named with their line", "[yolo_app]") {
  TempDir dir("names");
  write_text(dir / "ok.names", "circle\r\n  square \ntriangle\n\n\n");
  CHECK(read_names(dir / "ok.names") == std::vector<std::string>{"circle", "square", "triangle"});
  write_text(dir / "gap.names", "a\n\nb\n");
  CHECK_THROWS_WITH(read_names(dir / "gap.names"), Contains("gap.names:2: blank line"));
  write_text(dir / "dup.names", "a\nb\na\n");
  CHECK_THROWS_WITH(read_names(dir / "dup.names"),
                    Contains("dup.names:3: duplicate class name 'a'"));
  write_text(dir / "none.names", "\n");
  CHECK_THROWS_WITH(read_names(dir / "none.names"), Contains("none.names") && Contains("no class"));
  CHECK_THROWS_WITH(read_names(dir / "missing.names"), Contains("missing.names"));
}

TEST_CASE("yolo_v1 app: label paths replace the images folder and the extension", "[yolo_app]") {
  CHECK(label_path_for("/d/train/images/a.b.png") == fs::path("/d/train/labels/a.b.txt"));
  CHECK(label_path_for("data/images/sub/1.JPG") == fs::path("data/labels/sub/1.txt"));
  CHECK(label_path_for("voc/JPEGImages/x.jpg") == fs::path("voc/labels/x.txt"));
  CHECK_THROWS_WITH(label_path_for("pics/a.png"), Contains("pics/a.png"));
  CHECK(is_image_file("a.JPeG"));
  CHECK_FALSE(is_image_file("a.txt"));
}

namespace {
void put_image(const fs::path& file) {
  fs::create_directories(file.parent_path());
  minidl::save_png(file, minidl::Image(4, 4, 3, 9));
}
}  // namespace

TEST_CASE("yolo_v1 app: datasets are found as folders and split folders and list files",
          "[yolo_app]") {
  TempDir dir("discover");
  // images/ + labels/: one split "all", sorted, labels beside; non-images ignored.
  put_image(dir / "flat/images/b.png");
  put_image(dir / "flat/images/a.png");
  write_text(dir / "flat/images/notes.txt", "x");
  write_text(dir / "flat/labels/a.txt", "0 0.5 0.5 0.1 0.1\n");
  write_text(dir / "flat/toy.names", "thing\n");
  Dataset d = discover_dataset(dir / "flat");
  REQUIRE(d.splits.size() == 1);
  CHECK(d.splits[0].name == "all");
  REQUIRE(d.splits[0].samples.size() == 2);
  CHECK(d.splits[0].samples[0].image == dir / "flat/images/a.png");
  CHECK(d.splits[0].samples[0].label == dir / "flat/labels/a.txt");
  CHECK(d.splits[0].samples[1].label == dir / "flat/labels/b.txt");
  CHECK(d.names == std::vector<std::string>{"thing"});
  CHECK(d.names_file == dir / "flat/toy.names");

  // train/ and val/ splits.
  put_image(dir / "split/train/images/1.png");
  put_image(dir / "split/train/images/2.png");
  put_image(dir / "split/val/images/3.png");
  Dataset s = discover_dataset(dir / "split");
  REQUIRE(s.splits.size() == 2);
  CHECK((s.splits[0].name == "train" && s.splits[0].samples.size() == 2));
  CHECK((s.splits[1].name == "val" && s.splits[1].samples.size() == 1));
  CHECK(s.splits[1].samples[0].label == dir / "split/val/labels/3.txt");
  CHECK(s.names.empty());

  // A list file: relative paths from the list's folder; '#' comments and blank lines skipped.
  write_text(dir / "split/mine.txt", "# my list\ntrain/images/2.png\n\n" +
                                         (dir / "split/val/images/3.png").string() + "\n");
  Dataset l = discover_dataset(dir / "split/mine.txt");
  REQUIRE(l.splits.size() == 1);
  CHECK(l.splits[0].name == "mine");
  REQUIRE(l.splits[0].samples.size() == 2);
  CHECK(l.splits[0].samples[0].label == dir / "split/train/labels/2.txt");

  // Errors name the file (and line) at fault.
  write_text(dir / "split/bad.txt", "train/images/2.png\ntrain/images/nope.png\n");
  CHECK_THROWS_WITH(discover_dataset(dir / "split/bad.txt"),
                    Contains("bad.txt:2: image 'train/images/nope.png'"));
  fs::create_directories(dir / "nothing");
  CHECK_THROWS_WITH(discover_dataset(dir / "nothing"),
                    Contains("nothing") && Contains("not a dataset"));
  CHECK_THROWS_WITH(discover_dataset(dir / "absent"), Contains("absent"));
  fs::create_directories(dir / "emptysplit/train/images");
  CHECK_THROWS_WITH(discover_dataset(dir / "emptysplit"), Contains("no image"));
  write_text(dir / "flat/other.names", "x\n");
  CHECK_THROWS_WITH(discover_dataset(dir / "flat"), Contains("several .names"));
}

TEST_CASE("yolo_v1 app: check-dataset counts problems and background and cell collisions",
          "[yolo_app]") {
  TempDir dir("check");
  write_text(dir / "ds/two.names", "a\nb\n");
  for (const char* n : {"1", "2", "3", "4"})
    put_image(dir / "ds/images" / (std::string(n) + ".png"));
  // 1: two centres in one cell at S=7 (x 0.50 and 0.54 both in column 3) -> 1 dropped.
  write_text(dir / "ds/labels/1.txt", "0 0.50 0.5 0.1 0.1\n1 0.54 0.5 0.3 0.3\n");
  // 2: line 2 has class 5 -> one problem; its first line still counts.
  write_text(dir / "ds/labels/2.txt", "1 0.2 0.2 0.1 0.1\n5 0.5 0.5 0.1 0.1\n");
  // 3: no label file, 4: empty label file -> two background images.
  write_text(dir / "ds/labels/4.txt", "");
  std::ostringstream out;
  CheckReport r = check_dataset(dir / "ds", CheckOptions{}, out);
  INFO(out.str());
  CHECK(r.images == 4);
  CHECK(r.background == 2);
  CHECK(r.objects == 3);
  CHECK(r.per_class == std::vector<int>{1, 2});
  CHECK(r.label_problems == 1);
  CHECK(r.dropped_by_cell == 1);
  CHECK(r.unreadable == 0);
  CHECK_FALSE(r.ok());
  CHECK_THAT(out.str(),
             Contains((dir / "ds/labels/2.txt").string() + ":2: class 5 is outside [0, 2)"));
  CHECK_THAT(out.str(), Contains("S=7: 1 boxes dropped"));
  // At S=50 they are apart: columns 25 (0.50 * 50) and 27 (0.54 * 50).
  CheckOptions fine;
  fine.S = 50;
  std::ostringstream out2;
  CHECK(check_dataset(dir / "ds", fine, out2).dropped_by_cell == 0);
  // An unreadable image is counted and named.
  write_text(dir / "ds/images/5.png", "not png");
  std::ostringstream out3;
  CheckReport r3 = check_dataset(dir / "ds", CheckOptions{}, out3);
  CHECK(r3.unreadable == 1);
  CHECK_THAT(out3.str(), Contains("5.png"));
  // Without class names there is nothing to check against.
  fs::remove(dir / "ds/two.names");
  std::ostringstream out4;
  CHECK_THROWS_WITH(check_dataset(dir / "ds", CheckOptions{}, out4), Contains("--names"));
}

TEST_CASE("yolo_v1 app: bytes quoted from files are escaped and a NUL in a path is refused",
          "[yolo_app]") {
  using namespace std::string_literals;
  CHECK(printable("a\0b\n\\\x7f\tok"s) == "a\\x00b\\x0A\\\\\\x7F\\x09ok");
  TempDir dir("nul");
  put_image(dir / "set/images/2.png");
  // A NUL cut the message there ("image 'x"); what follows it is now shown escaped.
  write_text(dir / "set/nul.txt", "images/2.png\nx\0y.png\n"s);
  CHECK_THROWS_WITH(discover_dataset(dir / "set/nul.txt"),
                    (dir / "set/nul.txt").string() + ":2: image 'x\\x00y.png' holds a NUL byte");
  // The system reads a path only up to a NUL: this line named images/2.png and was accepted.
  write_text(dir / "set/cut.txt", "images/2.png\0junk\n"s);
  CHECK_THROWS_WITH(discover_dataset(dir / "set/cut.txt"),
                    Contains("cut.txt:1: image 'images/2.png\\x00junk' holds a NUL byte"));
  write_text(dir / "set/ctl.txt", "images/\x01nope.png\n");
  CHECK_THROWS_WITH(discover_dataset(dir / "set/ctl.txt"),
                    Contains("ctl.txt:1: image 'images/\\x01nope.png' does not exist"));
  // A label token with a NUL is quoted whole.
  CHECK_THROWS_WITH(parse_labels("0\0 0.5 0.5 0.1 0.1\n"s, "l.txt", 2, EdgeMode::Keep),
                    "l.txt:1: class '0\\x00' is not an integer");
}
