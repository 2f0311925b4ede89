// Assembles a console line from raw bytes as they arrive on a serial console
// (USB-Serial-JTAG or UART), which neither echoes nor edits: the device must
// echo what is typed and handle backspace itself. Portable and host-tested;
// the firmware only moves bytes in and out.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace llmcu::device {

class LineEditor {
 public:
  static constexpr size_t kCapacity = 1024;

  struct Step {
    bool line_done = false;  // line() holds a finished line
    char echo[4] = {};       // bytes to write back to the terminal
    size_t echo_bytes = 0;
  };

  // Feeds one received byte. CR, LF and CR LF each end a line once; backspace
  // (0x08) and DEL (0x7f) erase the last byte; other control bytes are
  // ignored; bytes past kCapacity are dropped (and flagged).
  Step feed(uint8_t byte);

  // The finished line, without its terminator; valid until the next feed().
  std::string_view line() const { return {buffer_, length_}; }
  bool truncated() const { return truncated_; }

 private:
  char buffer_[kCapacity] = {};
  size_t length_ = 0;
  bool truncated_ = false;
  bool done_ = false;     // the last feed finished a line; the next starts a new one
  bool last_cr_ = false;  // swallow the LF of a CR LF pair
};

}  // namespace llmcu::device
