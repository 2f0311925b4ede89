// A short whole generation from an arbitrary small model and prompt.
//
// Input: byte 0 temperature (x / 64), byte 1 top-p (x / 255), byte 2 steps
// (x % 32; 0 means the whole context), byte 3 prompt length L, then L prompt
// bytes, then the model file. The tokenizer is tok512.bin for a 512-token
// model and a synthetic one of the model's vocabulary otherwise; a GGUF
// model brings its own. Sessions
// whose arena would exceed 64 MiB are skipped: they are the memory plan's
// business, not the generator's.
#include <cstddef>
#include <cstdint>
#include <map>
#include <span>
#include <vector>

#include "fuzz_support.h"
#include "llmcu/generator.h"

namespace {

constexpr size_t kHeader = 4;
constexpr size_t kMaxArena = 64u << 20;
constexpr int32_t kMaxVocab = 1 << 16;

struct Sink {
  size_t bytes = 0;
  int32_t pieces = 0;
};

void sink(void* user, std::string_view piece) {
  auto* s = static_cast<Sink*>(user);
  if (piece.empty()) abort();  // the generator only passes printable, non-empty pieces
  llmcu::fuzz::touch_range(piece.data(), piece.size());
  s->bytes += piece.size();
  ++s->pieces;
}

const std::vector<uint8_t>& tokenizer_for(int32_t vocab) {
  static const std::vector<uint8_t> tok512 = llmcu::fuzz::read_fixture("tok512.bin");
  if (vocab == 512) return tok512;
  static std::map<int32_t, std::vector<uint8_t>> made;
  auto it = made.find(vocab);
  if (it == made.end()) {
    if (made.size() > 64) made.clear();
    it = made.emplace(vocab, llmcu::fuzz::make_tokenizer(vocab)).first;
  }
  return it->second;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < kHeader) return 0;
  const size_t prompt_len = data[3];
  if (size < kHeader + prompt_len) return 0;
  const std::string prompt(reinterpret_cast<const char*>(data) + kHeader, prompt_len);
  // A separate, 4-byte aligned copy as an mmap would give.
  const std::vector<uint8_t> model_bytes =
      llmcu::fuzz::exact_copy(data + kHeader + prompt_len, size - kHeader - prompt_len);
  llmcu::Result<size_t> need = llmcu::model_memory_bytes(model_bytes, "fuzz.bin");
  if (!need.is_ok()) return 0;
  std::vector<uint8_t> memory(*need);
  llmcu::Result<llmcu::Model> model = llmcu::load_model(model_bytes, "fuzz.bin", memory);
  if (!model.is_ok()) return 0;
  const int32_t vocab = model->config.vocab_size;
  if (vocab > kMaxVocab) return 0;

  llmcu::SessionOptions session;
  session.max_prompt_bytes = prompt_len + 1;
  llmcu::Result<llmcu::MemoryPlan> plan = llmcu::plan_memory(*model, session);
  if (!plan.is_ok() || plan->arena_bytes > kMaxArena) return 0;
  std::vector<uint8_t> arena(plan->arena_bytes + llmcu::Arena::kAlignment);
  const std::span<const uint8_t> tokenizer =
      model->gguf != nullptr ? std::span<const uint8_t>() : tokenizer_for(vocab);
  llmcu::Result<llmcu::Generator> g =
      llmcu::Generator::create(*model, tokenizer, "fuzz.tok", *plan, arena, nullptr);
  if (!g.is_ok()) {
    // A GGUF file's vocabulary is read when the generator loads it (and may
    // be refused then); any other valid model with its tokenizer and a
    // planned arena must give a generator.
    if (model->gguf == nullptr) abort();
    return 0;
  }

  llmcu::GenerateOptions options;
  options.prompt = prompt;
  options.temperature = static_cast<float>(data[0]) / 64.0f;
  options.topp = static_cast<float>(data[1]) / 255.0f;
  options.steps = data[2] % 32;
  options.seed = 1 + data[2];
  // A long prompt may not fit the context, or hold bytes a small vocabulary
  // has no token for: errors, never crashes.
  Sink first;
  llmcu::Result<llmcu::GenerationStats> stats = g->generate(options, sink, &first);
  if (!stats.is_ok()) return 0;
  const int32_t context = plan->seq_len;
  if (stats->positions < 0 || stats->positions > context) abort();
  if (stats->prompt_tokens < 1 || stats->generated_tokens < 0) abort();
  // The same seed again on the same session: the same text.
  Sink second;
  llmcu::Result<llmcu::GenerationStats> again = g->generate(options, sink, &second);
  if (!again.is_ok() || again->positions != stats->positions || second.bytes != first.bytes) {
    abort();
  }
  return 0;
}
