// Modules darknet's layers need beyond minidl's own (darknet_layers.h).
#include "apps/yolo_v1/darknet_layers.h"

#include <algorithm>
#include <limits>
#include <string>

namespace yolo {

using minidl::Shape;
using minidl::str;
using minidl::Tensor;

namespace {

// darknet's [maxpool]: output (w + padding - size) / stride + 1, window o starting at
// o * stride - padding / 2, pixels outside the input never win. minidl's max_pool2d pads
// symmetrically, so it runs with padding / 2 on each side; when that leaves the last window out
// (an odd padding that darknet spends on the right and bottom), one extra column and row of the
// lowest float go there first. That is at most one: the extra is at most padding mod 2.
class DarknetMaxPool : public minidl::Module {
 public:
  DarknetMaxPool(int64_t size, int64_t stride, int64_t padding)
      : size_(size), stride_(stride), padding_(padding) {}

  Tensor forward(const Tensor& x) override {
    MINIDL_CHECK(x.defined(), "input is undefined");
    output_shape(x.shape());
    const int64_t p = padding_ / 2;
    Tensor y = x;
    for (int64_t axis : {2, 3}) {
      const int64_t n = y.shape()[axis], out = (n + padding_ - size_) / stride_ + 1;
      const int64_t extra = std::max<int64_t>(0, (out - 1) * stride_ + size_ - 2 * p - n);
      if (extra > 0) {
        Shape s = y.shape();
        s[axis] = extra;
        y = minidl::concat({y, minidl::full(s, std::numeric_limits<float>::lowest(), y.device())},
                           axis);
      }
    }
    return minidl::max_pool2d(y, size_, stride_, p);
  }

  std::string name() const override {
    return str("MaxPool2D(k", size_, ", s", stride_, ", darknet padding ", padding_, ")");
  }

  Shape output_shape(const Shape& s) override {
    MINIDL_CHECK(s.size() == 4 && s[2] + padding_ >= size_ && s[3] + padding_ >= size_,
                 "expects input (N, C, H, W) with H, W + ", padding_, " >= ", size_, ", got ",
                 minidl::shape_str(s));
    return {s[0], s[1], (s[2] + padding_ - size_) / stride_ + 1,
            (s[3] + padding_ - size_) / stride_ + 1};
  }

 private:
  int64_t size_, stride_, padding_;
};

// [detection] with softmax=1: darknet takes the softmax of each cell's class scores, the first
// cells * classes outputs, and passes the rest through.
class DetectionSoftmax : public minidl::Module {
 public:
  DetectionSoftmax(int64_t cells, int64_t classes) : cells_(cells), classes_(classes) {}

  Tensor forward(const Tensor& x) override {
    MINIDL_CHECK(x.defined(), "input is undefined");
    output_shape(x.shape());
    const int64_t n = x.shape()[0], k = cells_ * classes_;
    Tensor probs = minidl::softmax(x.slice(1, 0, k).reshape({n, cells_, classes_}), -1);
    return minidl::concat({probs.reshape({n, k}), x.slice(1, k, x.shape()[1])}, 1);
  }

  std::string name() const override { return str("DetectionSoftmax(", cells_, "x", classes_, ")"); }

  Shape output_shape(const Shape& s) override {
    MINIDL_CHECK(s.size() == 2 && s[1] >= cells_ * classes_,
                 "expects input (N, >= ", cells_ * classes_, "), got ", minidl::shape_str(s));
    return s;
  }

 private:
  int64_t cells_, classes_;
};

}  // namespace

std::shared_ptr<minidl::Module> make_darknet_maxpool(int64_t size, int64_t stride,
                                                     int64_t padding) {
  return std::make_shared<DarknetMaxPool>(size, stride, padding);
}

std::shared_ptr<minidl::Module> make_detection_softmax(int64_t cells, int64_t classes) {
  return std::make_shared<DetectionSoftmax>(cells, classes);
}

}  // namespace yolo
