// Elementwise ops with NumPy broadcasting (shapes align from the right; size-1 axes stretch).
// All are differentiable except the comparisons, which return 0/1 masks without a gradient.
#pragma once

#include "core/tensor.h"

namespace minidl {

Tensor add(const Tensor& a, const Tensor& b);
Tensor sub(const Tensor& a, const Tensor& b);
Tensor mul(const Tensor& a, const Tensor& b);
Tensor div(const Tensor& a, const Tensor& b);
/// a^b elementwise; the gradient with respect to b uses log(a) and is taken only where a > 0;
/// the gradient with respect to a is 0 where b == 0 (a^0 = 1, also at a = 0).
Tensor pow(const Tensor& a, const Tensor& b);
/// Elementwise min / max: NaN where either operand is NaN (as torch.minimum / maximum). The
/// gradient goes to the operand the result came from (a where a is NaN, else b where b is NaN);
/// ties share it equally.
Tensor minimum(const Tensor& a, const Tensor& b);
Tensor maximum(const Tensor& a, const Tensor& b);

Tensor add(const Tensor& x, float s);
Tensor sub(const Tensor& x, float s);
Tensor mul(const Tensor& x, float s);
Tensor div(const Tensor& x, float s);
Tensor pow(const Tensor& x, float p);

Tensor neg(const Tensor& x);
Tensor exp(const Tensor& x);
Tensor log(const Tensor& x);
Tensor sqrt(const Tensor& x);
Tensor square(const Tensor& x);
/// |x|; its gradient at 0 is 0.
Tensor abs(const Tensor& x);
/// min(max(x, lo), hi); the gradient passes where lo <= x <= hi. Requires lo <= hi.
Tensor clamp(const Tensor& x, float lo, float hi);
/// mask != 0 ? a : b, broadcasting all three; no gradient flows to the mask.
Tensor where(const Tensor& mask, const Tensor& a, const Tensor& b);
Tensor where(const Tensor& mask, const Tensor& a, float b);
Tensor where(const Tensor& mask, float a, const Tensor& b);

// Comparisons: 1 where true, 0 where false; never require grad.
Tensor eq(const Tensor& a, const Tensor& b);
Tensor ne(const Tensor& a, const Tensor& b);
Tensor lt(const Tensor& a, const Tensor& b);
Tensor le(const Tensor& a, const Tensor& b);
Tensor gt(const Tensor& a, const Tensor& b);
Tensor ge(const Tensor& a, const Tensor& b);
Tensor eq(const Tensor& a, float b);
Tensor ne(const Tensor& a, float b);
Tensor lt(const Tensor& a, float b);
Tensor le(const Tensor& a, float b);
Tensor gt(const Tensor& a, float b);
Tensor ge(const Tensor& a, float b);

Tensor operator+(const Tensor& a, const Tensor& b);
Tensor operator-(const Tensor& a, const Tensor& b);
Tensor operator*(const Tensor& a, const Tensor& b);
Tensor operator/(const Tensor& a, const Tensor& b);
Tensor operator+(const Tensor& a, float b);
Tensor operator-(const Tensor& a, float b);
Tensor operator*(const Tensor& a, float b);
Tensor operator/(const Tensor& a, float b);
Tensor operator+(float a, const Tensor& b);
Tensor operator-(float a, const Tensor& b);
Tensor operator*(float a, const Tensor& b);
Tensor operator/(float a, const Tensor& b);
Tensor operator-(const Tensor& x);
// Masks, as in NumPy: (x > 0.5f) is a 0/1 tensor.
Tensor operator<(const Tensor& a, const Tensor& b);
Tensor operator<=(const Tensor& a, const Tensor& b);
Tensor operator>(const Tensor& a, const Tensor& b);
Tensor operator>=(const Tensor& a, const Tensor& b);
Tensor operator<(const Tensor& a, float b);
Tensor operator<=(const Tensor& a, float b);
Tensor operator>(const Tensor& a, float b);
Tensor operator>=(const Tensor& a, float b);

}  // namespace minidl
