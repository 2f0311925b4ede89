// The platform facade on ESP-IDF: esp_timer's microsecond clock and the
// hardware RNG.
#include "esp_random.h"
#include "esp_timer.h"
#include "llmcu/platform.h"

namespace llmcu::platform {

uint64_t now_us() {
  // esp_timer_get_time(): int64_t microseconds since boot, never negative.
  return static_cast<uint64_t>(esp_timer_get_time());
}

uint64_t entropy_u64() {
  // esp_random() is a true random source only while Wi-Fi/Bluetooth run (or
  // the bootloader's entropy source is enabled); otherwise it is still a
  // different value every boot, which is all a sampling seed needs.
  for (;;) {
    const uint64_t value = (static_cast<uint64_t>(esp_random()) << 32) | esp_random();
    if (value != 0) return value;  // xorshift must not start from 0
  }
}

}  // namespace llmcu::platform
