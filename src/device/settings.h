// What the firmware app does, decided at build time (Kconfig on the ESP32-S3)
// and checked here, in portable code the host tests run. Kconfig has no
// floating-point type, so temperature and top-p arrive as strings.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "llmcu/status.h"

namespace llmcu::device {

// The values as the build configuration spells them (CONFIG_LLMCU_*).
struct RawSettings {
  const char* prompt = "";
  const char* temperature = "1.0";
  const char* topp = "0.9";
  long long steps = 256;
  long long generations = 1;
  long long seed = 0;  // 0: a fresh seed from the hardware RNG for each generation
  long long cores = 2;
  const char* partition_label = "model";
  long long seq_len = 0;  // 0: the model's context
  long long max_prompt_bytes = 256;
  long long internal_reserve_kb = 64;
  bool verify_checksums = true;
  bool interactive = false;
};

struct Settings {
  std::string_view prompt;
  float temperature = 1.0f;
  float topp = 0.9f;
  int32_t steps = 256;  // 0: the whole context
  int32_t generations = 1;
  uint64_t seed = 0;
  int cores = 2;
  const char* partition_label = "model";
  int32_t seq_len = 0;
  size_t max_prompt_bytes = 256;  // longest prompt, configured or typed
  // Internal RAM left free for the rest of the system (stacks, drivers, Wi-Fi)
  // when deciding whether the arena may live there.
  size_t internal_reserve_bytes = 64 * 1024;
  bool verify_checksums = true;
  bool interactive = false;
  // How the device's own errors and logs name things: the option that sets
  // the context, and where the weights are read from.
  const char* context_option = "CONFIG_LLMCU_SEQ_LEN";
  const char* weights_place = "stay in flash";
};

// Every value in range, or an error naming the CONFIG_ option and the range.
Result<Settings> parse_settings(const RawSettings& raw);

// A float in plain decimal notation ("0.9", "1", "-.5"; no exponents), the
// whole string consumed. Locale-independent on purpose.
bool parse_decimal(const char* text, float* out);

}  // namespace llmcu::device
