// What a tokenizer needs from a model file's vocabulary, as GGUF's
// tokenizer.ggml.* keys describe it. A file reader implements Vocabulary over
// the bytes it holds; the tokenizer engines build their lookup tables from it
// at load and read token strings through it while encoding, so it must
// outlive them.
#pragma once

#include <cstdint>
#include <string_view>

namespace llmcu {

// tokenizer.ggml.token_type values.
enum class TokenType : int32_t {
  kUndefined = 0,
  kNormal = 1,
  kUnknown = 2,
  kControl = 3,
  kUserDefined = 4,
  kUnused = 5,
  kByte = 6,
};

class Vocabulary {
 public:
  virtual int32_t size() const = 0;                      // tokenizer.ggml.tokens
  virtual std::string_view token(int32_t id) const = 0;  // 0 <= id < size()
  virtual float score(int32_t id) const = 0;             // tokenizer.ggml.scores, else 0
  virtual TokenType type(int32_t id) const = 0;          // tokenizer.ggml.token_type, else normal
  virtual int32_t merge_count() const = 0;               // tokenizer.ggml.merges, else 0
  // Merge `rank` (0 is applied first) as GGUF stores it: "left right".
  virtual std::string_view merge(int32_t rank) const = 0;

 protected:
  ~Vocabulary() = default;
};

// The other tokenizer.ggml.* keys; -1 where the file has no such key.
struct VocabSettings {
  std::string_view pre;         // tokenizer.ggml.pre ("" when absent)
  std::string_view model_name;  // general.name: llama.cpp strips spaces after phi-3's specials
  int32_t bos_id = -1;
  int32_t eos_id = -1;
  int8_t add_bos = -1;           // tokenizer.ggml.add_bos_token
  int8_t add_eos = -1;           // tokenizer.ggml.add_eos_token
  int8_t add_space_prefix = -1;  // tokenizer.ggml.add_space_prefix
};

}  // namespace llmcu
