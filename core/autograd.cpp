// The tape: recording nodes and running backward in reverse topological order.
#include "core/autograd.h"

#include <unordered_map>
#include <unordered_set>

#include "core/error.h"
#include "core/ops/creation.h"
#include "core/ops/elementwise.h"
#include "core/ops/shape.h"

namespace minidl {

namespace {
thread_local bool g_grad_enabled = true;
thread_local LeafGradHook g_leaf_grad_hook;
}  // namespace

LeafGradHook set_leaf_grad_hook(LeafGradHook hook) {
  std::swap(hook, g_leaf_grad_hook);
  return hook;
}

Node::~Node() {
  // Destroying a node drops its inputs, whose grad_fn nodes drop theirs, and so on: one nested
  // destructor call per node of a chain. Instead, nodes that only this graph keeps alive are moved
  // onto a local list and emptied one at a time; each is then destroyed with no inputs left.
  std::vector<std::shared_ptr<Node>> pending;
  auto release = [&pending](Node& n) {
    n.backward = nullptr;  // closures often hold the inputs too: drop those references first
    for (Tensor& t : n.inputs) {
      TensorImpl* impl = t.impl();
      if (impl && t.impl_ptr().use_count() == 1 && impl->grad_fn && impl->grad_fn.use_count() == 1)
        pending.push_back(std::move(impl->grad_fn));
    }
    n.inputs.clear();
  };
  release(*this);
  while (!pending.empty()) {
    std::shared_ptr<Node> n = std::move(pending.back());
    pending.pop_back();
    release(*n);
  }
}

bool grad_enabled() { return g_grad_enabled; }
void set_grad_enabled(bool enabled) { g_grad_enabled = enabled; }

bool needs_recording(const std::vector<Tensor>& inputs) {
  if (!g_grad_enabled) return false;
  for (const auto& x : inputs)
    if (x.defined() && x.requires_grad()) return true;
  return false;
}

Tensor record(const std::string& name, Tensor out, std::vector<Tensor> inputs,
              Node::BackwardFn backward) {
  if (!needs_recording(inputs)) return out;
  MINIDL_CHECK(out.is_leaf() && !out.requires_grad(), "record: the output of '", name,
               "' already belongs to a graph");
  auto node = std::make_shared<Node>();
  node->name = name;
  node->inputs = std::move(inputs);
  node->backward = std::move(backward);
  node->out_shape = out.shape();
  if (profile::enabled()) {
    node->profile_scope = profile::current_scope();
    node->profile_category = profile::backward_category();
  }
  out.impl()->grad_fn = std::move(node);
  out.impl()->requires_grad = true;
  return out;
}

namespace {

// Nodes reachable from root, each after every node that consumes its output (reverse topological
// order). Iterative, so that deep graphs (long training loops unrolled) cannot overflow the stack.
// Holds the nodes by shared_ptr: freeing a node's inputs during backward may drop the last other
// reference to a node that has yet to run.
std::vector<std::shared_ptr<Node>> topological_order(const std::shared_ptr<Node>& root) {
  std::vector<std::shared_ptr<Node>> order;
  std::unordered_set<Node*> visited;
  std::vector<std::pair<std::shared_ptr<Node>, size_t>> stack{{root, 0}};
  visited.insert(root.get());
  while (!stack.empty()) {
    auto& [node, next] = stack.back();
    if (next < node->inputs.size()) {
      const Tensor& in = node->inputs[next++];
      std::shared_ptr<Node> child = in.defined() ? in.grad_fn() : nullptr;
      if (child && visited.insert(child.get()).second) stack.push_back({std::move(child), 0});
    } else {
      order.push_back(std::move(node));
      stack.pop_back();
    }
  }
  return {order.rbegin(), order.rend()};  // root first
}

// A leaf's gradient as backward leaves it owns its storage: it is never the caller's seed, another
// leaf's gradient or a view of some other tensor, so writing into one (clipping in place, fill_)
// changes nothing else. (dist::GradSync may afterwards make it a view of its own bucket, which no
// other gradient shares.)
// g is taken over without a copy only when nothing else refers to it or to its storage.
void accumulate_leaf_grad(const Tensor& leaf, const Tensor& g) {
  Tensor old = leaf.grad();
  if (old.defined()) {
    leaf.impl()->grad = (old + g).impl_ptr();
    return;
  }
  bool exclusive = g.impl_ptr().use_count() == 1 && g.storage().use_count() == 1 &&
                   g.is_contiguous() && g.offset() == 0;
  leaf.impl()->grad = (exclusive ? g : g.clone()).impl_ptr();
}

}  // namespace

void run_backward(const Tensor& root, const Tensor& grad, bool retain_graph) {
  MINIDL_CHECK(root.defined(), "backward: undefined tensor");
  MINIDL_CHECK(root.requires_grad(), "backward: the tensor of shape ", shape_str(root.shape()),
               " does not require grad (no input of the ops that made it requires grad)");
  NoGradGuard no_grad;
  Tensor seed = grad;
  if (!seed.defined()) {
    MINIDL_CHECK(root.numel() == 1,
                 "backward() without a gradient needs a one-element tensor; got "
                 "shape ",
                 shape_str(root.shape()),
                 " (pass a gradient of that shape, or reduce with sum() or mean())");
    seed = full(root.shape(), 1.f, root.device());
  }
  MINIDL_CHECK(seed.shape() == root.shape() && seed.device() == root.device(),
               "backward: gradient of shape ", shape_str(seed.shape()), " on ",
               device_name(seed.device()), " for a tensor of shape ", shape_str(root.shape()),
               " on ", device_name(root.device()));
  const LeafGradHook hook = g_leaf_grad_hook;  // a copy: the hook may replace itself
  if (root.is_leaf()) {
    accumulate_leaf_grad(root, seed);
    if (hook) hook(root);
    return;
  }

  const std::vector<std::shared_ptr<Node>> order = topological_order(root.grad_fn());
  // With a hook: per leaf, the uses (node inputs) still to run; at 0 its gradient is final.
  std::unordered_map<TensorImpl*, int> uses_left;
  auto is_grad_leaf = [](const Tensor& t) {
    return t.defined() && t.is_leaf() && t.requires_grad();
  };
  if (hook)
    for (const std::shared_ptr<Node>& node : order)
      for (const Tensor& in : node->inputs)
        if (is_grad_leaf(in)) ++uses_left[in.impl()];
  auto node_done = [&](const Node& node) {
    if (!hook) return;
    for (const Tensor& in : node.inputs)
      if (is_grad_leaf(in) && --uses_left[in.impl()] == 0) hook(in);
  };

  std::unordered_map<Node*, Tensor> grads{{root.grad_fn().get(), seed}};
  for (const std::shared_ptr<Node>& node_ptr : order) {
    Node* node = node_ptr.get();
    MINIDL_CHECK(!node->freed, "backward through a graph that was already freed (at op '",
                 node->name,
                 "'); pass retain_graph = true to the first backward() to run backward twice");
    auto it = grads.find(node);
    if (it == grads.end()) {  // no gradient reached this node
      node_done(*node);
      continue;
    }
    Tensor gy = std::move(it->second);
    grads.erase(it);

    std::vector<bool> needs(node->inputs.size());
    for (size_t i = 0; i < needs.size(); ++i)
      needs[i] = node->inputs[i].defined() && node->inputs[i].requires_grad();
    // The rest of this iteration (gradient sums, freeing the node) counts for its layer too.
    profile::Scope scope;
    if (profile::enabled()) scope.enter(node->profile_scope);
    profile::Timer timer(node->profile_category);
    std::vector<Tensor> dx = node->backward(gy, needs);
    MINIDL_CHECK(dx.size() == node->inputs.size(), "backward of '", node->name, "' returned ",
                 dx.size(), " gradients for ", node->inputs.size(), " inputs");

    for (size_t i = 0; i < dx.size(); ++i) {
      if (!needs[i] || !dx[i].defined()) continue;
      const Tensor& in = node->inputs[i];
      MINIDL_CHECK(dx[i].shape() == in.shape(), "backward of '", node->name,
                   "' gave a gradient of ", "shape ", shape_str(dx[i].shape()), " for input ", i,
                   " of shape ", shape_str(in.shape()));
      if (Node* child = in.grad_fn().get()) {
        auto [slot, inserted] = grads.try_emplace(child, dx[i]);
        if (!inserted) slot->second = slot->second + dx[i];
      } else {
        accumulate_leaf_grad(in, dx[i]);
      }
    }
    node_done(*node);
    if (!retain_graph) {  // free the graph: saved tensors go with the closure
      node->backward = nullptr;
      node->inputs.clear();
      node->freed = true;
    }
  }
}

}  // namespace minidl
