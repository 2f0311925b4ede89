#include "llmcu/status.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

namespace llmcu {

const char* status_code_name(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return "ok";
    case StatusCode::kInvalidArgument: return "invalid argument";
    case StatusCode::kInvalidFormat: return "invalid format";
    case StatusCode::kUnsupported: return "unsupported";
    case StatusCode::kOutOfRange: return "out of range";
    case StatusCode::kResourceExhausted: return "resource exhausted";
    case StatusCode::kIoError: return "i/o error";
  }
  return "unknown";
}

Status Status::error(StatusCode code, const char* format, ...) {
  Status status;
  status.code_ = code == StatusCode::kOk ? StatusCode::kInvalidArgument : code;
  va_list args;
  va_start(args, format);
  vsnprintf(status.message_, sizeof(status.message_), format, args);
  va_end(args);
  return status;
}

Status& Status::with_context(const char* context) {
  if (is_ok() || context == nullptr || context[0] == '\0') return *this;
  // Built in a larger buffer, then cut to size: the message may be long.
  char combined[2 * kMaxMessage];
  snprintf(combined, sizeof(combined), "%s: %s", context, message_);
  memcpy(message_, combined, sizeof(message_) - 1);
  message_[sizeof(message_) - 1] = '\0';
  return *this;
}

}  // namespace llmcu
