// Tests of `yolo_v1 convert` (apps/yolo_v1/convert.h) and its XML reader (xml.h), without
// downloads: a Pascal VOC annotation and a COCO instances file written here, converted and checked
// field by field against values worked out by hand; the converted dataset read back by
// check-dataset; and the errors for malformed or inconsistent input, each naming file and element.
#include <catch2/catch.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "apps/yolo_v1/check.h"
#include "apps/yolo_v1/cli.h"
#include "apps/yolo_v1/convert.h"
#include "apps/yolo_v1/detection_data.h"
#include "apps/yolo_v1/xml.h"
#include "tests/apps/yolo_v1/temp_dir.h"

using namespace yolo;
using Catch::Matchers::Contains;
using minidl::test::error_of;
using yolo_test::slurp;
using yolo_test::TempDir;
using yolo_test::write_text;

namespace {

// A VOC annotation in the layout of VOC2007's files (values of our own): a 500x375 image, a chair,
// a difficult chair covering the whole image, and a dining table named through a character
// reference.
const char* kVoc = R"(<?xml version="1.0" encoding="utf-8"?>
<!-- written for minidl's tests -->
<annotation verified="yes">
  <folder>VOC2007</folder>
  <filename>000005.png</filename>
  <size>
    <width>500</width>
    <height>375</height>
    <depth>3</depth>
  </size>
  <segmented/>
  <object>
    <name>chair</name>
    <pose>Rear</pose>
    <truncated>0</truncated>
    <difficult>0</difficult>
    <bndbox>
      <xmin>263</xmin>
      <ymin>211</ymin>
      <xmax>324</xmax>
      <ymax>339</ymax>
    </bndbox>
  </object>
  <object>
    <name>chair</name>
    <difficult>1</difficult>
    <bndbox><xmin>1</xmin><ymin>1</ymin><xmax>500</xmax><ymax>375</ymax></bndbox>
  </object>
  <object>
    <name>dining&#116;able</name>
    <bndbox><xmin>10</xmin><ymin>20</ymin><xmax>10</xmax><ymax>20</ymax></bndbox>
  </object>
</annotation>
)";

// A VOC folder with kVoc (and an image without objects): Annotations/, JPEGImages/.
void write_voc(const fs::path& dir) {
  write_text(dir / "Annotations" / "000005.xml", kVoc);
  write_text(dir / "Annotations" / "000007.xml",
             "<annotation><filename>000007.png</filename><size><width>8</width>"
             "<height>6</height></size></annotation>");
  fs::create_directories(dir / "JPEGImages");
  minidl::save_png(dir / "JPEGImages" / "000005.png", minidl::Image(500, 375, 3, 90));
  minidl::save_png(dir / "JPEGImages" / "000007.png", minidl::Image(8, 6, 3, 90));
}

// A COCO instances file of our own: two images, four annotations (one a crowd), two categories
// whose ids (1, 18) are not their class numbers.
const char* kCoco = R"({
  "info": {"description": "minidl test"},
  "images": [
    {"id": 7, "file_name": "a.png", "width": 640, "height": 480},
    {"id": 9, "file_name": "b.png", "width": 100, "height": 50}
  ],
  "annotations": [
    {"id": 1, "image_id": 7, "category_id": 18, "bbox": [100, 120, 64, 48], "iscrowd": 0},
    {"id": 2, "image_id": 7, "category_id": 1, "bbox": [0, 0, 640, 480], "iscrowd": 0},
    {"id": 3, "image_id": 7, "category_id": 1, "bbox": [10, 10, 5, 5], "iscrowd": 1},
    {"id": 4, "image_id": 9, "category_id": 18, "bbox": [99.8, 0, 0.6, 50]}
  ],
  "categories": [{"id": 18, "name": "dog", "supercategory": "animal"}, {"id": 1, "name": "person"}]
})";

void write_coco(const fs::path& dir, const std::string& json = kCoco) {
  write_text(dir / "instances.json", json);
  minidl::save_png(dir / "a.png", minidl::Image(640, 480, 3, 40));
  minidl::save_png(dir / "b.png", minidl::Image(100, 50, 3, 40));
}

ConvertOptions options(const std::string& from, const fs::path& source, const fs::path& out) {
  ConvertOptions o;
  o.from = from, o.source = source, o.out = out;
  return o;
}

std::string convert_error(const ConvertOptions& o) {
  std::ostringstream out;
  return error_of([&] { convert_dataset(o, out); });
}

}  // namespace

TEST_CASE("yolo_v1 convert: the XML reader", "[yolo_convert]") {
  const XmlElement root = parse_xml(kVoc, "a.xml");
  CHECK(root.name == "annotation");
  CHECK(root.line == 3);
  REQUIRE(root.child("size") != nullptr);
  CHECK(root.child("size")->child("height")->text == "375");
  CHECK(root.child("size")->line == 6);
  CHECK(root.children_named("object").size() == 3);
  CHECK(root.children_named("object")[2]->child("name")->text == "diningtable");
  CHECK(root.child("segmented") != nullptr);
  CHECK(root.child("segmented")->text.empty());
  CHECK(root.child("nothing") == nullptr);
  // Entities, comments inside text, and surrounding space.
  const XmlElement e = parse_xml("<a> x &lt;&amp;&gt;&quot;&apos;&#233;<!-- c --> y </a>", "e.xml");
  CHECK(e.text == "x <&>\"'\xC3\xA9 y");

  auto err = [](const std::string& text) { return error_of([&] { parse_xml(text, "bad.xml"); }); };
  CHECK(err("<a>\n<b>\n</a>") == "bad.xml:3: malformed XML: </a> closes <b> of line 2");
  CHECK(err("<a>\n<b>x</b>") == "bad.xml:1: malformed XML: <a> is not closed");
  CHECK(err("<a/><b/>") == "bad.xml:1: malformed XML: a second root element");
  CHECK(err("<a/>x") == "bad.xml:1: malformed XML: text after the root element");
  CHECK(err("") == "bad.xml:1: malformed XML: no root element");
  CHECK_THAT(err("<a>&nbsp;</a>"), Contains("unknown entity '&nbsp;'"));
  CHECK_THAT(err("<a>&amp</a>"), Contains("'&' not followed by an entity"));
  CHECK_THAT(err("<a><![CDATA[x]]></a>"), Contains("CDATA sections are not supported"));
  CHECK_THAT(err("<!DOCTYPE a><a/>"), Contains("DOCTYPE is not supported"));
  CHECK_THAT(err("<a>\n<!-- x -- y --></a>"), Contains("bad.xml:2: malformed XML: '--' inside"));
  CHECK_THAT(err("<a b=1/>"), Contains("attribute 'b' not quoted"));
  CHECK_THAT(err("<a b='1' b='2'/>"), Contains("attribute 'b' given twice"));
  CHECK_THAT(err("<a/><?xml version='1.0'?>"), Contains("the XML declaration must come first"));
  CHECK_THAT(err("<1a/>"), Contains("expected the name of an element"));
  std::string deep;
  for (int k = 0; k < 300; ++k) deep += "<a>";
  CHECK_THAT(err(deep), Contains("bad.xml:1: malformed XML: elements nested deeper than 256"));
}

TEST_CASE("yolo_v1 convert: a VOC annotation, field by field", "[yolo_convert]") {
  TempDir dir("voc");
  write_voc(dir / "VOC");
  std::ostringstream out;
  const ConvertedDataset d = convert_dataset(options("voc", dir / "VOC", dir / "out"), out);
  INFO(out.str());
  CHECK(d.names == voc_names());  // no --names: VOC's 20 classes, chair = 8, diningtable = 10
  REQUIRE(d.images.size() == 2);
  CHECK(d.objects == 3);
  CHECK(d.difficult == 1);
  // chair: x 263..324 and y 211..339 in VOC's 1-based inclusive pixels of a 500x375 image:
  // cx = (262 + 324) / 2 / 500 = 0.586, w = 62 / 500 = 0.124,
  // cy = (210 + 339) / 2 / 375 = 0.732, h = 129 / 375 = 0.344.
  // The difficult chair covers the image: 0.5 0.5 1 1. The table is the single pixel (10, 20):
  // cx = 9.5 / 500 = 0.019, w = 1 / 500 = 0.002, cy = 19.5 / 375 = 0.052, h = 1 / 375.
  CHECK(slurp(dir / "out" / "labels" / "000005.txt") ==
        "8 0.586000 0.732000 0.124000 0.344000\n"
        "8 0.500000 0.500000 1.000000 1.000000\n"
        "10 0.019000 0.052000 0.002000 0.002667\n");
  CHECK(slurp(dir / "out" / "difficult" / "000005.txt") ==
        "8 0.500000 0.500000 1.000000 1.000000\n");
  CHECK(slurp(dir / "out" / "labels" / "000007.txt").empty());  // a background image
  CHECK(fs::is_symlink(dir / "out" / "images" / "000005.png"));
  CHECK(read_names(dir / "out" / "classes.names") == voc_names());
  CHECK_THAT(out.str(), Contains("difficult objects: 1 kept in labels/, and listed in difficult/"));

  // The converted dataset is one check-dataset accepts, images included.
  std::ostringstream report;
  const CheckReport r = check_dataset(dir / "out", {}, report);
  INFO(report.str());
  CHECK(r.ok());
  CHECK(r.images == 2);
  CHECK(r.objects == 3);
  // Loading it reads difficult/ beside labels/: the evaluation's ground truth flags the chair
  // that is in both, once.
  const Dataset ds = discover_dataset(dir / "out");
  LoadOptions lo;
  lo.input = 8;
  const DetectionData data = load_split(ds.splits.at(0), lo);
  REQUIRE(data.files.size() == 2);
  const size_t i5 = data.files[0].stem() == "000005" ? 0 : 1;
  const Box chair{8, 0.5f, 0.5f, 1.f, 1.f};
  REQUIRE(data.difficult[i5].size() == 1);
  CHECK(data.difficult[i5][0].cx == chair.cx);
  CHECK(data.difficult[1 - i5].empty());
  const EvalTruth truth = eval_truth(data);
  CHECK(truth.boxes[i5].size() == 3);
  CHECK(truth.difficult[i5] == std::vector<char>{0, 1, 0});

  // --skip-difficult leaves the difficult chair out of labels/, not out of difficult/; copies.
  ConvertOptions skip = options("voc", dir / "VOC", dir / "skip");
  skip.skip_difficult = true;
  skip.copy_images = true;
  const ConvertedDataset s = convert_dataset(skip, out);
  CHECK(s.objects == 2);
  CHECK(s.skipped == 1);
  CHECK(slurp(dir / "skip" / "labels" / "000005.txt") ==
        "8 0.586000 0.732000 0.124000 0.344000\n10 0.019000 0.052000 0.002000 0.002667\n");
  CHECK(fs::exists(dir / "skip" / "difficult" / "000005.txt"));
  // Left out of labels/, the difficult chair still joins the evaluation's ground truth, flagged.
  const DetectionData skipped = load_split(discover_dataset(dir / "skip").splits.at(0), lo);
  const size_t j5 = skipped.files[0].stem() == "000005" ? 0 : 1;
  CHECK(skipped.boxes[j5].size() == 2);
  const EvalTruth skipped_truth = eval_truth(skipped);
  REQUIRE(skipped_truth.boxes[j5].size() == 3);
  CHECK(skipped_truth.boxes[j5][2].w == chair.w);
  CHECK(skipped_truth.difficult[j5] == std::vector<char>{0, 0, 1});
  CHECK_FALSE(fs::is_symlink(dir / "skip" / "images" / "000005.png"));
  CHECK(slurp(dir / "skip" / "images" / "000005.png") ==
        slurp(dir / "VOC" / "JPEGImages" / "000005.png"));

  // A names file that does not exist yet is written; one that exists sets the class numbers.
  ConvertOptions named = options("voc", dir / "VOC", dir / "named");
  named.names = dir / "voc.names";
  convert_dataset(named, out);
  CHECK(read_names(dir / "voc.names") == voc_names());
  write_text(dir / "two.names", "diningtable\nchair\n");
  named.names = dir / "two.names";
  named.out = dir / "two";
  convert_dataset(named, out);
  CHECK(slurp(dir / "two" / "labels" / "000005.txt").substr(0, 2) == "1 ");
  CHECK(read_names(dir / "two" / "classes.names") ==
        std::vector<std::string>{"diningtable", "chair"});
}

TEST_CASE("yolo_v1 convert: VOC errors name the file, the line and the element", "[yolo_convert]") {
  TempDir dir("voc_err");
  write_voc(dir / "VOC");
  const fs::path xml = dir / "VOC" / "Annotations" / "000005.xml";
  const ConvertOptions o = options("voc", dir / "VOC", dir / "out");
  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = kVoc;
    text.replace(text.find(from), from.size(), to);
    write_text(xml, text);
    return convert_error(o);
  };
  const std::string f = xml.string();
  CHECK(with("<bndbox>\n      <xmin>263</xmin>\n      <ymin>211</ymin>\n      <xmax>324</xmax>\n"
             "      <ymax>339</ymax>\n    </bndbox>",
             "") == f + ":12: <object> has no <bndbox>");
  CHECK(with("<xmax>324</xmax>", "<xmax>501</xmax>") ==
        f + ":17: <bndbox> xmin=263 xmax=501 is outside the image (width 500: VOC pixels are "
            "1..500)");
  CHECK(with("<ymin>211</ymin>", "<ymin>0</ymin>") ==
        f + ":17: <bndbox> ymin=0 ymax=339 is outside the image (height 375: VOC pixels are "
            "1..375)");
  CHECK(with("<xmin>263</xmin>", "<xmin>330</xmin>") ==
        f + ":17: <bndbox> xmin=330 is past xmax=324");
  CHECK(with("<xmin>263</xmin>", "<xmin>26x</xmin>") == f + ":18: <xmin> '26x' is not a number");
  CHECK(with("<name>chair</name>\n    <pose>", "<name>unicorn</name>\n    <pose>") ==
        f + ":13: class 'unicorn' is not in VOC's 20 classes (pass --names with a file that "
            "lists it)");
  CHECK(with("<difficult>0</difficult>", "<difficult>yes</difficult>") ==
        f + ":16: <difficult> is 'yes'; expected 0 or 1");
  CHECK(with("</size>", "</sizes>") == f + ":10: malformed XML: </sizes> closes <size> of line 6");
  CHECK(with("<width>500</width>", "") == f + ":6: <size> has no <width>");
  CHECK(with("000005.png", "000006.png") ==
        f + ":5: image '" + (dir / "VOC" / "JPEGImages" / "000006.png").string() +
            "' does not exist (--image-dir sets the folder)");
  CHECK_THAT(with("000005.png", "../x.png"), Contains("must be a relative path inside"));
  // A names file without the class.
  write_text(xml, kVoc);
  write_text(dir / "few.names", "chair\n");
  ConvertOptions few = o;
  few.names = dir / "few.names";
  CHECK_THAT(convert_error(few),
             Contains(":30: class 'diningtable' is not in '" + few.names.string() + "'"));
  CHECK_THAT(convert_error(options("voc", dir.path, dir / "out")), Contains("has no Annotations/"));
  CHECK_FALSE(fs::exists(dir / "out" / "labels"));  // nothing was written by the failed runs
}

TEST_CASE("yolo_v1 convert: a COCO instances file, field by field", "[yolo_convert]") {
  TempDir dir("coco");
  write_coco(dir / "coco");
  std::ostringstream out;
  const ConvertedDataset d =
      convert_dataset(options("coco", dir / "coco" / "instances.json", dir / "out"), out);
  INFO(out.str());
  // Classes in category id order: person (id 1) = 0, dog (id 18) = 1.
  CHECK(d.names == std::vector<std::string>{"person", "dog"});
  CHECK(d.objects == 3);
  CHECK(d.skipped == 1);  // the crowd
  // a.png (640x480): dog [100, 120, 64, 48]: cx = (100 + 32) / 640 = 0.20625,
  // cy = (120 + 24) / 480 = 0.3, w = 64 / 640 = 0.1, h = 48 / 480 = 0.1; person: the whole image.
  CHECK(slurp(dir / "out" / "labels" / "a.txt") ==
        "1 0.206250 0.300000 0.100000 0.100000\n0 0.500000 0.500000 1.000000 1.000000\n");
  // b.png (100x50): [99.8, 0, 0.6, 50] reaches x = 100.4, within half a pixel of the edge: clipped
  // to 99.8..100, so cx = 99.9 / 100 = 0.999 and w = 0.2 / 100 = 0.002.
  CHECK(slurp(dir / "out" / "labels" / "b.txt") == "1 0.999000 0.500000 0.002000 1.000000\n");
  CHECK(read_names(dir / "out" / "classes.names") == d.names);
  CHECK_THAT(out.str(), Contains("crowd annotations (iscrowd 1) skipped: 1"));

  // Through the command line, with a names file that exists: its order sets the numbers.
  write_text(dir / "pets.names", "dog\ncat\nperson\n");
  Cli cli;
  cli.parse({"convert", "--from", "coco", (dir / "coco" / "instances.json").string(), "--out",
             (dir / "cli").string(), "--names", (dir / "pets.names").string()});
  std::ostringstream o2, e2;
  CHECK(cli.chosen().run({o2, e2, false}) == 0);
  CHECK(slurp(dir / "cli" / "labels" / "a.txt") ==
        "0 0.206250 0.300000 0.100000 0.100000\n2 0.500000 0.500000 1.000000 1.000000\n");
  std::ostringstream report;
  CHECK(check_dataset(dir / "cli", {}, report).ok());
}

TEST_CASE("yolo_v1 convert: COCO errors name the file and the element", "[yolo_convert]") {
  TempDir dir("coco_err");
  const fs::path json = dir / "coco" / "instances.json";
  const std::string f = json.string();
  auto with = [&](const std::string& from, const std::string& to) {
    std::string text = kCoco;
    text.replace(text.find(from), from.size(), to);
    write_coco(dir / "coco", text);
    return convert_error(options("coco", json, dir / "out"));
  };
  CHECK(with("[100, 120, 64, 48]", "[600, 120, 64, 48]") ==
        f + ": annotations[0] (id 1): bbox [600,120,64,48] reaches outside the image (640x480) of "
            "image_id 7");
  CHECK(with("[100, 120, 64, 48]", "[100, 120, 0, 48]") ==
        f + ": annotations[0] (id 1): bbox [100,120,0,48] has a width or height that is not "
            "positive");
  CHECK(with("[100, 120, 64, 48]", "[100, 120, 64]") ==
        f + ": annotations[0] (id 1): bbox [100,120,64] is not 4 numbers [x, y, w, h]");
  CHECK(with("\"image_id\": 7, \"category_id\": 18", "\"image_id\": 8, \"category_id\": 18") ==
        f + ": annotations[0] (id 1): image_id 8 is not in images");
  CHECK(with("\"category_id\": 18, \"bbox\": [100", "\"category_id\": 5, \"bbox\": [100") ==
        f + ": annotations[0] (id 1): category_id 5 is not in categories");
  CHECK(with("\"id\": 9, \"file_name\"", "\"id\": 7, \"file_name\"") ==
        f + ": images[1]: image id 7 given twice");
  CHECK(with("\"width\": 640", "\"width\": \"640\"") ==
        f + ": images[0]: 'width' is \"640\", not a whole number");
  CHECK(with(", \"bbox\": [100, 120, 64, 48]", "") == f + ": annotations[0] (id 1) has no 'bbox'");
  CHECK_THAT(with("\"images\": [", "\"images\": [[,"), Contains(f + ": not valid JSON: "));
  CHECK_THAT(with("\"a.png\"", "\"missing.png\""),
             Contains(f + ": images[0]: image '") && Contains("missing.png' does not exist"));
  // A names file without one of the categories used.
  write_coco(dir / "coco");
  write_text(dir / "dogs.names", "dog\n");
  ConvertOptions o = options("coco", json, dir / "out");
  o.names = dir / "dogs.names";
  CHECK(convert_error(o) == f + ": annotations[1] (id 2): category 'person' (id 1) is not in '" +
                                o.names.string() + "' (pass --names with a file that lists it)");
  CHECK_FALSE(fs::exists(dir / "out"));
}

TEST_CASE("yolo_v1 convert: COCO values too deep or too large or too long for a message",
          "[yolo_convert]") {
  TempDir dir("coco_deep");
  const fs::path json = dir / "coco" / "instances.json";
  const std::string f = json.string();
  auto convert = [&](const std::string& text) {
    write_coco(dir / "coco", text);
    return convert_error(options("coco", json, dir / "out"));
  };
  // 200000 nested arrays as a category id: dump() in the message recursed until the stack ran
  // out (a crash); now refused while reading, with the file and the line.
  const std::string deep = std::string(200000, '[') + std::string(200000, ']');
  CHECK(convert("{\"categories\":[\n{\"id\":" + deep +
                ",\"name\":\"a\"}],\"images\":[],\"annotations\":[]}") ==
        f + ":2: arrays and objects nest deeper than 64 levels (COCO's need 5)");
  // 64 levels are read; a large value is shown by its kind, not dumped whole.
  const std::string d61 = std::string(61, '[') + std::string(61, ']');  // 64 in all
  CHECK(convert("{\"categories\":[{\"id\":" + d61 + ",\"name\":\"a\"}]}") ==
        f + ": categories[0]: 'id' is an array (1 element), not a whole number");
  CHECK(convert("{\"categories\":[{\"id\":[1,2,3,4,5,6,7,8,9],\"name\":\"a\"}]}") ==
        f + ": categories[0]: 'id' is an array (9 elements), not a whole number");
  CHECK(convert("{\"categories\":[{\"id\":[1,[2]],\"name\":\"a\"}]}") ==
        f + ": categories[0]: 'id' is an array (2 elements), not a whole number");
  CHECK(convert("{\"categories\":[{\"id\":[1,2],\"name\":\"a\"}]}") ==
        f + ": categories[0]: 'id' is [1,2], not a whole number");
  CHECK(convert("{\"categories\":[{\"id\":\"" + std::string(5000, 'x') + "\",\"name\":\"a\"}]}") ==
        f + ": categories[0]: 'id' is \"" + std::string(56, 'x') + "..., not a whole number");
  // A number out of double's range: nlohmann's out_of_range, now with the file's name.
  CHECK_THAT(convert("{\"categories\":[{\"id\":1e400,\"name\":\"a\"}]}"),
             Contains(f + ": not valid JSON: ") && Contains("1e400"));
  CHECK_THAT(convert("{\"categories\":[{\"id\":18446744073709551615,\"name\":\"a\"}]}"),
             Contains(f + ": categories[0]: 'id' is 18446744073709551615, too large"));
  // A NUL in a file name: the system would open "a.png" (before the NUL) and take it.
  std::string text = kCoco;
  text.replace(text.find("\"a.png\""), 7, "\"a.png\\u0000.png\"");
  CHECK(convert(text) == f + ": images[0]: image file name 'a.png\\x00.png' holds a NUL byte");
  CHECK_FALSE(fs::exists(dir / "out"));
}
