// The CPU thread pool (see parallel.h). A job is a count of items and a function; the caller
// publishes it under the pool's mutex, wakes the workers, and takes items itself like any worker
// (an atomic counter hands them out). When no item is left it withdraws the job, so that a worker
// woken late never sees it, and waits for the workers still inside it. Idle threads spin briefly
// (a parallel loop often follows another within microseconds) and then sleep: on a machine whose
// cores are shared with other programs, threads that spin while they wait steal the time slices
// that the threads doing the work need.
#include "core/cpu/parallel.h"

#include <atomic>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "core/device.h"

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#define MINIDL_CPU_RELAX() _mm_pause()
#else
#define MINIDL_CPU_RELAX() ((void)0)
#endif

namespace minidl::cpu {

namespace {

// About 50 microseconds of polling before a waiting thread goes to sleep.
constexpr int kSpins = 2000;

thread_local bool t_in_parallel = false;
thread_local int t_slot = 0;  // the slot of the item this thread runs (for nested loops)

struct Job {
  Job(detail::ItemFn f, const void* c, int64_t count) : fn(f), ctx(c), n(count) {}
  detail::ItemFn fn;
  const void* ctx;
  int64_t n;
  std::atomic<int64_t> next{0};
  std::atomic<int> inside{0};  // workers that took the job and have not left it
  std::mutex error_mutex;
  std::exception_ptr error;

  void run(int slot) {
    t_in_parallel = true;
    t_slot = slot;
    for (int64_t i; (i = next.fetch_add(1, std::memory_order_relaxed)) < n;) {
      try {
        fn(ctx, i, slot);
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!error) error = std::current_exception();
      }
    }
    t_in_parallel = false;
    t_slot = 0;
  }
};

class Pool {
 public:
  int threads() const { return threads_; }

  /// Claims the pool for one parallel loop; false while another thread's loop holds it.
  bool try_acquire() { return !busy_.exchange(true, std::memory_order_acquire); }
  void release() { busy_.store(false, std::memory_order_release); }

  void resize(int n) {
    stop_workers();
    threads_ = n;
    // Workers start on the first parallel loop, not here: a program that never runs one (or sets
    // the thread count before it does) starts no threads it does not use.
  }

  void run(int64_t n, detail::ItemFn fn, const void* ctx) {
    if (workers_.size() + 1 != static_cast<size_t>(threads_)) start_workers();
    Job job(fn, ctx, n);
    bool wake;
    {
      std::lock_guard<std::mutex> lock(m_);
      job_ = &job;
      ++generation_;
      published_.store(generation_, std::memory_order_release);
      wake = sleepers_ > 0;
    }
    if (wake) cv_.notify_all();
    job.run(0);
    {
      std::lock_guard<std::mutex> lock(m_);
      job_ = nullptr;  // from here on no worker can enter the job
    }
    for (int i = 0; i < kSpins && job.inside.load(std::memory_order_acquire) != 0; ++i)
      MINIDL_CPU_RELAX();
    for (int k; (k = job.inside.load(std::memory_order_acquire)) != 0;) job.inside.wait(k);
    if (job.error) std::rethrow_exception(job.error);
  }

 private:
  void start_workers() {
    stop_workers();
    stop_ = false;
    for (int slot = 1; slot < threads_; ++slot) workers_.emplace_back([this, slot] { work(slot); });
  }

  void stop_workers() {
    {
      std::lock_guard<std::mutex> lock(m_);
      stop_ = true;
    }
    cv_.notify_all();
    for (std::thread& t : workers_) t.join();
    workers_.clear();
  }

  void work(int slot) {
    uint64_t seen = published_.load(std::memory_order_acquire);
    for (;;) {
      for (int i = 0; i < kSpins && published_.load(std::memory_order_acquire) == seen; ++i)
        MINIDL_CPU_RELAX();
      Job* job;
      {
        std::unique_lock<std::mutex> lock(m_);
        if (generation_ == seen && !stop_) {
          ++sleepers_;
          cv_.wait(lock, [&] { return generation_ != seen || stop_; });
          --sleepers_;
        }
        if (stop_) return;
        seen = generation_;
        job = job_;  // null when the caller has already withdrawn it
        if (job) job->inside.fetch_add(1, std::memory_order_relaxed);
      }
      if (!job) continue;
      job->run(slot);
      if (job->inside.fetch_sub(1, std::memory_order_acq_rel) == 1) job->inside.notify_all();
    }
  }

  int threads_ = 1;
  std::vector<std::thread> workers_;
  std::mutex m_;
  std::condition_variable cv_;
  Job* job_ = nullptr;
  uint64_t generation_ = 0;             // under m_
  std::atomic<uint64_t> published_{0};  // generation_, for spinning without the lock
  int sleepers_ = 0;
  bool stop_ = false;
  std::atomic<bool> busy_{false};
};

// Never destroyed: worker threads must not be joined by static destructors at exit, when other
// statics they might touch are gone.
Pool& pool() {
  static Pool* p = new Pool;
  return *p;
}

}  // namespace

int max_threads() {
  // The first call sizes the pool from MINIDL_NUM_THREADS or the machine (core/device.cpp), so
  // that a program that never calls set_num_threads still gets every core.
  static const bool sized = (minidl::num_threads(), true);
  (void)sized;
  return pool().threads();
}

void set_pool_threads(int n) { pool().resize(n < 1 ? 1 : n); }

bool in_parallel() { return t_in_parallel; }

namespace detail {

void run_items(int64_t n, ItemFn fn, const void* ctx) {
  if (n <= 0) return;
  Pool& p = pool();
  // Serially: one item or one thread; nested in another loop (in that item's slot); or while
  // another thread of the program runs a loop (the pool runs one at a time).
  if (n == 1 || p.threads() == 1 || t_in_parallel || !p.try_acquire()) {
    const int slot = t_in_parallel ? t_slot : 0;
    for (int64_t i = 0; i < n; ++i) fn(ctx, i, slot);
    return;
  }
  struct Release {
    Pool& p;
    ~Release() { p.release(); }
  } release{p};
  p.run(n, fn, ctx);
}

}  // namespace detail

}  // namespace minidl::cpu
