// What `llmcu inspect` shows of a GGUF file besides the config: the header,
// the metadata that shapes the computation, the vocabulary and chat
// template, and the tensors by type.
#include <cinttypes>
#include <cstdio>

#include "cli.h"
#include "llmcu/chat_template.h"
#include "llmcu/gguf.h"
#include "llmcu/gguf_model.h"
#include "llmcu/gguf_vocab.h"

namespace llmcu::cli {
namespace {

std::string string_or(const GgufFile& f, std::string_view key, const char* fallback) {
  Result<std::string_view> v = f.get_string(key, fallback);
  return v.is_ok() ? std::string(*v) : std::string(fallback);
}

}  // namespace

void print_gguf_summary(const Model& m) {
  const GgufFile& f = *m.gguf;
  const ModelConfig& c = m.config;
  printf("gguf:        version %u, %zu metadata keys, %zu tensors, alignment %llu, data at %llu\n",
         f.version(), f.metadata().size(), f.tensors().size(),
         static_cast<unsigned long long>(f.alignment()),
         static_cast<unsigned long long>(f.data_offset()));
  Result<uint32_t> file_type = f.get_u32("general.file_type", 0);
  printf("name:        %s (architecture %s, general.file_type %u)\n",
         string_or(f, "general.name", "").c_str(), string_or(f, "general.architecture", "").c_str(),
         file_type.is_ok() ? *file_type : 0u);
  printf("rope:        %s, theta %g; rms eps %g; q/k/v biases: %s\n",
         c.rope_style == RopeStyle::kHalves ? "halves (neox)" : "adjacent pairs",
         static_cast<double>(c.rope_theta), static_cast<double>(c.rms_eps),
         m.weights.bq.present() ? "yes" : "no");

  uint64_t bytes_of[4] = {}, count_of[4] = {};
  for (const GgufTensor& t : f.tensors()) {
    const int slot = t.type == GgmlType::kF16    ? 1
                     : t.type == GgmlType::kQ8_0 ? 2
                     : t.type == GgmlType::kQ4_0 ? 3
                                                 : 0;
    bytes_of[slot] += t.bytes;
    ++count_of[slot];
  }
  printf("tensor types:");
  const char* names[4] = {"F32", "F16", "Q8_0", "Q4_0"};
  for (int i = 0; i < 4; ++i) {
    if (count_of[i] > 0) {
      printf(" %s %" PRIu64 " (%" PRIu64 " bytes)", names[i], count_of[i], bytes_of[i]);
    }
  }
  printf("\n");

  Result<TokenizerSpec> spec = GgufVocabulary::measure(f);
  if (!spec.is_ok()) {
    printf("tokenizer:   not usable: %s\n", spec.status().message());
  } else {
    printf("tokenizer:   %s, %d tokens, %d merges, %d special; pre-tokenizer '%s'\n",
           tokenizer_kind_name(spec->kind), spec->vocab_size, spec->merges, spec->specials,
           string_or(f, "tokenizer.ggml.pre", "").c_str());
    Result<VocabSettings> s = GgufVocabulary::settings(f);
    if (s.is_ok()) {
      printf("special ids: BOS %d, EOS %d; add_bos_token %s\n", s->bos_id, s->eos_id,
             s->add_bos < 0 ? "(absent: the tokenizer type's default)"
                            : (s->add_bos != 0 ? "true" : "false"));
    }
  }
  const ChatTemplateKind tmpl = model_chat_template(m);
  const bool has_template = f.find("tokenizer.chat_template") != nullptr;
  printf("chat template: %s\n", !has_template                     ? "none in the file"
                                : tmpl == ChatTemplateKind::kNone ? "present, not one llmcu knows"
                                                                  : chat_template_name(tmpl));
  printf("model memory: %zu bytes (the file's index and per-layer tables, outside the arena)\n",
         m.memory_bytes);
}

}  // namespace llmcu::cli
