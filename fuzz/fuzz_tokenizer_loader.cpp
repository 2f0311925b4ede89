// The tokenizer loader on arbitrary bytes: counted, then loaded at its own
// size and at the size of the stories260K vocabulary. A tokenizer it accepts
// must then encode, decode and look up every piece without reading outside
// the file.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "llmcu/tokenizer.h"

namespace {

void exercise(const llmcu::Tokenizer& t) {
  const int32_t vocab = t.vocab_size();
  for (int32_t id = 0; id < vocab; ++id) {
    const std::string_view piece = t.piece(id);
    llmcu::fuzz::touch_range(piece.data(), piece.size());
    (void)t.score(id);
    // The lowest id with this piece is found, and it has this piece.
    const int32_t found = t.lookup(piece);
    if (found < 0 || found > id || t.piece(found) != piece) abort();
    const std::string_view text = llmcu::Tokenizer::printable(t.decode(llmcu::Tokenizer::kBos, id));
    llmcu::fuzz::touch_range(text.data(), text.size());
  }
  // Encoding may fail (no byte tokens in a small vocabulary) but never crash,
  // and the ids it produces are in range.
  static constexpr std::string_view kTexts[] = {"", "Once upon a time",
                                                "\xff\xfe abc \xe2\x82\xac"};
  for (std::string_view text : kTexts) {
    std::vector<int32_t> work(llmcu::Tokenizer::encode_work_ints(text.size()));
    int32_t n = 0;
    if (t.encode(text, true, true, work, &n).is_ok()) {
      if (n < 2 || static_cast<size_t>(n) > text.size() + 3) abort();
      for (int32_t i = 0; i < n; ++i) {
        if (work[i] < 0 || work[i] >= vocab) abort();
      }
    }
  }
}

void load_and_exercise(const std::vector<uint8_t>& bytes, int32_t vocab) {
  std::vector<uint32_t> tables(llmcu::Tokenizer::table_bytes(vocab) / sizeof(uint32_t));
  llmcu::Result<llmcu::Tokenizer> t = llmcu::Tokenizer::load(
      bytes, vocab, {reinterpret_cast<uint8_t*>(tables.data()), tables.size() * sizeof(uint32_t)},
      "fuzz.tok");
  if (!t.is_ok()) {
    if (strncmp(t.status().message(), "fuzz.tok: ", 10) != 0) abort();
    return;
  }
  if (t->vocab_size() != vocab) abort();
  exercise(*t);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<uint8_t> bytes = llmcu::fuzz::exact_copy(data, size);
  llmcu::Result<int32_t> count = llmcu::Tokenizer::count_tokens(bytes, "fuzz.tok");
  if (count.is_ok()) {
    if (*count <= 0) abort();
    // Each token takes at least 8 bytes after the 4-byte header.
    if (static_cast<size_t>(*count) > (size - 4) / 8) abort();
    load_and_exercise(bytes, *count);
  }
  if (!count.is_ok() || *count != 512) load_and_exercise(bytes, 512);
  return 0;
}
