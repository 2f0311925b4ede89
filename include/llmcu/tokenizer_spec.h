// What a generation session must know about its tokenizer before the
// tokenizer exists: which encoder it is and the counts its table and work
// memory follow from. A llama2.c model's tokenizer is a file of its own whose
// tables depend only on the vocabulary size; a GGUF model brings its
// vocabulary, measured once when the model is loaded.
#pragma once

#include <cstddef>
#include <cstdint>

namespace llmcu {

enum class TokenizerKind : uint8_t {
  kLlama2c,        // a llama2.c tokenizer file (Tokenizer)
  kSentencePiece,  // a GGUF vocabulary of tokenizer.ggml.model "llama" (SpmTokenizer)
  kBytePairs,      // a GGUF vocabulary of tokenizer.ggml.model "gpt2" (BpeTokenizer)
  kUnsupported,    // a GGUF vocabulary llmcu cannot encode: generation is refused
};
const char* tokenizer_kind_name(TokenizerKind kind);

struct TokenizerSpec {
  TokenizerKind kind = TokenizerKind::kLlama2c;
  int32_t vocab_size = 0;
  int32_t merges = 0;            // GGUF: tokenizer.ggml.merges
  int32_t specials = 0;          // GGUF: control, user-defined and unknown tokens
  uint32_t max_token_bytes = 0;  // GGUF: the longest token string
};

// The spec of a llama2.c tokenizer file for a model of `vocab_size` tokens.
TokenizerSpec llama2c_tokenizer_spec(int32_t vocab_size);

// Arena bytes the tokenizer's tables take (TextTokenizer::load*).
size_t tokenizer_table_bytes(const TokenizerSpec& spec);
// Work bytes (the ids included) to encode `text_bytes` bytes of text.
size_t tokenizer_work_bytes(const TokenizerSpec& spec, size_t text_bytes);

}  // namespace llmcu
