// The choice of convolution kernels and the plans of the im2col kernels (see conv_plan.h).
#include "core/cpu/conv_plan.h"

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <cstring>
#include <numeric>

#include "core/cpu/conv_shift.h"
#include "core/cpu/parallel.h"
#include "core/error.h"

namespace minidl::cpu {

// ---- the mode -----------------------------------------------------------------------------------

ConvMode conv_mode_from_env(const char* value) {
  if (value == nullptr || std::strcmp(value, "fast") == 0) return ConvMode::Fast;
  if (std::strcmp(value, "reference") == 0) return ConvMode::Reference;
  throw Error(minidl::detail::cat("MINIDL_CONV='", value, "' is not one of: fast, reference"));
}

namespace {
// Read from the environment on the first use; an invalid value throws on every use.
std::atomic<ConvMode>& mode_setting() {
  static std::atomic<ConvMode> mode{conv_mode_from_env(std::getenv("MINIDL_CONV"))};
  return mode;
}
}  // namespace

ConvMode conv_mode() { return mode_setting().load(std::memory_order_relaxed); }

void set_conv_mode(ConvMode mode) { mode_setting().store(mode); }

// ---- the path of one call -----------------------------------------------------------------------

namespace {
// A convolution with an empty operand (no image, filter, output pixel or input channel) needs no
// plan and no scratch: its output is the bias alone (or nothing), its gradients are 0.
bool has_empty_operand(const ConvParams& g) {
  return g.N == 0 || g.F == 0 || g.P() == 0 || g.K() == 0;
}

bool use_shift(const ConvParams& g) {
  return conv_shift_applies(g) && g.C >= kShiftMinC && g.F + g.C <= kShiftMaxFC;
}
}  // namespace

ConvPath conv_forward_path(const ConvParams& g) {
  if (conv_mode() == ConvMode::Reference) return ConvPath::Reference;
  if (has_empty_operand(g)) return ConvPath::Empty;
  if (g.is_1x1() && g.K() <= kShallowK) return ConvPath::Shallow1x1;
  return use_shift(g) ? ConvPath::Shift : ConvPath::Im2col;
}

ConvPath conv_backward_path(const ConvParams& g) {
  if (conv_mode() == ConvMode::Reference) return ConvPath::Reference;
  if (has_empty_operand(g)) return ConvPath::Empty;
  return use_shift(g) ? ConvPath::Shift : ConvPath::Im2col;
}

// ---- the plans of the im2col kernels -----------------------------------------------------------

namespace {
int64_t round_up(int64_t a, int64_t m) { return ceil_div(a, m) * m; }

// Scratch floats for `rows` rows of a span's col matrix and, for a grouped span, its gy.
int64_t span_slot(const ConvParams& g, const Spans& s, int64_t rows) {
  if (g.is_1x1()) return 0;
  return rows * s.max_width() + (s.group > 1 ? g.F * s.max_width() : 0);
}
}  // namespace

Span Spans::at(int64_t i, int64_t N, int64_t P) const {
  if (group > 1) return {i * group, std::min(group, N - i * group), 0, P};
  const int64_t j = i % per_image;
  return {i / per_image, 1, j * cols, std::min(cols, P - j * cols)};
}

Spans make_spans(int64_t N, int64_t P, int64_t rows, int64_t T, bool memory_bound, bool group) {
  Spans t;
  if (group && N > 1 && P < kWideCols) {
    int64_t spans = ceil_div(N, ceil_div(kWideCols, P));
    if (spans < N) spans = std::min(N, round_up(spans, T));
    t.group = ceil_div(N, spans);
    if (t.group > 1) {
      t.cols = P;
      return t;
    }
  }
  t.per_image =
      memory_bound ? ceil_div(P, std::max(kWideCols, kTileFloats / std::max<int64_t>(rows, 1))) : 1;
  if ((N * t.per_image) % T != 0 && N * t.per_image < 4 * T) {
    const int64_t finer = round_up(t.per_image, T / std::gcd(N, T));
    t.per_image = std::max(t.per_image, std::min(finer, P / kMinCols));
  }
  t.cols = ceil_div(P, t.per_image);
  t.per_image = ceil_div(P, t.cols);
  return t;
}

Blocks split(int64_t n, int64_t blocks) {
  Blocks b;
  b.size = ceil_div(n, std::max<int64_t>(1, std::min(blocks, n)));
  b.count = ceil_div(n, b.size);
  return b;
}

ForwardPlan forward_plan(const ConvParams& g) {
  const int64_t T = max_threads(), K = g.K();
  ForwardPlan f;
  f.spans = make_spans(g.N, g.P(), K, T, !g.is_1x1(), !g.is_1x1());
  const int64_t items = f.spans.count(g.N);
  f.filters = split(g.F, items >= T ? 1 : ceil_div(T, items));
  f.shared_col = f.filters.count > 1 && f.spans.group == 1 && !g.is_1x1();
  const int64_t w = f.spans.max_width();
  f.slot = g.is_1x1() ? 0 : K * w + (f.spans.group > 1 ? g.F * w : 0);
  return f;
}

int64_t BackwardPlan::workspace(const ConvParams& g, bool dx, bool dW, int64_t T) const {
  const int64_t accs = dW && dW_by_spans ? (T - 1) * g.F * g.K() : 0;
  return std::max(dW ? T * w_slot + accs : 0, dx ? T * x_slot : 0);
}

BackwardPlan backward_plan(const ConvParams& g) {
  const int64_t T = max_threads(), K = g.K(), P = g.P(), KK = g.KH * g.KW;
  const bool mem = !g.is_1x1();
  BackwardPlan b;
  b.w_spans = make_spans(g.N, P, K, T, mem, mem);
  const int64_t items = b.w_spans.count(g.N);
  b.dW_by_spans =
      T == 1 || ((items % T == 0 || items >= 4 * T) && (T - 1) * g.F * K <= kConvAccFloats);
  if (b.dW_by_spans) {
    b.w_slot = span_slot(g, b.w_spans, K);
  } else {
    b.w_rows = split(K, T);
    b.w_spans = make_spans(g.N, P, b.w_rows.size, 1, mem, mem);
    b.w_slot = span_slot(g, b.w_spans, b.w_rows.size);
  }
  // dx items: a grouped span, or one image (over its tiles), times blocks of channels.
  b.x_spans = make_spans(g.N, P, K, T, mem, mem);
  const int64_t units = b.x_spans.group > 1 ? b.x_spans.count(g.N) : g.N;
  b.x_chans = split(g.C, units % T == 0 || units >= 4 * T ? 1 : T / std::gcd(units, T));
  if (b.x_spans.group == 1) b.x_spans = make_spans(1, P, b.x_chans.size * KK, 1, mem, false);
  b.x_slot = span_slot(g, b.x_spans, b.x_chans.size * KK);
  return b;
}

}  // namespace minidl::cpu
