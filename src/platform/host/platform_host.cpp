// Host backend of the platform facade: steady clock and the OS entropy source.
#include <chrono>
#include <random>

#include "llmcu/platform.h"

namespace llmcu::platform {

uint64_t now_us() {
  using namespace std::chrono;
  return static_cast<uint64_t>(
      duration_cast<microseconds>(steady_clock::now().time_since_epoch()).count());
}

uint64_t entropy_u64() {
  std::random_device device;
  uint64_t value = 0;
  while (value == 0) value = (static_cast<uint64_t>(device()) << 32) ^ device();
  return value;
}

}  // namespace llmcu::platform
