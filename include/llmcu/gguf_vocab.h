// A GGUF file's vocabulary (tokenizer.ggml.*) as a Vocabulary the GGUF
// tokenizers read: token strings and merges stay in the file's bytes and are
// found through offset tables in caller memory (4 bytes per token and per
// merge); scores and token types are read from their arrays in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "llmcu/gguf.h"
#include "llmcu/status.h"
#include "llmcu/tokenizer_spec.h"
#include "llmcu/vocab.h"

namespace llmcu {

class GgufVocabulary final : public Vocabulary {
 public:
  GgufVocabulary() = default;

  // Reads tokenizer.ggml.* and walks the token strings once: the encoder
  // the vocabulary needs, its counts and its longest token. An error (which
  // names the key) for a malformed vocabulary or one llmcu cannot encode
  // (tokenizer.ggml.model other than llama and gpt2, an unknown
  // tokenizer.ggml.pre).
  static Result<TokenizerSpec> measure(const GgufFile& file);
  // Bytes of table memory open() needs.
  static size_t table_bytes(const TokenizerSpec& spec) {
    return sizeof(uint32_t) *
           (static_cast<size_t>(spec.vocab_size) + static_cast<size_t>(spec.merges));
  }
  // The vocabulary of `file`, which measure() gave `spec`; `file` (its bytes)
  // and `table_memory` (4-byte aligned) must outlive it.
  static Result<GgufVocabulary> open(const GgufFile& file, const TokenizerSpec& spec,
                                     std::span<uint8_t> table_memory);
  // The other tokenizer.ggml.* keys (and general.name), as the tokenizers take them.
  static Result<VocabSettings> settings(const GgufFile& file);

  int32_t size() const override { return size_; }
  std::string_view token(int32_t id) const override { return string_at(tokens_, token_at_, id); }
  float score(int32_t id) const override;
  TokenType type(int32_t id) const override;
  int32_t merge_count() const override { return merge_count_; }
  std::string_view merge(int32_t rank) const override {
    return string_at(merges_, merge_at_, rank);
  }

 private:
  // String `i` of a string array whose element offsets are `at`.
  static std::string_view string_at(const uint8_t* array, const uint32_t* at, int32_t i) {
    uint64_t length;
    memcpy(&length, array + at[i], sizeof(length));
    return {reinterpret_cast<const char*>(array + at[i] + sizeof(length)),
            static_cast<size_t>(length)};
  }

  const uint8_t* tokens_ = nullptr;  // the first element of tokenizer.ggml.tokens
  const uint8_t* merges_ = nullptr;
  const uint32_t* token_at_ = nullptr;  // (size_) offset of each token from tokens_
  const uint32_t* merge_at_ = nullptr;  // (merge_count_)
  GgufArray scores_;                    // f32, or empty
  GgufArray types_;                     // i32, or empty
  int32_t size_ = 0;
  int32_t merge_count_ = 0;
};

}  // namespace llmcu
