// The reference family: every kernel from namespace ref (kernels_ref.cpp,
// kernels_q8_ref.cpp), in llama2.c's order of floating-point operations.
#pragma once

#include "../reference.h"

namespace llmcu::kernels::ref {

struct Ref : ReferenceKernels<Ref> {
  static constexpr const char kName[] = "ref";
  static constexpr KernelSet kApproximate = {};
};

}  // namespace llmcu::kernels::ref
