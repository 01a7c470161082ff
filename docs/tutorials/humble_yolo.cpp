// Tutorial 4 (docs/tutorials/4-humble-yolo.md): the article "Humble YOLO implementation in Keras"
// on the CPU. From the article: the task (the words "chat" and "rat" on a 2x2 grid), the layout of
// a cell's row, the network and the loss (humble_yolo_loss.h). Ours: the images (apps/yolo_v1's
// words generator), the training setup (Adam, batch, epochs, sizes), the mAP and the drawing.
// --example prints the loss, as printed and corrected, on the article's data file.
// Exits non-zero when the loss does not fall or --min-map is not reached.
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
using tutorial::HumbleIou;
using tutorial::HumbleWh;

namespace {

constexpr int kSize = 64, kGrid = 2, kCells = kGrid * kGrid, kRow = 8;  // 3 class slots + 5

struct Batch {
  Tensor x;       // (N, 3, 64, 64) images in [0, 1]
  Tensor y_true;  // (N, 4, 8) the article's rows [c0 c1 c2, x y w h conf], one per cell
  std::vector<std::vector<Box>> boxes;  // the ground truth, relative to the image
  std::vector<Image> images;
};

// One cell's target in the article's units: x, y in cells (offset included), w, h in images.
// A cell without a word is written as the article's data file writes one: class slot 2, the
// whole cell as its box, confidence 0 (the loss reads none of it).
void write_cell(float* r, int col, int row, const Box* box) {
  std::fill(r, r + kRow, 0.f);
  if (!box) {
    r[2] = 1.f;
    r[3] = col + 0.5f, r[4] = row + 0.5f, r[5] = 1.f / kGrid, r[6] = 1.f / kGrid;
    return;
  }
  r[box->cls] = 1.f;
  r[3] = box->cx * kGrid, r[4] = box->cy * kGrid, r[5] = box->w, r[6] = box->h;
  r[7] = 1.f;
}

Batch make_batch(int n, Generator& gen) {
  Batch b;
  std::vector<float> x(static_cast<size_t>(n) * 3 * kSize * kSize), y(n * kCells * kRow);
  for (int i = 0; i < n; ++i) {
    yolo::GeneratedImage g = yolo::render_words(kSize, gen);
    to_chw(g.image, kSize, x.data() + static_cast<size_t>(i) * 3 * kSize * kSize);
    const Box* in_cell[kCells] = {};
    for (const Box& box : g.boxes) {  // the generator puts at most one word in a cell
      const int col = std::min(kGrid - 1, static_cast<int>(box.cx * kGrid));
      const int row = std::min(kGrid - 1, static_cast<int>(box.cy * kGrid));
      in_cell[row * kGrid + col] = &box;
    }
    for (int k = 0; k < kCells; ++k)
      write_cell(&y[(i * kCells + k) * kRow], k % kGrid, k / kGrid, in_cell[k]);
    b.boxes.push_back(g.boxes);
    b.images.push_back(std::move(g.image));
  }
  b.x = from_vector(x, {n, 3, kSize, kSize});
  b.y_true = from_vector(y, {n, kCells, kRow});
  return b;
}

// The article's rows [c0 c1 c2, x y w h conf] (N, 4, 8) in minidl's YOLOv1 layout
// [x y w h conf, c0 c1] (N, 2, 2, 7), which minidl::decode reads: a box ((col + x) / 2,
// (row + y) / 2, w, h) per cell and class, scored as YOLO scores a class, the confidence times
// the class score. The article's loss trains neither of them in a cell without a word.
std::vector<std::vector<Detection>> detect(const Tensor& y_pred, float threshold) {
  Tensor pred = concat({y_pred.slice(-1, 3, 8), y_pred.slice(-1, 0, 2)}, -1);
  YoloV1Options o;
  o.S = kGrid, o.B = 1, o.C = 2, o.sqrt_wh = false;
  return decode(reshape(pred, {-1, kGrid, kGrid, 7}), o, threshold);
}

// The first `count` images side by side, each enlarged `zoom` times (every pixel a zoom x zoom
// square: sharp letters, and a PNG a quarter the size of a bilinear enlargement), with the true
// boxes in grey and the predictions drawn by the yolo_v1 app's draw_detections (class colour,
// name, score).
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

// The mean predicted row of the held-out cells with a word and of those without: shows what the
// network has learnt to tell apart (the article's loss never trains a cell without a word).
void print_mean_rows(const Tensor& y_true, const Tensor& y_pred) {
  std::vector<float> p = y_pred.to_vector(), t = y_true.to_vector();
  double total[2][kRow] = {};
  int count[2] = {};
  for (size_t c = 0; c < p.size() / kRow; ++c) {
    const int word = t[c * kRow + 7] > 0.5f;
    for (int j = 0; j < kRow; ++j) total[word][j] += p[c * kRow + j];
    ++count[word];
  }
  for (int word : {1, 0}) {
    std::printf("mean prediction, %-13s", word ? "word cells:" : "empty cells:");
    const char* names[kRow] = {"c0", "c1", "c2", "x", "y", "w", "h", "conf"};
    for (int j = 0; j < kRow; ++j)
      std::printf(" %s %.3f", names[j], count[word] ? total[word][j] / count[word] : 0.0);
    std::printf("\n");
  }
}

// The page's worked example: the article's data file as targets, with our predictions.
void print_example() {
  // The data file, in pixels of a 64 x 64 image (cells of 32): class slots, x y w h, confidence.
  // Cells in the file's order (0,0), (1,0), (0,1), (1,1), i.e. k = row * 2 + column.
  const float file[kCells][8] = {{0, 1, 0, 14, 22, 18, 10, 1},
                                 {1, 0, 0, 35, 23, 24, 10, 1},
                                 {0, 0, 1, 16, 48, 32, 32, 0},
                                 {1, 0, 0, 52, 35, 24, 10, 1}};
  std::vector<float> t;
  for (const auto& r : file)
    t.insert(t.end(), {r[0], r[1], r[2], r[3] / 32, r[4] / 32, r[5] / 64, r[6] / 64, r[7]});
  Tensor y_true = from_vector(t, {1, kCells, kRow});
  // Our predictions: sigmoid outputs, x and y inside the cell.
  Tensor y_pred = from_vector({0.2f, 0.7f, 0.4f, 0.55f, 0.6f,  0.25f, 0.16f, 0.6f,  //
                               0.6f, 0.3f, 0.1f, 0.15f, 0.75f, 0.36f, 0.25f, 0.5f,  //
                               0.3f, 0.2f, 0.9f, 0.5f,  0.5f,  0.3f,  0.3f,  0.4f,  //
                               0.9f, 0.1f, 0.0f, 0.45f, 0.12f, 0.49f, 0.09f, 0.8f},
                              {1, kCells, kRow});
  for (HumbleWh wh : {HumbleWh::as_printed, HumbleWh::corrected}) {
    std::printf("%s\n", wh == HumbleWh::as_printed ? "as printed (y_true_wh reads the predictions):"
                                                   : "corrected (y_true_wh reads the targets):");
    tutorial::HumbleYoloTerms d = tutorial::humble_yolo_terms(y_true, y_pred, wh);
    std::vector<float> c = d.clss.to_vector(), xy = d.xy.to_vector(), sz = d.wh.to_vector(),
                       cf = d.conf.to_vector(), iou = d.iou.to_vector();
    for (int k = 0; k < kCells; ++k)
      std::printf("  cell (%d,%d)  class %.5f  xy %.5f  wh %.5f  conf %.5f  IoU %.5f  d %.5f\n",
                  k % kGrid, k / kGrid, c[k], xy[k], sz[k], cf[k], iou[k],
                  c[k] + xy[k] + sz[k] + cf[k]);
    std::printf("  Keras' loss, the mean over 1 image x 4 cells: %.5f\n",
                mean(tutorial::humble_yolo_loss(y_true, y_pred, wh)).item());
  }
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{
      "humble_yolo: the network and loss of \"Humble YOLO implementation in Keras\", "
      "trained on the CPU on images of the words chat and rat"};
  int train_images = 512, test_images = 64, epochs = 5, batch = 32, threads = 0;
  float lr = 1e-3f, min_map = 0.f;
  std::string loss_name = "corrected";
  bool constant_iou = false, example = false, summary_only = false;
  uint64_t seed = 1;
  std::string out = "humble_yolo_predictions.png";
  app.add_flag("--example", example,
               "print the loss, as printed and corrected, on the article's data file, and exit");
  app.add_flag("--summary", summary_only, "print the network's layers and parameters, and exit");
  app.add_option("--loss", loss_name,
                 "the article's loss as printed (its size term reads the predictions) or corrected")
      ->capture_default_str()
      ->check(CLI::IsMember({"as-printed", "corrected"}));
  app.add_flag("--constant-iou", constant_iou,
               "ours: train the confidence towards a constant IoU instead of differentiating "
               "through it (Keras, with the article's code)");
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
    if (example) {
      print_example();
      return 0;
    }
    const HumbleWh wh = loss_name == "as-printed" ? HumbleWh::as_printed : HumbleWh::corrected;
    const HumbleIou iou = constant_iou ? HumbleIou::constant : HumbleIou::differentiated;
    Generator gen(seed);
    if (summary_only) {
      std::shared_ptr<Sequential> m = yolo::make_model(yolo::reference_config("humble", 3), gen);
      std::printf("%s", summary(*m, {1, 3, kSize, kSize}).c_str());
      return 0;
    }
    Batch train = make_batch(train_images, gen), test = make_batch(test_images, gen);
    // The article's network, as the yolo_v1 app defines it: 2x2 grid, 1 box, 3 class slots.
    std::shared_ptr<Sequential> model = yolo::make_model(yolo::reference_config("humble", 3), gen);
    Adam opt(model->parameters(), lr);
    std::printf("%d training and %d held-out images; loss %s%s\n", train_images, test_images,
                loss_name.c_str(), constant_iou ? ", constant IoU" : "");

    auto held_out_map = [&]() {
      NoGradGuard no_grad;
      Tensor y = reshape((*model)(test.x), {-1, kCells, kRow});
      return yolo::evaluate_map(detect(y, 0.005f), test.boxes, 2).map_all_point;
    };
    std::printf("held-out mAP@0.5 before training: %.3f\n", held_out_map());
    // Keras reduces the (batch, cells) values to their mean; so does this loop.
    auto loss_of = [wh, iou](const Tensor& y_true, const Tensor& y_pred) {
      Tensor y = reshape(y_pred, {-1, kCells, kRow});
      return mean(tutorial::humble_yolo_loss(y_true, y, wh, iou));
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
    tutorial::HumbleYoloTerms t = tutorial::humble_yolo_terms(test.y_true, y_pred, wh, iou);
    std::printf("held-out loss %.4f (class %.4f, xy %.4f, wh %.4f, conf %.4f)\n",
                loss_of(test.y_true, y_pred).item(), mean(t.clss).item(), mean(t.xy).item(),
                mean(t.wh).item(), mean(t.conf).item());
    print_mean_rows(test.y_true, y_pred);
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
