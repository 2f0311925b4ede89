// Encoding arbitrary bytes with the real tokenizers (stories260K's 512 tokens
// and Llama 2's 32,000): ids in range, and decoding them gives the text back.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "fuzz_support.h"
#include "llmcu/tokenizer.h"

namespace {

struct Loaded {
  std::vector<uint8_t> file;
  std::vector<uint32_t> tables;
  llmcu::Tokenizer tokenizer;
};

Loaded* load(const char* name) {
  auto* l = new Loaded;
  l->file = llmcu::fuzz::read_fixture(name);
  llmcu::Result<int32_t> vocab = llmcu::Tokenizer::count_tokens(l->file, name);
  if (!vocab.is_ok()) abort();
  l->tables.resize(llmcu::Tokenizer::table_bytes(*vocab) / sizeof(uint32_t));
  llmcu::Result<llmcu::Tokenizer> t = llmcu::Tokenizer::load(
      l->file, *vocab,
      {reinterpret_cast<uint8_t*>(l->tables.data()), l->tables.size() * sizeof(uint32_t)}, name);
  if (!t.is_ok()) abort();
  l->tokenizer = *t;
  return l;
}

void check(const llmcu::Tokenizer& t, std::string_view text, bool bos, bool eos) {
  std::vector<int32_t> work(llmcu::Tokenizer::encode_work_ints(text.size()));
  int32_t n = 0;
  const llmcu::Status status = t.encode(text, bos, eos, work, &n);
  if (!status.is_ok()) abort();  // both vocabularies have every byte
  const size_t nul = text.find('\0');
  const std::string_view visible = nul == std::string_view::npos ? text : text.substr(0, nul);
  if (n < 0 || static_cast<size_t>(n) > visible.size() + 3) abort();
  // Decoding the ids gives back the text with its dummy-prefix space.
  std::string decoded;
  int32_t prev = -1;
  for (int32_t i = 0; i < n; ++i) {
    if (work[i] < 0 || work[i] >= t.vocab_size()) abort();
    if (work[i] != llmcu::Tokenizer::kBos && work[i] != llmcu::Tokenizer::kEos) {
      decoded.append(t.decode(prev == llmcu::Tokenizer::kBos ? -1 : prev, work[i]));
    }
    prev = work[i];
  }
  std::string expected;  // appended, not " " + text: GCC 12 warns falsely on that (-Wrestrict)
  if (!visible.empty()) expected.append(1, ' ').append(visible);
  if (decoded != expected) abort();
  // Too little work memory is an error, not an overflow.
  if (!visible.empty()) {
    std::vector<int32_t> small(llmcu::Tokenizer::encode_work_ints(visible.size()) - 1);
    if (t.encode(text, bos, eos, small, &n).is_ok()) abort();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Loaded* small = load("tok512.bin");
  static Loaded* llama = load("tokenizer.bin");
  if (size == 0) {
    check(small->tokenizer, {}, true, false);
    return 0;
  }
  // The first byte picks the flags; the rest is the text.
  const bool bos = (data[0] & 1) != 0, eos = (data[0] & 2) != 0;
  const std::string text(reinterpret_cast<const char*>(data) + 1, size - 1);
  check(small->tokenizer, text, bos, eos);
  if (text.size() <= 512) check(llama->tokenizer, text, bos, eos);
  return 0;
}
