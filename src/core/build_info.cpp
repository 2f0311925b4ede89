#include "llmcu/build_info.h"

#include "kernels/kernels.h"

namespace llmcu {

const char* kernel_family_name() {
  return kernels::Active::kName;
}

}  // namespace llmcu
