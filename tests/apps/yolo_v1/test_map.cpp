// Tests of the yolo_v1 app's VOC mAP: chainercv's known answers (all-point AP 0.25 where 11-point
// AP is 6/11 * 0.5), and hand-made cases for perfect detections, duplicates, the IoU >= 0.5 rule
// classes without ground truth and VOC's difficult objects. Every expected value is worked out in
// the comments.
#include <catch2/catch.hpp>

#include "apps/yolo_v1/map.h"
#include "core/error.h"

using namespace yolo;
using Catch::Matchers::Contains;

namespace {
// chainercv writes boxes as (y_min, x_min, y_max, x_max) in pixels; these live in an 8x8 image.
Box vbox(int cls, float y0, float x0, float y1, float x1) {
  return Box{cls, (x0 + x1) / 16.f, (y0 + y1) / 16.f, (x1 - x0) / 8.f, (y1 - y0) / 8.f};
}
// A box from its x and y extents, relative to the image.
Box xy(int cls, float x0, float x1, float y0, float y1) {
  return Box{cls, (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0};
}
Detection det(const Box& b, float score) { return Detection{b, score}; }
}  // namespace

TEST_CASE("yolo_v1 app: mAP reproduces chainercv's VOC test with both AP definitions",
          "[yolo_app]") {
  // chainercv tests/evaluations_tests/test_eval_detection_voc.py,
  // TestEvalDetectionVOCMultipleBboxes. Image 0: ground truth class 0 at [0,0,1,1] and [1,0,4,4];
  // detections class 0 [0,4,1,5] (1.0) and [0,0,1,1] (0.9). Image 1: ground truth class 1
  // [2,2,3,3]; detections class 0 [0,0,2,2] (0.7), class 1 [2,2,3,3] (0.6) and [5,5,7,7] (0.8).
  std::vector<std::vector<Box>> gt = {{vbox(0, 0, 0, 1, 1), vbox(0, 1, 0, 4, 4)},
                                      {vbox(1, 2, 2, 3, 3)}};
  std::vector<std::vector<Detection>> dets = {
      {det(vbox(0, 0, 4, 1, 5), 1.0f), det(vbox(0, 0, 0, 1, 1), 0.9f)},
      {det(vbox(0, 0, 0, 2, 2), 0.7f), det(vbox(1, 2, 2, 3, 3), 0.6f),
       det(vbox(1, 5, 5, 7, 7), 0.8f)}};
  // Class 0 by score: 1.0 overlaps nothing -> FP; 0.9 is [0,0,1,1] exactly -> TP; 0.7 is in image
  // 1, which has no class-0 box -> FP. 2 ground truths: recall 0, 1/2, 1/2; precision 0, 1/2, 1/3.
  //  all-point: envelope p(r) = 1/2 for r <= 1/2, 0 above -> AP = 1/2 * 1/2 = 0.25.
  //  11-point: t = 0, 0.1, ..., 0.5 see max precision 1/2 (6 points), t = 0.6 .. 1 see 0 -> 6/11 *
  //  0.5.
  // Class 1 by score: 0.8 [5,5,7,7] -> FP, 0.6 exact -> TP. recall 0, 1; precision 0, 1/2:
  //  envelope 1/2 on (0, 1] -> all-point 0.5; every t reaches recall 1 at precision 1/2 -> 11-point
  //  0.5.
  for (float thr : {0.4f, 0.5f}) {  // chainercv uses 0.4; every IoU here is 0 or 1, so 0.5 agrees
    MapResult r = evaluate_map(dets, gt, 2, thr);
    const ClassAP& a = r.classes[0];
    CHECK(a.recall == std::vector<double>{0.0, 0.5, 0.5});
    REQUIRE(a.precision.size() == 3);
    CHECK(a.precision[0] == 0.0);
    CHECK(a.precision[1] == 0.5);
    CHECK(a.precision[2] == Approx(1.0 / 3.0));
    CHECK(a.ap_all_point == Approx(0.25));
    CHECK(a.ap_11_point == Approx(6.0 / 11.0 * 0.5));
    CHECK(r.classes[1].recall == std::vector<double>{0.0, 1.0});
    CHECK(r.classes[1].precision == std::vector<double>{0.0, 0.5});
    CHECK(r.classes[1].ap_all_point == Approx(0.5));
    CHECK(r.classes[1].ap_11_point == Approx(0.5));
    CHECK(r.classes_with_ground_truth == 2);
    CHECK(r.map_all_point == Approx((0.25 + 0.5) / 2));
    CHECK(r.map_11_point == Approx((6.0 / 11.0 * 0.5 + 0.5) / 2));
  }
  // The AP functions on that curve directly.
  CHECK(ap_all_point({0.0, 0.5, 0.5}, {0.0, 0.5, 1.0 / 3}) == Approx(0.25));
  CHECK(ap_11_point({0.0, 0.5, 0.5}, {0.0, 0.5, 1.0 / 3}) == Approx(3.0 / 11.0));
}

TEST_CASE("yolo_v1 app: mAP of chainercv's one-box case at IoU 0.5", "[yolo_app]") {
  // TestEvalDetectionVOCOneBbox: ground truth [0,0,1,0.9]; detections [0,0,1,1] (0.8), [0,0,2,2]
  // (0.9), [0.3,0.3,0.5,0.5] (1.0) with IoU 0.9, 0.225, 0.044 in continuous coordinates
  // (chainercv's comment lists other values, with the same outcome) -> in score order FP, FP, TP.
  // recall 0, 0, 1; precision 0, 0, 1/3 -> both APs 1/3.
  std::vector<std::vector<Box>> gt = {{vbox(0, 0, 0, 1, 0.9f)}};
  std::vector<std::vector<Detection>> dets = {{det(vbox(0, 0, 0, 1, 1), 0.8f),
                                               det(vbox(0, 0, 0, 2, 2), 0.9f),
                                               det(vbox(0, 0.3f, 0.3f, 0.5f, 0.5f), 1.0f)}};
  MapResult r = evaluate_map(dets, gt, 1);
  CHECK(r.classes[0].recall == std::vector<double>{0.0, 0.0, 1.0});
  CHECK(r.classes[0].precision[2] == Approx(1.0 / 3));
  CHECK(r.classes[0].ap_all_point == Approx(1.0 / 3));
  CHECK(r.classes[0].ap_11_point == Approx(1.0 / 3));
  // At IoU 0.97 nothing matches: AP 0.
  CHECK(evaluate_map(dets, gt, 1, 0.97f).map_all_point == 0.0);
}

TEST_CASE("yolo_v1 app: perfect detections give mAP 1 under both definitions", "[yolo_app]") {
  std::vector<std::vector<Box>> gt = {
      {xy(0, 0.1f, 0.3f, 0.1f, 0.4f), xy(1, 0.5f, 0.9f, 0.5f, 0.7f)},
      {xy(1, 0.2f, 0.6f, 0.2f, 0.6f)},
      {}};
  std::vector<std::vector<Detection>> dets(3);
  for (size_t i = 0; i < gt.size(); ++i)
    for (const Box& b : gt[i]) dets[i].push_back(det(b, 0.9f));
  MapResult r = evaluate_map(dets, gt, 2);
  CHECK(r.map_all_point == 1.0);
  CHECK(r.map_11_point == Approx(1.0));
  CHECK(r.classes[1].true_positives == 2);
}

TEST_CASE("yolo_v1 app: a duplicate detection is a false positive", "[yolo_app]") {
  // Objects A and B of one class; detections A (0.9), A again (0.8), B (0.7): TP, FP, TP.
  // recall 1/2, 1/2, 1; precision 1, 1/2, 2/3.
  //  all-point: envelope 1 on (0, 1/2], 2/3 on (1/2, 1] -> 1/2 * 1 + 1/2 * 2/3 = 5/6.
  //  11-point: t = 0..0.5 -> 1 (6 points), t = 0.6..1 -> 2/3 (5 points) -> (6 + 10/3) / 11 = 28/33.
  Box A = xy(0, 0.0f, 0.25f, 0.0f, 0.25f), B = xy(0, 0.5f, 0.75f, 0.5f, 0.75f);
  MapResult r = evaluate_map({{det(A, 0.9f), det(A, 0.8f), det(B, 0.7f)}}, {{A, B}}, 1);
  const ClassAP& a = r.classes[0];
  CHECK(a.true_positives == 2);
  CHECK(a.detections == 3);
  CHECK(a.recall == std::vector<double>{0.5, 0.5, 1.0});
  CHECK(a.precision[1] == 0.5);
  CHECK(a.precision[2] == Approx(2.0 / 3));
  CHECK(a.ap_all_point == Approx(5.0 / 6));
  CHECK(a.ap_11_point == Approx(28.0 / 33));
}

TEST_CASE(
    "yolo_v1 app: mAP counts IoU of exactly 0.5 as a match and compares with the best overlap",
    "[yolo_app]") {
  // Ground truth x [0, 0.5], full height. A detection x [0, 0.25]: IoU 0.25 / 0.5 = 0.5 -> TP.
  Box g = xy(0, 0.0f, 0.5f, 0.0f, 1.0f);
  CHECK(evaluate_map({{det(xy(0, 0.0f, 0.25f, 0.0f, 1.0f), 0.5f)}}, {{g}}, 1)
            .classes[0]
            .true_positives == 1);
  // x [0, 0.234375]: IoU 0.46875 < 0.5 -> FP, AP 0.
  MapResult miss = evaluate_map({{det(xy(0, 0.0f, 0.234375f, 0.0f, 1.0f), 0.5f)}}, {{g}}, 1);
  CHECK(miss.classes[0].true_positives == 0);
  CHECK(miss.map_all_point == 0.0);
  // The VOC devkit compares a detection with the ground truth it overlaps most, even when that one
  // is already matched. A = x [0, 0.5] y [0, 1]; B = x [0.25, 0.75] y [0, 0.875]. Detection 1 is A
  // (TP). Detection 2, x [0.125, 0.625] y [0, 1]: IoU with A 0.375 / 0.625 = 0.6, with B
  // 0.328125 / 0.609375 = 0.538; the best, A, is taken -> FP (not a match with B).
  Box A = xy(0, 0.0f, 0.5f, 0.0f, 1.0f), B = xy(0, 0.25f, 0.75f, 0.0f, 0.875f);
  MapResult r =
      evaluate_map({{det(A, 0.9f), det(xy(0, 0.125f, 0.625f, 0.0f, 1.0f), 0.8f)}}, {{A, B}}, 1);
  CHECK(r.classes[0].true_positives == 1);
  CHECK(r.classes[0].recall == std::vector<double>{0.5, 0.5});
}

TEST_CASE("yolo_v1 app: all-point AP uses the monotone precision envelope", "[yolo_app]") {
  // Objects A and B; detections: a miss (0.9), A (0.8), B (0.7): FP, TP, TP.
  // recall 0, 1/2, 1; precision 0, 1/2, 2/3. The envelope raises precision at recall 1/2 to 2/3:
  //  all-point = 1/2 * 2/3 + 1/2 * 2/3 = 2/3 (without the envelope it would be 1/2 * 1/2 + 1/2 *
  //  2/3 = 7/12); 11-point: every t in 0..1 reaches recall 1 at precision 2/3 -> 2/3.
  Box A = xy(0, 0.0f, 0.25f, 0.0f, 0.25f), B = xy(0, 0.5f, 0.75f, 0.5f, 0.75f);
  Box miss = xy(0, 0.0f, 0.25f, 0.75f, 1.0f);
  MapResult r = evaluate_map({{det(miss, 0.9f), det(A, 0.8f), det(B, 0.7f)}}, {{A, B}}, 1);
  CHECK(r.classes[0].recall == std::vector<double>{0.0, 0.5, 1.0});
  CHECK(r.classes[0].ap_all_point == Approx(2.0 / 3));
  CHECK(r.classes[0].ap_11_point == Approx(2.0 / 3));
}

TEST_CASE("yolo_v1 app: classes without ground truth are left out of the mean", "[yolo_app]") {
  // Class 0: found exactly (AP 1). Class 1: has ground truth, never detected (AP 0).
  // Class 2: no ground truth, one stray detection -> reported, not averaged. mAP = (1 + 0) / 2.
  Box a = xy(0, 0.1f, 0.4f, 0.1f, 0.4f), b = xy(1, 0.5f, 0.9f, 0.5f, 0.9f);
  MapResult r =
      evaluate_map({{det(a, 0.8f), det(xy(2, 0.5f, 0.9f, 0.5f, 0.9f), 0.6f)}}, {{a, b}}, 3);
  CHECK(r.classes_with_ground_truth == 2);
  CHECK(r.classes[0].ap_all_point == 1.0);
  CHECK(r.classes[1].ap_all_point == 0.0);
  CHECK(r.classes[2].ground_truths == 0);
  CHECK(r.classes[2].detections == 1);
  CHECK(r.map_all_point == Approx(0.5));
  CHECK(r.map_11_point == Approx(0.5));
  const std::string table = format_map(r, {"a", "b", "c"});
  CHECK_THAT(table, Contains("VOC2010+ all-point 0.5000") && Contains("VOC2007 11-point 0.5000"));
  CHECK_THAT(table, Contains("no ground truth"));
  // No ground truth at all: mAP 0 over 0 classes.
  MapResult none = evaluate_map({{det(a, 0.5f)}}, {{}}, 1);
  CHECK(none.classes_with_ground_truth == 0);
  CHECK(none.map_all_point == 0.0);
}

TEST_CASE("yolo_v1 app: mAP rejects mismatched inputs", "[yolo_app]") {
  Box a = xy(0, 0.1f, 0.4f, 0.1f, 0.4f);
  CHECK_THROWS_WITH(evaluate_map({{}, {}}, {{a}}, 1), Contains("2 images") && Contains("1"));
  CHECK_THROWS_WITH(evaluate_map({{det(xy(3, 0.1f, 0.4f, 0.1f, 0.4f), 0.5f)}}, {{a}}, 2),
                    Contains("class 3 is outside [0, 2)"));
  CHECK_THROWS_AS(ap_all_point({0.5, 0.25}, {1.0, 1.0}), minidl::Error);
  CHECK_THROWS_AS(ap_11_point({0.5}, {}), minidl::Error);
}

TEST_CASE("yolo_v1 app: difficult boxes are not counted and detections of them are ignored",
          "[yolo_app]") {
  // Image 0: object A and a difficult object D; image 1: object B (all class 0). Detections: D
  // (0.9), A (0.8), nothing (0.7), B (0.6), D again (0.5). As the VOC devkit scores them, both
  // detections of D are ignored (neither TP nor FP, no point of the curve) and there are 2 ground
  // truths: TP, FP, TP -> recall 1/2, 1/2, 1; precision 1, 1/2, 2/3: AP 5/6 and 28/33, as in the
  // duplicate case above.
  const Box A = xy(0, 0.0f, 0.25f, 0.0f, 0.25f), D = xy(0, 0.5f, 1.0f, 0.5f, 1.0f),
            B = xy(0, 0.25f, 0.5f, 0.25f, 0.5f), nothing = xy(0, 0.0f, 0.1f, 0.8f, 0.9f);
  const std::vector<std::vector<Detection>> dets = {
      {det(D, 0.9f), det(A, 0.8f), det(nothing, 0.7f), det(D, 0.5f)}, {det(B, 0.6f)}};
  const std::vector<std::vector<Box>> gt = {{A, D}, {B}};
  const std::vector<std::vector<char>> flags = {{0, 1}, {0}};
  MapResult r = evaluate_map(dets, gt, 1, 0.5f, &flags);
  const ClassAP& a = r.classes[0];
  CHECK(a.ground_truths == 2);
  CHECK(a.difficult == 1);
  CHECK(a.detections == 5);
  CHECK(a.ignored == 2);
  CHECK(a.true_positives == 2);
  CHECK(a.recall == std::vector<double>{0.5, 0.5, 1.0});
  CHECK(a.precision[1] == 0.5);
  CHECK(a.ap_all_point == Approx(5.0 / 6));
  CHECK(a.ap_11_point == Approx(28.0 / 33));
  CHECK_THAT(format_map(r, {"thing"}),
             Contains("1 difficult boxes, not counted as ground truth; 2 detections of them"));
  // Without the flags D is an object like the others: TP, TP, FP, TP, FP over 3 ground truths.
  const ClassAP plain = evaluate_map(dets, gt, 1).classes[0];
  CHECK(plain.ground_truths == 3);
  CHECK(plain.true_positives == 3);
  CHECK(plain.ignored == 0);
  CHECK(plain.recall == std::vector<double>{1.0 / 3, 2.0 / 3, 2.0 / 3, 1.0, 1.0});
  // A detection that overlaps a difficult box less than the threshold is a false positive.
  const Box near_D = xy(0, 0.5f, 1.0f, 0.5f, 0.7f);  // IoU with D: 0.1 / 0.25 = 0.4
  const ClassAP low = evaluate_map({{det(near_D, 0.9f)}, {}}, gt, 1, 0.5f, &flags).classes[0];
  CHECK(low.ignored == 0);
  CHECK(low.precision == std::vector<double>{0.0});
  // Flags must match the ground truth's shape.
  const std::vector<std::vector<char>> short_flags = {{0}, {0}};
  CHECK_THROWS_WITH(evaluate_map(dets, gt, 1, 0.5f, &short_flags),
                    Contains("image 0 has 2 ground-truth boxes but 1 difficult flags"));
}
