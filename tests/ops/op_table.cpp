// The op table's registry and what its drivers share: drawing inputs, laying them out, comparing
// results with the reference.
#include "ops/op_table.h"

#include <algorithm>
#include <numeric>
#include <sstream>

namespace minidl::test {

const std::vector<OpRow>& op_rows() {
  static const std::vector<OpRow> rows = [] {
    std::vector<OpRow> r;
    add_unary_rows(r);
    add_binary_rows(r);
    add_reduce_rows(r);
    add_shape_rows(r);
    add_linalg_rows(r);
    add_conv_rows(r);
    return r;
  }();
  return rows;
}

std::string label(const OpRow& row, const Case& c) {
  std::ostringstream s;
  s << row.name;
  for (const Shape& shape : c.shapes) s << ' ' << shape_str(shape);
  if (!c.what.empty()) s << ", " << c.what;
  return s.str();
}

const Call& call_of(const OpRow& row, const Case& c) { return c.call ? c.call : row.call; }
const RefCall& ref_of(const OpRow& row, const Case& c) { return c.ref ? c.ref : row.ref; }

namespace {

// FNV-1a of the row's name, so that a row's inputs do not change when rows are added before it.
uint64_t seed_of(const std::string& name, size_t index) {
  uint64_t h = 1469598103934665603ull;
  for (char ch : name) h = (h ^ static_cast<unsigned char>(ch)) * 1099511628211ull;
  return h + 1000 * index;
}

const Gen& gen_of(const OpRow& row, const Case& c, size_t input) {
  const std::vector<Gen>& gens = c.gens.empty() ? row.gens : c.gens;
  return gens[std::min(input, gens.size() - 1)];
}

std::vector<float> draw_one(const Gen& g, int64_t n, uint64_t seed, size_t input) {
  Generator gen(seed);
  std::vector<float> v(static_cast<size_t>(n));
  switch (g.kind) {
    case Gen::Uniform:
      for (float& e : v) e = gen.uniform(g.lo, g.hi);
      break;
    case Gen::AwayFromZero:
      for (float& e : v) e = (gen.uniform() < 0.5f ? -1.f : 1.f) * gen.uniform(g.lo, g.hi);
      break;
    case Gen::Distinct: {
      // (p - n/2) / 4 + 1/16 + (input % 2) / 8 for a shuffled p = 0..n-1: two values of one input
      // are 0.25 apart, of two inputs at least 0.125, and none is within 1/16 of a multiple of
      // 0.25 (0, +-0.5: the kinks of abs, relu and clamp(-0.5, 0.5)).
      std::vector<int64_t> p(v.size());
      std::iota(p.begin(), p.end(), 0);
      for (size_t i = p.size(); i > 1; --i)
        std::swap(p[i - 1], p[static_cast<size_t>(gen.uniform() * 0.999999f * i)]);
      for (size_t i = 0; i < v.size(); ++i)
        v[i] = static_cast<float>(p[i] - n / 2) * 0.25f + 0.0625f + 0.125f * (input % 2);
      break;
    }
    case Gen::Grid:
      for (float& e : v) e = std::round(gen.uniform(g.lo, g.hi) / g.step) * g.step;
      break;
    case Gen::Mask:
      for (float& e : v) e = gen.uniform() < 0.5f ? 0.f : 1.f;
      break;
  }
  return v;
}

}  // namespace

Values draw(const OpRow& row, const Case& c, size_t index) {
  Values v;
  for (size_t k = 0; k < c.shapes.size(); ++k)
    v.push_back(draw_one(gen_of(row, c, k), count(c.shapes[k]), seed_of(row.name, index) + k, k));
  return v;
}

Hosts hosts_of(const Case& c, const Values& v) {
  Hosts h;
  for (size_t k = 0; k < c.shapes.size(); ++k)
    h.push_back({c.shapes[k], std::vector<double>(v[k].begin(), v[k].end())});
  return h;
}

Ins tensors_of(const OpRow& row, const Case& c, const Values& v, Device device, bool strided) {
  Ins in;
  for (size_t k = 0; k < c.shapes.size(); ++k) {
    const Shape& s = c.shapes[k];
    Tensor t = from_vector(v[k], s).to(device);
    if (strided && !s.empty()) {
      // Storage (s[n-1], ..., s[1], 2 s[0]); every other element of its last axis, axes reversed:
      // a view of shape s whose strides are neither row-major nor dense.
      Shape base(s.rbegin(), s.rend()), order(s.size());
      base.back() *= 2;
      for (size_t a = 0; a < s.size(); ++a) order[a] = static_cast<int64_t>(s.size() - 1 - a);
      Tensor view = zeros(base, device).slice(-1, 0, base.back(), 2).permute(order);
      view.copy_(t);
      t = view;
    }
    if (gen_of(row, c, k).grad) t.requires_grad_();
    in.push_back(t);
  }
  return in;
}

bool close(double want, double got, Tol tol) {
  if (std::isnan(want)) return std::isnan(got);
  if (std::isinf(want)) return got == want;
  return std::fabs(got - want) <= tol.atol + tol.rtol * std::fabs(want);
}

std::string differs(const std::vector<double>& want, const std::vector<float>& got, Tol tol) {
  if (got.size() != want.size())
    return std::to_string(got.size()) + " elements, not " + std::to_string(want.size());
  for (size_t i = 0; i < got.size(); ++i)
    if (!close(want[i], got[i], tol)) {
      std::ostringstream s;
      s.precision(9);
      s << "element " << i << ": " << got[i] << " != the reference's " << want[i];
      return s.str();
    }
  return "";
}

std::string differs(const Host& want, const Tensor& y, Tol tol) {
  if (!y.defined()) return "the result is undefined";
  if (y.shape() != want.shape)
    return "shape " + shape_str(y.shape()) + " != the reference's " + shape_str(want.shape);
  return differs(want.v, y.to_vector(), tol);
}

}  // namespace minidl::test
