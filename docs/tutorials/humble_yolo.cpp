// Tutorial 4 (docs/tutorials/4-humble-yolo.md): the Keras "humble YOLO" article end to end on the
// CPU: its dataset (the words "chat" and "rat" in the cells of a 2x2 grid of a 64x64 image, from
// apps/yolo_v1's generator), its network (apps/yolo_v1's "humble" model) and its loss
// (humble_yolo_loss.h; --constant-iou detaches its IoU), trained with Adam; then VOC mAP@0.5 on
// held-out images and a PNG of the predictions. Exits non-zero when the loss does not fall or
// --min-map is not reached.
#include <minidl/minidl.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cstdio>
#include <string>
#include <vector>

#include "apps/yolo_v1/detect.h"
#include "apps/yolo_v1/generate.h"
#include "apps/yolo_v1/map.h"
#include "apps/yolo_v1/model.h"
#include "humble_yolo_loss.h"

using namespace minidl;

namespace {

constexpr int kSize = 64, kGrid = 2, kCells = kGrid * kGrid, kRow = 8;  // 3 class slots + 5

struct Batch {
  Tensor x;       // (N, 3, 64, 64) images in [0, 1]
  Tensor y_true;  // (N, 4, 8) the article's rows [c0 c1 c2, x y w h conf], one per cell
  std::vector<std::vector<Box>> boxes;  // the ground truth, relative to the image
  std::vector<Image> images;
};

// The article's target: cell k = row * 2 + col holds [one-hot class (3 slots, 2 used), x, y, w, h,
// 1] for the word whose centre it contains; x, y in grid units (the cell's offset included, as the
// loss expects), w, h in cell units (the same unit, so the loss's IoU compares like with like).
Batch make_batch(int n, Generator& gen) {
  Batch b;
  std::vector<float> x(static_cast<size_t>(n) * 3 * kSize * kSize), y(n * kCells * kRow, 0.f);
  for (int i = 0; i < n; ++i) {
    yolo::GeneratedImage g = yolo::render_words(kSize, gen);
    to_chw(g.image, kSize, x.data() + static_cast<size_t>(i) * 3 * kSize * kSize);
    for (const Box& box : g.boxes) {
      const int col = std::min(kGrid - 1, static_cast<int>(box.cx * kGrid));
      const int row = std::min(kGrid - 1, static_cast<int>(box.cy * kGrid));
      float* r = &y[(i * kCells + row * kGrid + col) * kRow];
      r[box.cls] = 1.f;
      r[3] = box.cx * kGrid, r[4] = box.cy * kGrid, r[5] = box.w * kGrid, r[6] = box.h * kGrid;
      r[7] = 1.f;
    }
    b.boxes.push_back(g.boxes);
    b.images.push_back(std::move(g.image));
  }
  b.x = from_vector(x, {n, 3, kSize, kSize});
  b.y_true = from_vector(y, {n, kCells, kRow});
  return b;
}

// The article's rows [c0 c1 c2, x y w h conf] (N, 4, 8) in minidl's YOLOv1 layout
// [x y w h conf, c0 c1] (N, 2, 2, 7), with w, h from cell to image units, so that minidl::decode
// reads them: a box ((col + x) / 2, (row + y) / 2, w, h) per cell and class, scored as YOLO scores
// a class, the confidence times the class score. (The article's loss trains the confidence only
// where there is an object, but the class scores everywhere: towards 0 in empty cells.)
std::vector<std::vector<Detection>> detect(const Tensor& y_pred, float threshold) {
  Tensor pred = concat({y_pred.slice(-1, 3, 5), y_pred.slice(-1, 5, 7) / static_cast<float>(kGrid),
                        y_pred.slice(-1, 7, 8), y_pred.slice(-1, 0, 2)},
                       -1);
  YoloV1Options o;
  o.S = kGrid, o.B = 1, o.C = 2, o.sqrt_wh = false;
  return decode(reshape(pred, {-1, kGrid, kGrid, 7}), o, threshold);
}

// The first `count` images side by side, each enlarged `zoom` times (every pixel a zoom x zoom
// square: sharp letters, and a PNG a quarter the size of a bilinear enlargement), with the true
// boxes in grey and the predictions drawn by the yolo_v1 app's draw_detections (class colour, name,
// score).
Image draw_predictions(const Batch& b, const std::vector<std::vector<Detection>>& dets, int count,
                       int zoom) {
  const int side = kSize * zoom, gap = 4;
  Image sheet(count * (side + gap) + gap, side + 2 * gap, 3, 255);
  const std::vector<std::string> names = yolo::preset_names("words");  // chat, rat
  for (int i = 0; i < count; ++i) {
    Image big(side, side, 3);
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x)
        std::copy_n(b.images[i].at(x / zoom, y / zoom), 3, big.at(x, y));
    for (const Box& box : b.boxes[i]) {
      const auto [x0, y0, x1, y1] = yolo::pixel_box(box, side, side);
      draw_box(big, x0, y0, x1, y1, Rgb{128, 128, 128});
    }
    yolo::draw_detections(big, dets[i], names);
    const int x0 = gap + i * (side + gap);
    for (int y = 0; y < side; ++y)
      for (int x = 0; x < side; ++x) std::copy_n(big.at(x, y), 3, sheet.at(x0 + x, gap + y));
  }
  return sheet;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"humble_yolo: the Keras humble YOLO (dataset, network, loss) trained on the CPU"};
  int train_images = 512, test_images = 64, epochs = 5, batch = 32, threads = 0;
  float lr = 1e-3f, min_map = 0.f;
  bool constant_iou = false;
  uint64_t seed = 1;
  std::string out = "humble_yolo_predictions.png";
  app.add_option("--train", train_images, "training images")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--test", test_images, "held-out images")
      ->capture_default_str()
      ->check(CLI::Range(8, 100000));
  app.add_option("--epochs", epochs, "passes over the training images")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--batch", batch, "mini-batch size")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--lr", lr, "Adam learning rate")
      ->capture_default_str()
      ->check(CLI::PositiveNumber);
  app.add_option("--seed", seed, "random seed (data and weights)")->capture_default_str();
  app.add_flag("--constant-iou", constant_iou,
               "train the confidence towards a constant IoU (darknet) instead of differentiating "
               "through it (the article)");
  app.add_option("--threads", threads, "CPU threads (0: MINIDL_NUM_THREADS or all cores)")
      ->capture_default_str()
      ->check(CLI::NonNegativeNumber);
  app.add_option("--out", out, "PNG of the first 8 held-out images with their predictions")
      ->capture_default_str();
  app.add_option("--min-map", min_map, "exit with status 1 below this held-out mAP@0.5 (for tests)")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    if (threads > 0) set_num_threads(threads);
    Generator gen(seed);
    Batch train = make_batch(train_images, gen), test = make_batch(test_images, gen);
    // The article's network, as the yolo_v1 app defines it: 2x2 grid, 1 box, 3 class slots.
    std::shared_ptr<Sequential> model = yolo::make_model(yolo::reference_config("humble", 3), gen);
    Adam opt(model->parameters(), lr);
    std::printf("%s", summary(*model, {1, 3, kSize, kSize}).c_str());
    std::printf("%d training and %d held-out images\n", train_images, test_images);

    auto held_out_map = [&]() {
      NoGradGuard no_grad;
      Tensor y = reshape((*model)(test.x), {-1, kCells, kRow});
      return yolo::evaluate_map(detect(y, 0.005f), test.boxes, 2).map_all_point;
    };
    std::printf("held-out mAP@0.5 before training: %.3f\n", held_out_map());
    const tutorial::HumbleIou iou =
        constant_iou ? tutorial::HumbleIou::constant : tutorial::HumbleIou::differentiated;
    auto loss_of = [iou](const Tensor& y_true, const Tensor& y_pred) {
      Tensor y = reshape(y_pred, {-1, kCells, kRow});
      return mean(tutorial::humble_yolo_loss(y_true, y, kGrid, kGrid, 1, iou));
    };
    float first = 0.f, last = 0.f;
    std::vector<int64_t> order(train_images);
    for (int i = 0; i < train_images; ++i) order[i] = i;
    for (int epoch = 1; epoch <= epochs; ++epoch) {
      for (int64_t i = train_images - 1; i > 0; --i) std::swap(order[i], order[gen.below(i + 1)]);
      double sum = 0;
      int batches = 0;
      for (int start = 0; start < train_images; start += batch) {
        const int n = std::min(batch, train_images - start);
        std::vector<Tensor> xs, ys;
        for (int j = start; j < start + n; ++j) {
          xs.push_back(train.x.select(0, order[j]));
          ys.push_back(train.y_true.select(0, order[j]));
        }
        Tensor loss = loss_of(stack(ys), (*model)(stack(xs)));
        opt.zero_grad();
        loss.backward();
        opt.step();
        sum += loss.item();
        ++batches;
      }
      last = static_cast<float>(sum / batches);
      if (epoch == 1) first = last;
      if (epoch == 1 || epoch % 5 == 0 || epoch == epochs) {
        std::printf("epoch %3d/%d  loss %.4f\n", epoch, epochs, last);
        std::fflush(stdout);
      }
    }

    NoGradGuard no_grad;
    model->eval();
    Tensor y_pred = reshape((*model)(test.x), {-1, kCells, kRow});
    std::printf("held-out loss %.4f\n",
                mean(tutorial::humble_yolo_loss(test.y_true, y_pred)).item());
    yolo::MapResult m = yolo::evaluate_map(detect(y_pred, 0.005f), test.boxes, 2);
    std::printf("held-out mAP@0.5: %.3f (chat %.3f, rat %.3f; VOC2010+ all-point AP)\n",
                m.map_all_point, m.classes[0].ap_all_point, m.classes[1].ap_all_point);
    std::vector<std::vector<Detection>> shown = detect(y_pred, 0.2f);
    for (auto& d : shown) d = nms(d, 0.4f, /*class_agnostic=*/true);  // one label per word
    save_png(out, draw_predictions(test, shown, 8, 3));
    std::printf("predictions drawn in %s\n", out.c_str());
    bool ok = last < 0.5f * first && m.map_all_point >= min_map;
    std::printf("%s\n", ok ? "OK" : "FAILED");
    return ok ? 0 : 1;
  } catch (const Error& e) {
    std::fprintf(stderr, "humble_yolo: %s\n", e.what());
    return 2;
  }
}
