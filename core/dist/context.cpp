// The job (init, finalize, the world) and the blocking helpers of core/dist.h: barrier, sums of
// statistics, the per-rank batch, the model check and broadcasts from rank 0.
#include <cstdlib>
#include <sstream>

#include "core/dist.h"
#include "core/dist/backend.h"
#include "core/error.h"
#include "core/str.h"

namespace minidl::dist {

namespace {

// A world of one: every collective is already complete.
class LocalCommunicator : public Communicator {
 public:
  int rank() const override { return 0; }
  int size() const override { return 1; }
  std::string name() const override { return "local"; }
  Request allreduce_sum_async(float*, int64_t) override { return 0; }
  bool test(Request) override { return true; }
  void wait(Request) override {}
  void broadcast(void*, int64_t, int) override {}
  void barrier() override {}
};

struct Job {
  World world;
  std::unique_ptr<Communicator> comm;  // null until init()
  bool mpi = false;                    // comm is MPI's
  bool mpi_finalized = false;          // MPI cannot start again
};

Job& job() {
  static Job j;
  return j;
}

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return v && *v ? v : nullptr;
}

}  // namespace

bool built_with_mpi() { return detail::mpi_compiled_in(); }

bool launched_by_mpi() {
  return env("OMPI_COMM_WORLD_SIZE") || env("PMI_SIZE") || env("PMIX_RANK");
}

const World& init() {
  Job& j = job();
  MINIDL_CHECK(!j.mpi_finalized, "dist::init: MPI was finalized already (it cannot start twice)");
  if (j.comm) return j.world;
  if (launched_by_mpi() && built_with_mpi()) {
    j.comm = detail::mpi_start(&j.world);
    j.mpi = true;
    return j.world;
  }
  // srun without an MPI plugin (no --mpi=pmix, MpiDefault=none) starts the tasks of a step with
  // no process manager between them and no launcher variables: each would become a world of one
  // below.
  const char* step_tasks = env("SLURM_STEP_NUM_TASKS");
  MINIDL_CHECK(launched_by_mpi() || !step_tasks || std::string(step_tasks) == "1",
               "dist: Slurm's srun started this process as one of ", step_tasks,
               " tasks (SLURM_STEP_NUM_TASKS), but without an MPI plugin (no PMIx or PMI in the "
               "environment), so the tasks cannot reach each other and each would train alone, "
               "overwriting the others' files; launch with `srun --mpi=pmix` (or MpiDefault=pmix "
               "in slurm.conf), or with mpirun inside the allocation");
  if (launched_by_mpi()) {
    // Without MPI each process would train alone, and they would overwrite each other's files.
    const char* size = env("OMPI_COMM_WORLD_SIZE") ? env("OMPI_COMM_WORLD_SIZE") : env("PMI_SIZE");
    const char* pmix_rank = env("PMIX_RANK");
    const bool several =
        (size && std::string(size) != "1") || (!size && pmix_rank && std::string(pmix_rank) != "0");
    MINIDL_CHECK(!several, "dist: an MPI launcher started this process as one of ",
                 size ? size : "several",
                 " processes, but minidl was built without MPI (CMake "
                 "option MINIDL_MPI; Debian: apt-get install libopenmpi-dev); rebuild minidl or "
                 "run a single process");
  }
  j.world = World{};
  j.comm = std::make_unique<LocalCommunicator>();
  return j.world;
}

void finalize() {
  Job& j = job();
  if (!j.comm) return;
  if (j.mpi) j.comm->barrier();
  j.comm.reset();
  if (j.mpi) {
    detail::mpi_stop();
    j.mpi_finalized = true;
  }
  j.mpi = false;
  j.world = World{};
}

bool initialized() { return job().comm != nullptr; }

const World& world() { return job().world; }

Communicator& communicator() {
  static LocalCommunicator alone;
  Job& j = job();
  return j.comm ? *j.comm : alone;
}

void barrier() { communicator().barrier(); }

void allreduce_sum(std::vector<float>& values) {
  communicator().allreduce_sum(values.data(), static_cast<int64_t>(values.size()));
}

int64_t per_rank_batch(int64_t global_batch, const std::string& option) {
  const int n = world_size();
  MINIDL_CHECK(global_batch >= 1, option, " must be >= 1; got ", global_batch);
  MINIDL_CHECK(global_batch % n == 0, option, " ", global_batch, " cannot be shared by ", n,
               " processes: each trains on ", option, " / ", n,
               " examples per step, so the global batch must be a multiple of ", n,
               " (the world size)");
  return global_batch / n;
}

// ---- the model check ------------------------------------------------------------------------

namespace {

// One line per tensor: "name<TAB>d0 d1 ...". What ranks compare, and what messages quote.
std::string describe(const std::vector<NamedTensor>& tensors) {
  std::string s;
  for (const auto& [name, t] : tensors) {
    s += name + "\t";
    for (int64_t d : t.shape()) s += std::to_string(d) + " ";
    s += "\n";
  }
  return s;
}

std::vector<std::pair<std::string, Shape>> parse_description(const std::string& text) {
  std::vector<std::pair<std::string, Shape>> out;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const size_t tab = line.find('\t');
    std::istringstream dims(line.substr(tab + 1));
    Shape shape;
    for (int64_t d; dims >> d;) shape.push_back(d);
    out.emplace_back(line.substr(0, tab), shape);
  }
  return out;
}

uint64_t fnv1a(const std::string& s) {
  uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : s) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

// `text` of rank `root` on every rank.
std::string broadcast_string(Communicator& c, std::string text, int root) {
  int64_t n = static_cast<int64_t>(text.size());
  c.broadcast(&n, sizeof n, root);
  text.resize(static_cast<size_t>(n));
  c.broadcast(text.data(), n, root);
  return text;
}

// The first difference between rank 0's tensors and rank `r`'s, in words.
std::string first_difference(const std::string& text0, const std::string& text_r, int r) {
  const auto a = parse_description(text0), b = parse_description(text_r);
  const std::string other = str("rank ", r);
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    if (a[i] == b[i]) continue;
    if (a[i].first == b[i].first)
      return str("'", a[i].first, "' has shape ", shape_str(a[i].second), " on rank 0 but ",
                 shape_str(b[i].second), " on ", other);
    return str("entry ", i, " is '", a[i].first, "' of shape ", shape_str(a[i].second),
               " on rank 0 but '", b[i].first, "' of shape ", shape_str(b[i].second), " on ",
               other);
  }
  const auto& longer = a.size() > b.size() ? a : b;
  const auto& extra = longer[std::min(a.size(), b.size())];
  return str("rank 0 has ", a.size(), " tensors but ", other, " has ", b.size(), " (the first ",
             "extra one: '", extra.first, "' of shape ", shape_str(extra.second), " on ",
             a.size() > b.size() ? std::string("rank 0") : other, ")");
}

}  // namespace

void check_same_model(const std::vector<NamedTensor>& tensors, const std::string& what) {
  Communicator& c = communicator();
  if (c.size() == 1) return;
  const std::string mine = describe(tensors);
  const uint64_t h = fnv1a(mine);
  uint64_t h0 = h;
  c.broadcast(&h0, sizeof h0, 0);
  std::vector<float> differs(static_cast<size_t>(c.size()), 0.f);  // which ranks differ
  differs[static_cast<size_t>(c.rank())] = h != h0 ? 1.f : 0.f;
  c.allreduce_sum(differs.data(), c.size());
  int bad = 0;
  for (int r = 1; r < c.size() && !bad; ++r)
    if (differs[static_cast<size_t>(r)] > 0) bad = r;
  if (!bad) return;
  const std::string text0 = broadcast_string(c, mine, 0);
  const std::string text_bad = broadcast_string(c, mine, bad);
  throw Error(str("dist: the ranks disagree on the ", what, " (names and shapes of its tensors): ",
                  first_difference(text0, text_bad, bad), "; every rank must build the same one"));
}

// ---- broadcasts -------------------------------------------------------------------------------

void broadcast_tensors(const std::vector<NamedTensor>& tensors, int root) {
  Communicator& c = communicator();
  if (c.size() == 1) return;
  for (const auto& [name, t] : tensors) {
    const int64_t bytes = t.numel() * static_cast<int64_t>(sizeof(float));
    if (bytes == 0) continue;
    if (t.device() == Device::CPU && t.is_contiguous()) {  // in place
      c.broadcast(t.data(), bytes, root);
      continue;
    }
    // Through host memory: CUDA tensors (unless the communicator takes them), strided views.
    Tensor host = c.rank() == root ? t.contiguous().to(Device::CPU).clone()
                                   : Tensor::empty(t.shape(), Device::CPU);
    c.broadcast(host.data(), bytes, root);
    if (c.rank() != root) t.copy_(host);
  }
}

void broadcast_optimizer_state(Optimizer& optimizer, int root) {
  Communicator& c = communicator();
  if (c.size() == 1) return;
  std::vector<NamedTensor> state = optimizer.state();  // root's tells the others what to expect
  const auto layout = parse_description(broadcast_string(c, describe(state), root));
  std::vector<NamedTensor> received;
  for (const auto& [name, shape] : layout) {
    Tensor t = Tensor::empty(shape, Device::CPU);
    received.emplace_back(name, t);
  }
  if (c.rank() == root)
    for (size_t i = 0; i < state.size(); ++i) received[i].second.copy_(state[i].second);
  broadcast_tensors(received, root);
  if (c.rank() != root) optimizer.load_state(received);
}

void replicate_from_rank0(const std::vector<NamedTensor>& parameters,
                          const std::vector<NamedTensor>& buffers, Optimizer* optimizer) {
  if (world_size() == 1) return;
  std::vector<NamedTensor> all = parameters;
  all.insert(all.end(), buffers.begin(), buffers.end());
  check_same_model(all, "model");
  broadcast_tensors(all, 0);
  if (optimizer) broadcast_optimizer_state(*optimizer, 0);
}

}  // namespace minidl::dist
