#include "llmcu/gguf_vocab.h"

#include <cmath>
#include <cstring>

#include "llmcu/pretokenizer.h"

namespace llmcu {
namespace {

constexpr uint64_t kMaxTokens = 1u << 30;  // the tokenizers keep ids in 30 bits

Status vocab_error(const GgufFile& file, StatusCode code, const char* message) {
  return Status::error(code, "%s", message).with_context(file.name());
}

// A string array's offsets must fit the 32-bit tables.
Status check_table_reach(const GgufFile& file, const GgufKeyValue& kv) {
  if (kv.value.bytes >= (uint64_t{1} << 32)) {
    return Status::error(StatusCode::kUnsupported, "%.*s: %llu bytes of strings; at most 4 GiB",
                         static_cast<int>(kv.key.size()), kv.key.data(),
                         static_cast<unsigned long long>(kv.value.bytes))
        .with_context(file.name());
  }
  return Status::ok();
}

// A token id key (u32; i32 accepted), -1 when absent or "none" (>= 2^31).
Result<int32_t> read_id(const GgufFile& file, std::string_view key) {
  const GgufKeyValue* kv = file.find(key);
  if (kv == nullptr) return -1;
  if (kv->value.type == GgufType::kInt32) {
    LLMCU_TRY_ASSIGN(int32_t v, file.get_i32(key));
    return v < 0 ? -1 : v;
  }
  LLMCU_TRY_ASSIGN(uint32_t v, file.get_u32(key));
  return v > INT32_MAX ? -1 : static_cast<int32_t>(v);
}

Result<int8_t> read_flag(const GgufFile& file, std::string_view key) {
  if (file.find(key) == nullptr) return static_cast<int8_t>(-1);
  LLMCU_TRY_ASSIGN(bool v, file.get_bool(key));
  return static_cast<int8_t>(v ? 1 : 0);
}

bool counts_as_special(int32_t type, size_t length) {
  const auto t = static_cast<TokenType>(type);
  return length > 0 &&
         (t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown);
}

}  // namespace

Result<TokenizerSpec> GgufVocabulary::measure(const GgufFile& file) {
  TokenizerSpec spec;
  LLMCU_TRY_ASSIGN(std::string_view model, file.get_string("tokenizer.ggml.model"));
  if (model == "llama") {
    spec.kind = TokenizerKind::kSentencePiece;
  } else if (model == "gpt2") {
    spec.kind = TokenizerKind::kBytePairs;
  } else {
    return Status::error(StatusCode::kUnsupported,
                         "tokenizer.ggml.model '%.*s' is not supported (llama and gpt2 are)",
                         static_cast<int>(model.size() < 32 ? model.size() : 32), model.data())
        .with_context(file.name());
  }

  LLMCU_TRY_ASSIGN(GgufArray tokens, file.get_array("tokenizer.ggml.tokens", GgufType::kString));
  if (tokens.size() == 0 || tokens.size() > kMaxTokens) {
    return Status::error(StatusCode::kInvalidFormat,
                         "tokenizer.ggml.tokens: %llu tokens is out of range (1 to 2^30)",
                         static_cast<unsigned long long>(tokens.size()))
        .with_context(file.name());
  }
  LLMCU_TRY(check_table_reach(file, *file.find("tokenizer.ggml.tokens")));
  const auto n = static_cast<int32_t>(tokens.size());
  spec.vocab_size = n;

  GgufArray scores, types;
  if (file.find("tokenizer.ggml.scores") != nullptr) {
    LLMCU_TRY_ASSIGN(scores, file.get_array("tokenizer.ggml.scores", GgufType::kFloat32));
    if (scores.size() != tokens.size()) {
      return vocab_error(file, StatusCode::kInvalidFormat,
                         "tokenizer.ggml.scores and tokenizer.ggml.tokens differ in length");
    }
    for (uint64_t i = 0; i < scores.size(); ++i) {
      if (std::isnan(scores.f32(i))) {
        return Status::error(StatusCode::kInvalidFormat,
                             "tokenizer.ggml.scores: token %llu has a NaN score",
                             static_cast<unsigned long long>(i))
            .with_context(file.name());
      }
    }
  }
  if (file.find("tokenizer.ggml.token_type") != nullptr) {
    LLMCU_TRY_ASSIGN(types, file.get_array("tokenizer.ggml.token_type", GgufType::kInt32));
    if (types.size() != tokens.size()) {
      return vocab_error(file, StatusCode::kInvalidFormat,
                         "tokenizer.ggml.token_type and tokenizer.ggml.tokens differ in length");
    }
  }
  int32_t id = 0;
  for (std::string_view token : tokens.strings()) {
    const int32_t type = types.size() > 0 ? types.i32(static_cast<uint64_t>(id)) : 1;
    if (type < 0 || type > static_cast<int32_t>(TokenType::kByte)) {
      return Status::error(StatusCode::kInvalidFormat,
                           "tokenizer.ggml.token_type: token %ld has type %ld (0 to 6 exist)",
                           static_cast<long>(id), static_cast<long>(type))
          .with_context(file.name());
    }
    if (counts_as_special(type, token.size())) ++spec.specials;
    if (token.size() > spec.max_token_bytes) {
      spec.max_token_bytes = static_cast<uint32_t>(token.size());  // < 4 GiB: checked above
    }
    ++id;
  }

  if (const GgufKeyValue* merges = file.find("tokenizer.ggml.merges"); merges != nullptr) {
    LLMCU_TRY_ASSIGN(GgufArray array, file.get_array("tokenizer.ggml.merges", GgufType::kString));
    if (array.size() > kMaxTokens) {
      return vocab_error(file, StatusCode::kInvalidFormat,
                         "tokenizer.ggml.merges: more than 2^30 merges");
    }
    LLMCU_TRY(check_table_reach(file, *merges));
    spec.merges = static_cast<int32_t>(array.size());
  }
  if (spec.kind == TokenizerKind::kBytePairs) {
    if (file.find("tokenizer.ggml.merges") == nullptr) {
      return vocab_error(file, StatusCode::kInvalidFormat,
                         "tokenizer.ggml.merges is missing: a gpt2 vocabulary needs its merges");
    }
    LLMCU_TRY_ASSIGN(std::string_view pre, file.get_string("tokenizer.ggml.pre", ""));
    Result<PreTokenizer> kind = pre_tokenizer_named(pre);
    if (!kind.is_ok()) {
      Status s = kind.status();
      return s.with_context(file.name());
    }
  }
  return spec;
}

Result<GgufVocabulary> GgufVocabulary::open(const GgufFile& file, const TokenizerSpec& spec,
                                            std::span<uint8_t> table_memory) {
  if (table_memory.size() < table_bytes(spec) ||
      reinterpret_cast<uintptr_t>(table_memory.data()) % alignof(uint32_t) != 0) {
    return Status::error(StatusCode::kResourceExhausted,
                         "the vocabulary's tables need %llu aligned bytes, got %llu",
                         static_cast<unsigned long long>(table_bytes(spec)),
                         static_cast<unsigned long long>(table_memory.size()))
        .with_context(file.name());
  }
  GgufVocabulary v;
  LLMCU_TRY_ASSIGN(GgufArray tokens, file.get_array("tokenizer.ggml.tokens", GgufType::kString));
  if (tokens.size() != static_cast<uint64_t>(spec.vocab_size)) {
    return vocab_error(file, StatusCode::kInvalidArgument,
                       "the vocabulary was measured for another file");
  }
  auto* at = reinterpret_cast<uint32_t*>(table_memory.data());
  v.tokens_ = file.find("tokenizer.ggml.tokens")->value.data;
  v.token_at_ = at;
  v.size_ = spec.vocab_size;
  int32_t i = 0;
  for (std::string_view token : tokens.strings()) {
    at[i++] = static_cast<uint32_t>(reinterpret_cast<const uint8_t*>(token.data()) -
                                    sizeof(uint64_t) - v.tokens_);
  }
  if (spec.merges > 0) {
    LLMCU_TRY_ASSIGN(GgufArray merges, file.get_array("tokenizer.ggml.merges", GgufType::kString));
    if (merges.size() != static_cast<uint64_t>(spec.merges)) {
      return vocab_error(file, StatusCode::kInvalidArgument,
                         "the vocabulary was measured for another file");
    }
    v.merges_ = file.find("tokenizer.ggml.merges")->value.data;
    uint32_t* merge_at = at + spec.vocab_size;
    v.merge_at_ = merge_at;
    v.merge_count_ = spec.merges;
    int32_t r = 0;
    for (std::string_view merge : merges.strings()) {
      merge_at[r++] = static_cast<uint32_t>(reinterpret_cast<const uint8_t*>(merge.data()) -
                                            sizeof(uint64_t) - v.merges_);
    }
  }
  if (file.find("tokenizer.ggml.scores") != nullptr) {
    LLMCU_TRY_ASSIGN(v.scores_, file.get_array("tokenizer.ggml.scores", GgufType::kFloat32));
  }
  if (file.find("tokenizer.ggml.token_type") != nullptr) {
    LLMCU_TRY_ASSIGN(v.types_, file.get_array("tokenizer.ggml.token_type", GgufType::kInt32));
  }
  return v;
}

Result<VocabSettings> GgufVocabulary::settings(const GgufFile& file) {
  VocabSettings s;
  LLMCU_TRY_ASSIGN(s.pre, file.get_string("tokenizer.ggml.pre", ""));
  LLMCU_TRY_ASSIGN(s.model_name, file.get_string("general.name", ""));
  LLMCU_TRY_ASSIGN(s.bos_id, read_id(file, "tokenizer.ggml.bos_token_id"));
  LLMCU_TRY_ASSIGN(s.eos_id, read_id(file, "tokenizer.ggml.eos_token_id"));
  LLMCU_TRY_ASSIGN(s.add_bos, read_flag(file, "tokenizer.ggml.add_bos_token"));
  LLMCU_TRY_ASSIGN(s.add_eos, read_flag(file, "tokenizer.ggml.add_eos_token"));
  LLMCU_TRY_ASSIGN(s.add_space_prefix, read_flag(file, "tokenizer.ggml.add_space_prefix"));
  return s;
}

float GgufVocabulary::score(int32_t id) const {
  return scores_.size() > 0 ? scores_.f32(static_cast<uint64_t>(id)) : 0.0f;
}

TokenType GgufVocabulary::type(int32_t id) const {
  return types_.size() > 0 ? static_cast<TokenType>(types_.i32(static_cast<uint64_t>(id)))
                           : TokenType::kNormal;
}

}  // namespace llmcu
