// Loading a trained model from a run folder or checkpoint, and the device option (run_dir.h).
#include "apps/yolo_v1/run_dir.h"

#include "apps/yolo_v1/labels.h"

namespace yolo {

using namespace minidl;

Device parse_device(const std::string& name) {
  if (name == "cpu") return Device::CPU;
  MINIDL_CHECK(name == "cuda", "--device must be cpu or cuda; got '", name, "'");
  MINIDL_CHECK(built_with_cuda(),
               "--device cuda: this minidl was built without CUDA (rebuild with -DMINIDL_CUDA=ON "
               "on a machine with nvcc)");
  MINIDL_CHECK(cuda_available(), "--device cuda: no usable GPU: ", cuda_device_info());
  return Device::CUDA;
}

LoadedModel load_trained(const fs::path& where, Device device) {
  std::error_code ec;
  LoadedModel lm;
  lm.file = where;
  if (fs::is_directory(where, ec)) {
    const RunFiles run{where};
    lm.file = fs::exists(run.best(), ec) ? run.best() : run.last();
    MINIDL_CHECK(fs::exists(lm.file, ec), "'", where.string(),
                 "' holds no checkpoint (best.safetensors or last.safetensors): train with "
                 "`yolo_v1 train --out ",
                 where.string(), "` first");
  }
  MINIDL_CHECK(fs::exists(lm.file, ec), "no model at '", lm.file.string(), "'");
  // The network is defined by the metadata; the parameters then load as in any checkpoint.
  // Its size is checked against the file's tensors before anything is built.
  {
    const TensorFile f = load_tensors(lm.file);
    lm.metadata = f.metadata;
    lm.cfg = config_from_checkpoint(f, lm.file.string(), &lm.names);
  }
  lm.model = make_model_from(lm.cfg, lm.file.string(), default_generator());
  Adam unused(lm.model->parameters());  // the optimizer state is read and dropped
  load_checkpoint(lm.file, *lm.model, unused);
  if (lm.names.empty() && fs::exists(lm.file.parent_path() / "classes.names", ec))
    lm.names = read_names(lm.file.parent_path() / "classes.names");
  MINIDL_CHECK(lm.names.empty() || static_cast<int>(lm.names.size()) == lm.cfg.C, lm.file.string(),
               ": the model has ", lm.cfg.C, " classes but ", lm.names.size(), " names");
  for (int c = static_cast<int>(lm.names.size()); c < lm.cfg.C; ++c)
    lm.names.push_back(std::to_string(c));
  lm.model->to(device);
  lm.model->eval();
  return lm;
}

}  // namespace yolo
