// GradSync (core/dist.h): gradients packed into flat buckets during backward and summed over the
// ranks by non-blocking all-reduces, each started once its bucket is complete (with overlap; the
// buckets left at the end of backward take the blocking all-reduce); the means are then the
// parameters' gradients (views of the buckets, or copies).
//
// Overlap: autograd calls set_leaf_grad_hook's hook as soon as a parameter's gradient is final.
// The hook packs it into its bucket and, when the bucket is complete, starts its all-reduce; the
// rest of backward runs meanwhile. MPI moves data only inside MPI calls (Open MPI has no progress
// thread by default), so every hook call also tests the all-reduces in flight, which lets them
// advance between backward's ops.
//
// Gradients in the buckets (GradSyncOptions::gradient_as_bucket_view, on by default): the hook
// writes the gradient times 1/N into its slot, so the sum over the ranks is already the mean, and
// after the sum every parameter's grad() becomes a view of its slot. That drops a pass over all
// gradients (the old way divided the sums by N into a new tensor, then copied each slice into
// its gradient: 22-29 ms a step for tiny's 108 MB on a 2-core AMD EPYC) and the second copy of
// them kept after the step. For N a power of two the result is bit for bit the old one (x / 2^k
// is exact). Views need the buckets and every parameter on one device; else the copies are made.
// A backward that throws leaves no gradient aliasing a bucket (all-reduces may still be writing
// there until the next backward waits for them).
//
// Devices: buckets live in host memory, and CUDA gradients are copied there and back: into pinned
// (page-locked) buffers, which the GPU reads and writes by DMA at the link's rate. Only when the
// communicator takes device memory (a CUDA-aware MPI) do the buckets stay on the GPU. The staged
// path is tested over a fake communicator on a GPU (tests/cuda/test_cuda_dist.cpp); no CUDA-aware
// MPI has run it yet.
#include <algorithm>
#include <chrono>
#include <unordered_map>

#include "core/autograd.h"
#include "core/device.h"
#include "core/dist.h"
#include "core/error.h"
#include "core/ops/elementwise.h"
#include "core/ops/op_util.h"

namespace minidl::dist {

std::vector<Bucket> plan_buckets(const std::vector<int64_t>& numels, int64_t bucket_bytes) {
  MINIDL_CHECK(bucket_bytes >= 1, "plan_buckets: bucket_bytes must be >= 1, got ", bucket_bytes);
  std::vector<Bucket> out;
  Bucket cur;
  for (size_t k = numels.size(); k-- > 0;) {
    MINIDL_CHECK(numels[k] >= 0, "plan_buckets: parameter ", k, " has ", numels[k], " elements");
    cur.params.push_back(k);
    cur.offsets.push_back(cur.numel);
    cur.numel += numels[k];
    if (cur.numel * static_cast<int64_t>(sizeof(float)) >= bucket_bytes) {
      out.push_back(std::move(cur));
      cur = Bucket{};
    }
  }
  if (!cur.params.empty()) out.push_back(std::move(cur));
  return out;
}

namespace {

using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

}  // namespace

struct GradSync::State {
  struct Buffer {
    Tensor flat;   // the bucket's gradients, packed; on the CPU unless the communicator takes
                   // device memory and the parameters are on the GPU
    int left = 0;  // parameters of this pass not packed yet
    Communicator::Request request = -1;
  };
  std::vector<Buffer> buffers;
  std::vector<size_t> bucket_of, slot_of;               // per parameter: its bucket and place in it
  std::unordered_map<const TensorImpl*, size_t> index;  // parameter -> its index
  std::vector<char> packed;                             // per parameter, this pass
  size_t next_launch = 0;                               // buckets start in order, on every rank
  std::vector<size_t> in_flight;                        // started, not yet seen complete
  bool views = false;  // this pass packs gradients / N and leaves grad() as views of the buckets
  float scale = 1.f;   // 1 / N
};

GradSync::GradSync(const ParamList& params, GradSyncOptions options, Communicator* communicator)
    : params_(params.tensors),
      options_(options),
      comm_(communicator ? communicator : &dist::communicator()),
      state_(std::make_shared<State>()) {
  MINIDL_CHECK(!params_.empty(), "GradSync: no parameters");
  std::vector<int64_t> numels;
  for (size_t i = 0; i < params_.size(); ++i) {
    MINIDL_CHECK(params_[i].defined() && params_[i].is_leaf(), "GradSync: parameter ", i,
                 " is not a defined leaf tensor");
    numels.push_back(params_[i].numel());
    MINIDL_CHECK(state_->index.emplace(params_[i].impl(), i).second, "GradSync: parameter ", i,
                 " appears twice");
  }
  buckets_ = plan_buckets(numels, options_.bucket_bytes);
  State& st = *state_;
  st.bucket_of.resize(params_.size());
  st.slot_of.resize(params_.size());
  st.buffers.resize(buckets_.size());
  for (size_t b = 0; b < buckets_.size(); ++b)
    for (size_t k = 0; k < buckets_[b].params.size(); ++k) {
      st.bucket_of[buckets_[b].params[k]] = b;
      st.slot_of[buckets_[b].params[k]] = k;
    }
}

void GradSync::pack(size_t i) {
  const auto t0 = Clock::now();
  State& st = *state_;
  const Bucket& bucket = buckets_[st.bucket_of[i]];
  State::Buffer& buf = st.buffers[st.bucket_of[i]];
  const int64_t off = bucket.offsets[st.slot_of[i]], n = params_[i].numel();
  const Tensor g = params_[i].grad();
  const Tensor slot = buf.flat.slice(0, off, off + n);
  if (!g.defined()) {
    slot.fill_(0.f);  // a parameter backward did not reach: it adds nothing to the sum
  } else if (st.views) {
    // slot = g / N in one pass (g may be this very slot: last pass's view, not reached since)
    const Tensor gc = g.contiguous();
    MINIDL_DISPATCH(slot.device(), unary, UnaryOp::MulScalar, n, gc.data(), slot.data(), st.scale,
                    0.f);
  } else {
    slot.copy_(g.reshape({n}));
  }
  st.packed[i] = 1;
  --buf.left;
  stats_.pack_seconds += seconds_since(t0);
}

// The last bucket is left to finish()'s blocking all-reduce: it is complete only once every
// parameter is packed, when backward has nothing left to hide it behind.
void GradSync::launch_ready() {
  State& st = *state_;
  while (st.next_launch + 1 < st.buffers.size() && st.buffers[st.next_launch].left == 0) {
    State::Buffer& buf = st.buffers[st.next_launch];
    if (buf.flat.device() != Device::CPU) cuda_synchronize();  // the copies into it are done
    buf.request = comm_->allreduce_sum_async(buf.flat.data(), buf.flat.numel());
    st.in_flight.push_back(st.next_launch++);
  }
}

void GradSync::on_grad_ready(const Tensor& leaf) {
  State& st = *state_;
  auto it = st.index.find(leaf.impl());
  if (it == st.index.end() || st.packed[it->second]) return;  // not ours (an input), or done
  pack(it->second);
  const auto t0 = Clock::now();
  if (options_.overlap) launch_ready();
  // Progress for the all-reduces in flight, and forget those that completed.
  std::erase_if(st.in_flight, [&](size_t b) { return comm_->test(st.buffers[b].request); });
  stats_.progress_seconds += seconds_since(t0);
}

void GradSync::finish() {
  State& st = *state_;
  for (size_t i = 0; i < params_.size(); ++i)
    if (!st.packed[i]) pack(i);
  // The buckets backward did not start (all of them without overlap) are summed by the blocking
  // collective (with whole 25 MB buckets Open MPI ran it about twice as fast as the non-blocking
  // one; in the MPI communicator's pieces the two are even). Every rank has started the same
  // buckets before (the same graph, the same hooks), so all ranks still issue the collectives in
  // one order.
  for (size_t b = st.next_launch; b < st.buffers.size(); ++b) {
    State::Buffer& buf = st.buffers[b];
    if (buf.flat.device() != Device::CPU) cuda_synchronize();  // the copies into it are done
    comm_->allreduce_sum(buf.flat.data(), buf.flat.numel());
  }
  for (size_t b = 0; b < st.next_launch; ++b) comm_->wait(st.buffers[b].request);
  st.in_flight.clear();
  st.next_launch = 0;  // every bucket is done
}

void GradSync::backward(const Tensor& loss) {
  const auto t0 = Clock::now();
  if (comm_->size() == 1) {
    loss.backward();
    stats_.backward_seconds += seconds_since(t0);
    ++stats_.steps;
    return;
  }
  State& st = *state_;
  // A pass that ended in an error may have left all-reduces writing into the buffers.
  for (size_t b = 0; b < st.next_launch; ++b) comm_->wait(st.buffers[b].request);
  // Buckets on the device MPI reads: the GPU only for a communicator that takes device memory.
  const Device dev = comm_->takes_device_memory() ? params_.front().device() : Device::CPU;
  // Staging buffers for CUDA parameters are pinned.
  const bool pin = dev == Device::CPU && params_.front().device() != Device::CPU;
  for (size_t b = 0; b < buckets_.size(); ++b) {
    State::Buffer& buf = st.buffers[b];
    if (!buf.flat.defined() || buf.flat.device() != dev || buf.flat.is_pinned() != pin)
      buf.flat =
          Tensor::empty({buckets_[b].numel}, dev, pin ? HostMemory::Pinned : HostMemory::Pageable);
    buf.left = static_cast<int>(buckets_[b].params.size());
  }
  st.packed.assign(params_.size(), 0);
  st.next_launch = 0;
  st.in_flight.clear();
  st.views = options_.gradient_as_bucket_view &&
             std::all_of(params_.begin(), params_.end(),
                         [&](const Tensor& p) { return p.device() == dev; });
  st.scale = 1.f / static_cast<float>(comm_->size());
  Clock::time_point t1, t2;
  try {
    {
      // The hook sees this object for the length of backward only; restored on any exit.
      struct Restore {
        LeafGradHook previous;
        ~Restore() { set_leaf_grad_hook(std::move(previous)); }
      } restore{set_leaf_grad_hook([this](const Tensor& leaf) { on_grad_ready(leaf); })};
      loss.backward();
    }
    t1 = Clock::now();
    finish();
    t2 = Clock::now();
  } catch (...) {
    // Last pass's views may have been packed (scaled) and handed to an all-reduce: drop them, so
    // that no gradient shows memory MPI may still write into.
    if (st.views) drop_bucket_views();
    throw;
  }
  if (st.views)
    point_grads_at_buckets();
  else
    unpack_means();
  for (const Bucket& bucket : buckets_)
    stats_.bytes += bucket.numel * static_cast<int64_t>(sizeof(float));
  stats_.backward_seconds += std::chrono::duration<double>(t1 - t0).count();
  stats_.wait_seconds += std::chrono::duration<double>(t2 - t1).count();
  stats_.unpack_seconds += seconds_since(t2);
  ++stats_.steps;
}

void GradSync::drop_bucket_views() {
  for (const Tensor& p : params_) {
    const Tensor g = p.grad();
    if (!g.defined()) continue;
    for (const State::Buffer& buf : state_->buffers)
      if (buf.flat.defined() && g.storage() == buf.flat.storage()) {
        p.set_grad(Tensor());
        break;
      }
  }
}

void GradSync::point_grads_at_buckets() {
  const State& st = *state_;
  for (size_t b = 0; b < buckets_.size(); ++b)
    for (size_t k = 0; k < buckets_[b].params.size(); ++k) {
      const Tensor& p = params_[buckets_[b].params[k]];
      const int64_t off = buckets_[b].offsets[k];
      const Tensor g = p.grad();
      const Tensor& flat = st.buffers[b].flat;
      if (g.defined() && g.storage() == flat.storage() && g.offset() == off && g.is_contiguous())
        continue;  // already the view (last pass's, not reached this pass)
      p.set_grad(flat.slice(0, off, off + p.numel()).reshape(p.shape()));
    }
}

void GradSync::unpack_means() {
  const State& st = *state_;
  // Sums to means, back into the gradients.
  const float inv = 1.f / static_cast<float>(comm_->size());
  for (size_t b = 0; b < buckets_.size(); ++b) {
    Tensor mean = st.buffers[b].flat * inv;
    if (st.buffers[b].flat.is_pinned()) mean = st.buffers[b].flat.copy_(mean);  // copied from there
    for (size_t k = 0; k < buckets_[b].params.size(); ++k) {
      const Tensor& p = params_[buckets_[b].params[k]];
      const int64_t off = buckets_[b].offsets[k];
      const Tensor src = mean.slice(0, off, off + p.numel()).reshape(p.shape());
      if (p.grad().defined())
        p.grad().copy_(src);
      else
        p.set_grad(src.to(p.device()).clone());
    }
  }
}

}  // namespace minidl::dist
