// The llmcu subcommands. Each returns the process exit status:
// 0 success, 1 an input that cannot be used, 2 wrong usage.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "huge_page_copy.h"
#include "llmcu/model.h"

namespace llmcu::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitBadInput = 1;
inline constexpr int kExitUsage = 2;

// 64-byte aligned arena memory from the heap. `storage` is null if the heap
// cannot hold it (a hostile model can plan terabytes): an error message, not
// std::bad_alloc.
struct ArenaMemory {
  explicit ArenaMemory(size_t bytes);
  std::span<uint8_t> span();

  std::unique_ptr<uint8_t[]> storage;
  size_t size;
};

struct RunArgs {
  std::string model;      // empty: the default model
  std::string tokenizer;  // empty: next to the model
  float temperature = 1.0f;
  float topp = 0.9f;
  uint64_t seed = 0;
  int32_t steps = 256;
  std::string prompt;
  int32_t generations = 1;
  int32_t seq_len = 0;
  int32_t threads = 0;     // 0: choose_threads() picks
  bool huge_pages = true;  // copy large models into huge pages (see huge_page_copy.h)
};
int run_command(const RunArgs& args);

// Worker threads for a model: `requested` if positive, else one for tiny
// models (where fork/join costs more than it saves) and every CPU otherwise.
int choose_threads(int32_t requested, uint64_t weight_bytes);
// Bytes of memory the kernel could still hand out (MemAvailable), or 0 if unknown.
uint64_t available_memory_bytes();
// The bytes to load a model from: for files of 16 MiB and more, when
// `allowed` and the kernel has transparent huge pages, a copy in huge pages
// (kept in *copy); else `file` itself.
std::span<const uint8_t> weights_for_decoding(std::span<const uint8_t> file, bool allowed,
                                              host::HugePageCopy* copy);

struct BenchArgs {
  std::string model;
  std::string tokenizer;  // empty: next to the model
  int32_t threads = 0;
  int32_t prompt_tokens = 16;
  int32_t gen_tokens = 128;
  int32_t repeat = 5;
  bool json = false;
  bool measure_bandwidth = true;
  bool huge_pages = true;
};
int bench_command(const BenchArgs& args);

struct GenRandomArgs {
  std::string out;
  std::string shape;  // 15M, 42M, 110M or dim,hidden,layers,heads,kv_heads,vocab,seq_len
  uint64_t seed = 1;
};
int gen_random_command(const GenRandomArgs& args);

struct EncodeArgs {
  std::string tokenizer;
  std::string text;
  bool bos = true;
  bool eos = false;
};
int encode_command(const EncodeArgs& args);

int inspect_command(const std::string& model_path, int32_t seq_len);

struct PlanArgs {
  std::string model;
  uint64_t ram_bytes = 0;
  int32_t seq_len = 0;
};
int plan_command(const PlanArgs& args);

struct QuantizeArgs {
  std::string in;
  std::string out;
  int32_t group_size = 0;  // 0: the largest that fits, up to 64
  std::string format = "llama2c-v2";
};
int quantize_command(const QuantizeArgs& args);

struct EvalArgs {
  std::string model;
  std::string tokenizer;   // empty: next to the model (needed for --text only)
  std::string text_file;   // encoded with BOS first
  std::string tokens;      // "ID ID ..."
  std::string logits_out;  // float32 rows, vocab_size per fed token
  int32_t seq_len = 0;
};
int eval_command(const EvalArgs& args);

// Bytes of every tensor of a loaded model, with its type; for llmcu files the
// tensor table of `file` with offsets and the checksum (inspect).
void print_tensor_bytes(const Model& model, std::span<const uint8_t> file);

// Writes the container a device flashes: model + tokenizer (llmcu/container.h).
struct PackArgs {
  std::string model;
  std::string tokenizer;
  std::string out;
};
int pack_command(const PackArgs& args);

}  // namespace llmcu::cli
