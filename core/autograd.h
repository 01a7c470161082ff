// Autograd as a dynamic tape (micrograd, flashlight): each op result holds a Node with its inputs,
// a name and a backward closure; backward() sorts the nodes topologically and runs them in reverse.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "core/profile.h"
#include "core/tensor.h"

namespace minidl {

/// One recorded op. `backward(gy, needs)` returns the gradient for each input (same shapes as the
/// inputs; an undefined Tensor where needs[i] is false). It runs with recording off.
struct Node {
  using BackwardFn =
      std::function<std::vector<Tensor>(const Tensor& gy, const std::vector<bool>& needs)>;
  std::string name;
  std::vector<Tensor> inputs;
  BackwardFn backward;
  Shape out_shape;
  bool freed = false;  // set after a backward pass without retain_graph
  // Where backward time counts when profiling (core/profile.h): the layer that recorded the node
  // and the kind of op; set by record() only while profiling is on.
  int profile_scope = -1;
  profile::Category profile_category = profile::Category::Other;

  Node() = default;
  /// Releases the graph behind this node iteratively, so that destroying a long chain (a loss
  /// summed over many steps without NoGradGuard) cannot overflow the stack.
  ~Node();
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;
};

/// Whether ops record nodes (true by default; per thread).
bool grad_enabled();
void set_grad_enabled(bool enabled);

/// Turns recording off for its lifetime (inference, optimizer steps, backward itself).
class NoGradGuard {
 public:
  NoGradGuard() : previous_(grad_enabled()) { set_grad_enabled(false); }
  ~NoGradGuard() { set_grad_enabled(previous_); }
  NoGradGuard(const NoGradGuard&) = delete;
  NoGradGuard& operator=(const NoGradGuard&) = delete;

 private:
  bool previous_;
};

/// True when an op on these inputs should be recorded (recording on, some input requires grad).
bool needs_recording(const std::vector<Tensor>& inputs);

/// Records `out` as the result of op `name` on `inputs` when needs_recording(inputs); returns out.
/// This is how every op (and a user's own op with a hand-written backward) joins the tape.
Tensor record(const std::string& name, Tensor out, std::vector<Tensor> inputs,
              Node::BackwardFn backward);

/// Runs backward from `root` seeded with `grad` (see Tensor::backward).
void run_backward(const Tensor& root, const Tensor& grad, bool retain_graph);

/// Called by run_backward once per leaf that requires grad and is used by the graph, as soon as
/// every node that uses it has run: leaf.grad() then holds its final value for this pass while
/// backward goes on with the rest of the graph. Data-parallel training (core/dist.h) starts
/// sending gradients from it, so communication overlaps the remaining backward work. Per thread,
/// like grad_enabled(); an empty function (the default) turns it off and costs nothing.
using LeafGradHook = std::function<void(const Tensor& leaf)>;
/// Sets this thread's hook; returns the previous one (to restore it).
LeafGradHook set_leaf_grad_hook(LeafGradHook hook);

}  // namespace minidl
