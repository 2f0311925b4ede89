// Byte-level BPE (tokenizer.ggml.model = "gpt2"), encoding as llama.cpp does:
// special tokens are cut out of the text first, the pre-tokenizer that
// tokenizer.ggml.pre names cuts the rest into words, each word's bytes become
// GPT-2's printable code points, and the adjacent pair with the lowest merge
// rank merges (the leftmost among equal ranks) until none is left. Tables
// (ids sorted by string, merges sorted by pair) live in caller memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "llmcu/pretokenizer.h"
#include "llmcu/status.h"
#include "llmcu/vocab.h"
#include "llmcu/vocab_index.h"

namespace llmcu {

class BpeTokenizer {
 public:
  // Bytes of table memory load() needs.
  static size_t table_bytes(const Vocabulary& vocab);
  // The same from counts: `specials` control, user-defined and unknown tokens.
  static size_t table_bytes(int32_t vocab_size, int32_t specials, int32_t merges);
  // `vocab` must outlive the tokenizer; `table_memory` must be 4-byte aligned.
  static Result<BpeTokenizer> load(const Vocabulary& vocab, const VocabSettings& settings,
                                   std::span<uint8_t> table_memory, const char* name);

  // Bytes of work memory encode() needs for `text_bytes` bytes of text.
  static size_t encode_work_bytes(size_t text_bytes);
  // Writes the ids of `text` to `ids` and their count to `*n_ids`.
  // `add_special` adds BOS/EOS as the vocabulary asks; `parse_special` lets
  // control tokens' strings in the text become those tokens.
  Status encode(std::string_view text, bool add_special, bool parse_special,
                std::span<uint8_t> work, std::span<int32_t> ids, int32_t* n_ids) const;

  PreTokenizer pre_tokenizer() const { return pre_; }
  int32_t bos() const { return bos_; }  // -1: none
  int32_t eos() const { return eos_; }
  bool adds_bos() const { return add_bos_; }

 private:
  struct Merge {
    int32_t left, right, rank;
  };
  struct Word;
  int32_t rank_of(int32_t left, int32_t right) const;
  Status encode_word(std::string_view word, Word& scratch, IdWriter& out) const;

  const Vocabulary* vocab_ = nullptr;
  VocabIndex index_;
  SpecialTokens specials_;
  const Merge* merges_ = nullptr;  // (merge_count_) sorted by (left, right, rank)
  int32_t merge_count_ = 0;
  PreTokenizer pre_ = PreTokenizer::kDefault;
  bool ignore_merges_ = false;  // a word that is a token as a whole skips merging
  bool add_bos_ = false, add_eos_ = false;
  int32_t bos_ = -1, eos_ = -1;
};

}  // namespace llmcu
