// The detect subcommand (detect.h): inference per image, drawing, text/JSON output, txt labels.
#include "apps/yolo_v1/detect.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>
#include <nlohmann/json.hpp>

#include "apps/yolo_v1/darknet_model.h"
#include "apps/yolo_v1/labels.h"
#include "apps/yolo_v1/run_dir.h"

namespace yolo {

using namespace minidl;

std::array<int, 4> pixel_box(const Box& b, int W, int H) {
  // The box covers pixels [round(x0 * W), round(x1 * W)) (as the generator writes its labels).
  auto px = [](float v, int n, int minus) {
    return std::clamp(static_cast<int>(std::lround(v * n)) - minus, 0, n - 1);
  };
  const int x0 = px(b.cx - b.w / 2, W, 0), y0 = px(b.cy - b.h / 2, H, 0);
  return {x0, y0, std::max(x0, px(b.cx + b.w / 2, W, 1)), std::max(y0, px(b.cy + b.h / 2, H, 1))};
}

void draw_detections(Image& im, const std::vector<Detection>& dets,
                     const std::vector<std::string>& names) {
  static const Rgb palette[10] = {{230, 25, 75},  {60, 180, 75},  {255, 225, 25}, {0, 130, 200},
                                  {245, 130, 48}, {145, 30, 180}, {70, 240, 240}, {240, 50, 230},
                                  {210, 245, 60}, {250, 190, 212}};
  const int scale = std::max(1, std::min(im.width, im.height) / 256);
  const int thick = std::max(1, std::min(im.width, im.height) / 160);
  for (const Detection& d : dets) {
    const Rgb c = palette[d.box.cls % 10];
    const auto [x0, y0, x1, y1] = pixel_box(d.box, im.width, im.height);
    draw_box(im, x0, y0, x1, y1, c, thick);
    char score[16];
    std::snprintf(score, sizeof score, " %.2f", d.score);
    const std::string label = names.at(static_cast<size_t>(d.box.cls)) + score;
    const int tw = text_width(label, scale) + 2, th = text_height(label, scale) + 2;
    const int ty = y0 - th >= 0 ? y0 - th : y0;  // above the box, or inside it at the top edge
    const int tx = std::max(0, std::min(x0, im.width - tw));  // moved left to stay in the image
    fill_rect(im, tx, ty, tx + tw - 1, ty + th - 1, c);
    const bool light = c.r * 299 + c.g * 587 + c.b * 114 > 150000;
    draw_text(im, tx + 1, ty + 1, label, light ? Rgb{0, 0, 0} : Rgb{255, 255, 255}, scale);
  }
}

namespace {

std::vector<fs::path> expand_inputs(const std::vector<fs::path>& inputs) {
  std::vector<fs::path> files;
  for (const fs::path& p : inputs) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {  // a file; one that is missing is reported when it is read
      files.push_back(p);
      continue;
    }
    std::vector<fs::path> found;
    for (auto it = fs::recursive_directory_iterator(p, ec); !ec && it != fs::end(it);
         it.increment(ec))
      if (it->is_regular_file() && is_image_file(it->path())) found.push_back(it->path());
    std::sort(found.begin(), found.end());
    MINIDL_CHECK(!found.empty(), "folder '", p.string(), "' holds no image");
    files.insert(files.end(), found.begin(), found.end());
  }
  return files;
}

}  // namespace

DetectReport run_detect(const DetectCommand& cmd, std::ostream& out, std::ostream& err) {
  MINIDL_CHECK(!cmd.inputs.empty(), "detect: no image given");
  MINIDL_CHECK(cmd.det.conf >= 0 && cmd.det.conf <= 1, "--conf must be in [0, 1]; got ",
               cmd.det.conf);
  MINIDL_CHECK(cmd.det.nms_iou >= 0 && cmd.det.nms_iou <= 1, "--nms-iou must be in [0, 1]; got ",
               cmd.det.nms_iou);
  const bool darknet = !cmd.darknet_cfg.empty();
  MINIDL_CHECK(cmd.model.empty() == darknet,
               "detect: give --model (a minidl run) or --darknet-cfg with --darknet-weights (a "
               "darknet network), not both");
  MINIDL_CHECK(darknet == !cmd.darknet_weights.empty(),
               "detect: --darknet-cfg and --darknet-weights go together");
  MINIDL_CHECK(darknet || cmd.names.empty(),
               "detect: --names is for --darknet-cfg (a minidl run has its class names)");
  const std::vector<fs::path> files = expand_inputs(cmd.inputs);
  const Device device = parse_device(cmd.device);
  LoadedModel lm =
      darknet ? load_darknet_detector(cmd.darknet_cfg, cmd.darknet_weights, cmd.names, device)
              : load_trained(cmd.model, device);
  // Inference only: batch norms folded into their convolutions, nested blocks flattened (so
  // that each block's activation and the pool after it can run pool first).
  lm.model = minidl::fold_for_inference(*lm.model);
  std::error_code ec;
  fs::create_directories(cmd.save_txt ? cmd.out / "labels" : cmd.out, ec);
  MINIDL_CHECK(!ec, "cannot create '", cmd.out.string(), "': ", ec.message());
  if (!cmd.json)
    out << "model " << lm.file.string() << " (" << lm.cfg.str() << "), conf " << cmd.det.conf
        << ", NMS IoU " << cmd.det.nms_iou << (cmd.det.agnostic ? " class-agnostic" : "") << "\n";

  DetectReport rep;
  nlohmann::json all = nlohmann::json::array();
  std::map<std::string, int> stems;  // two inputs with one name get name, name_1, ...
  for (const fs::path& file : files) {
    Image im;
    try {
      im = load_image(file);
    } catch (const Error& e) {
      err << "skipped: " << e.what() << "\n";
      ++rep.failed;
      continue;
    }
    // A darknet network gets darknet's preprocessing; a minidl run the one it was trained with.
    const int in = lm.cfg.input;
    const Tensor x =
        darknet ? darknet_input(im, in, in) : to_tensor(im, in).reshape({1, 3, in, in});
    const std::vector<Detection> dets = detect_tensor(*lm.model, lm.cfg, x, device, cmd.det)[0];
    std::string stem = file.stem().string();
    if (const int n = stems[stem]++; n > 0) stem.append(1, '_').append(std::to_string(n));
    const fs::path png = cmd.out / (stem + ".png");
    Image drawn = to_rgb(im);
    draw_detections(drawn, dets, lm.names);
    save_png(png, drawn);
    if (cmd.save_txt) {
      std::vector<Box> boxes;
      for (const Detection& d : dets) {  // clipped to the image, so they are valid labels
        const float x0 = std::max(0.f, d.box.cx - d.box.w / 2),
                    x1 = std::min(1.f, d.box.cx + d.box.w / 2);
        const float y0 = std::max(0.f, d.box.cy - d.box.h / 2),
                    y1 = std::min(1.f, d.box.cy + d.box.h / 2);
        if (x1 > x0 && y1 > y0)
          boxes.push_back({d.box.cls, (x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0});
      }
      write_labels(cmd.out / "labels" / (stem + ".txt"), boxes);
    }
    ++rep.images;
    rep.detections += static_cast<int>(dets.size());
    nlohmann::json jd = nlohmann::json::array();
    char line[256];
    if (!cmd.json) {
      std::snprintf(line, sizeof line, "%s (%dx%d): %zu detection%s -> %s\n", file.string().c_str(),
                    im.width, im.height, dets.size(), dets.size() == 1 ? "" : "s",
                    png.string().c_str());
      out << line;
    }
    for (const Detection& d : dets) {
      const auto px = pixel_box(d.box, im.width, im.height);
      const std::string& name = lm.names[static_cast<size_t>(d.box.cls)];
      if (cmd.json) {
        auto r6 = [](float v) { return std::round(static_cast<double>(v) * 1e6) / 1e6; };
        jd.push_back({{"class", d.box.cls},
                      {"name", name},
                      {"score", r6(d.score)},
                      {"box_px", {px[0], px[1], px[2], px[3]}},
                      {"box", {r6(d.box.cx), r6(d.box.cy), r6(d.box.w), r6(d.box.h)}}});
        continue;
      }
      std::snprintf(
          line, sizeof line, "  %-12s %.3f  px [%d, %d, %d, %d]  cx %.4f cy %.4f w %.4f h %.4f\n",
          name.c_str(), d.score, px[0], px[1], px[2], px[3], d.box.cx, d.box.cy, d.box.w, d.box.h);
      out << line;
    }
    if (cmd.json)
      all.push_back({{"image", file.string()},
                     {"width", im.width},
                     {"height", im.height},
                     {"output", png.string()},
                     {"detections", jd}});
  }
  if (cmd.json) out << all.dump(2) << "\n";
  out << std::flush;
  return rep;
}

}  // namespace yolo
