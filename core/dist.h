// Data-parallel training (docs/distributed.md). N processes ("ranks", started by mpirun or Slurm's
// srun) each hold the whole model and train on their own share of every global batch; before each
// optimizer step the ranks average their gradients, so N ranks with batch B/N take the same steps
// as one process with batch B. The collectives go through a small Communicator interface (MPI
// today, when minidl is built with it; NCCL could be another). Without MPI, or when no launcher
// started the process, everything here works as a world of one rank.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/optim.h"
#include "core/tensor.h"

namespace minidl::dist {

// ---- the job ----------------------------------------------------------------------------------

/// Where this process stands: rank in [0, size), and among the ranks on its machine.
struct World {
  int rank = 0, size = 1;
  int local_rank = 0, local_size = 1;
};

/// True when minidl was built with MPI (CMake option MINIDL_MPI).
bool built_with_mpi();
/// True when the environment says an MPI launcher started this process: OMPI_COMM_WORLD_SIZE
/// (Open MPI's mpirun), PMI_SIZE (MPICH, Slurm's srun) or PMIX_RANK (PMIx launchers) is set.
bool launched_by_mpi();

/// Joins the job (idempotent): initialises MPI when built with it and launched_by_mpi(), else
/// makes a world of one. Throws minidl::Error when the launcher asks for several processes but
/// minidl was built without MPI (each would train alone and overwrite the others' files), when
/// Slurm's srun started several tasks without an MPI plugin (SLURM_STEP_NUM_TASKS > 1 but no PMIx
/// or PMI variables: the same outcome), and after finalize().
const World& init();
/// Leaves the job: a barrier, then MPI_Finalize. Call it once every rank is done; a process that
/// ends on an error should not call it (the launcher then stops the other ranks). Idempotent.
void finalize();
/// Whether init() has run (and finalize() not yet).
bool initialized();
/// The world init() made; a world of one before init().
const World& world();
inline int rank() { return world().rank; }
inline int world_size() { return world().size; }
/// Rank 0: the one that writes logs, checkpoints and pictures.
inline bool is_main() { return world().rank == 0; }

// ---- collectives --------------------------------------------------------------------------------

/// The collectives data-parallel training needs. Every rank must start the same operations in the
/// same order (what MPI requires of collectives). Pointers are to host memory unless
/// takes_device_memory() (a CUDA-aware MPI, or NCCL).
class Communicator {
 public:
  using Request = int64_t;
  virtual ~Communicator() = default;
  virtual int rank() const = 0;
  virtual int size() const = 0;
  /// "mpi", or "local" for a world of one.
  virtual std::string name() const = 0;
  virtual bool takes_device_memory() const { return false; }
  /// Starts summing `count` floats at `data`, in place, over all ranks; `data` must stay valid and
  /// untouched until wait(). Returns the handle to wait on.
  virtual Request allreduce_sum_async(float* data, int64_t count) = 0;
  /// Lets started operations progress (MPI moves data only inside its calls); true when `r` is
  /// done (it must still be waited for).
  virtual bool test(Request r) = 0;
  /// Blocks until `r` is done and releases it.
  virtual void wait(Request r) = 0;
  /// Copies `bytes` bytes at `data` from rank `root` into `data` on every other rank.
  virtual void broadcast(void* data, int64_t bytes, int root) = 0;
  virtual void barrier() = 0;
  /// Sums in place over all ranks and returns when done: allreduce_sum_async then wait, unless a
  /// communicator has a blocking collective of its own (MPI's, after the started ones end). MPI's
  /// communicator runs both in pieces of about 1 MB (docs/distributed.md, "Pieces").
  virtual void allreduce_sum(float* data, int64_t count) { wait(allreduce_sum_async(data, count)); }
};

/// The communicator of the world init() made (init() first; a world of one otherwise).
Communicator& communicator();

/// Waits until every rank gets here.
void barrier();
/// Sums `values` over the ranks, in place (epoch statistics: losses, counts).
void allreduce_sum(std::vector<float>& values);

/// The per-rank batch of a global batch: global / world_size(). Throws minidl::Error naming both
/// numbers (and `option`, e.g. "--batch") when the world size does not divide it.
int64_t per_rank_batch(int64_t global_batch, const std::string& option = "the batch");

/// Throws minidl::Error on every rank unless every rank holds tensors with the same names and
/// shapes: a hash of them is compared with rank 0's, and on a difference the message names both
/// ranks and the first entry that differs, with both shapes. `what` names the tensors ("model").
void check_same_model(const std::vector<NamedTensor>& tensors, const std::string& what = "model");
/// Copies rank `root`'s values of `tensors` into the same tensors on every other rank (in place;
/// the shapes must agree: check_same_model first). CUDA tensors go through host memory.
void broadcast_tensors(const std::vector<NamedTensor>& tensors, int root = 0);
/// Loads rank `root`'s Optimizer::state() into every rank's optimizer (over the same parameters).
void broadcast_optimizer_state(Optimizer& optimizer, int root = 0);
/// What a training run does once its model (and optimizer) exist, on a fresh start and after a
/// resume alike: check_same_model over the parameters and buffers, then rank 0's parameters,
/// buffers and optimizer state to every rank. Nothing in a world of one.
void replicate_from_rank0(const std::vector<NamedTensor>& parameters,
                          const std::vector<NamedTensor>& buffers, Optimizer* optimizer);

// ---- averaging gradients in buckets -------------------------------------------------------------

/// Parameters packed together into one flat buffer and summed by one all-reduce.
struct Bucket {
  std::vector<size_t> params;    // indices into the parameter list, in packing order
  std::vector<int64_t> offsets;  // element offset of each in the buffer
  int64_t numel = 0;             // elements in all
};

/// Groups parameters into buckets as PyTorch's DistributedDataParallel does: from the last
/// parameter to the first (backward produces gradients roughly in that order), a bucket being
/// closed as soon as it holds `bucket_bytes` or more (float32: 4 bytes an element). So every
/// bucket but the last is at least bucket_bytes, and a parameter is never split. `numels` are the
/// parameters' element counts in parameter order. Requires bucket_bytes >= 1.
std::vector<Bucket> plan_buckets(const std::vector<int64_t>& numels, int64_t bucket_bytes);

struct GradSyncOptions {
  int64_t bucket_bytes = 25ll * 1024 * 1024;  // PyTorch DDP's default bucket_cap_mb = 25
  /// Start each bucket's all-reduce as soon as its gradients are final during backward. false
  /// starts them all after backward ends (only to measure what overlapping saves).
  bool overlap = true;
  /// After backward, every parameter's grad() is a view of its place in a bucket, which the next
  /// GradSync::backward overwrites (PyTorch's gradient_as_bucket_view): no copy of the averaged
  /// gradients back out of the buckets, and no second copy of them kept after the step. Keep one
  /// past the next step with clone(). Writing into one (clipping in place) changes no other.
  /// Applies where the buckets and all parameters share a device (CPU, or CUDA with a CUDA-aware
  /// communicator); staged CUDA gradients are always copied back. A backward that throws drops
  /// the gradients that were views. false: grad() gets its own memory, as after a plain backward.
  bool gradient_as_bucket_view = true;
};

/// Time spent, summed over the steps since the last reset.
struct GradSyncStats {
  int64_t steps = 0;
  double backward_seconds = 0;  // inside loss.backward() (packing and started all-reduces too)
  double pack_seconds = 0;      // gradients written into the buckets (times 1/N): inside
                                // backward, and after it for parameters backward did not reach
  double progress_seconds = 0;  // inside backward: all-reduces started and advanced by the hooks
  double wait_seconds = 0;      // after backward, until every bucket is summed: the communication
                                // that backward did not hide
  double unpack_seconds = 0;    // averaged sums written back into the gradients (near 0 with
                                // gradient_as_bucket_view: only views are made)
  int64_t bytes = 0;            // all-reduced per rank
};

/// Averages the gradients of a model's parameters over the ranks, overlapping communication with
/// backward. The parameters must be the same (names, shapes, order) on every rank.
class GradSync {
 public:
  /// Over `communicator` (communicator() when null: call init() first), which must outlive
  /// this object.
  explicit GradSync(const ParamList& params, GradSyncOptions options = {},
                    Communicator* communicator = nullptr);
  GradSync(const GradSync&) = delete;
  GradSync& operator=(const GradSync&) = delete;

  /// loss.backward(), after which every parameter's grad() is the mean over the ranks of what
  /// backward left there on each (a parameter no gradient reached counts as zeros, and gets the
  /// mean; a view of its bucket unless gradient_as_bucket_view is off). With one rank it is
  /// loss.backward() alone.
  void backward(const Tensor& loss);

  const std::vector<Bucket>& buckets() const { return buckets_; }
  const GradSyncOptions& options() const { return options_; }
  const GradSyncStats& stats() const { return stats_; }
  void reset_stats() { stats_ = {}; }

 private:
  struct State;
  void on_grad_ready(const Tensor& leaf);
  void pack(size_t param);
  void launch_ready();
  void finish();
  void point_grads_at_buckets();
  void drop_bucket_views();
  void unpack_means();

  std::vector<Tensor> params_;
  GradSyncOptions options_;
  Communicator* comm_;
  std::vector<Bucket> buckets_;
  std::shared_ptr<State> state_;  // buffers and per-pass bookkeeping (core/dist/grad_sync.cpp)
  GradSyncStats stats_;
};

// ---- sharding the data --------------------------------------------------------------------------

/// What to do when the ranks cannot share an epoch's examples evenly (size % world != 0): every
/// rank must take the same number of steps, or the all-reduces would not match up.
enum class Tail {
  Pad,   // repeat the first examples of the epoch's order until it divides (PyTorch's default)
  Drop,  // leave out the last examples of the order (a different few each shuffled epoch)
};

/// Shards a dataset's examples over the ranks, as PyTorch's DistributedSampler does. Epoch e's
/// order is DataLoader's permutation for (seed, e) (the same on every rank, and the one a
/// single-process DataLoader with this seed visits); after padding or dropping to a multiple of
/// the world size, rank r takes positions r, r + world, r + 2 world, ... So batch k of every rank
/// together are positions [k B, (k + 1) B) of the order, B = world x per-rank batch: the global
/// batch a single process with batch B trains on, whatever the world size.
class DistributedSampler {
 public:
  /// Requires size >= world (every rank gets an example), world >= 1 and 0 <= rank < world.
  DistributedSampler(int64_t size, int rank, int world, bool shuffle = true, uint64_t seed = 0,
                     Tail tail = Tail::Pad);
  /// Examples each rank takes per epoch: ceil(size / world) with Pad, floor with Drop.
  int64_t per_rank() const;
  /// The whole epoch's order, before padding (the same on every rank).
  std::vector<int64_t> order(int64_t epoch) const;
  /// This rank's examples of epoch e (per_rank() of them).
  std::vector<int64_t> indices(int64_t epoch) const;
  /// indices(epoch) cut into batches of `batch` (the last one smaller when per_rank() is not a
  /// multiple; it is as small on every rank). Requires batch >= 1.
  std::vector<std::vector<int64_t>> batches(int64_t epoch, int64_t batch) const;
  /// Number of batches(): ceil(per_rank() / batch), the single-process ceil(size / (world x
  /// batch)) when Pad is used.
  int64_t num_batches(int64_t batch) const;

 private:
  int64_t size_;
  int rank_, world_;
  bool shuffle_;
  uint64_t seed_;
  Tail tail_;
};

}  // namespace minidl::dist
