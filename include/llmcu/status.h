// Errors as values: a Status carries a code and a message a person can act on;
// Result<T> carries either a value or the Status that explains why there is none.
// No exceptions, no heap: the message lives in a fixed buffer.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>

namespace llmcu {

enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,    // the caller asked for something that makes no sense
  kInvalidFormat,      // bytes that are not what they claim to be
  kUnsupported,        // a valid input this build cannot handle (yet)
  kOutOfRange,         // a size or index past a limit
  kResourceExhausted,  // not enough memory in the arena or buffer given
  kIoError,            // only platform layers produce this
};

const char* status_code_name(StatusCode code);

class [[nodiscard]] Status {
 public:
  static constexpr size_t kMaxMessage = 224;

  constexpr Status() = default;
  static Status ok() { return Status(); }
  // printf-style message; truncated (never overflowed) at kMaxMessage - 1.
  static Status error(StatusCode code, const char* format, ...)
      __attribute__((format(printf, 2, 3)));

  bool is_ok() const { return code_ == StatusCode::kOk; }
  explicit operator bool() const { return is_ok(); }
  StatusCode code() const { return code_; }
  const char* message() const { return is_ok() ? "ok" : message_; }

  // Puts "context: " in front of the message, e.g. the file name.
  Status& with_context(const char* context);

 private:
  StatusCode code_ = StatusCode::kOk;
  char message_[kMaxMessage] = {};
};

// A value or an error. T must be default-constructible and movable.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : value_(std::move(value)) {}  // NOLINT: implicit by design
  Result(Status status) : status_(status) {}     // NOLINT: implicit by design

  bool is_ok() const { return status_.is_ok(); }
  const Status& status() const { return status_; }
  T& value() { return value_; }
  const T& value() const { return value_; }
  T& operator*() { return value_; }
  const T& operator*() const { return value_; }
  T* operator->() { return &value_; }
  const T* operator->() const { return &value_; }

 private:
  T value_{};
  Status status_;
};

}  // namespace llmcu

// Returns the Status of `expr` from the enclosing function unless it is ok.
#define LLMCU_TRY(expr)                                       \
  do {                                                        \
    ::llmcu::Status llmcu_try_status_ = (expr);               \
    if (!llmcu_try_status_.is_ok()) return llmcu_try_status_; \
  } while (0)

// `LLMCU_TRY_ASSIGN(Model model, load_model(...));` declares (or assigns) the
// value of a Result, or returns its Status from the enclosing function, which
// must return a Status or a Result.
#define LLMCU_TRY_ASSIGN(lhs, expr) \
  LLMCU_TRY_ASSIGN_IMPL_(LLMCU_TRY_CONCAT_(llmcu_try_result_, __LINE__), lhs, expr)
#define LLMCU_TRY_CONCAT_(a, b) LLMCU_TRY_CONCAT2_(a, b)
#define LLMCU_TRY_CONCAT2_(a, b) a##b
#define LLMCU_TRY_ASSIGN_IMPL_(tmp, lhs, expr) \
  auto tmp = (expr);                           \
  if (!tmp.is_ok()) return tmp.status();       \
  lhs = std::move(*tmp)
