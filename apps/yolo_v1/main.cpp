// yolo_v1: the command-line app around minidl's YOLOv1 (see ../../shared/YOLO_V1.md).
// Subcommands so far: generate (synthetic datasets) and check-dataset (validate labels).
// Bad input ends in one line naming the file, line or option, and a non-zero exit status.
#include <CLI/CLI.hpp>
#include <cstdio>
#include <exception>
#include <iostream>

#include "apps/yolo_v1/check.h"
#include "apps/yolo_v1/generate.h"
#include "core/minidl.h"

int main(int argc, char** argv) {
  CLI::App app{
      "yolo_v1: YOLOv1 object detection with minidl -- datasets, training, detection, mAP"};
  app.require_subcommand(1);
  app.failure_message(
      [](const CLI::App*, const CLI::Error& e) {  // one line, as for every bad input
        return "yolo_v1: " + std::string(e.what()) + " (see --help)\n";
      });

  yolo::GenerateOptions g;
  std::string gen_out;
  auto* gen = app.add_subcommand("generate",
                                 "write a synthetic dataset in YOLO txt format (train/ and val/)");
  gen->add_option("--preset", g.preset,
                  "shapes: coloured shapes on noise; words: 'chat'/'rat' in a 2x2 grid")
      ->capture_default_str()
      ->check(CLI::IsMember(yolo::preset_list()));
  gen->add_option("--count", g.count, "number of images")
      ->capture_default_str()
      ->check(CLI::Range(1, 10000000));
  gen->add_option("--size", g.size,
                  "image side in pixels (0: the preset's default, shapes 128, words 64)")
      ->capture_default_str()
      ->check(CLI::Range(0, 4096));
  gen->add_option("--out", gen_out, "dataset folder (empty: data/<preset>)")->capture_default_str();
  gen->add_option("--seed", g.seed, "random seed (the same seed writes the same files)")
      ->capture_default_str();
  gen->add_option("--val-fraction", g.val_fraction, "share of the images put in val/")
      ->capture_default_str()
      ->check(CLI::Range(0.0, 0.99));
  gen->add_flag("--force", g.force, "replace a dataset already in --out")->capture_default_str();

  yolo::CheckOptions c;
  std::string check_dir, names;
  bool clip = false, no_images = false;
  auto* chk = app.add_subcommand("check-dataset",
                                 "validate a dataset's labels and count what YOLOv1 will see");
  chk->add_option("dir", check_dir,
                  "dataset: a folder with images/ and labels/ (or train/ and val/), or a list file")
      ->required();
  chk->add_option("--S", c.S, "grid size for the one-object-per-cell count")
      ->capture_default_str()
      ->check(CLI::Range(1, 100));
  chk->add_option("--names", names, "class names file (empty: the dataset's own .names)")
      ->capture_default_str();
  chk->add_flag("--clip", clip,
                "clip boxes at the image edge and count them, instead of rejecting centres outside")
      ->capture_default_str();
  chk->add_flag("--no-images", no_images, "skip opening the images (labels only)")
      ->capture_default_str();

  CLI11_PARSE(app, argc, argv);

  try {
    std::printf("%s\n", minidl::runtime_summary(minidl::Device::CPU).c_str());
    if (*gen) {
      g.out = gen_out;
      yolo::GenerateSummary s = yolo::generate_dataset(g);
      const std::vector<std::string> cls = yolo::preset_names(g.preset);
      std::printf("wrote %d train + %d val images with %d objects to %s\n", s.train, s.val,
                  s.objects, s.out.string().c_str());
      for (size_t k = 0; k < cls.size(); ++k)
        std::printf("  %-10s %d\n", cls[k].c_str(), s.per_class[k]);
      std::printf("classes in %s; check with: yolo_v1 check-dataset %s\n",
                  s.names_file.string().c_str(), s.out.string().c_str());
      return 0;
    }
    if (*chk) {
      c.names = names;
      c.mode = clip ? yolo::EdgeMode::Clip : yolo::EdgeMode::Keep;
      c.read_images = !no_images;
      yolo::CheckReport r = yolo::check_dataset(check_dir, c, std::cout);
      return r.ok() ? 0 : 1;
    }
  } catch (const std::exception& e) {
    std::fflush(stdout);
    std::fprintf(stderr, "yolo_v1: %s\n", e.what());
    return 1;
  }
  return 0;
}
