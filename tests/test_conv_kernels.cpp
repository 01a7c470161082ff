// The tiled CPU convolution kernels (core/cpu/conv.cpp) against their plain per-image reference,
// at 1 to 4 threads, over shapes that take each way of cutting the work: column tiles by memory
// and by thread count, blocks of filters, per-thread dW copies, blocks of dW rows, blocks of dx
// channels, the 1x1 paths (gemm, and the loop for few channels), strides that skip input rows. Each
// kernel must also keep to its workspace. The shifted-view kernels (conv_shift.h), which
// conv2d_forward/backward choose only for few channels, are run on every stride-1 case. The cases
// that call conv2d_forward/backward set the fast kernels whatever MINIDL_CONV says, except the
// last, which checks that the reference mode runs the reference.
#include <cmath>
#include <cstring>

#include "core/cpu/conv_plan.h"
#include "core/cpu/conv_reference.h"
#include "core/cpu/conv_shift.h"
#include "core/cpu/conv_taps.h"
#include "core/cpu/kernels.h"
#include "core/cpu/simd.h"
#include "ops/conv_mode.h"
#include "support/helpers.h"
#include "support/kernels.h"

using namespace minidl;
using namespace minidl::test;

namespace {

// path: the forward path conv_plan.h gives g (the shapes are picked to reach it; a change of a
// constant that moves a case elsewhere fails the forward test rather than dropping a path).
struct Case {
  const char* what;
  ConvParams g;
  cpu::ConvPath path;
  bool bias = true;
};

ConvParams conv(int64_t N, int64_t C, int64_t H, int64_t W, int64_t F, int64_t KH, int64_t KW,
                int64_t stride, int64_t pad) {
  return {
      N,      C,  H, W, F, KH, KW, (H + 2 * pad - KH) / stride + 1, (W + 2 * pad - KW) / stride + 1,
      stride, pad};
}

// The largest |a - b| / (1 + |b|) over the elements (sizes must match).
double max_rel_diff(const std::vector<float>& a, const std::vector<float>& b) {
  REQUIRE(a.size() == b.size());
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i)
    worst = std::max(worst, std::fabs(double(a[i]) - b[i]) / (1.0 + std::fabs(double(b[i]))));
  return worst;
}

// A workspace of n floats followed by a guard band that the kernel must leave alone.
struct Workspace {
  static constexpr int64_t kGuard = 64;
  std::vector<float> buf;
  int64_t n;
  explicit Workspace(int64_t n_) : buf(static_cast<size_t>(n_ + kGuard), 12345.f), n(n_) {}
  float* data() { return n > 0 ? buf.data() : nullptr; }
  bool guard_intact() const {
    for (int64_t i = n; i < n + kGuard; ++i)
      if (buf[static_cast<size_t>(i)] != 12345.f) return false;
    return true;
  }
};

const std::vector<Case>& cases() {
  using P = cpu::ConvPath;
  static const std::vector<Case> c = {
      {"3 channels, 130x130, 3x3 pad 1, 94 filters (column tiles cut per thread)",
       conv(1, 3, 130, 130, 94, 3, 3, 1, 1), P::Im2col},
      {"16 channels, 100x100, 81 filters (two tiles by memory; 17 bands of shifted views)",
       conv(1, 16, 100, 100, 81, 3, 3, 1, 1), P::Im2col},
      {"3 channels, 130x130, 4 filters (shifted views: many bands, padded)",
       conv(1, 3, 130, 130, 4, 3, 3, 1, 1), P::Shift},
      {"3 channels, 16 filters (forward tap loops: filter blocks of 6, 6, 4, and masked tails)",
       conv(2, 3, 13, 21, 16, 3, 3, 1, 1), P::Shift},
      {"17 channels, one more than the tap loops take (shifted views by gemm)",
       conv(2, 17, 12, 13, 8, 3, 3, 1, 1), P::Shift},
      {"a batch of 4, 16 channels, 8 filters, no padding (shifted views in place)",
       conv(4, 16, 20, 18, 8, 3, 3, 1, 0), P::Shift},
      {"a batch of 2, 3x2 kernel at stride 1, pad 1", conv(2, 4, 9, 11, 5, 3, 2, 1, 1), P::Shift},
      {"200x40, no padding (shifted views: two bands read in place)",
       conv(1, 4, 200, 40, 6, 3, 3, 1, 0), P::Shift},
      {"one-row images, 1x3 kernel", conv(2, 3, 1, 9, 4, 1, 3, 1, 0), P::Shift},
      {"one-column images, 3x1 kernel", conv(2, 3, 9, 1, 4, 3, 1, 1, 0), P::Shift},
      {"7x7 output, 64 channels, 33 filters (blocks of filters, dW rows, dx channels)",
       conv(1, 64, 7, 7, 33, 3, 3, 1, 1), P::Im2col},
      {"8x16 outputs, 89 filters (at 4 threads: two tiles, blocks of filters, one shared col)",
       conv(1, 8, 8, 16, 89, 3, 3, 1, 1), P::Im2col},
      {"a batch of 3, 3x2 kernel, stride 2, pad 1", conv(3, 5, 9, 11, 6, 3, 2, 2, 1), P::Im2col},
      {"stride 3 leaves input rows unused", conv(2, 2, 11, 10, 3, 2, 2, 3, 0), P::Im2col, false},
      {"1x1, a batch of 2", conv(2, 8, 20, 20, 5, 1, 1, 1, 0), P::Im2col},
      {"1x1, one image, 40x40", conv(1, 6, 40, 40, 7, 1, 1, 1, 0), P::Im2col},
      {"1x1 on 3 channels (the loop without gemm; 1600 columns: a partial block)",
       conv(3, 3, 40, 40, 5, 1, 1, 1, 0), P::Shallow1x1},
      {"1x1 on 1 channel, no bias", conv(2, 1, 33, 35, 4, 1, 1, 1, 0), P::Shallow1x1, false},
      {"1x1 on 4 channels", conv(1, 4, 50, 50, 3, 1, 1, 1, 0), P::Shallow1x1},
      {"a batch of 9, 5x5 pad 2", conv(9, 2, 33, 40, 3, 5, 5, 1, 2), P::Im2col},
      {"16 channels, 5x5 pad 2: 400 taps (more than the tap loops keep on the stack)",
       conv(2, 16, 10, 11, 5, 5, 5, 1, 2), P::Shift},
      {"a batch of 5 7x7 outputs, 73 filters (whole images side by side)",
       conv(5, 24, 7, 7, 73, 3, 3, 1, 1), P::Im2col},
      {"a batch of 8 10x10 outputs, no padding", conv(8, 4, 12, 12, 6, 3, 3, 1, 0), P::Shift,
       false},
      {"padding larger than the kernel's half", conv(2, 3, 6, 5, 4, 3, 3, 1, 3), P::Shift},
  };
  return c;
}

// Runs the shifted-view kernels (conv_shift.h) on g at the current thread count, on inputs drawn
// from seed, and checks them against the reference loop and their workspaces' guard bands.
void check_shift_kernels(const ConvParams& g, bool bias, uint64_t seed, double dW_tol) {
  const int64_t nx = g.N * g.C * g.H * g.W, nw = g.F * g.K(), ny = g.N * g.F * g.P();
  const auto x = random_vec(nx, seed), W = random_vec(nw, seed + 1), b = random_vec(g.F, seed + 2),
             gy = random_vec(ny, seed + 3);
  const float* bp = bias ? b.data() : nullptr;
  std::vector<float> y_ref(ny), dx_ref(nx), dW_ref(nw), db_ref(g.F);
  cpu::conv2d_forward_reference(g, x.data(), W.data(), bp, y_ref.data());
  cpu::conv2d_backward_reference(g, x.data(), W.data(), gy.data(), dx_ref.data(), dW_ref.data(),
                                 db_ref.data());
  std::vector<float> y(ny, -7.f), dx(nx, 9.f), dW(nw, 9.f), db(g.F, 9.f), dW_alone(nw, 9.f);
  Workspace wf(cpu::conv_shift_forward_workspace(g)), wx(cpu::conv_shift_dx_workspace(g)),
      ww(cpu::conv_shift_dW_workspace(g));
  cpu::conv_shift_forward(g, x.data(), W.data(), bp, y.data(), wf.data());
  cpu::conv_shift_dx(g, W.data(), gy.data(), dx.data(), wx.data());
  // dW with db summed beside it (one more tap or gemm), and dW alone: the same sums
  cpu::conv_shift_dW(g, x.data(), gy.data(), dW.data(), db.data(), ww.data());
  cpu::conv_shift_dW(g, x.data(), gy.data(), dW_alone.data(), nullptr, ww.data());
  CHECK(max_rel_diff(y, y_ref) < 1e-5);
  CHECK(max_rel_diff(dx, dx_ref) < 1e-5);
  CHECK(max_rel_diff(dW, dW_ref) < dW_tol);
  CHECK(dW_alone == dW);
  // db sums N * OH * OW values of gy (16900 in the largest case) in float lanes, as dW sums its
  // products, but gy's values are larger than the products and so are the rounding errors (up to
  // about 3e-4 on sums of about 80 here); a row of gy missed or added twice moves db by much
  // more (gy's values are about 0.5).
  CHECK(max_rel_diff(db, db_ref) < 1e-3);
  CHECK((wf.guard_intact() && wx.guard_intact() && ww.guard_intact()));
}

}  // namespace

TEST_CASE("conv kernels: forward matches the reference at 1-4 threads", "[conv][kernels]") {
  const ConvModeGuard fast(cpu::ConvMode::Fast);
  ThreadsGuard restore;
  int seed = 0;
  for (const Case& c : cases()) {
    const ConvParams& g = c.g;
    INFO(c.what);
    CHECK(cpu::conv_forward_path(g) == c.path);
    const auto x = random_vec(g.N * g.C * g.H * g.W, ++seed), W = random_vec(g.F * g.K(), ++seed),
               b = random_vec(g.F, ++seed);
    std::vector<float> ref(static_cast<size_t>(g.N * g.F * g.P()));
    cpu::conv2d_forward_reference(g, x.data(), W.data(), c.bias ? b.data() : nullptr, ref.data());
    for (int threads = 1; threads <= 4; ++threads) {
      INFO(c.what << ", " << threads << " threads");
      set_num_threads(threads);
      Workspace ws(cpu::conv2d_forward_workspace(g));
      std::vector<float> y(ref.size(), -7.f);
      cpu::conv2d_forward(g, x.data(), W.data(), c.bias ? b.data() : nullptr, y.data(), ws.data());
      CHECK(max_rel_diff(y, ref) < 1e-5);
      CHECK(ws.guard_intact());
    }
  }
}

TEST_CASE("conv kernels: backward matches the reference at 1-4 threads, each gradient alone too",
          "[conv][kernels]") {
  const ConvModeGuard fast(cpu::ConvMode::Fast);
  ThreadsGuard restore;
  int seed = 100;
  for (const Case& c : cases()) {
    const ConvParams& g = c.g;
    const int64_t nx = g.N * g.C * g.H * g.W, nw = g.F * g.K();
    const auto x = random_vec(nx, ++seed), W = random_vec(nw, ++seed),
               gy = random_vec(g.N * g.F * g.P(), ++seed);
    std::vector<float> dx_ref(nx), dW_ref(nw), db_ref(g.F);
    cpu::conv2d_backward_reference(g, x.data(), W.data(), gy.data(), dx_ref.data(), dW_ref.data(),
                                   db_ref.data());
    for (int threads = 1; threads <= 4; ++threads)
      for (int which = 0; which < 4; ++which) {  // all three, then dx, dW, db alone
        const bool want_dx = which == 0 || which == 1, want_dW = which == 0 || which == 2,
                   want_db = which == 0 || which == 3;
        INFO(c.what << ", " << threads << " threads, gradients " << (want_dx ? "dx " : "")
                    << (want_dW ? "dW " : "") << (want_db ? "db" : ""));
        set_num_threads(threads);
        Workspace ws(cpu::conv2d_backward_workspace(g, want_dx, want_dW));
        std::vector<float> dx(nx, 9.f), dW(nw, 9.f), db(g.F, 9.f);  // overwritten, not added to
        cpu::conv2d_backward(g, x.data(), W.data(), gy.data(), want_dx ? dx.data() : nullptr,
                             want_dW ? dW.data() : nullptr, want_db ? db.data() : nullptr,
                             ws.data());
        if (want_dx) CHECK(max_rel_diff(dx, dx_ref) < 1e-5);
        if (want_dW) CHECK(max_rel_diff(dW, dW_ref) < 1e-4);  // sums over up to 16900 terms
        if (want_db) CHECK(max_rel_diff(db, db_ref) < 1e-4);
        if (!want_dx) CHECK(dx == std::vector<float>(nx, 9.f));
        CHECK(ws.guard_intact());
      }
  }
}

TEST_CASE("conv kernels: the shifted-view kernels match the reference on every stride-1 case",
          "[conv][kernels]") {
  ThreadsGuard restore;
  uint64_t seed = 200;
  int ran = 0;
  for (const Case& c : cases()) {
    if (!cpu::conv_shift_applies(c.g)) continue;
    ++ran;
    seed += 4;
    for (int threads = 1; threads <= 4; ++threads) {
      INFO(c.what << ", " << threads << " threads");
      set_num_threads(threads);
      check_shift_kernels(c.g, c.bias, seed, 1e-4);
    }
  }
  CHECK(ran >= 10);  // the table holds that many stride-1 cases
}

TEST_CASE("conv kernels: the tap loops match the reference in each vector variant",
          "[conv][kernels]") {
  // The shifted views with at most kTapsMaxC channels run the tap loops (conv_taps.h), whose
  // baseline, AVX2 + FMA and AVX-512 variants round differently: each is held to the reference.
  // A variant the CPU lacks runs the best one it has (the check still holds, for that one).
  ThreadsGuard restore;
  struct SimdGuard {
    ~SimdGuard() { cpu::set_simd_limit(cpu::Simd::AVX512); }
  } simd;
  uint64_t seed = 500;
  int ran = 0;
  for (const Case& c : cases()) {
    if (!cpu::conv_shift_applies(c.g) || c.g.C > cpu::kTapsMaxC) continue;
    ++ran;
    seed += 4;
    for (const cpu::Simd limit : {cpu::Simd::Base, cpu::Simd::AVX2, cpu::Simd::AVX512})
      for (int threads = 1; threads <= 2; ++threads) {
        INFO(c.what << ", " << threads << " threads, vector variant " << static_cast<int>(limit)
                    << " (0 baseline, 1 AVX2, 2 AVX-512), the CPU's best "
                    << static_cast<int>(cpu::cpu_simd()));
        cpu::set_simd_limit(limit);
        set_num_threads(threads);
        check_shift_kernels(c.g, c.bias, seed, 1e-4);
      }
  }
  CHECK(ran >= 10);
}

TEST_CASE("conv kernels: the tap loops add db's row of ones with the bits of multiplying by it",
          "[conv][kernels]") {
  // taps_dW_add(..., ones = true) adds the gradient where the last tap is a row of ones (g * 1 + a
  // and g + a round alike); the result must equal the multiply-adds' bit for bit, at every
  // vector level, for the ones row alone in a block or last in a full one, with column tails and
  // more than one chunk of columns.
  struct SimdGuard {
    ~SimdGuard() { cpu::set_simd_limit(cpu::Simd::AVX512); }
  } simd;
  uint64_t seed = 900;
  int compared = 0;
  for (const cpu::Simd limit : {cpu::Simd::Base, cpu::Simd::AVX2, cpu::Simd::AVX512})
    for (const int64_t F : {1, 3, 5})
      for (const int64_t T : {2, 4, 6, 7, 13})
        for (const int64_t L : {5, 16, 37, 600}) {
          INFO("vector level " << static_cast<int>(limit) << ", F " << F << ", T " << T << ", L "
                               << L);
          cpu::set_simd_limit(limit);
          const auto gy = random_vec(F * L, ++seed), x = random_vec((T - 1) * L, ++seed);
          const std::vector<float> ones(static_cast<size_t>(L), 1.f);
          std::vector<const float*> rows;
          for (int64_t t = 0; t + 1 < T; ++t) rows.push_back(x.data() + t * L);
          rows.push_back(ones.data());
          std::vector<float> multiplied(static_cast<size_t>(cpu::taps_dW_floats(F, T)), 0.f);
          std::vector<float> added = multiplied;
          cpu::taps_dW_add(F, T, L, gy.data(), L, rows.data(), multiplied.data(), nullptr, false);
          cpu::taps_dW_add(F, T, L, gy.data(), L, rows.data(), added.data(), nullptr, true);
          CHECK(std::memcmp(multiplied.data(), added.data(), added.size() * sizeof(float)) == 0);
          ++compared;
        }
  CHECK(compared == 3 * 3 * 5 * 4);
}

TEST_CASE("conv kernels: the shifted-view kernels match the reference on 150 random shapes",
          "[conv][kernels]") {
  // Stride 1 with kernels from 1x1 (padded) to 4x3, padding 0-3 (also wider than the kernel),
  // images from 1x1 to 11x11 (one band each: the table above has the shapes with several bands),
  // 1-3 threads: channel blocks and groups of dW items with any remainder.
  ThreadsGuard restore;
  Generator gen(77);
  const auto pick = [&](int64_t lo, int64_t hi) {
    return lo + static_cast<int64_t>(gen.below(static_cast<uint64_t>(hi - lo + 1)));
  };
  int ran = 0;
  while (ran < 150) {
    const int64_t N = pick(1, 3), C = pick(1, 6), F = pick(1, 6), H = pick(1, 11), W = pick(1, 11),
                  KH = pick(1, 4), KW = pick(1, 3), pad = pick(0, 3);
    const ConvParams g = conv(N, C, H, W, F, KH, KW, 1, pad);
    if (!cpu::conv_shift_applies(g)) continue;  // no output, or a plain 1x1
    ++ran;
    const int threads = static_cast<int>(pick(1, 3));
    set_num_threads(threads);
    INFO("N " << N << " C " << C << " F " << F << " " << H << "x" << W << " kernel " << KH << "x"
              << KW << " pad " << pad << ", " << threads << " threads");
    check_shift_kernels(g, true, 1000 + 4 * static_cast<uint64_t>(ran), 1e-5);
  }
}

TEST_CASE("conv kernels: the 1x1 loop on few channels gives the same bits with and without AVX2",
          "[conv][kernels]") {
  const ConvModeGuard fast(cpu::ConvMode::Fast);
  // Both variants compile one loop (the same multiplies and adds in the same order); on a CPU
  // without AVX2 both runs take the baseline and the check holds trivially.
  ThreadsGuard restore;
  struct SimdGuard {
    ~SimdGuard() { cpu::set_simd_limit(cpu::Simd::AVX512); }
  } simd;
  int seed = 300;
  for (const int64_t C : {1, 2, 3, 4}) {
    const ConvParams g = conv(3, C, 37, 41, 5, 1, 1, 1, 0);  // 1517 columns: a partial block
    const auto x = random_vec(g.N * C * g.H * g.W, ++seed), W = random_vec(g.F * C, ++seed),
               b = random_vec(g.F, ++seed);
    std::vector<float> ref(static_cast<size_t>(g.N * g.F * g.P()));
    cpu::conv2d_forward_reference(g, x.data(), W.data(), b.data(), ref.data());
    for (int threads = 1; threads <= 2; ++threads) {
      INFO(C << " channels, " << threads << " threads");
      set_num_threads(threads);
      std::vector<float> fast(ref.size(), -7.f), base(ref.size(), -7.f);
      cpu::set_simd_limit(cpu::Simd::AVX512);
      cpu::conv2d_forward(g, x.data(), W.data(), b.data(), fast.data(), nullptr);
      cpu::set_simd_limit(cpu::Simd::Base);
      cpu::conv2d_forward(g, x.data(), W.data(), b.data(), base.data(), nullptr);
      cpu::set_simd_limit(cpu::Simd::AVX512);
      CHECK(fast == base);
      CHECK(max_rel_diff(base, ref) < 1e-5);
    }
  }
}

TEST_CASE("conv kernels: dW summed over the batch is the same on every run", "[conv][kernels]") {
  const ConvModeGuard fast(cpu::ConvMode::Fast);
  // Per-thread copies of dW are added in thread order, so the rounding never changes. 8 filters
  // take the shifted views, 96 the im2col kernels.
  ThreadsGuard restore;
  set_num_threads(2);
  const int64_t F = GENERATE(8, 96);
  const ConvParams g = conv(6, 4, 30, 30, F, 3, 3, 1, 1);
  CHECK(cpu::conv_backward_path(g) == (F == 8 ? cpu::ConvPath::Shift : cpu::ConvPath::Im2col));
  const auto x = random_vec(g.N * g.C * g.H * g.W, 1), W = random_vec(g.F * g.K(), 2),
             gy = random_vec(g.N * g.F * g.P(), 3);
  Workspace ws(cpu::conv2d_backward_workspace(g, false, true));
  std::vector<float> first(g.F * g.K()), again(g.F * g.K());
  cpu::conv2d_backward(g, x.data(), W.data(), gy.data(), nullptr, first.data(), nullptr, ws.data());
  for (int run = 0; run < 5; ++run) {
    cpu::conv2d_backward(g, x.data(), W.data(), gy.data(), nullptr, again.data(), nullptr,
                         ws.data());
    CHECK(again == first);
  }
}

TEST_CASE("conv kernels: in reference mode every call runs the reference, bit for bit",
          "[conv][kernels]") {
  // What MINIDL_CONV=reference selects: conv2d_forward / conv2d_backward give exactly what the
  // reference functions give (the same code at the same thread count), and need no workspace.
  ThreadsGuard restore;
  set_num_threads(2);
  int64_t fast_workspace = 0;
  {
    const ConvModeGuard fast(cpu::ConvMode::Fast);
    for (const Case& c : cases()) fast_workspace += cpu::conv2d_forward_workspace(c.g);
  }
  CHECK(fast_workspace > 0);  // so the zeros below are the reference's
  const ConvModeGuard reference(cpu::ConvMode::Reference);
  int seed = 400;
  for (const Case& c : cases()) {
    INFO(c.what);
    const ConvParams& g = c.g;
    const int64_t nx = g.N * g.C * g.H * g.W, nw = g.F * g.K(), ny = g.N * g.F * g.P();
    const auto x = random_vec(nx, ++seed), W = random_vec(nw, ++seed), b = random_vec(g.F, ++seed),
               gy = random_vec(ny, ++seed);
    const float* bp = c.bias ? b.data() : nullptr;
    CHECK(cpu::conv2d_forward_workspace(g) == 0);
    CHECK(cpu::conv2d_backward_workspace(g, true, true) == 0);
    std::vector<float> y_ref(ny), dx_ref(nx), dW_ref(nw), db_ref(g.F);
    cpu::conv2d_forward_reference(g, x.data(), W.data(), bp, y_ref.data());
    cpu::conv2d_backward_reference(g, x.data(), W.data(), gy.data(), dx_ref.data(), dW_ref.data(),
                                   db_ref.data());
    std::vector<float> y(ny, -7.f), dx(nx, 9.f), dW(nw, 9.f), db(g.F, 9.f), dW_alone(nw, 9.f);
    cpu::conv2d_forward(g, x.data(), W.data(), bp, y.data(), nullptr);
    cpu::conv2d_backward(g, x.data(), W.data(), gy.data(), dx.data(), dW.data(), db.data(),
                         nullptr);
    CHECK(y == y_ref);
    CHECK(dx == dx_ref);
    CHECK(dW == dW_ref);
    CHECK(db == db_ref);
  }
}
