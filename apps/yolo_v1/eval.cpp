// The eval subcommand (eval.h).
#include "apps/yolo_v1/eval.h"

#include "apps/yolo_v1/evaluate.h"
#include "apps/yolo_v1/run_dir.h"

namespace yolo {

using namespace minidl;

MapResult run_eval(const EvalCommand& cmd, std::ostream& out) {
  const Device device = parse_device(cmd.device);
  LoadedModel lm = load_trained(cmd.model, device);
  const Dataset ds = discover_dataset(cmd.data);
  const Split* split = find_split(ds, cmd.split);
  if (!split) {
    std::string have;
    for (const Split& s : ds.splits) have += (have.empty() ? "" : ", ") + s.name;
    throw Error(detail::cat("dataset '", cmd.data.string(), "' has no split '", cmd.split,
                            "' (it has: ", have, ")"));
  }
  if (!ds.names.empty())
    MINIDL_CHECK(static_cast<int>(ds.names.size()) == lm.cfg.C, "dataset '", cmd.data.string(),
                 "' has ", ds.names.size(), " classes but the model ", lm.file.string(), " has ",
                 lm.cfg.C);
  LoadOptions lo;
  lo.input = lm.cfg.input, lo.C = lm.cfg.C, lo.mode = cmd.mode, lo.skip_bad = cmd.skip_bad;
  lo.limit = cmd.limit;
  const DetectionData data = load_split(*split, lo);
  for (const std::string& p : data.problems) out << "skipped: " << p << "\n";
  out << "model " << lm.file.string() << " (" << lm.cfg.str() << "), " << data.size()
      << " images of split '" << split->name << "' with " << data.objects << " objects\n";
  const MapResult r = evaluate_model(*lm.model, lm.cfg, data, device);
  out << format_map(r, lm.names) << std::flush;
  return r;
}

}  // namespace yolo
