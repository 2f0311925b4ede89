// llama2.c's BPE tokenizer, read in place from its file:
//   uint32 max_token_length, then per token: float32 score, int32 length, bytes.
// The file does not store how many tokens it holds: the model says.
// Lookup tables (vocab_size * 8 bytes) live in caller-provided memory.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "llmcu/status.h"

namespace llmcu {

class Tokenizer {
 public:
  static constexpr int32_t kBos = 1;
  static constexpr int32_t kEos = 2;

  // Bytes of table memory load() needs for `vocab_size` tokens.
  static size_t table_bytes(int32_t vocab_size);
  // How many tokens a tokenizer file holds (for tools that have no model).
  static Result<int32_t> count_tokens(std::span<const uint8_t> bytes, const char* name);
  // `bytes` must outlive the tokenizer; `table_memory` must be 4-byte aligned
  // and hold table_bytes(vocab_size).
  static Result<Tokenizer> load(std::span<const uint8_t> bytes, int32_t vocab_size,
                                std::span<uint8_t> table_memory, const char* name);

  // Ints of work memory encode() needs for a text of `text_bytes` bytes: the
  // ids and, per symbol, its neighbours, its pair's id and its heap slot.
  static size_t encode_work_ints(size_t text_bytes) { return 6 * (text_bytes + 3); }

  // What one encode() did, for tests that check how its work grows.
  struct EncodeStats {
    int32_t symbols = 0;  // before merging
    int32_t merges = 0;
    uint64_t heap_sift_steps = 0;  // parent/child moves in the pair heap
  };
  // Encodes exactly as llama2.c: dummy-prefix space, code-point lookup with
  // byte fallback, then repeated merges of the best-scoring adjacent pair
  // (the leftmost among equal scores), in O(n log n). The text ends at its
  // first NUL byte, as a C string would. The ids are written to the front of
  // `work`, their count to `*n_tokens`.
  Status encode(std::string_view text, bool bos, bool eos, std::span<int32_t> work,
                int32_t* n_tokens, EncodeStats* stats = nullptr) const;

  // The text of `token` as it follows `prev`: the leading space is dropped
  // after BOS, and "<0xXX>" pieces become that raw byte.
  std::string_view decode(int32_t prev, int32_t token) const;
  // What a C printf("%s") of `piece` shows, minus lone unprintable bytes
  // (llama2.c's safe_printf): empty when there is nothing to print.
  static std::string_view printable(std::string_view piece);

  int32_t vocab_size() const { return vocab_size_; }
  std::string_view piece(int32_t id) const;
  float score(int32_t id) const;
  // Lowest id whose piece is exactly `text`, or -1.
  int32_t lookup(std::string_view text) const;

 private:
  int32_t lookup_pair(int32_t left, int32_t right) const;
  // Merges tokens[0, n) in place; scratch holds 5 * capacity ints. Returns the new count.
  int32_t merge_pairs(int32_t* tokens, int32_t n, int32_t* scratch, size_t capacity,
                      EncodeStats* stats) const;

  const uint8_t* file_ = nullptr;
  int32_t vocab_size_ = 0;
  const uint32_t* offsets_ = nullptr;  // (vocab_size) file offset of each piece's bytes
  const uint32_t* sorted_ = nullptr;   // (vocab_size) ids ordered by piece bytes, then id
};

}  // namespace llmcu
