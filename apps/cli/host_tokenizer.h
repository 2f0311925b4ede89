// Tokenizers for host commands that encode text outside a generation
// session (encode, eval): llama2.c's tokenizer file, or the vocabulary of a
// GGUF file (a model given as the tokenizer, or the model being run), with
// their tables and work memory on the heap.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "llmcu/gguf.h"
#include "llmcu/model.h"
#include "llmcu/status.h"
#include "llmcu/text_tokenizer.h"
#include "mapped_file.h"

namespace llmcu::cli {

class HostTokenizer {
 public:
  // `path`: a GGUF file (its vocabulary) or a llama2.c tokenizer file, of
  // `vocab_size` tokens (0: as many as the file holds).
  static Result<std::unique_ptr<HostTokenizer>> open(const std::string& path,
                                                     int32_t vocab_size = 0);
  // The vocabulary of a loaded GGUF model (which must outlive it).
  static Result<std::unique_ptr<HostTokenizer>> of_model(const Model& model);

  // The ids of `text` (TextTokenizer::encode).
  Result<std::vector<int32_t>> encode(std::string_view text, bool add_special);
  TextTokenizer& tokenizer() { return tokenizer_; }
  const GgufFile* gguf() const { return gguf_; }

 private:
  Status load_gguf(const GgufFile& file, const TokenizerSpec& spec);

  std::string name_;
  host::MappedFile file_;
  std::vector<uint64_t> index_;  // 8-byte aligned memory for a GGUF file's index
  GgufFile own_gguf_;
  const GgufFile* gguf_ = nullptr;
  std::vector<uint64_t> tables_;
  TextTokenizer tokenizer_;
  TokenizerSpec spec_;
};

}  // namespace llmcu::cli
