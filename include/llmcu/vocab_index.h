// Lookup structures the GGUF tokenizers build from a Vocabulary in caller
// memory: token ids sorted by their strings, and the special tokens that are
// matched in text before any other tokenization, as llama.cpp does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "llmcu/status.h"
#include "llmcu/vocab.h"

namespace llmcu {

class VocabIndex {
 public:
  static size_t bytes(int32_t vocab_size) {
    return sizeof(int32_t) * static_cast<size_t>(vocab_size);
  }
  // Sorts ids by token string (then id) into `memory`.
  void build(const Vocabulary& vocab, int32_t* memory);
  // The lowest id whose string is `text`, or -1.
  int32_t find(std::string_view text) const;

 private:
  const Vocabulary* vocab_ = nullptr;
  const int32_t* sorted_ = nullptr;
  int32_t size_ = 0;
};

// A stretch of text still to tokenize (token < 0) or a special token's id.
struct Fragment {
  uint32_t begin, length;
  int32_t token;
  int32_t next;  // index of the next fragment, -1 at the end
};

class SpecialTokens {
 public:
  // Four bytes per control, user-defined or unknown token.
  static size_t bytes(const Vocabulary& vocab);
  // Fragments partition() may need for `text_bytes` of text.
  static size_t max_fragments(size_t text_bytes) { return 2 * text_bytes + 1; }

  // Collects control, user-defined and unknown tokens, longest first. Models
  // named like phi-3 strip whitespace after their specials (llama.cpp's rule).
  void build(const Vocabulary& vocab, std::string_view model_name, uint32_t* memory);

  // Cuts `text` at every occurrence of a special token, trying the tokens
  // longest first, each over the fragments the longer ones left. User-defined
  // tokens always count; control and unknown ones only with `parse_special`.
  // Returns the index of the first fragment (-1 for an empty text).
  int32_t partition(std::string_view text, bool parse_special, Fragment* fragments) const;

 private:
  static constexpr uint32_t kIdMask = 0x3FFFFFFF, kLstrip = 1u << 30, kRstrip = 1u << 31;
  const Vocabulary* vocab_ = nullptr;
  const uint32_t* entries_ = nullptr;  // id | strip flags, longest token first
  int32_t count_ = 0;
};

// Where token ids go: a caller span, with an error when it is full.
struct IdWriter {
  int32_t* ids;
  size_t capacity;
  size_t count = 0;
  Status push(int32_t id) {
    if (count == capacity) {
      return Status::error(StatusCode::kResourceExhausted,
                           "the text encodes to more than the %llu ids there is room for",
                           static_cast<unsigned long long>(capacity));
    }
    ids[count++] = id;
    return Status::ok();
  }
};

// The GGUF tokenizers' encode() preconditions: a text under 256 MiB (their
// offsets are 28-bit) and `needed` bytes of int32-aligned work memory.
Status check_encode_inputs(std::string_view text, std::span<const uint8_t> work, size_t needed);

}  // namespace llmcu
