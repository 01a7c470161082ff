// The eval subcommand (eval.h).
#include "apps/yolo_v1/eval.h"

#include "apps/yolo_v1/evaluate.h"

namespace yolo {

using namespace minidl;

EvalSet load_eval_set(const EvalCommand& cmd) {
  const Device device = parse_device(cmd.device);
  LoadedModel lm = load_trained(cmd.model, device);
  const Dataset ds = discover_dataset(cmd.data);
  const Split* split = find_split(ds, cmd.split);
  if (!split) {
    std::string have;
    for (const Split& s : ds.splits) have += (have.empty() ? "" : ", ") + s.name;
    throw Error(str("dataset '", cmd.data.string(), "' has no split '", cmd.split,
                    "' (it has: ", have, ")"));
  }
  if (!ds.names.empty())
    MINIDL_CHECK(static_cast<int>(ds.names.size()) == lm.cfg.C, "dataset '", cmd.data.string(),
                 "' has ", ds.names.size(), " classes but the model ", lm.file.string(), " has ",
                 lm.cfg.C);
  LoadOptions lo;
  lo.input = lm.cfg.input, lo.C = lm.cfg.C, lo.mode = cmd.mode, lo.skip_bad = cmd.skip_bad;
  lo.limit = cmd.limit;
  DetectionData data = load_split(*split, lo);
  return {std::move(lm), std::move(data), split->name, device};
}

MapResult evaluate_set(EvalSet& set, std::ostream& out) {
  const LoadedModel& lm = set.model;
  const MapResult r = evaluate_model(*lm.model, lm.cfg, set.data, set.device);
  out << format_map(r, lm.names) << std::flush;
  return r;
}

MapResult run_eval(const EvalCommand& cmd, std::ostream& out) {
  EvalSet set = load_eval_set(cmd);
  for (const std::string& p : set.data.problems) out << "skipped: " << p << "\n";
  out << "model " << set.model.file.string() << " (" << set.model.cfg.str() << "), "
      << set.data.size() << " images of split '" << set.split << "' with " << set.data.objects
      << " objects\n";
  return evaluate_set(set, out);
}

}  // namespace yolo
