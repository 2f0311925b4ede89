#include "text_out.h"

#include <algorithm>
#include <cstdio>

namespace llmcu::cli {

TextOut::TextOut(std::vector<std::string> stops, std::atomic<bool>* cancel)
    : stops_(std::move(stops)), cancel_(cancel) {}

void TextOut::sink(void* user, std::string_view piece) {
  static_cast<TextOut*>(user)->put(piece);
}

void TextOut::write(std::string_view text) {
  if (text.empty() || failed_) return;
  // Flushed piece by piece, as llama2.c does, so the text appears as it is made.
  if (fwrite(text.data(), 1, text.size(), stdout) != text.size() || fflush(stdout) != 0) {
    failed_ = true;  // main() reports it: no use generating for a dead stdout
    cancel_->store(true);
  }
}

void TextOut::put(std::string_view piece) {
  if (stopped_) return;
  const size_t echoed = std::min(echoed_left_, piece.size());
  if (echoed > 0) {
    write(piece.substr(0, echoed));
    echoed_left_ -= echoed;
    piece.remove_prefix(echoed);
  }
  if (stops_.empty()) {
    write(piece);
    return;
  }
  held_.append(piece);
  size_t first = std::string::npos;
  for (const std::string& stop : stops_) first = std::min(first, held_.find(stop));
  if (first != std::string::npos) {
    write(std::string_view(held_).substr(0, first));
    held_.clear();
    stopped_ = true;
    cancel_->store(true);
    return;
  }
  // Keep the longest tail that a stop string starts with.
  size_t keep = 0;
  for (const std::string& stop : stops_) {
    for (size_t n = std::min(stop.size() - 1, held_.size()); n > keep; --n) {
      if (held_.compare(held_.size() - n, n, stop, 0, n) == 0) {
        keep = n;
        break;
      }
    }
  }
  write(std::string_view(held_).substr(0, held_.size() - keep));
  held_.erase(0, held_.size() - keep);
}

void TextOut::finish() {
  if (!stopped_) write(held_);
  held_.clear();
}

void TextOut::reset(size_t echoed) {
  held_.clear();
  stopped_ = false;
  echoed_left_ = echoed;
}

}  // namespace llmcu::cli
