#include "options.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "llmcu/memory_plan.h"

namespace llmcu::cli {
namespace {

// The value as the user gave it, shortened so that a pasted megabyte does
// not become the error message.
std::string shown(const std::string& text) {
  constexpr size_t kMax = 32;
  return text.size() <= kMax ? text : text.substr(0, kMax) + "...";
}

std::string between(const std::string& name, const std::string& min, const std::string& max,
                    const std::string& text) {
  return name + " must be between " + min + " and " + max + " (got " + shown(text) + ")";
}

bool all_digits(const std::string& text, size_t from) {
  return from < text.size() && text.find_first_not_of("0123456789", from) == std::string::npos;
}

// Whether `text` is a decimal number at all, for the message about one that
// is not whole.
bool looks_numeric(const std::string& text) {
  if (text.empty() || text.find_first_not_of("0123456789+-.eE") != std::string::npos) return false;
  char* end = nullptr;
  (void)strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

// "inf", "-Infinity", ...: numbers, but never in range.
bool is_infinity(const std::string& text) {
  std::string word = text;
  if (!word.empty() && (word[0] == '-' || word[0] == '+')) word.erase(0, 1);
  for (char& c : word) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  return word == "inf" || word == "infinity";
}

std::string not_a_number(const std::string& name, const std::string& text) {
  if (looks_numeric(text)) return name + ": '" + shown(text) + "' is not a whole number";
  return name + ": '" + shown(text) + "' is not a number";
}

// CLI11 puts the option's name and a colon before a validator's message, and
// before a ValidationError's; another parse error passes through whole, so
// the message can be one sentence that names the option.
CLI::Validator checked(const std::string& description,
                       std::function<std::string(const std::string&)> check) {
  return CLI::Validator(
      [check](std::string& text) -> std::string {
        const std::string message = check(text);
        if (!message.empty()) throw CLI::ConversionError(message);
        return std::string();
      },
      description);
}

std::string display_name(const CLI::Option* option) {
  // "--steps" rather than "-n,--steps": the long name says what it is.
  const auto& longs = option->get_lnames();
  if (!longs.empty()) return "--" + longs.front();
  const auto& shorts = option->get_snames();
  if (!shorts.empty()) return "-" + shorts.front();
  return option->get_name();
}

}  // namespace

CLI::Option* add_path_option(CLI::App* cmd, const std::string& names, std::string* value,
                             const std::string& help) {
  CLI::Option* option = cmd->add_option(names, *value, help);
  const std::string name = display_name(option);
  option->check(checked("PATH", [name](const std::string& text) {
    return text.empty() ? name + ": the path is empty (\"\" names no file)" : std::string();
  }));
  return option;
}

std::string parse_int(const std::string& name, const std::string& text, int64_t min, int64_t max,
                      int64_t* out) {
  const size_t digits = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
  if (!all_digits(text, digits)) return not_a_number(name, text);
  errno = 0;
  const long long value = strtoll(text.c_str(), nullptr, 10);
  if (errno == ERANGE || value < min || value > max) {
    return between(name, std::to_string(min), std::to_string(max), text);
  }
  *out = value;
  return std::string();
}

CLI::Option* add_int_option(CLI::App* cmd, const std::string& names, int32_t* value, int32_t min,
                            int32_t max, const std::string& help) {
  CLI::Option* option = cmd->add_option(names, *value, help)->capture_default_str();
  const std::string name = display_name(option);
  option->check(checked("INT", [name, min, max](const std::string& text) {
    int64_t parsed = 0;
    return parse_int(name, text, min, max, &parsed);
  }));
  return option;
}

CLI::Option* add_uint64_option(CLI::App* cmd, const std::string& names, uint64_t* value,
                               const std::string& help) {
  CLI::Option* option = cmd->add_option(names, *value, help)->capture_default_str();
  const std::string name = display_name(option);
  option->check(checked("UINT64", [name](const std::string& text) -> std::string {
    const size_t digits = (!text.empty() && (text[0] == '-' || text[0] == '+')) ? 1 : 0;
    if (!all_digits(text, digits)) return not_a_number(name, text);
    errno = 0;
    (void)strtoull(text.c_str() + digits, nullptr, 10);
    if (text[0] == '-' && text.find_first_not_of("0", 1) != std::string::npos) errno = ERANGE;
    if (errno == ERANGE) return between(name, "0", std::to_string(UINT64_MAX), text);
    return std::string();
  }));
  return option;
}

CLI::Option* add_real_option(CLI::App* cmd, const std::string& names, float* value, double min,
                             double max, const std::string& help) {
  CLI::Option* option = cmd->add_option(names, *value, help)->capture_default_str();
  const std::string name = display_name(option);
  option->check(checked("REAL", [name, min, max](const std::string& text) -> std::string {
    char lo[32], hi[32];
    snprintf(lo, sizeof(lo), "%g", min);
    snprintf(hi, sizeof(hi), "%g", max);
    if (is_infinity(text)) return between(name, lo, hi, text);
    // strtod also reads "nan", hexadecimal and leading blanks: a number here is decimal.
    const bool decimal = !text.empty() &&
                         (text[0] == '-' || text[0] == '+' || text[0] == '.' ||
                          (text[0] >= '0' && text[0] <= '9')) &&
                         text.find_first_not_of("0123456789+-.eE") == std::string::npos;
    char* end = nullptr;
    errno = 0;
    const double v = decimal ? strtod(text.c_str(), &end) : 0.0;
    if (!decimal || end != text.c_str() + text.size()) {
      return name + ": '" + shown(text) + "' is not a number";
    }
    // ERANGE with a huge result: past a double (1e309); a tiny one rounds to 0 or a denormal.
    const bool overflow = errno == ERANGE && std::fabs(v) > 1.0;
    if (overflow || !(v >= min && v <= max)) return between(name, lo, hi, text);
    return std::string();
  }));
  return option;
}

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

CLI::Option* add_batch_option(CLI::App* cmd, int32_t* batch) {
  return add_int_option(cmd, "-b,--batch", batch, 1, kMaxBatch,
                        "prompt tokens fed through the layers together (default " +
                            std::to_string(kDefaultBatch) + "; 1: one at a time)");
}

}  // namespace llmcu::cli
