#include "line_editor.h"

namespace llmcu::device {

LineEditor::Step LineEditor::feed(uint8_t byte) {
  Step step;
  if (done_) {
    length_ = 0;
    truncated_ = false;
    done_ = false;
  }
  const bool after_cr = last_cr_;
  last_cr_ = byte == '\r';
  if (byte == '\n' && after_cr) return step;  // second half of CR LF
  if (byte == '\r' || byte == '\n') {
    done_ = true;
    step.line_done = true;
    step.echo[0] = '\r';
    step.echo[1] = '\n';
    step.echo_bytes = 2;
    return step;
  }
  if (byte == 0x08 || byte == 0x7f) {
    if (length_ > 0) {
      // Drop a whole UTF-8 sequence, not just its last byte, so the line
      // never ends in half a character.
      do {
        --length_;
      } while (length_ > 0 && (static_cast<uint8_t>(buffer_[length_]) & 0xC0) == 0x80);
      step.echo[0] = '\b';
      step.echo[1] = ' ';
      step.echo[2] = '\b';
      step.echo_bytes = 3;
    }
    return step;
  }
  if (byte < 0x20) return step;  // other control bytes (escape sequences' ESC included)
  if (length_ == kCapacity) {
    truncated_ = true;
    return step;
  }
  buffer_[length_++] = static_cast<char>(byte);
  step.echo[0] = static_cast<char>(byte);
  step.echo_bytes = 1;
  return step;
}

}  // namespace llmcu::device
