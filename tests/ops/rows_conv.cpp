// Rows of the op table: conv2d and max_pool2d. conv2d's rows run twice, with the fast CPU kernels
// and with the readable reference that MINIDL_CONV=reference selects (core/cpu/conv_plan.h); its
// calls reach each of the fast paths (1x1 as a loop and as a gemm, shifted views, im2col).
// max_pool2d draws distinct values, so no tie is within reach of gradcheck's step (ties and NaN
// in wide rows have their own test in test_conv.cpp).
#include <limits>
#include <optional>

#include "ops/conv_mode.h"
#include "ops/op_table.h"

namespace minidl::test {

namespace {

using V = const Ins&;
using H = const Hosts&;

Setting conv_kernels(cpu::ConvMode mode) {
  return {std::string("the ") + ConvModeGuard::name(mode) + " CPU kernels",
          [mode] { return std::shared_ptr<void>(std::make_shared<ConvModeGuard>(mode)); }};
}

// conv2d(x, W[, b], stride, pad) on inputs of these shapes (a third one: the bias).
Case conv(const std::vector<Shape>& shapes, int64_t s, int64_t p, const std::string& what = "") {
  return {shapes,
          "stride " + std::to_string(s) + ", padding " + std::to_string(p) +
              (what.empty() ? "" : ", " + what),
          [s, p](V x) { return conv2d(x[0], x[1], x.size() > 2 ? x[2] : Tensor(), s, p); },
          [s, p](H x) { return ref::conv2d(x[0], x[1], x.size() > 2 ? &x[2] : nullptr, s, p); }};
}

Case pool(const Shape& shape, int64_t k, int64_t s, int64_t p) {
  return {{shape},
          "kernel " + std::to_string(k) + ", stride " + std::to_string(s) + ", padding " +
              std::to_string(p),
          [=](V x) { return max_pool2d(x[0], k, s, p); },
          [=](H x) { return ref::max_pool2d(x[0], k, s, p); }};
}

Tensor Z(const Shape& s) { return zeros(s); }

}  // namespace

void add_conv_rows(std::vector<OpRow>& rows) {
  constexpr int64_t big = std::numeric_limits<int64_t>::max() / 2;
  // clang-format off
  rows.push_back({.name = "conv2d",
      .cases = {
          conv({{2, 3, 5, 5}, {4, 3, 3, 3}, {4}}, 1, 0),
          conv({{2, 2, 6, 7}, {3, 2, 3, 2}, {3}}, 2, 1, "3x2 kernel"),
          conv({{1, 2, 4, 3}, {2, 2, 3, 3}, {2}}, 1, 2, "padding > kernel / 2"),
          conv({{1, 2, 8, 8}, {2, 2, 2, 2}, {2}}, 3, 0, "input rows left unused"),
          conv({{2, 4, 3, 3}, {5, 4, 1, 1}, {5}}, 1, 0, "1x1, 4 channels (a loop)"),
          conv({{1, 8, 4, 4}, {3, 8, 1, 1}, {3}}, 1, 0, "1x1, 8 channels (a gemm)"),
          conv({{2, 4, 5, 5}, {3, 4, 1, 1}, {3}}, 2, 0, "1x1 (im2col)"),
          conv({{2, 3, 5, 4}, {2, 3, 3, 3}}, 1, 1, "no bias"),
          conv({{2, 3, 7, 6}, {4, 3, 3, 3}, {4}}, 1, 0),
          conv({{2, 3, 7, 6}, {4, 3, 3, 3}, {4}}, 2, 1),
          conv({{1, 2, 8, 9}, {3, 2, 2, 3}}, 3, 2, "no bias"),
          conv({{3, 1, 5, 5}, {2, 1, 5, 5}, {2}}, 1, 0, "the kernel covers the image"),
          conv({{1, 4, 6, 5}, {5, 4, 1, 1}, {5}}, 2, 1, "1x1"),
          conv({{2, 2, 4, 4}, {1, 2, 3, 1}, {1}}, 1, 1, "3x1 kernel"),
          conv({{1, 3, 3, 3}, {2, 3, 3, 3}}, 1, 2, "no bias"),
          {{{2, 5, 5, 3}, {2, 3, 3, 3}, {2}}, "x NHWC, permuted to NCHW",
           [](V x) { return conv2d(permute(x[0], {0, 3, 1, 2}), x[1], x[2], 1, 1); },
           [](H x) { return ref::conv2d(ref::permute(x[0], {0, 3, 1, 2}), x[1], &x[2], 1, 1); }},
          {{{1, 4, 9, 6}, {2, 2, 2, 2}, {2}}, "x a strided slice with an offset",
           [](V x) { return conv2d(slice(slice(x[0], 1, 1, 4, 2), 2, 1, 9), x[1], x[2]); },
           [](H x) {
             const Host view = ref::slice(ref::slice(x[0], 1, 1, 4, 2), 2, 1, 9, 1);
             return ref::conv2d(view, x[1], &x[2], 1, 0);
           }},
          {{{1, 3, 4, 4}, {3, 2, 3, 3}, {2}}, "W a transposed view",
           [](V x) { return conv2d(x[0], transpose(x[1], 0, 1), x[2], 1, 1); },
           [](H x) { return ref::conv2d(x[0], ref::transpose(x[1], 0, 1), &x[2], 1, 1); }},
          {{{2, 3, 3, 4}, {2, 4, 1, 1}}, "1x1 on x NHWC, permuted",
           [](V x) { return conv2d(permute(x[0], {0, 3, 1, 2}), x[1]); },
           [](H x) { return ref::conv2d(ref::permute(x[0], {0, 3, 1, 2}), x[1], nullptr, 1, 0); }}},
      .edge = {conv({{0, 3, 5, 5}, {4, 3, 3, 3}, {4}}, 1, 0, "N = 0"),
               conv({{2, 3, 5, 5}, {0, 3, 3, 3}, {0}}, 1, 1, "F = 0"),
               conv({{2, 0, 5, 5}, {4, 0, 3, 3}}, 1, 0, "C = 0"),
               conv({{0, 3, 4, 4}, {2, 3, 1, 1}}, 1, 0, "1x1, N = 0"),
               conv({{0, 2, 5, 5}, {3, 2, 3, 3}, {3}}, 1, 1, "N = 0"),
               conv({{1, 3, 1, 1}, {4, 3, 3, 3}}, 1, 1, "a 1x1 image padded to 3x3: one output")},
      .fwd = {1e-5, 1e-4},
      .special = kNan,  // in x only: an Inf in W times a padded zero is NaN on some paths only
      .errors = {
          {"channels", [] { conv2d(Z({1, 3, 8, 8}), Z({16, 4, 3, 3})); },
           {"conv2d: input (1, 3, 8, 8) has 3 channels but weight (16, 4, 3, 3) expects 4"}},
          {"channels 3 vs 2", [] { conv2d(Z({1, 3, 8, 8}), Z({4, 2, 3, 3})); },
           {"conv2d", "(1, 3, 8, 8)", "(4, 2, 3, 3)"}},
          {"input rank", [] { conv2d(Z({3, 8, 8}), Z({16, 3, 3, 3})); },
           {"conv2d: input must have rank 4", "(3, 8, 8)"}},
          {"weight rank", [] { conv2d(Z({1, 3, 8, 8}), Z({16, 3, 9})); },
           {"conv2d: weight must have rank 4", "(16, 3, 9)"}},
          {"weight rank 3", [] { conv2d(Z({1, 3, 8, 8}), Z({4, 3, 3})); }, {"conv2d", "(4, 3, 3)"}},
          {"bias size", [] { conv2d(Z({1, 3, 8, 8}), Z({16, 3, 3, 3}), Z({8})); },
           {"conv2d: bias of shape (8) does not match weight (16, 3, 3, 3)", "expected (16)"}},
          {"bias (3)", [] { conv2d(Z({1, 3, 8, 8}), Z({4, 3, 3, 3}), Z({3})); }, {"conv2d", "(3)"}},
          {"bias rank", [] { conv2d(Z({1, 3, 8, 8}), Z({16, 3, 3, 3}), Z({1, 16})); },
           {"conv2d: bias of shape (1, 16)"}},
          {"stride 0", [] { conv2d(Z({1, 3, 8, 8}), Z({16, 3, 3, 3}), {}, 0); },
           {"conv2d: stride must be >= 1, got 0", "(1, 3, 8, 8)"}},
          {"stride 0 of (1, 1, 4, 4)", [] { conv2d(Z({1, 1, 4, 4}), Z({1, 1, 3, 3}), {}, 0); },
           {"conv2d", "stride", "(1, 1, 4, 4)"}},
          {"padding -1", [] { conv2d(Z({1, 3, 8, 8}), Z({16, 3, 3, 3}), {}, 1, -1); },
           {"conv2d: padding must be >= 0, got -1", "(16, 3, 3, 3)"}},
          {"padding -1 of (1, 1, 4, 4)",
           [] { conv2d(Z({1, 1, 4, 4}), Z({1, 1, 3, 3}), {}, 1, -1); },
           {"conv2d", "padding", "(1, 1, 4, 4)"}},
          {"huge padding", [] { conv2d(Z({1, 1, 4, 4}), Z({1, 1, 3, 3}), {}, 1, big); },
           {"conv2d", "padding", "(1, 1, 4, 4)"}},
          {"kernel larger than the image", [] { conv2d(Z({1, 3, 2, 8}), Z({16, 3, 3, 3})); },
           {"conv2d: kernel 3x3 is larger than the padded input 2x8", "(1, 3, 2, 8)"}},
          {"kernel 3x3 on 2x2", [] { conv2d(Z({1, 1, 2, 2}), Z({1, 1, 3, 3})); },
           {"conv2d", "3x3", "(1, 1, 2, 2)"}},
          {"an undefined input", [] { conv2d(Tensor(), Z({16, 3, 3, 3})); },
           {"conv2d: input is an undefined tensor"}},
          {"an undefined weight", [] { conv2d(Z({1, 3, 8, 8}), Tensor()); },
           {"conv2d: weight is an undefined tensor"}},
          // a 0x0 kernel gave a (1, 1, 4, 4) output of bias alone
          {"0x0 kernel", [] { conv2d(Z({1, 1, 3, 3}), Z({1, 1, 0, 0})); },
           {"conv2d: kernel must be at least 1x1, got 0x0", "(1, 1, 3, 3)", "(1, 1, 0, 0)"}},
          {"3x0 kernel", [] { conv2d(Z({1, 1, 3, 3}), Z({2, 1, 3, 0}), {}, 1, 1); },
           {"conv2d", "3x0", "(2, 1, 3, 0)"}}},
      .required = 2,
      .settings = {conv_kernels(cpu::ConvMode::Fast), conv_kernels(cpu::ConvMode::Reference)}});

  // conv2d_max_pool2d: the fused pass where the kernels take it (3 or more channels, stride 1),
  // the two ops elsewhere; against the reference's conv2d then max_pool2d.
  // With a leaky ReLU's slope a: that activation after the pool (ref::map of its formula).
  const auto conv_pool = [](const std::vector<Shape>& shapes, int64_t p, int64_t k,
                            const std::string& what, std::optional<float> a = std::nullopt) {
    return Case{shapes, "padding " + std::to_string(p) + ", pool " + std::to_string(k) + ", " + what,
                [p, k, a](V x) {
                  return conv2d_max_pool2d(x[0], x[1], x.size() > 2 ? x[2] : Tensor(), 1, p, k, a);
                },
                [p, k, a](H x) {
                  const Host y = ref::max_pool2d(
                      ref::conv2d(x[0], x[1], x.size() > 2 ? &x[2] : nullptr, 1, p), k, k, 0);
                  if (!a) return y;
                  const double s = *a;
                  return ref::map(y, [s](double v) { return v > 0 ? v : s * v; });
                }};
  };
  rows.push_back({.name = "conv2d_max_pool2d",
      .cases = {conv_pool({{2, 3, 6, 6}, {4, 3, 3, 3}, {4}}, 1, 2, "fused"),
                conv_pool({{1, 4, 7, 8}, {3, 4, 3, 3}, {3}}, 1, 3, "fused, rows and columns left out"),
                conv_pool({{2, 3, 6, 5}, {2, 3, 3, 3}}, 0, 2, "fused, no bias"),
                conv_pool({{1, 1, 5, 7}, {2, 1, 3, 3}, {2}}, 1, 2, "one channel: the two ops"),
                conv_pool({{2, 3, 6, 6}, {4, 3, 3, 3}, {4}}, 1, 2, "fused, leaky ReLU 0.1", 0.1f),
                conv_pool({{1, 1, 5, 7}, {2, 1, 3, 3}, {2}}, 1, 2, "leaky ReLU 0.2, the three ops",
                          0.2f)},
      .fwd = {1e-5, 1e-4},
      // a step of 1e-3: the pool's argmax must not move under it, and the windows' candidates
      // (sums of 9 to 36 products) lie closer together than max_pool2d's distinct inputs. Even so
      // about 1 in 40 random draws puts two within the step (a 1x1x6x6 draw of the last case
      // did, for the two ops and the fused pass alike), so the shapes are ones whose draws do not.
      .grad = GradcheckOptions{1e-3, 2e-3, 1e-2},
      .special = kNan,  // in x only, as conv2d's
      .errors = {
          {"channels", [] { conv2d_max_pool2d(Z({1, 3, 8, 8}), Z({4, 2, 3, 3}), {}, 1, 1, 2); },
           {"conv2d_max_pool2d: input (1, 3, 8, 8) has 3 channels but weight (4, 2, 3, 3)"}},
          {"pool 0", [] { conv2d_max_pool2d(Z({1, 3, 8, 8}), Z({4, 3, 3, 3}), {}, 1, 1, 0); },
           {"conv2d_max_pool2d: pool must be >= 1, got 0", "(1, 3, 8, 8)"}},
          {"pool larger than the output",
           [] { conv2d_max_pool2d(Z({1, 3, 4, 4}), Z({4, 3, 3, 3}), {}, 1, 0, 3); },
           {"max_pool2d: kernel 3x3 is larger than the padded input 2x2"}}},
      .required = 2});

  rows.push_back({.name = "max_pool2d",
      .cases = {pool({2, 3, 6, 6}, 2, 0, 0), pool({2, 2, 7, 5}, 3, 2, 1),
                pool({1, 2, 5, 6}, 3, 1, 0), pool({1, 1, 4, 4}, 2, 1, 1),
                pool({2, 3, 7, 6}, 3, 2, 1),
                pool({2, 3, 5, 19}, 2, 2, 0),  // wide rows: four windows at a time
                pool({1, 2, 4, 78}, 2, 2, 0),  // wider: 16 at a time, then 4, then 1
                pool({1, 1, 1, 1}, 1, 1, 0), pool({1, 2, 13, 11}, 4, 1, 2),
                {{{2, 6, 6, 3}}, "x NHWC, permuted to NCHW, kernel 2",
                 [](V x) { return max_pool2d(permute(x[0], {0, 3, 1, 2}), 2); },
                 [](H x) { return ref::max_pool2d(ref::permute(x[0], {0, 3, 1, 2}), 2, 0, 0); }}},
      .edge = {pool({0, 3, 4, 4}, 2, 0, 0), pool({2, 0, 4, 4}, 2, 0, 0)},
      .gens = {distinct()},
      .errors = {
          {"input rank", [] { max_pool2d(Z({2, 5, 5}), 2); },
           {"max_pool2d: input must have rank 4", "(2, 5, 5)"}},
          {"input rank, (3, 4, 4)", [] { max_pool2d(Z({3, 4, 4}), 2); },
           {"max_pool2d", "(3, 4, 4)"}},
          {"kernel 0", [] { max_pool2d(Z({1, 2, 5, 5}), 0); },
           {"max_pool2d: kernel must be >= 1, got 0", "(1, 2, 5, 5)"}},
          {"kernel 0 of (1, 1, 4, 4)", [] { max_pool2d(Z({1, 1, 4, 4}), 0); },
           {"max_pool2d", "kernel", "0"}},
          {"stride -1", [] { max_pool2d(Z({1, 2, 5, 5}), 2, -1); },
           {"max_pool2d: stride must be >= 1", "got -1"}},
          {"stride -1 of (1, 1, 4, 4)", [] { max_pool2d(Z({1, 1, 4, 4}), 2, -1); },
           {"max_pool2d", "stride"}},
          {"padding 2 for kernel 3", [] { max_pool2d(Z({1, 2, 5, 5}), 3, 1, 2); },
           {"max_pool2d: padding must be in [0, kernel / 2] = [0, 1], got 2", "(1, 2, 5, 5)"}},
          {"padding -1", [] { max_pool2d(Z({1, 2, 5, 5}), 2, 1, -1); },
           {"max_pool2d: padding must be in"}},
          {"padding 2 for kernel 2", [] { max_pool2d(Z({1, 1, 4, 4}), 2, 2, 2); },
           {"max_pool2d", "padding", "(1, 1, 4, 4)"}},
          {"huge kernel", [] { max_pool2d(Z({1, 1, 4, 4}), 2 * big, 1, big); },
           {"max_pool2d", "(1, 1, 4, 4)"}},
          {"kernel larger than the padded image", [] { max_pool2d(Z({1, 2, 5, 1}), 4, 1, 1); },
           {"max_pool2d: kernel 4x4 is larger than the padded input 7x3", "(1, 2, 5, 1)"}},
          {"window 3x3 on 2x2", [] { max_pool2d(Z({1, 1, 2, 2}), 3); },
           {"max_pool2d", "3x3", "(1, 1, 2, 2)"}},
          {"an undefined input", [] { max_pool2d(Tensor(), 2); },
           {"max_pool2d: input is an undefined tensor"}},
          // H = 0 with padding: every window was padding alone and gave -inf
          {"empty plane (H = 0)", [] { max_pool2d(Z({1, 1, 0, 3}), 2, 1, 1); },
           {"max_pool2d: input (1, 1, 0, 3) has an empty plane"}},
          {"empty plane (W = 0)", [] { max_pool2d(Z({2, 3, 4, 0}), 1); },
           {"max_pool2d", "(2, 3, 4, 0)", "empty plane"}}}});
  // clang-format on
}

}  // namespace minidl::test
