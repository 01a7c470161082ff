// Models and checkpoints (serialize_model.h) on top of the tensor files of core/serialize.h.
#include "layers/serialize_model.h"

#include <charconv>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "core/autograd.h"
#include "core/error.h"

namespace minidl {

namespace fs = std::filesystem;

namespace {

std::string quoted(const fs::path& p) { return detail::cat("'", p.string(), "'"); }

// Checks that `file` entries whose name starts with `prefix` match `params` exactly (names,
// shapes, F32), collecting every difference into one message; returns the matched tensors in the
// order of params.
std::vector<Tensor> match_parameters(const std::string& where,
                                     const std::vector<NamedTensor>& params, const TensorFile& file,
                                     const std::string& prefix) {
  std::map<std::string, size_t> in_file;
  for (size_t i = 0; i < file.tensors.size(); ++i)
    if (file.tensors[i].first.rfind(prefix, 0) == 0)
      in_file[file.tensors[i].first.substr(prefix.size())] = i;
  std::vector<std::string> missing, unexpected, shapes, dtypes;
  std::vector<Tensor> values;
  std::set<std::string> model_names;
  for (const auto& [name, p] : params) {
    model_names.insert(name);
    auto it = in_file.find(name);
    if (it == in_file.end()) {
      missing.push_back(prefix + name);
      continue;
    }
    const Tensor& t = file.tensors[it->second].second;
    if (t.shape() != p.shape())
      shapes.push_back(detail::cat(prefix, name, " is ", shape_str(t.shape()), " in the file but ",
                                   shape_str(p.shape()), " in the model"));
    if (file.dtypes[it->second] != "F32")
      dtypes.push_back(detail::cat(prefix, name, " is ", file.dtypes[it->second],
                                   " in the file, the model needs F32"));
    values.push_back(t);
  }
  for (const auto& [name, i] : in_file)
    if (!model_names.count(name)) unexpected.push_back(prefix + name);
  if (missing.empty() && unexpected.empty() && shapes.empty() && dtypes.empty()) {
    // A NaN or infinite weight makes every output garbage (a model saved after training diverged,
    // or a damaged file): refuse it here rather than detect nothing later.
    for (size_t k = 0; k < params.size(); ++k) {
      const int64_t bad = first_non_finite(values[k]);
      MINIDL_CHECK(bad < 0, where, ": ", prefix, params[k].first, " holds a non-finite value (",
                   values[k].reshape({-1}).to_vector()[static_cast<size_t>(bad)],
                   ") at flat index ", bad, ": the file is damaged, or was saved after training ",
                   "diverged");
    }
    return values;
  }

  std::string msg = where + ": the file does not match the model:";
  auto list = [&msg](const char* what, const std::vector<std::string>& items, const char* sep) {
    if (items.empty()) return;
    msg += detail::cat(" ", what, " (", items.size(), "): ");
    for (size_t i = 0; i < items.size(); ++i) msg += (i ? sep : "") + items[i];
    msg += ";";
  };
  list("missing", missing, ", ");
  list("unexpected", unexpected, ", ");
  list("shape mismatch", shapes, "; ");
  list("dtype mismatch", dtypes, "; ");
  msg.pop_back();
  throw Error(msg);
}

void copy_into(const std::vector<NamedTensor>& params, const std::vector<Tensor>& values) {
  NoGradGuard no_grad;
  for (size_t i = 0; i < params.size(); ++i) params[i].second.copy_(values[i]);
}

const char* const kReserved[] = {"format", "version", "step", "optimizer"};

// What a model file holds: the parameters, then the buffers (BatchNorm2d's running statistics),
// whose names never clash with a parameter's (Module::register_buffer checks).
std::vector<NamedTensor> model_state(const Module& model) {
  std::vector<NamedTensor> state = model.parameters();
  for (NamedTensor& b : model.buffers()) state.push_back(std::move(b));
  return state;
}

}  // namespace

void save_model(const fs::path& path, const Module& model, const Metadata& metadata) {
  save_tensors(path, model_state(model), metadata);
}

Metadata load_model(const fs::path& path, Module& model) {
  const std::string where = "load_model: " + quoted(path);
  TensorFile file = load_tensors(path);
  auto fmt = file.metadata.find("format");
  MINIDL_CHECK(fmt == file.metadata.end() || fmt->second != "minidl-checkpoint", where,
               ": is a training checkpoint (model and optimizer); load it with load_checkpoint");
  const std::vector<NamedTensor> params = model_state(model);
  copy_into(params, match_parameters(where, params, file, ""));
  return file.metadata;
}

void save_checkpoint(const fs::path& path, const Module& model, const Optimizer& optimizer,
                     int64_t step, const Metadata& extra) {
  const std::string who = "save_checkpoint: " + quoted(path);
  MINIDL_CHECK(step >= 0, who, ": step must be >= 0, got ", step);
  for (const char* key : kReserved)
    MINIDL_CHECK(!extra.count(key), who, ": metadata key '", key,
                 "' is reserved for the checkpoint itself");
  std::vector<NamedTensor> tensors;
  for (const auto& [name, t] : model_state(model)) tensors.emplace_back("model." + name, t);
  for (const auto& [name, t] : optimizer.state()) tensors.emplace_back("optim." + name, t);
  Metadata meta = extra;
  meta["format"] = "minidl-checkpoint";
  meta["version"] = "1";
  meta["step"] = std::to_string(step);
  meta["optimizer"] = optimizer.name();
  save_tensors(path, tensors, meta);
}

int64_t load_checkpoint(const fs::path& path, Module& model, Optimizer& optimizer,
                        Metadata* metadata) {
  const std::string where = "load_checkpoint: " + quoted(path);
  TensorFile file = load_tensors(path);
  const Metadata& m = file.metadata;
  auto get = [&](const char* key) {
    auto it = m.find(key);
    return it == m.end() ? std::string() : it->second;
  };
  MINIDL_CHECK(get("format") == "minidl-checkpoint", where,
               ": not a minidl checkpoint (metadata \"format\" is '", get("format"),
               "', expected 'minidl-checkpoint'; a model file loads with load_model)");
  MINIDL_CHECK(get("version") == "1", where, ": checkpoint version '", get("version"),
               "' is not supported (this minidl reads version 1)");
  const std::string s = get("step");
  int64_t step = -1;
  auto [end, err] = std::from_chars(s.data(), s.data() + s.size(), step);
  MINIDL_CHECK(err == std::errc() && end == s.data() + s.size() && step >= 0, where,
               ": metadata \"step\" must be a whole number >= 0, got '", s, "'");
  MINIDL_CHECK(get("optimizer").empty() || get("optimizer") == optimizer.name(), where,
               ": the checkpoint holds the state of optimizer ", get("optimizer"), ", not of this ",
               optimizer.name());

  std::vector<NamedTensor> optim_state;
  std::vector<std::string> stray;
  for (size_t i = 0; i < file.tensors.size(); ++i) {
    const auto& [name, t] = file.tensors[i];
    if (name.rfind("optim.", 0) == 0) {
      MINIDL_CHECK(file.dtypes[i] == "F32", where, ": ", name, " is ", file.dtypes[i],
                   ", optimizer state must be F32");
      optim_state.emplace_back(name.substr(6), t);
    } else if (name.rfind("model.", 0) != 0) {
      stray.push_back(name);
    }
  }
  MINIDL_CHECK(stray.empty(), where, ": unexpected entries (neither model. nor optim.): ", [&] {
    std::string l;
    for (const auto& n : stray) l += (l.empty() ? "" : ", ") + n;
    return l;
  }());
  const std::vector<NamedTensor> params = model_state(model);
  std::vector<Tensor> values = match_parameters(where, params, file, "model.");
  try {
    optimizer.load_state(optim_state);  // all or nothing
  } catch (const Error& e) {
    throw Error(where + ": " + e.what());
  }
  copy_into(params, values);
  if (metadata) *metadata = m;
  return step;
}

}  // namespace minidl
