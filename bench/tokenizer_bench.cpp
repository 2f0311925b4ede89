// llama2.c-compatible encoding of English-like text with Llama 2's 32,000-token
// vocabulary (shared/models/tokenizer.bin), at 1 KB, 100 KB and 1 MB.
//   build/release/bench/llmcu_tokenizer_bench --benchmark_filter=BM_encode
#include <benchmark/benchmark.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "llmcu/tokenizer.h"

namespace {

std::vector<uint8_t> read_tokenizer_file() {
  const char* dir = std::getenv("LLMCU_SHARED_DIR");
  const std::string path =
      std::string(dir != nullptr ? dir : LLMCU_DEFAULT_SHARED_DIR) + "/models/tokenizer.bin";
  std::vector<uint8_t> bytes;
  if (FILE* f = std::fopen(path.c_str(), "rb")) {
    uint8_t buffer[1 << 16];
    size_t got;
    while ((got = std::fread(buffer, 1, sizeof(buffer), f)) > 0) {
      bytes.insert(bytes.end(), buffer, buffer + got);
    }
    std::fclose(f);
  }
  return bytes;
}

std::string english_text(size_t bytes) {
  static const char* kSentences[] = {
      "Once upon a time, there was a little girl named Lily. ",
      "She loved to play outside in the sunshine with her dog, Max. ",
      "One day, they found a shiny red ball under an old oak tree.\n",
      "\"Can we keep it?\" asked Lily. Her mom smiled and said yes. ",
      "The café served crème brûlée and 42 cookies for 3.50 euros. ",
  };
  std::string text;
  for (size_t i = 0; text.size() < bytes; i = (i * 7 + 3) % 5) text += kSentences[i];
  text.resize(bytes);
  return text;
}

void BM_encode(benchmark::State& state) {
  static const std::vector<uint8_t> file = read_tokenizer_file();
  if (file.empty()) {
    state.SkipWithError("tokenizer.bin not found (set LLMCU_SHARED_DIR)");
    return;
  }
  const llmcu::Result<int32_t> vocab = llmcu::Tokenizer::count_tokens(file, "tokenizer.bin");
  std::vector<uint8_t> tables(llmcu::Tokenizer::table_bytes(*vocab));
  const llmcu::Result<llmcu::Tokenizer> tokenizer =
      llmcu::Tokenizer::load(file, *vocab, tables, "tokenizer.bin");
  if (!tokenizer.is_ok()) {
    state.SkipWithError(tokenizer.status().message());
    return;
  }
  const std::string text = english_text(static_cast<size_t>(state.range(0)));
  std::vector<int32_t> work(llmcu::Tokenizer::encode_work_ints(text.size()));
  int32_t n = 0;
  for (auto _ : state) {
    if (!tokenizer->encode(text, true, false, work, &n).is_ok()) {
      state.SkipWithError("encode failed");
      return;
    }
    benchmark::DoNotOptimize(work.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) *
                          static_cast<int64_t>(text.size()));
  state.counters["tokens"] = n;
}
BENCHMARK(BM_encode)->Arg(1 << 10)->Arg(100 << 10)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
