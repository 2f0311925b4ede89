#include "settings.h"

#include <cmath>
#include <cstring>

namespace llmcu::device {
namespace {

// Partition labels are at most 16 characters (esp_partition_t::label is char[17]).
constexpr size_t kMaxPartitionLabel = 16;

Status out_of_range(const char* option, long long value, long long lo, long long hi) {
  return Status::error(StatusCode::kInvalidArgument,
                       "CONFIG_LLMCU_%s is %lld; it must be in [%lld, %lld]", option, value, lo,
                       hi);
}

}  // namespace

bool parse_decimal(const char* text, float* out) {
  if (text == nullptr) return false;
  const char* p = text;
  bool negative = false;
  if (*p == '+' || *p == '-') negative = *p++ == '-';
  double value = 0.0;
  int digits = 0;
  while (*p >= '0' && *p <= '9') {
    value = value * 10.0 + (*p++ - '0');
    ++digits;
  }
  if (*p == '.') {
    ++p;
    double scale = 0.1;
    while (*p >= '0' && *p <= '9') {
      value += (*p++ - '0') * scale;
      scale /= 10.0;
      ++digits;
    }
  }
  if (digits == 0 || *p != '\0' || digits > 24) return false;
  const auto result = static_cast<float>(negative ? -value : value);
  if (!std::isfinite(result)) return false;
  *out = result;
  return true;
}

Result<Settings> parse_settings(const RawSettings& raw) {
  Settings s;
  s.prompt = raw.prompt != nullptr ? raw.prompt : "";
  if (!parse_decimal(raw.temperature, &s.temperature) || s.temperature < 0.0f) {
    return Status::error(StatusCode::kInvalidArgument,
                         "CONFIG_LLMCU_TEMPERATURE is \"%s\"; it must be a decimal number >= 0 "
                         "(0 is greedy), e.g. \"1.0\"",
                         raw.temperature != nullptr ? raw.temperature : "(null)");
  }
  if (!parse_decimal(raw.topp, &s.topp) || s.topp < 0.0f || s.topp > 1.0f) {
    return Status::error(StatusCode::kInvalidArgument,
                         "CONFIG_LLMCU_TOPP is \"%s\"; it must be a decimal number in [0, 1], "
                         "e.g. \"0.9\"",
                         raw.topp != nullptr ? raw.topp : "(null)");
  }
  if (raw.steps < 0 || raw.steps > INT32_MAX) return out_of_range("STEPS", raw.steps, 0, INT32_MAX);
  if (raw.generations < 1 || raw.generations > 1000000) {
    return out_of_range("GENERATIONS", raw.generations, 1, 1000000);
  }
  // Kconfig ints are signed 32-bit; a seed is any non-negative one.
  if (raw.seed < 0) return out_of_range("SEED", raw.seed, 0, INT32_MAX);
  if (raw.cores < 1 || raw.cores > 2) return out_of_range("CORES", raw.cores, 1, 2);
  if (raw.seq_len < 0 || raw.seq_len > INT32_MAX) {
    return out_of_range("SEQ_LEN", raw.seq_len, 0, INT32_MAX);
  }
  if (raw.max_prompt_bytes < 1 || raw.max_prompt_bytes > 65536) {
    return out_of_range("MAX_PROMPT_BYTES", raw.max_prompt_bytes, 1, 65536);
  }
  if (raw.internal_reserve_kb < 0 || raw.internal_reserve_kb > 512) {
    return out_of_range("INTERNAL_RESERVE_KB", raw.internal_reserve_kb, 0, 512);
  }
  const size_t label_length = raw.partition_label != nullptr ? strlen(raw.partition_label) : 0;
  if (label_length == 0 || label_length > kMaxPartitionLabel) {
    return Status::error(StatusCode::kInvalidArgument,
                         "CONFIG_LLMCU_MODEL_PARTITION is \"%s\"; a partition label has 1 to %u "
                         "characters",
                         raw.partition_label != nullptr ? raw.partition_label : "(null)",
                         static_cast<unsigned>(kMaxPartitionLabel));
  }
  if (s.prompt.size() > static_cast<size_t>(raw.max_prompt_bytes)) {
    return Status::error(StatusCode::kInvalidArgument,
                         "CONFIG_LLMCU_PROMPT is %llu bytes, longer than "
                         "CONFIG_LLMCU_MAX_PROMPT_BYTES (%lld)",
                         static_cast<unsigned long long>(s.prompt.size()), raw.max_prompt_bytes);
  }
  s.steps = static_cast<int32_t>(raw.steps);
  s.generations = static_cast<int32_t>(raw.generations);
  s.seed = static_cast<uint64_t>(raw.seed);
  s.cores = static_cast<int>(raw.cores);
  s.partition_label = raw.partition_label;
  s.seq_len = static_cast<int32_t>(raw.seq_len);
  s.max_prompt_bytes = static_cast<size_t>(raw.max_prompt_bytes);
  s.internal_reserve_bytes = static_cast<size_t>(raw.internal_reserve_kb) * 1024;
  s.verify_checksums = raw.verify_checksums;
  s.interactive = raw.interactive;
  return s;
}

}  // namespace llmcu::device
