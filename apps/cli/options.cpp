#include "options.h"

#include <cerrno>
#include <cstdlib>

namespace llmcu::cli {

const CLI::Validator kUint64(
    [](std::string& text) -> std::string {
      const bool digits =
          !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
      errno = 0;
      if (digits) (void)strtoull(text.c_str(), nullptr, 10);
      if (!digits || errno != 0) return "must be a whole number from 0 to 18446744073709551615";
      return std::string();
    },
    "UINT64");

bool parse_bytes(const std::string& text, uint64_t* out) {
  if (text.empty() || text[0] < '0' || text[0] > '9') return false;
  errno = 0;
  char* end = nullptr;
  const unsigned long long value = strtoull(text.c_str(), &end, 10);
  if (errno != 0) return false;
  const std::string suffix(end);
  uint64_t scale = 1;
  if (suffix == "K" || suffix == "KiB") {
    scale = 1024;
  } else if (suffix == "M" || suffix == "MiB") {
    scale = 1024 * 1024;
  } else if (suffix == "G" || suffix == "GiB") {
    scale = 1024ull * 1024 * 1024;
  } else if (!suffix.empty()) {
    return false;
  }
  if (value > UINT64_MAX / scale) return false;
  *out = value * scale;
  return true;
}

}  // namespace llmcu::cli
