// The benchmark networks at the sizes of torch_reference.py (beside this file); the layers come
// from the one definition the yolo_v1 app trains (apps/yolo_v1/model.h).
#include "networks.h"

#include "apps/yolo_v1/model.h"

using namespace minidl;

BenchNetwork make_network(const std::string& name) {
  MINIDL_CHECK(name == "humble" || name == "tiny", "make_network: unknown network '", name,
               "' (humble or tiny)");
  // humble: 3x64x64, 2x2 grid, B = 1, C = 3; tiny: 3x448x448, S = 7, B = 2, C = 20.
  const yolo::ModelConfig cfg = yolo::reference_config(name, name == "humble" ? 3 : 20);
  YoloV1Options loss = cfg.loss();
  loss.sqrt_wh = false;  // the reference's timing-only loss settings: sqrt_wh off, rescore on, SSE
  return {yolo::make_model(cfg), {3, cfg.input, cfg.input}, loss};
}
