// The GGUF tokenizers on a vocabulary and a text both taken from the input:
// byte 0 picks the engine, the pre-tokenizer and the flags; then the token
// strings ('\n'-separated, a leading '!' makes one user-defined, '#'
// control), a NUL, the merges ('\n'-separated), a NUL, and the text. The
// byte-level vocabulary also gets GPT-2's 256 byte characters. Loading may
// refuse; encoding with the documented memory either works or reports a
// missing byte token, and every id is in range.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "llmcu/bpe_tokenizer.h"
#include "llmcu/spm_tokenizer.h"
#include "llmcu/vocab.h"

namespace {

class InputVocab final : public llmcu::Vocabulary {
 public:
  std::vector<std::string> tokens;
  std::vector<llmcu::TokenType> types;
  std::vector<std::string> merges;
  int32_t size() const override { return static_cast<int32_t>(tokens.size()); }
  std::string_view token(int32_t id) const override { return tokens[id]; }
  float score(int32_t id) const override { return static_cast<float>(id % 7) - 3.0f; }
  llmcu::TokenType type(int32_t id) const override { return types[id]; }
  int32_t merge_count() const override { return static_cast<int32_t>(merges.size()); }
  std::string_view merge(int32_t rank) const override { return merges[rank]; }
};

std::vector<std::string> lines(std::string_view s) {
  std::vector<std::string> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == '\n') {
      out.emplace_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
}

void byte_level_characters(InputVocab& v) {
  int next = 256;
  for (int b = 0; b < 256; ++b) {
    const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
    const int cp = printable ? b : next++;
    std::string s;
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
    v.tokens.push_back(s);
    v.types.push_back(llmcu::TokenType::kNormal);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  static constexpr const char* kPres[] = {"gpt-2",  "llama-bpe",      "qwen2",        "starcoder",
                                          "falcon", "deepseek-coder", "deepseek-llm", "default"};
  const uint8_t flags = data[0];
  const bool bpe = (flags & 1) != 0, add_special = (flags & 2) != 0,
             parse_special = (flags & 4) != 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t nul1 = rest.find('\0');
  const size_t nul2 = nul1 == std::string_view::npos ? nul1 : rest.find('\0', nul1 + 1);
  if (nul2 == std::string_view::npos) return 0;
  InputVocab vocab;
  if (bpe) byte_level_characters(vocab);
  for (std::string& t : lines(rest.substr(0, nul1))) {
    llmcu::TokenType type = llmcu::TokenType::kNormal;
    if (!t.empty() && t[0] == '!') type = llmcu::TokenType::kUserDefined;
    if (!t.empty() && t[0] == '#') type = llmcu::TokenType::kControl;
    vocab.tokens.push_back(t);
    vocab.types.push_back(type);
  }
  vocab.merges = lines(rest.substr(nul1 + 1, nul2 - nul1 - 1));
  const std::string text(rest.substr(nul2 + 1));

  llmcu::VocabSettings settings;
  settings.pre = kPres[(flags >> 3) & 7];
  settings.add_bos = 1;
  settings.bos_id = 0;
  std::vector<uint32_t> tables(
      (bpe ? llmcu::BpeTokenizer::table_bytes(vocab) : llmcu::SpmTokenizer::table_bytes(vocab)) /
          4 +
      1);
  const std::span<uint8_t> table_memory(reinterpret_cast<uint8_t*>(tables.data()),
                                        tables.size() * 4);
  const size_t work_bytes = bpe ? llmcu::BpeTokenizer::encode_work_bytes(text.size())
                                : llmcu::SpmTokenizer::encode_work_bytes(text.size());
  std::vector<uint32_t> work(work_bytes / 4 + 1);
  const std::span<uint8_t> work_memory(reinterpret_cast<uint8_t*>(work.data()), work_bytes);
  std::vector<int32_t> ids(6 * text.size() + 4);
  int32_t n = 0;
  llmcu::Status status;
  if (bpe) {
    llmcu::Result<llmcu::BpeTokenizer> t =
        llmcu::BpeTokenizer::load(vocab, settings, table_memory, "fuzz");
    if (!t.is_ok()) return 0;
    status = t->encode(text, add_special, parse_special, work_memory, ids, &n);
    if (!status.is_ok()) abort();  // every byte has a token
  } else {
    llmcu::Result<llmcu::SpmTokenizer> t =
        llmcu::SpmTokenizer::load(vocab, settings, table_memory, "fuzz");
    if (!t.is_ok()) return 0;
    status = t->encode(text, add_special, parse_special, work_memory, ids, &n);
    if (!status.is_ok() && status.code() != llmcu::StatusCode::kInvalidArgument) abort();
  }
  for (int32_t i = 0; i < n; ++i) {
    if (ids[i] < 0 || ids[i] >= vocab.size()) abort();
  }
  return 0;
}
