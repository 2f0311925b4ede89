// SentencePiece BPE with scores (tokenizer.ggml.model = "llama"), encoding as
// llama.cpp does. How that differs from llama2.c's encode (Tokenizer):
//  - spaces become U+2581 before merging, and the space prefix is added only
//    when tokenizer.ggml.add_space_prefix holds (the default) and the text
//    starts a fragment after BOS/the start or after a special token;
//  - user-defined tokens (and, when asked, control tokens) are cut out of the
//    text first and never merge with their neighbours; BOS does not merge;
//  - symbols are split by each UTF-8 lead byte's length alone; a character
//    that is no token stays a symbol and may still merge with a neighbour
//    (llama2.c turns it into byte tokens before merging), and a symbol left
//    that is no token becomes "<0xXX>" tokens found by their strings (else
//    the one-byte token), not ids byte + 3;
//  - every pair that forms a token may merge, whatever its score (llama2.c
//    skips scores of -1e10 and below).
// Both merge the best-scoring pair first, the leftmost among equal scores.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "llmcu/status.h"
#include "llmcu/vocab.h"
#include "llmcu/vocab_index.h"

namespace llmcu {

class SpmTokenizer {
 public:
  static size_t table_bytes(const Vocabulary& vocab);
  // The same from counts: `specials` control, user-defined and unknown tokens.
  static size_t table_bytes(int32_t vocab_size, int32_t specials);
  // `vocab` must outlive the tokenizer; `table_memory` must be 4-byte aligned.
  static Result<SpmTokenizer> load(const Vocabulary& vocab, const VocabSettings& settings,
                                   std::span<uint8_t> table_memory, const char* name);

  static size_t encode_work_bytes(size_t text_bytes);
  // Writes the ids of `text` to `ids` and their count to `*n_ids`.
  Status encode(std::string_view text, bool add_special, bool parse_special,
                std::span<uint8_t> work, std::span<int32_t> ids, int32_t* n_ids) const;

  int32_t bos() const { return bos_; }  // -1: none
  int32_t eos() const { return eos_; }
  bool adds_bos() const { return add_bos_; }
  bool adds_space_prefix() const { return add_space_prefix_; }

 private:
  Status encode_fragment(std::string_view text, bool space_prefix, std::span<uint8_t> work,
                         IdWriter& out) const;

  const Vocabulary* vocab_ = nullptr;
  VocabIndex index_;
  SpecialTokens specials_;
  bool add_space_prefix_ = true, add_bos_ = true, add_eos_ = false;
  int32_t bos_ = -1, eos_ = -1;
};

}  // namespace llmcu
