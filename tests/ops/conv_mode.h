// Choosing the CPU convolution kernels inside a test: the op table's conv2d rows and the
// hand-computed cases of test_conv.cpp run with the fast kernels and with the readable reference
// that MINIDL_CONV=reference selects (core/cpu/conv_plan.h).
#pragma once

#include "core/cpu/conv_plan.h"

namespace minidl::test {

/// Sets the CPU convolution kernels until destroyed, then restores the mode in force before (the
/// environment's, MINIDL_CONV), also when a check throws.
struct ConvModeGuard {
  cpu::ConvMode saved = cpu::conv_mode();
  explicit ConvModeGuard(cpu::ConvMode mode) { cpu::set_conv_mode(mode); }
  ~ConvModeGuard() { cpu::set_conv_mode(saved); }
  ConvModeGuard(const ConvModeGuard&) = delete;
  ConvModeGuard& operator=(const ConvModeGuard&) = delete;
  static const char* name(cpu::ConvMode mode) {
    return mode == cpu::ConvMode::Fast ? "fast" : "reference";
  }
};

}  // namespace minidl::test
