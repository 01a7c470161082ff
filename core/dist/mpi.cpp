// The MPI backend of core/dist.h: the only file that includes mpi.h, compiled with MPI's include
// directories and MINIDL_HAS_MPI=1 when the build has MPI (cmake/mpi.cmake), else a stub.
#include <algorithm>
#include <climits>
#include <cstdlib>
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
  }
  // Requests still pending (a pass that ended on an error) are left to MPI_Finalize.
  ~MpiCommunicator() override { MPI_Comm_free(&comm_); }

  int rank() const override { return rank_; }
  int size() const override { return size_; }
  std::string name() const override { return "mpi"; }
  bool takes_device_memory() const override { return cuda_aware_; }

  Request allreduce_sum_async(float* data, int64_t count) override {
    MINIDL_CHECK(count >= 0 && count <= INT_MAX, "dist: all-reduce of ", count,
                 " floats: MPI counts stop at ", INT_MAX, " (use smaller buckets)");
    MPI_Request req;
    check_mpi(MPI_Iallreduce(MPI_IN_PLACE, data, static_cast<int>(count), MPI_FLOAT, MPI_SUM, comm_,
                             &req),
              "MPI_Iallreduce");
    pending_.emplace(next_, req);
    return next_++;
  }

  void allreduce_sum(float* data, int64_t count) override {
    MINIDL_CHECK(count >= 0 && count <= INT_MAX, "dist: all-reduce of ", count,
                 " floats: MPI counts stop at ", INT_MAX, " (use smaller buckets)");
    check_mpi(MPI_Allreduce(MPI_IN_PLACE, data, static_cast<int>(count), MPI_FLOAT, MPI_SUM, comm_),
              "MPI_Allreduce");
  }

  bool test(Request r) override {
    int done = 0;
    check_mpi(MPI_Test(&find(r), &done, MPI_STATUS_IGNORE), "MPI_Test");
    return done != 0;
  }

  void wait(Request r) override {
    MPI_Request& req = find(r);
    const int rc = MPI_Wait(&req, MPI_STATUS_IGNORE);
    pending_.erase(r);
    check_mpi(rc, "MPI_Wait");
  }

  void broadcast(void* data, int64_t bytes, int root) override {
    char* p = static_cast<char*>(data);
    for (int64_t done = 0; done < bytes;) {  // in pieces: MPI counts are ints
      const int n = static_cast<int>(std::min<int64_t>(bytes - done, INT_MAX));
      check_mpi(MPI_Bcast(p + done, n, MPI_BYTE, root, comm_), "MPI_Bcast");
      done += n;
    }
  }

  void barrier() override { check_mpi(MPI_Barrier(comm_), "MPI_Barrier"); }

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
  MPI_Request& find(Request r) {
    auto it = pending_.find(r);
    MINIDL_CHECK(it != pending_.end(), "dist: request ", r, " is not pending (waited twice?)");
    return it->second;
  }

  MPI_Comm comm_ = MPI_COMM_NULL;
  int rank_ = 0, size_ = 1;
  bool cuda_aware_ = cuda_aware();
  std::unordered_map<Request, MPI_Request> pending_;
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
    // then all-gather (Rabenseifner's) ran as fast as it (docs/distributed.md, "Measuring").
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
