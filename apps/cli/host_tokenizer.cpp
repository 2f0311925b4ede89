#include "host_tokenizer.h"

#include "llmcu/arena.h"
#include "llmcu/gguf_vocab.h"
#include "llmcu/tokenizer.h"

namespace llmcu::cli {
namespace {

std::vector<uint64_t> words_for(size_t bytes) {
  return std::vector<uint64_t>((bytes + sizeof(uint64_t) - 1) / sizeof(uint64_t) + 1);
}

std::span<uint8_t> as_bytes(std::vector<uint64_t>& words) {
  return {reinterpret_cast<uint8_t*>(words.data()), words.size() * sizeof(uint64_t)};
}

}  // namespace

Status HostTokenizer::load_gguf(const GgufFile& file, const TokenizerSpec& spec) {
  gguf_ = &file;
  spec_ = spec;
  tables_ = words_for(tokenizer_table_bytes(spec));
  LLMCU_TRY_ASSIGN(tokenizer_, TextTokenizer::load_gguf(file, spec, as_bytes(tables_)));
  return Status::ok();
}

Result<std::unique_ptr<HostTokenizer>> HostTokenizer::open(const std::string& path,
                                                           int32_t vocab_size) {
  auto t = std::unique_ptr<HostTokenizer>(new HostTokenizer());
  t->name_ = path;
  LLMCU_TRY_ASSIGN(t->file_, host::MappedFile::open(path));
  const std::span<const uint8_t> bytes = t->file_.bytes();
  if (is_gguf(bytes)) {
    LLMCU_TRY_ASSIGN(const size_t index_bytes, gguf_index_bytes(bytes, t->name_.c_str()));
    t->index_ = words_for(index_bytes);
    Arena arena(as_bytes(t->index_));
    LLMCU_TRY_ASSIGN(t->own_gguf_, gguf_open(bytes, t->name_.c_str(), arena));
    LLMCU_TRY_ASSIGN(const TokenizerSpec spec, GgufVocabulary::measure(t->own_gguf_));
    if (vocab_size > 0 && spec.vocab_size != vocab_size) {
      return Status::error(StatusCode::kInvalidArgument, "%s: %d tokens, but the model has %d",
                           path.c_str(), spec.vocab_size, vocab_size);
    }
    LLMCU_TRY(t->load_gguf(t->own_gguf_, spec));
    return t;
  }
  int32_t n = vocab_size;
  if (n <= 0) {
    LLMCU_TRY_ASSIGN(n, Tokenizer::count_tokens(bytes, path.c_str()));
  }
  t->spec_ = llama2c_tokenizer_spec(n);
  t->tables_ = words_for(tokenizer_table_bytes(t->spec_));
  LLMCU_TRY_ASSIGN(t->tokenizer_,
                   TextTokenizer::load_llama2c(bytes, n, as_bytes(t->tables_), path.c_str()));
  return t;
}

Result<std::unique_ptr<HostTokenizer>> HostTokenizer::of_model(const Model& model) {
  if (model.gguf == nullptr) {
    return Status::error(StatusCode::kInvalidArgument,
                         "the model brings no vocabulary: give its tokenizer file with -z");
  }
  auto t = std::unique_ptr<HostTokenizer>(new HostTokenizer());
  LLMCU_TRY(t->load_gguf(*model.gguf, model.tokenizer));
  return t;
}

Result<std::vector<int32_t>> HostTokenizer::encode(std::string_view text, bool add_special) {
  std::vector<uint64_t> work = words_for(tokenizer_work_bytes(spec_, text.size()));
  LLMCU_TRY_ASSIGN(const std::span<const int32_t> ids,
                   tokenizer_.encode(text, add_special, as_bytes(work)));
  return std::vector<int32_t>(ids.begin(), ids.end());
}

}  // namespace llmcu::cli
