// Pre-tokenizers of byte-level BPE vocabularies: the text is cut into words
// before merges, by the rules `tokenizer.ggml.pre` names. Each rule set is a
// sequence of patterns applied one after another, as llama.cpp applies its
// regular expressions: a pattern cuts every piece the previous ones left into
// its matches and the text between them. The patterns are hand-written
// matchers over code points (no regex engine), with Unicode's categories and
// White_Space from tables generated at build time.
#pragma once

#include <cstddef>
#include <string_view>

#include "llmcu/status.h"

namespace llmcu {

enum class PreTokenizer {
  kGpt2,           // gpt-2, mpt, olmo, jais, phi-2, roberta-bpe, jina-*
  kLlama3,         // llama-bpe, llama3, llama-v3, falcon3, dbrx, smaug-bpe, chatglm-bpe
  kQwen2,          // qwen2, deepseek-r1-qwen, stablelm2, megrez
  kStarcoder,      // starcoder, refact, smollm, command-r, codeshell, exaone, minerva-7b
  kFalcon,         // falcon
  kDeepseekCoder,  // deepseek-coder
  kDeepseekLlm,    // deepseek-llm
  kDefault,        // "default", or no name
};

// The pre-tokenizer a `tokenizer.ggml.pre` value names; an error names the
// value when llmcu has no matcher for it.
Result<PreTokenizer> pre_tokenizer_named(std::string_view name);

// Receives each word as a byte range [begin, end) of the text, in order.
using WordSink = Status (*)(void* user, size_t begin, size_t end);

// Cuts `text` into words; the words cover the text without gaps. Bytes that
// are not well-formed UTF-8 count as U+FFFD, one per byte. Stops at the first
// error the sink returns.
Status pre_tokenize(PreTokenizer kind, std::string_view text, WordSink sink, void* user);

}  // namespace llmcu
