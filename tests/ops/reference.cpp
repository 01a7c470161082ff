// The op table's references (see reference.h): plain loops in double, written from each op's
// documented semantics, never calling minidl's ops or kernels.
#include "ops/reference.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace minidl::test {

int64_t count(const Shape& shape) {
  int64_t n = 1;
  for (int64_t s : shape) n *= s;
  return n;
}

namespace ref {

namespace {

// Row-major strides of a contiguous tensor of `shape`.
Shape strides_of(const Shape& shape) {
  Shape st(shape.size());
  int64_t step = 1;
  for (size_t k = shape.size(); k-- > 0;) {
    st[k] = step;
    step *= shape[k];
  }
  return st;
}

int64_t axis_of(int64_t axis, size_t ndim) {
  return axis < 0 ? axis + static_cast<int64_t>(ndim) : axis;
}

// The index of element i (row-major) of a tensor of `shape`, one entry per axis.
Shape unravel(int64_t i, const Shape& shape) {
  Shape index(shape.size());
  for (size_t k = shape.size(); k-- > 0;) {
    index[k] = i % shape[k];
    i /= shape[k];
  }
  return index;
}

// The broadcast shape of a and b (NumPy: align on the right, size 1 stretches).
Shape broadcast(const Shape& a, const Shape& b) {
  const size_t n = std::max(a.size(), b.size());
  Shape out(n);
  for (size_t k = 0; k < n; ++k) {
    const int64_t da = k + a.size() >= n ? a[k + a.size() - n] : 1;
    const int64_t db = k + b.size() >= n ? b[k + b.size() - n] : 1;
    out[k] = da == 1 ? db : da;
  }
  return out;
}

// Splits `shape` around `axis`: (the product of the axes before, its size, the product after).
struct AxisView {
  int64_t outer = 1, K = 1, inner = 1;
};
AxisView axis_view(const Shape& shape, int64_t axis) {
  AxisView v;
  for (int64_t k = 0; k < static_cast<int64_t>(shape.size()); ++k)
    (k < axis ? v.outer : k == axis ? v.K : v.inner) *= shape[k];
  return v;
}

}  // namespace

Host map(const Host& x, const std::function<double(double)>& f) {
  Host y{x.shape, x.v};
  for (double& e : y.v) e = f(e);
  return y;
}

Host zip(const Host& a, const Host& b, const std::function<double(double, double)>& f) {
  const Shape out = broadcast(a.shape, b.shape);
  Host ea = expand(a, out), eb = expand(b, out);
  for (size_t i = 0; i < ea.v.size(); ++i) ea.v[i] = f(ea.v[i], eb.v[i]);
  return ea;
}

Host where(const Host& m, const Host& a, const Host& b) {
  const Shape out = broadcast(broadcast(m.shape, a.shape), b.shape);
  Host em = expand(m, out), ea = expand(a, out), eb = expand(b, out);
  for (size_t i = 0; i < em.v.size(); ++i) em.v[i] = em.v[i] != 0 ? ea.v[i] : eb.v[i];
  return em;
}

Host gather(const Host& x, const Shape& shape, const Shape& strides, int64_t offset) {
  Host y{shape, std::vector<double>(count(shape))};
  for (int64_t i = 0; i < count(shape); ++i) {
    const Shape index = unravel(i, shape);
    int64_t at = offset;
    for (size_t k = 0; k < shape.size(); ++k) at += index[k] * strides[k];
    y.v[i] = x.v[at];
  }
  return y;
}

Host reshape(const Host& x, Shape shape) {
  int64_t known = 1;
  for (int64_t s : shape) known *= s == -1 ? 1 : s;
  for (int64_t& s : shape)
    if (s == -1) s = count(x.shape) / known;
  return {shape, x.v};
}

Host flatten(const Host& x, int64_t start, int64_t end) {
  if (x.shape.empty()) return {{1}, x.v};
  const int64_t s = axis_of(start, x.shape.size()), e = axis_of(end, x.shape.size());
  Shape shape(x.shape.begin(), x.shape.begin() + s);
  shape.push_back(count(Shape(x.shape.begin() + s, x.shape.begin() + e + 1)));
  shape.insert(shape.end(), x.shape.begin() + e + 1, x.shape.end());
  return {shape, x.v};
}

Host permute(const Host& x, const Shape& order) {
  const Shape st = strides_of(x.shape);
  Shape shape, strides;
  for (int64_t o : order) {
    shape.push_back(x.shape[axis_of(o, x.shape.size())]);
    strides.push_back(st[axis_of(o, x.shape.size())]);
  }
  return gather(x, shape, strides);
}

Host transpose(const Host& x, int64_t a, int64_t b) {
  Shape order(x.shape.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = static_cast<int64_t>(k);
  std::swap(order[axis_of(a, order.size())], order[axis_of(b, order.size())]);
  return permute(x, order);
}

Host slice(const Host& x, int64_t axis, int64_t start, int64_t end, int64_t step) {
  const int64_t ax = axis_of(axis, x.shape.size()), n = x.shape[ax];
  auto place = [n](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + n : i, 0, n); };
  const int64_t s = place(start), e = place(end);
  const int64_t taken = e > s ? (e - s - 1) / step + 1 : 0;  // no overflow for a huge step
  Shape shape = x.shape, strides = strides_of(x.shape);
  shape[ax] = taken;
  const int64_t offset = s * strides[ax];
  if (taken > 1) strides[ax] *= step;
  return gather(x, shape, strides, offset);
}

Host select(const Host& x, int64_t axis, int64_t index) {
  const int64_t ax = axis_of(axis, x.shape.size());
  const int64_t i = index < 0 ? index + x.shape[ax] : index;
  return squeeze(slice(x, ax, i, i + 1, 1), ax);
}

Host squeeze(const Host& x, int64_t axis) {
  Shape shape = x.shape;
  shape.erase(shape.begin() + axis_of(axis, shape.size()));
  return {shape, x.v};
}

Host unsqueeze(const Host& x, int64_t axis) {
  Shape shape = x.shape;
  shape.insert(shape.begin() + axis_of(axis, shape.size() + 1), 1);
  return {shape, x.v};
}

Host expand(const Host& x, const Shape& shape) {
  const Shape st = strides_of(x.shape);
  const size_t lead = shape.size() - x.shape.size();
  Shape strides(shape.size(), 0);
  for (size_t k = lead; k < shape.size(); ++k)
    strides[k] = x.shape[k - lead] == 1 ? 0 : st[k - lead];
  return gather(x, shape, strides);
}

Host concat(const Hosts& xs, int64_t axis) {
  const int64_t ax = axis_of(axis, xs[0].shape.size());
  Host y{xs[0].shape, {}};
  y.shape[ax] = 0;
  for (const Host& x : xs) y.shape[ax] += x.shape[ax];
  // Each piece contributes a run of (its size along the axis) x (the inner count) per outer index.
  const AxisView v = axis_view(y.shape, ax);
  for (int64_t o = 0; o < v.outer; ++o)
    for (const Host& x : xs) {
      const int64_t run = x.shape[ax] * v.inner;
      y.v.insert(y.v.end(), x.v.begin() + o * run, x.v.begin() + (o + 1) * run);
    }
  return y;
}

Host stack(const Hosts& xs, int64_t axis) {
  Hosts ys;
  for (const Host& x : xs) ys.push_back(unsqueeze(x, axis_of(axis, x.shape.size() + 1)));
  return concat(ys, axis_of(axis, xs[0].shape.size() + 1));
}

Shape all_axes(size_t ndim) {
  Shape axes(ndim);
  for (size_t k = 0; k < ndim; ++k) axes[k] = static_cast<int64_t>(k);
  return axes;
}

Host reduce(const Host& x, Reduce kind, const Shape& axes, bool keepdim) {
  std::vector<bool> reduced(x.shape.size(), false);
  for (int64_t a : axes) reduced[axis_of(a, x.shape.size())] = true;
  Shape shape, kept;  // the result's shape; the sizes of the axes that stay
  for (size_t k = 0; k < x.shape.size(); ++k) {
    if (!reduced[k]) kept.push_back(x.shape[k]);
    if (!reduced[k] || keepdim) shape.push_back(reduced[k] ? 1 : x.shape[k]);
  }
  Host y{shape, std::vector<double>(count(shape), 0.0)};
  std::vector<int64_t> seen(y.v.size(), 0);
  for (int64_t i = 0; i < count(x.shape); ++i) {
    const Shape index = unravel(i, x.shape);
    int64_t out = 0;  // row-major over the kept axes
    for (size_t k = 0, j = 0; k < x.shape.size(); ++k)
      if (!reduced[k]) out = out * kept[j++] + index[k];
    const double v = x.v[i];
    double& acc = y.v[out];
    if (kind == Reduce::Sum || kind == Reduce::Mean) {
      acc += v;
    } else if (seen[out] == 0 || std::isnan(v)) {
      if (seen[out] == 0 || !std::isnan(acc)) acc = v;  // the first element, or the first NaN
    } else if (!std::isnan(acc) && (kind == Reduce::Max ? v > acc : v < acc)) {
      acc = v;
    }
    ++seen[out];
  }
  if (kind == Reduce::Mean)
    for (size_t o = 0; o < y.v.size(); ++o) y.v[o] /= static_cast<double>(seen[o]);
  return y;
}

Host argmax(const Host& x, int64_t axis, bool keepdim) {
  const int64_t ax = axis_of(axis, x.shape.size());
  const AxisView v = axis_view(x.shape, ax);
  Shape shape = x.shape;
  if (keepdim)
    shape[ax] = 1;
  else
    shape.erase(shape.begin() + ax);
  Host y{shape, std::vector<double>(v.outer * v.inner)};
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t in = 0; in < v.inner; ++in) {
      auto at = [&](int64_t k) { return x.v[(o * v.K + k) * v.inner + in]; };
      int64_t best = 0;
      for (int64_t k = 1; k < v.K && !std::isnan(at(best)); ++k)
        if (std::isnan(at(k)) || at(k) > at(best)) best = k;
      y.v[o * v.inner + in] = static_cast<double>(best);
    }
  return y;
}

Host sum_to(const Host& x, const Shape& shape) {
  Host y{shape, std::vector<double>(count(shape), 0.0)};
  const size_t lead = x.shape.size() - shape.size();
  for (int64_t i = 0; i < count(x.shape); ++i) {
    const Shape index = unravel(i, x.shape);
    int64_t out = 0;
    for (size_t k = 0; k < shape.size(); ++k)
      out = out * shape[k] + (shape[k] == 1 ? 0 : index[k + lead]);
    y.v[out] += x.v[i];
  }
  return y;
}

Host softmax(const Host& x, int64_t axis, bool log) {
  const AxisView v = axis_view(x.shape, axis_of(axis, x.shape.size()));
  Host y{x.shape, x.v};
  for (int64_t o = 0; o < v.outer; ++o)
    for (int64_t in = 0; in < v.inner; ++in) {
      auto at = [&](int64_t k) -> double& { return y.v[(o * v.K + k) * v.inner + in]; };
      double m = -std::numeric_limits<double>::infinity(), s = 0;
      for (int64_t k = 0; k < v.K; ++k)
        m = std::isnan(at(k)) || std::isnan(m) ? NAN : std::max(m, at(k));
      for (int64_t k = 0; k < v.K; ++k) s += std::exp(at(k) - m);
      for (int64_t k = 0; k < v.K; ++k)
        at(k) = log ? (at(k) - m) - std::log(s) : std::exp(at(k) - m) / s;
    }
  return y;
}

Host matmul(const Host& a, const Host& b) {
  const bool batched = a.shape.size() == 3, shared = b.shape.size() == 2;
  const int64_t B = batched ? a.shape[0] : 1;
  const int64_t M = a.shape[a.shape.size() - 2], K = a.shape.back(), N = b.shape.back();
  Host y{batched ? Shape{B, M, N} : Shape{M, N}, std::vector<double>(B * M * N, 0.0)};
  for (int64_t n = 0; n < B; ++n)
    for (int64_t i = 0; i < M; ++i)
      for (int64_t j = 0; j < N; ++j)
        for (int64_t k = 0; k < K; ++k)
          y.v[(n * M + i) * N + j] +=
              a.v[(n * M + i) * K + k] * b.v[((shared ? 0 : n) * K + k) * N + j];
  return y;
}

Host linear(const Host& x, const Host& W, const Host* bias) {
  const int64_t N = x.shape[0], in = x.shape[1], out = W.shape[0];
  Host y{{N, out}, std::vector<double>(N * out, 0.0)};
  for (int64_t n = 0; n < N; ++n)
    for (int64_t o = 0; o < out; ++o) {
      double s = bias ? bias->v[o] : 0.0;
      for (int64_t i = 0; i < in; ++i) s += x.v[n * in + i] * W.v[o * in + i];
      y.v[n * out + o] = s;
    }
  return y;
}

Host conv2d(const Host& x, const Host& W, const Host* bias, int64_t s, int64_t p) {
  const int64_t N = x.shape[0], C = x.shape[1], H = x.shape[2], Wd = x.shape[3];
  const int64_t F = W.shape[0], KH = W.shape[2], KW = W.shape[3];
  const int64_t OH = (H + 2 * p - KH) / s + 1, OW = (Wd + 2 * p - KW) / s + 1;
  Host y{{N, F, OH, OW}, {}};
  for (int64_t n = 0; n < N; ++n)
    for (int64_t f = 0; f < F; ++f)
      for (int64_t oh = 0; oh < OH; ++oh)
        for (int64_t ow = 0; ow < OW; ++ow) {
          double acc = bias ? bias->v[f] : 0.0;
          for (int64_t c = 0; c < C; ++c)
            for (int64_t kh = 0; kh < KH; ++kh)
              for (int64_t kw = 0; kw < KW; ++kw) {
                const int64_t h = oh * s - p + kh, w = ow * s - p + kw;
                if (h < 0 || h >= H || w < 0 || w >= Wd) continue;
                acc += W.v[((f * C + c) * KH + kh) * KW + kw] * x.v[((n * C + c) * H + h) * Wd + w];
              }
          y.v.push_back(acc);
        }
  return y;
}

Host max_pool2d(const Host& x, int64_t k, int64_t s, int64_t p) {
  if (s == 0) s = k;
  const int64_t NC = x.shape[0] * x.shape[1], H = x.shape[2], W = x.shape[3];
  const int64_t OH = (H + 2 * p - k) / s + 1, OW = (W + 2 * p - k) / s + 1;
  Host y{{x.shape[0], x.shape[1], OH, OW}, {}};
  for (int64_t nc = 0; nc < NC; ++nc)
    for (int64_t oh = 0; oh < OH; ++oh)
      for (int64_t ow = 0; ow < OW; ++ow) {
        double best = NAN;
        bool any = false;
        for (int64_t h = std::max<int64_t>(0, oh * s - p); h < std::min(H, oh * s - p + k); ++h)
          for (int64_t w = std::max<int64_t>(0, ow * s - p); w < std::min(W, ow * s - p + k); ++w) {
            const double v = x.v[(nc * H + h) * W + w];
            if (!any || (!std::isnan(best) && (std::isnan(v) || v > best))) best = v;
            any = true;
          }
        y.v.push_back(best);
      }
  return y;
}

}  // namespace ref

}  // namespace minidl::test
