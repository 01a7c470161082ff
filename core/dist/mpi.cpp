// The MPI backend of core/dist.h: the only file that includes mpi.h, compiled with MPI's include
// directories and MINIDL_HAS_MPI=1 when the build has MPI (cmake/mpi.cmake), else a stub.
#include <algorithm>
#include <climits>
#include <cstdlib>
#include <deque>
#include <string>
#include <unordered_map>

#include "core/dist/backend.h"
#include "core/error.h"
#include "core/str.h"

#if MINIDL_HAS_MPI
#include <mpi.h>
#if __has_include(<mpi-ext.h>)
#include <mpi-ext.h>  // Open MPI: MPIX_CUDA_AWARE_SUPPORT, MPIX_Query_cuda_support
#endif
#endif

namespace minidl::dist::detail {

#if MINIDL_HAS_MPI

namespace {

// "MPI_Iallreduce: MPI_ERR_COUNT: invalid count argument" from an MPI return code.
void check_mpi(int rc, const char* call) {
  if (rc == MPI_SUCCESS) return;
  char text[MPI_MAX_ERROR_STRING];
  int len = 0;
  MPI_Error_string(rc, text, &len);
  throw Error(str("dist: ", call, " failed: ", std::string(text, static_cast<size_t>(len))));
}

// All-reduces run in pieces of at most this many bytes, one piece at a time (so that the ranks'
// buffers of a piece stay in cache while it is sent, summed and sent back): 1 MB, and for p ranks
// at least p x 256 KB, so that each rank's share of a piece stays 256 KB or more. Measured with
// Open MPI 4.1 over shared memory on 2 ranks, tiny's buckets (108 MB) took 52-62 ms in three
// calls and 26-38 ms in pieces of 1-4 MB, blocking or not (docs/distributed_measuring.md).
// MINIDL_ALLREDUCE_PIECE_BYTES sets another size (0: whole buckets); it must be the same on every
// rank, which MpiCommunicator checks.
constexpr int64_t kPieceBytes = int64_t{1} << 20, kShareBytes = int64_t{256} << 10;
constexpr const char* kPieceVariable = "MINIDL_ALLREDUCE_PIECE_BYTES";

// The piece size from the environment (0 = whole buckets) or the default for `ranks`, in floats;
// -1 for a value that is not a number of bytes >= 0.
int64_t piece_floats(int ranks) {
  const char* v = std::getenv(kPieceVariable);
  if (v == nullptr || *v == '\0')
    return std::min<int64_t>(std::max(kPieceBytes, ranks * kShareBytes) / 4, INT_MAX);
  char* end = nullptr;
  const long long bytes = std::strtoll(v, &end, 10);
  if (*end != '\0' || bytes < 0) return -1;
  return bytes == 0 ? INT_MAX : std::clamp<int64_t>(bytes / 4, 1, INT_MAX);
}

// Whether this Open MPI passes device pointers itself (built with CUDA, and the run-time agrees).
bool cuda_aware() {
#if defined(MPIX_CUDA_AWARE_SUPPORT) && MPIX_CUDA_AWARE_SUPPORT
  return MPIX_Query_cuda_support() == 1;
#else
  return false;
#endif
}

class MpiCommunicator : public Communicator {
 public:
  MpiCommunicator() {
    // A communicator of our own: minidl's collectives never mix with a program's own MPI calls,
    // and errors come back as return codes (minidl::Error) instead of aborting in MPI.
    check_mpi(MPI_Comm_dup(MPI_COMM_WORLD, &comm_), "MPI_Comm_dup");
    MPI_Comm_set_errhandler(comm_, MPI_ERRORS_RETURN);
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
    // Ranks cutting the same buckets differently would wait for each other forever: every rank
    // learns the largest and smallest piece, and whether a rank's value was not a number.
    piece_ = piece_floats(size_);
    long long seen[3] = {piece_ < 0, piece_, -piece_};
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, seen, 3, MPI_LONG_LONG, MPI_MAX, comm_), "MPI_Allreduce");
    const char* v = std::getenv(kPieceVariable);
    MINIDL_CHECK(piece_ >= 0, kPieceVariable, "='", v ? v : "",
                 "' is not a number of bytes >= 0 (0: whole buckets)");
    MINIDL_CHECK(seen[0] == 0, "dist: another rank's ", kPieceVariable,
                 " is not a number of bytes >= 0");
    const auto size = [](long long floats) {
      return floats == INT_MAX ? std::string("whole buckets") : str(floats * 4, " bytes");
    };
    MINIDL_CHECK(seen[1] == -seen[2], "dist: the ranks disagree on ", kPieceVariable,
                 ": all-reduce pieces of ", size(-seen[2]), " to ", size(seen[1]),
                 " (in whole floats); set it to the same value on every rank (or on none)");
  }
  // Requests still pending (a pass that ended on an error) are left to MPI_Finalize.
  ~MpiCommunicator() override { MPI_Comm_free(&comm_); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string name() const override { return "mpi"; }
  bool takes_device_memory() const override { return cuda_aware_; }

  // An all-reduce is a sequence of pieces. Only the oldest unfinished all-reduce has a piece in
  // flight, and its next piece starts when one ends, so every rank starts the same pieces in the
  // same order whatever its timing, as MPI requires of collectives.
  Request allreduce_sum_async(float* data, int64_t count) override {
    MINIDL_CHECK(count >= 0, "dist: all-reduce of ", count, " floats");
    const Request id = next_++;  // taken before drive(), which may throw
    ops_.emplace(id, Op{data, count});
    queue_.push_back(id);
    drive(false);
    return id;
  }

  // Sums in place, in pieces of blocking all-reduces, after the started ones: a blocking collective
  // must not begin on one rank before the non-blocking ones begun on another.
  void allreduce_sum(float* data, int64_t count) override {
    MINIDL_CHECK(count >= 0, "dist: all-reduce of ", count, " floats");
    drive(true);
    for (int64_t at = 0; at < count; at += piece_) {
      const int n = static_cast<int>(std::min(piece_, count - at));
      check_mpi(MPI_Allreduce(MPI_IN_PLACE, data + at, n, MPI_FLOAT, MPI_SUM, comm_),
                "MPI_Allreduce");
    }
  }

  bool test(Request r) override {
    const Op& op = find(r);
    drive(false);
    return !op.queued;
  }

  void wait(Request r) override {
    const Op& op = find(r);
    while (op.queued) drive_one(true);
    ops_.erase(r);
  }

  void broadcast(void* data, int64_t bytes, int root) override {
    drive(true);  // after the all-reduces started before it, on every rank
    char* p = static_cast<char*>(data);
    for (int64_t done = 0; done < bytes;) {  // in pieces: MPI counts are ints
      const int n = static_cast<int>(std::min<int64_t>(bytes - done, INT_MAX));
      check_mpi(MPI_Bcast(p + done, n, MPI_BYTE, root, comm_), "MPI_Bcast");
      done += n;
    }
  }

  void barrier() override {
    drive(true);  // after the all-reduces started before it, on every rank
    check_mpi(MPI_Barrier(comm_), "MPI_Barrier");
  }

  // The ranks sharing this machine: local rank and size.
  void local(int* local_rank, int* local_size) const {
    MPI_Comm node;
    check_mpi(MPI_Comm_split_type(comm_, MPI_COMM_TYPE_SHARED, rank_, MPI_INFO_NULL, &node),
              "MPI_Comm_split_type");
    MPI_Comm_rank(node, local_rank);
    MPI_Comm_size(node, local_size);
    MPI_Comm_free(&node);
  }

 private:
  struct Op {
    float* data;
    int64_t count;
    int64_t started = 0;  // floats whose pieces have started
    MPI_Request piece = MPI_REQUEST_NULL;
    bool queued = true;  // false once every piece has ended
  };

  Op& find(Request r) {
    auto it = ops_.find(r);
    MINIDL_CHECK(it != ops_.end(), "dist: request ", r, " is not pending (waited twice?)");
    return it->second;
  }

  // One step for the oldest unfinished all-reduce: start its next piece, or see its piece end
  // (waiting for it when `block`); false when there is nothing to do or the piece is still
  // running.
  bool drive_one(bool block) {
    if (queue_.empty()) return false;
    Op& op = ops_.at(queue_.front());
    if (op.piece == MPI_REQUEST_NULL) {
      if (op.started == op.count) {  // all pieces ended (or none: count 0)
        op.queued = false;
        queue_.pop_front();
        return true;
      }
      const int n = static_cast<int>(std::min(piece_, op.count - op.started));
      check_mpi(MPI_Iallreduce(MPI_IN_PLACE, op.data + op.started, n, MPI_FLOAT, MPI_SUM, comm_,
                               &op.piece),
                "MPI_Iallreduce");
      op.started += n;
      return true;
    }
    int done = 0;
    if (block)
      check_mpi(MPI_Wait(&op.piece, MPI_STATUS_IGNORE), "MPI_Wait");
    else
      check_mpi(MPI_Test(&op.piece, &done, MPI_STATUS_IGNORE), "MPI_Test");
    if (!block && !done) return false;
    op.piece = MPI_REQUEST_NULL;
    return true;
  }

  // Advances the all-reduces in order as far as they go without waiting, or (block) to the end.
  void drive(bool block) {
    while (drive_one(block)) {
    }
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  int64_t piece_ = INT_MAX;
  bool cuda_aware_ = cuda_aware();
  std::unordered_map<Request, Op> ops_;
  std::deque<Request> queue_;  // the unfinished all-reduces, oldest first
  Request next_ = 0;
};

}  // namespace

bool mpi_compiled_in() { return true; }

std::unique_ptr<Communicator> mpi_start(World* world) {
  int initialized = 0;
  MPI_Initialized(&initialized);
  if (!initialized) {  // a program may have started MPI itself
    // Open MPI 4.1's non-blocking all-reduce (its libnbc component) chooses, for two ranks and
    // large buckets, an algorithm that ran at half the speed of the blocking call; reduce-scatter
    // then all-gather (Rabenseifner's) ran as fast as it (docs/distributed_measuring.md).
    // Unless the user set it, ask for that one. Other MPIs ignore the variable.
    ::setenv("OMPI_MCA_coll_libnbc_iallreduce_algorithm", "3", 0);
    int provided = 0;
    check_mpi(MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided), "MPI_Init_thread");
  }
  auto comm = std::make_unique<MpiCommunicator>();
  world->rank = comm->rank();
  world->size = comm->size();
  comm->local(&world->local_rank, &world->local_size);
  return comm;
}

void mpi_stop() {
  int finalized = 0;
  MPI_Finalized(&finalized);
  if (!finalized) MPI_Finalize();
}

#else  // no MPI in this build

bool mpi_compiled_in() { return false; }

std::unique_ptr<Communicator> mpi_start(World*) {
  throw Error("dist: minidl was built without MPI (CMake option MINIDL_MPI)");
}

void mpi_stop() {}

#endif

}  // namespace minidl::dist::detail
