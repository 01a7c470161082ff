// The profiler's tables: scope names, per-(scope, category) counts and times. See profile.h.
#include "core/profile.h"

#include <array>
#include <atomic>
#include <map>
#include <mutex>
#include <unordered_map>

namespace minidl::profile {

namespace {

std::atomic<bool> g_enabled{false};

struct Cell {
  int64_t calls = 0;
  int64_t ns = 0;
};

// Guarded by mutex: Timers close on any thread that runs ops (the data loader's workers too).
struct Tables {
  std::mutex mutex;
  std::vector<std::string> labels;  // scope id -> label; kept by reset() (nodes keep ids)
  std::unordered_map<std::string, int> ids;
  std::map<std::pair<int, int>, Cell> cells;  // (scope id, category) -> totals
};

Tables& tables() {
  static Tables t;
  return t;
}

thread_local int t_scope = -1;
thread_local Timer* t_top = nullptr;  // innermost open Timer
thread_local int64_t t_next_index = -1;

constexpr std::array<const char*, kNumCategories> kNames = {
    "forward", "dx", "dW", "elementwise", "pooling", "optimizer", "other"};

}  // namespace

const char* category_name(Category c) { return kNames[static_cast<size_t>(c)]; }

void enable(bool on) { g_enabled.store(on, std::memory_order_relaxed); }
bool enabled() noexcept { return g_enabled.load(std::memory_order_relaxed); }

void reset() {
  Tables& t = tables();
  std::lock_guard lock(t.mutex);
  t.cells.clear();
}

std::vector<Row> report() {
  Tables& t = tables();
  std::lock_guard lock(t.mutex);
  std::vector<Row> rows;
  for (const auto& [key, cell] : t.cells) {  // ordered by scope id (first entered first)
    const std::string& scope = key.first < 0 ? "(no layer)" : t.labels[key.first];
    rows.push_back(
        {scope, static_cast<Category>(key.second), cell.calls, static_cast<double>(cell.ns) / 1e6});
  }
  return rows;
}

std::vector<Row> totals() {
  std::array<Cell, kNumCategories> sum{};
  {
    Tables& t = tables();
    std::lock_guard lock(t.mutex);
    for (const auto& [key, cell] : t.cells) {
      sum[key.second].calls += cell.calls;
      sum[key.second].ns += cell.ns;
    }
  }
  std::vector<Row> rows;
  for (int c = 0; c < kNumCategories; ++c)
    if (sum[c].calls > 0)
      rows.push_back(
          {"(all)", static_cast<Category>(c), sum[c].calls, static_cast<double>(sum[c].ns) / 1e6});
  return rows;
}

std::string layer_label(size_t index, const std::string& name) {
  return std::to_string(index) + " " + name;
}

void set_next_index(size_t index) { t_next_index = static_cast<int64_t>(index); }

int current_scope() noexcept { return t_scope; }

Category backward_category() noexcept {
  if (t_top && (t_top->category_ == Category::Elementwise || t_top->category_ == Category::Pooling))
    return t_top->category_;
  return Category::Other;
}

void Scope::enter(const std::string& label) {
  std::string full = label;
  if (t_next_index >= 0) {
    full = layer_label(static_cast<size_t>(t_next_index), label);
    t_next_index = -1;
  }
  int id;
  {
    Tables& t = tables();
    std::lock_guard lock(t.mutex);
    auto [it, inserted] = t.ids.try_emplace(full, static_cast<int>(t.labels.size()));
    if (inserted) t.labels.push_back(full);
    id = it->second;
  }
  enter(id);
}

void Scope::enter(int id) {
  if (!entered_) previous_ = t_scope;
  entered_ = true;
  t_scope = id;
}

Scope::~Scope() {
  if (entered_) t_scope = previous_;
}

void Timer::start(Category category) noexcept {
  active_ = true;
  category_ = category;
  scope_ = t_scope;
  parent_ = t_top;
  t_top = this;
  t0_ = std::chrono::steady_clock::now();
}

void Timer::stop() {
  const int64_t ns =
      std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now() - t0_)
          .count();
  t_top = parent_;
  if (parent_) parent_->child_ns_ += ns;
  Tables& t = tables();
  std::lock_guard lock(t.mutex);
  Cell& cell = t.cells[{scope_, static_cast<int>(category_)}];
  ++cell.calls;
  cell.ns += ns - child_ns_;
}

}  // namespace minidl::profile
