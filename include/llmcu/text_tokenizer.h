// The tokenizer a generation session uses, whatever the model: llama2.c's
// tokenizer file (Tokenizer), or a GGUF file's own vocabulary encoded as
// llama.cpp encodes it (SpmTokenizer for tokenizer.ggml.model "llama",
// BpeTokenizer for "gpt2"). One value type, no heap: every table lives in the
// memory given to load_*() (tokenizer_table_bytes of the spec), which, with
// the bytes the vocabulary is read from, must outlive it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "llmcu/bpe_tokenizer.h"
#include "llmcu/gguf.h"
#include "llmcu/gguf_vocab.h"
#include "llmcu/spm_tokenizer.h"
#include "llmcu/status.h"
#include "llmcu/tokenizer.h"
#include "llmcu/tokenizer_spec.h"

namespace llmcu {

class TextTokenizer {
 public:
  // Most end-of-generation tokens a vocabulary may name.
  static constexpr int kMaxStopTokens = 8;

  TextTokenizer() = default;

  // llama2.c's tokenizer file for a model of `vocab_size` tokens.
  static Result<TextTokenizer> load_llama2c(std::span<const uint8_t> bytes, int32_t vocab_size,
                                            std::span<uint8_t> table_memory, const char* name);
  // The vocabulary of a GGUF file that GgufVocabulary::measure gave `spec`
  // (an error for kUnsupported, saying why). `table_memory` holds
  // tokenizer_table_bytes(spec) and starts 8-byte aligned.
  static Result<TextTokenizer> load_gguf(const GgufFile& file, const TokenizerSpec& spec,
                                         std::span<uint8_t> table_memory);

  TokenizerKind kind() const { return kind_; }
  int32_t vocab_size() const { return vocab_size_; }
  int32_t bos() const { return bos_; }  // -1: the vocabulary has none
  // Generation stops before these: llama2.c's BOS (it starts a new story);
  // a GGUF vocabulary's EOS, EOT and EOM and the tokens llama.cpp treats as
  // ends of a turn (<|im_end|>, <|eot_id|>, <|endoftext|>, ...).
  bool ends_generation(int32_t token) const;
  std::span<const int32_t> stop_tokens() const {
    return {stops_, static_cast<size_t>(stop_count_)};
  }

  // The ids of `text`. With `add_special`, BOS first as the vocabulary asks
  // (llama2.c: always; GGUF: tokenizer.ggml.add_bos_token, else the
  // tokenizer type's default: yes for llama, no for most gpt2 ones). GGUF
  // vocabularies also turn the text of their special tokens (<|im_start|>,
  // ...) into those tokens, as chat templates need. `work` holds
  // tokenizer_work_bytes(spec, text.size()) bytes, 4-byte aligned; the ids are
  // written inside it.
  Result<std::span<const int32_t>> encode(std::string_view text, bool add_special,
                                          std::span<uint8_t> work) const;

  // The text `token` adds after `prev`, as bytes to print: "<0xXX>" byte
  // tokens as that byte, U+2581 as a space, GPT-2's byte map undone, control
  // tokens as nothing, and after BOS the leading space of a SentencePiece
  // piece dropped (llama2.c's and llama.cpp's detokenizers both do). Valid
  // until the next call.
  std::string_view decode(int32_t prev, int32_t token);
  // The token's string as the vocabulary stores it.
  std::string_view piece(int32_t token) const;
  // Only what a terminal should see of a decoded piece (llama2.c's
  // safe_printf for llama2.c's tokenizer; GGUF pieces are printed whole).
  std::string_view printable(std::string_view piece) const {
    return kind_ == TokenizerKind::kLlama2c ? Tokenizer::printable(piece) : piece;
  }

  const Tokenizer& llama2c() const { return llama2c_; }        // kLlama2c only
  const GgufVocabulary* vocabulary() const { return vocab_; }  // GGUF only

 private:
  void add_stop(int32_t token);

  TokenizerKind kind_ = TokenizerKind::kLlama2c;
  int32_t vocab_size_ = 0;
  int32_t bos_ = -1;
  int32_t stops_[kMaxStopTokens] = {};
  int32_t stop_count_ = 0;
  bool strip_space_after_bos_ = false;
  Tokenizer llama2c_;
  const GgufVocabulary* vocab_ = nullptr;  // in the table memory
  SpmTokenizer spm_;
  BpeTokenizer bpe_;
  char* piece_buffer_ = nullptr;  // (max_token_bytes) decoded GGUF pieces
};

}  // namespace llmcu
