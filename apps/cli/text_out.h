// Where generated text goes on its way to standard output: it ends an answer
// at the first of the --stop strings (which is not printed), and stops the
// generation when standard output can no longer be written.
#pragma once

#include <atomic>
#include <string>
#include <string_view>
#include <vector>

namespace llmcu::cli {

class TextOut {
 public:
  // `cancel` is set at a stop string or a failed write; the generation
  // checks it before every position.
  TextOut(std::vector<std::string> stops, std::atomic<bool>* cancel);

  // A piece of generated text. Text that may be the start of a stop string is
  // held back until it is known not to be.
  void put(std::string_view piece);
  // The answer ended some other way: prints what was held back.
  void finish();
  // Ready for the next answer, whose first `echoed` bytes are the prompt
  // printed back (llama2.c's generate mode): those are printed as they come
  // and no stop string is looked for in them.
  void reset(size_t echoed = 0);

  bool stopped() const { return stopped_; }
  bool failed() const { return failed_; }

  // For Generator::generate and Chat::turn (user: a TextOut*).
  static void sink(void* user, std::string_view piece);

 private:
  void write(std::string_view text);

  std::vector<std::string> stops_;
  std::atomic<bool>* cancel_;
  std::string held_;
  size_t echoed_left_ = 0;
  bool stopped_ = false;
  bool failed_ = false;
};

}  // namespace llmcu::cli
