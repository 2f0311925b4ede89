// The kernels the core calls: kernels::Active, the one family this build
// uses, fixed at compile time. cmake/llmcu_kernels.cmake, which lists every
// family, defines LLMCU_KERNEL_FAMILY (the struct) and
// LLMCU_KERNEL_FAMILY_HEADER (its family.h, relative to this folder) for
// every target that includes this header, so all translation units agree
// even though only the family's own sources get its compiler flags. Without
// them (another build system), the reference.
#pragma once

#include "ref/family.h"  // always there, for comparisons

#if defined(LLMCU_KERNEL_FAMILY_HEADER)
#include LLMCU_KERNEL_FAMILY_HEADER
#else
#define LLMCU_KERNEL_FAMILY ::llmcu::kernels::ref::Ref
#endif

namespace llmcu::kernels {

using Active = LLMCU_KERNEL_FAMILY;

}  // namespace llmcu::kernels
