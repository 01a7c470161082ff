// Tests for core/profile: nothing is recorded while profiling is off; when on, a training step
// of a small Sequential yields one row per (layer, category) with exact call counts, and the
// per-category totals are the sums of the rows. No assertion on how long anything took.
#include <map>
#include <memory>
#include <string>

#include "core/optim.h"
#include "core/profile.h"
#include "layers/layers.h"
#include "support/helpers.h"

using namespace minidl;
using namespace minidl::test;

namespace {

// Profiling is global: each test starts from empty tables and leaves profiling off.
struct ProfileOff {
  ProfileOff() {
    profile::enable(false);
    profile::reset();
  }
  ~ProfileOff() {
    profile::enable(false);
    profile::reset();
  }
};

// Conv2D(1->2, k3), LeakyReLU, MaxPool2D(2), Flatten, Dense(8->3) on a (2, 1, 6, 6) input:
// 6x6 -> 4x4 after the conv, 2x2 after the pool, 2 * 2 * 2 = 8 features per image.
std::shared_ptr<Sequential> tiny_net() {
  auto net = std::make_shared<Sequential>();
  net->add(std::make_shared<Conv2D>(1, 2, 3));
  net->add(std::make_shared<LeakyReLU>(0.1f));
  net->add(std::make_shared<MaxPool2D>(2));
  net->add(std::make_shared<Flatten>());
  net->add(std::make_shared<Dense>(8, 3));
  return net;
}

// One SGD step on the mean square of the output. The input requires grad, so that the first
// conv computes its dx too.
void train_step(Sequential& net, SGD& opt, const Tensor& x) {
  opt.zero_grad();
  mean(square(net(x))).backward();
  opt.step();
}

using Cells = std::map<std::pair<std::string, std::string>, profile::Row>;
Cells cells() {
  Cells out;
  for (const profile::Row& r : profile::report())
    out[{r.scope, profile::category_name(r.category)}] = r;
  return out;
}
int64_t calls(const Cells& c, const std::string& scope, const std::string& category) {
  auto it = c.find({scope, category});
  return it == c.end() ? 0 : it->second.calls;
}

}  // namespace

TEST_CASE("profile: nothing is recorded while profiling is off", "[profile]") {
  ProfileOff off;
  auto net = tiny_net();
  SGD opt(net->parameters(), 0.01f);
  Tensor x = R({2, 1, 6, 6}, 1, true);
  train_step(*net, opt, x);
  CHECK(profile::report().empty());
  CHECK(profile::totals().empty());
  CHECK_FALSE(profile::enabled());
}

TEST_CASE("profile: two training steps give rows per layer and category", "[profile]") {
  ProfileOff off;
  auto net = tiny_net();
  SGD opt(net->parameters(), 0.01f);
  Tensor x = R({2, 1, 6, 6}, 2, true);
  train_step(*net, opt, x);  // not recorded
  profile::enable(true);
  for (int step = 0; step < 2; ++step) train_step(*net, opt, x);
  profile::enable(false);
  train_step(*net, opt, x);  // not recorded either

  const Cells c = cells();
  std::string label[5];
  for (size_t i = 0; i < 5; ++i) label[i] = profile::layer_label(i, net->at(i)->name());
  CHECK(label[0] == "0 Conv2D(1->2, k3)");
  CHECK(label[4] == "4 Dense(8->3)");
  // Every layer's forward ran once per step (the Sequential's own call too).
  for (const std::string& l : label) CHECK(calls(c, l, "forward") == 2);
  CHECK(calls(c, "Sequential", "forward") == 2);
  // The weighted layers' backward: one dx and one dW timer per step.
  CHECK(calls(c, label[0], "dx") == 2);
  CHECK(calls(c, label[0], "dW") == 2);
  CHECK(calls(c, label[4], "dx") == 2);
  CHECK(calls(c, label[4], "dW") == 2);
  // leaky_relu and max_pool2d: the op's forward plus its node's backward, per step.
  CHECK(calls(c, label[1], "elementwise") == 4);
  CHECK(calls(c, label[2], "pooling") == 4);
  CHECK(calls(c, label[1], "dW") == 0);
  CHECK(calls(c, label[2], "elementwise") == 0);
  CHECK(calls(c, "optimizer", "optimizer") == 2);
  // The loss is outside every layer: mean(square(y)) is square, then sum times 1/K (a scalar
  // multiply), so per step 2 elementwise forwards and 2 elementwise backward nodes, and the sum's
  // backward node (a shape op) as other.
  CHECK(calls(c, "(no layer)", "elementwise") == 8);
  CHECK(calls(c, "(no layer)", "other") == 2);

  // Own times are never negative; each category's total is the sum of its rows.
  std::map<profile::Category, std::pair<int64_t, double>> sums;
  for (const profile::Row& r : profile::report()) {
    CHECK(r.ms >= 0);
    CHECK(r.calls > 0);
    sums[r.category].first += r.calls;
    sums[r.category].second += r.ms;
  }
  const auto totals = profile::totals();
  CHECK(totals.size() == sums.size());
  for (const profile::Row& t : totals) {
    INFO(profile::category_name(t.category));
    CHECK(t.scope == "(all)");
    CHECK(t.calls == sums[t.category].first);
    CHECK(t.ms == Approx(sums[t.category].second).margin(1e-9));
  }

  profile::reset();
  CHECK(profile::report().empty());
}

TEST_CASE("profile: category names", "[profile]") {
  using profile::Category;
  CHECK(std::string(profile::category_name(Category::Forward)) == "forward");
  CHECK(std::string(profile::category_name(Category::Dx)) == "dx");
  CHECK(std::string(profile::category_name(Category::DW)) == "dW");
  CHECK(std::string(profile::category_name(Category::Elementwise)) == "elementwise");
  CHECK(std::string(profile::category_name(Category::Pooling)) == "pooling");
  CHECK(std::string(profile::category_name(Category::Optimizer)) == "optimizer");
  CHECK(std::string(profile::category_name(Category::Other)) == "other");
}
