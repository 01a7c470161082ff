// A small profiler: where the time of a training step goes, per layer and per kind of work.
// Off by default; then each instrumented place costs one relaxed atomic load. When on, every
// Timer adds its own time (its wall time less that of the Timers it encloses) to the row of
// (current scope, its category), so the rows add up to the time the outermost Timers covered.
//
// Scopes are layers: Module's call operator enters one named after the layer ("3 Conv2D(...)"
// inside a Sequential) and times its forward; autograd nodes remember the scope that made them,
// so the backward work of a node counts for that layer too.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace minidl::profile {

/// What a Timer measures. Forward: a layer's forward pass less the elementwise and pooling ops
/// in it. Dx, DW: the input and weight gradients of conv2d, linear and matmul. Elementwise and
/// Pooling: those ops, forward and backward. Optimizer: Optimizer::step. Other: the rest of a
/// backward node (bias gradients, copies, shape ops, the loss's reductions).
enum class Category { Forward, Dx, DW, Elementwise, Pooling, Optimizer, Other };
inline constexpr int kNumCategories = 7;
/// "forward", "dx", "dW", "elementwise", "pooling", "optimizer", "other".
const char* category_name(Category c);

/// Turns recording on or off for every thread.
void enable(bool on);
/// Whether recording is on (one relaxed atomic load).
bool enabled() noexcept;
/// Forgets every recorded time and count (scope names stay known).
void reset();

/// One (scope, category) cell: how many Timers closed there and their own time.
struct Row {
  std::string scope;  // the layer's label; "(no layer)" for work outside any layer
  Category category;
  int64_t calls = 0;
  double ms = 0;
};
/// Every cell with at least one call, scopes in the order they were first entered, then by
/// category.
std::vector<Row> report();
/// One row per category with calls (scope "(all)"): the sums of report()'s rows.
std::vector<Row> totals();

/// The label of child `index` of a Sequential: "<index> <name>".
std::string layer_label(size_t index, const std::string& name);
/// Makes the next Scope::enter on this thread label itself layer_label(index, name) (Sequential
/// calls it before each layer, so that repeated layer names stay apart).
void set_next_index(size_t index);

/// The scope work on this thread counts for: an id (-1 = no layer), kept by autograd nodes.
int current_scope() noexcept;
/// The category a node recorded now runs its backward under: that of the innermost open Timer
/// when it is Elementwise or Pooling (the op that recorded it), else Other.
Category backward_category() noexcept;

/// Enters a scope for its lifetime (nothing when enter() is not called).
class Scope {
 public:
  Scope() = default;
  /// Makes `label` (prefixed by a pending set_next_index) the current scope until destruction.
  void enter(const std::string& label);
  /// Makes scope id `id` (from current_scope()) current until destruction.
  void enter(int id);
  ~Scope();
  Scope(const Scope&) = delete;
  Scope& operator=(const Scope&) = delete;

 private:
  bool entered_ = false;
  int previous_ = -1;
};

/// Times its lifetime under `category` in the current scope when recording is on.
class Timer {
 public:
  explicit Timer(Category category) noexcept {
    if (enabled()) start(category);
  }
  ~Timer() {
    if (active_) stop();
  }
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;

 private:
  friend Category backward_category() noexcept;
  void start(Category category) noexcept;
  void stop();
  bool active_ = false;
  Category category_ = Category::Other;
  int scope_ = -1;
  Timer* parent_ = nullptr;
  std::chrono::steady_clock::time_point t0_;
  int64_t child_ns_ = 0;  // time of the Timers nested in this one
};

}  // namespace minidl::profile
