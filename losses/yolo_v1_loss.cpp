// Front end of the fused YOLOv1 loss: shape checks, the kernel call, and the backward closure,
// which scales the gradient the kernel computed alongside the forward pass (as darknet does).
#include "losses/yolo_v1_loss.h"

#include "core/autograd.h"
#include "core/cpu/kernels.h"
#include "core/ops/elementwise.h"
#include "core/ops/op_util.h"
#include "core/ops/reduce.h"
#include "core/ops/shape.h"

namespace minidl {

void YoloV1Options::validate() const {
  MINIDL_CHECK(S >= 1 && B >= 1 && C >= 1, "YoloV1Options: S, B and C must be >= 1; got S=", S,
               " B=", B, " C=", C);
  MINIDL_CHECK(lambda_coord >= 0 && lambda_noobj >= 0 && lambda_obj >= 0 && lambda_class >= 0,
               "YoloV1Options: the lambdas must be >= 0; got lambda_coord=", lambda_coord,
               " lambda_noobj=", lambda_noobj, " lambda_obj=", lambda_obj,
               " lambda_class=", lambda_class);
}

YoloV1LossResult yolo_v1_loss(const Tensor& pred, const Tensor& target, const YoloV1Options& opt) {
  const char* op = "yolo_v1_loss";
  opt.validate();
  detail::check_defined(op, pred, "pred");
  detail::check_defined(op, target, "target");
  detail::check_same_device(op, {pred, target});
  const int64_t S = opt.S, pd = 5 * opt.B + opt.C, td = 5 + opt.C;
  MINIDL_CHECK(pred.dim() == 4 && pred.size(0) >= 1 && pred.size(1) == S && pred.size(2) == S &&
                   pred.size(3) == pd,
               op, ": pred has shape ", shape_str(pred.shape()), " but S=", S, ", B=", opt.B,
               ", C=", opt.C, " need (N, ", S, ", ", S, ", ", pd, ") with N >= 1");
  MINIDL_CHECK(target.shape() == Shape({pred.size(0), S, S, td}), op, ": target has shape ",
               shape_str(target.shape()), " but pred ", shape_str(pred.shape()), " needs (",
               pred.size(0), ", ", S, ", ", S, ", ", td, ")");
  const int64_t N = pred.size(0);
  Tensor p = contiguous(pred.detach()), t = contiguous(target.detach());
  Tensor terms = Tensor::empty({5}, pred.device());
  Tensor dpred = Tensor::empty(pred.shape(), pred.device());
  YoloV1Params P{opt.S,
                 opt.B,
                 opt.C,
                 opt.lambda_coord,
                 opt.lambda_noobj,
                 opt.lambda_obj,
                 opt.lambda_class,
                 opt.rescore,
                 opt.sqrt_wh,
                 opt.class_loss == YoloClassLoss::SoftmaxCE};
  MINIDL_DISPATCH(pred.device(), yolo_v1_loss, P, N, p.data(), t.data(), terms.data(),
                  dpred.data());

  // The terms stay where they were computed: no copy to the host and back (a device sync) per step.
  YoloV1LossResult r;
  r.xy = terms.select(0, 0);
  r.wh = terms.select(0, 1);
  r.obj = terms.select(0, 2);
  r.noobj = terms.select(0, 3);
  r.cls = terms.select(0, 4);
  Tensor total = sum(terms);
  // d total / d pred was computed by the kernel; the chain rule only scales it by gy (a scalar).
  r.total = record(op, total, {pred, target.detach()},
                   [dpred](const Tensor& gy, const std::vector<bool>&) {
                     return std::vector<Tensor>{dpred * gy, Tensor()};
                   });
  return r;
}

}  // namespace minidl
