// The llmcu subcommands. Each returns the process exit status:
// 0 success, 1 an input that cannot be used, 2 wrong usage.
#pragma once

#include <cstdint>
#include <string>

#include "llmcu/model.h"

namespace llmcu::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitBadInput = 1;
inline constexpr int kExitUsage = 2;

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
};
int run_command(const RunArgs& args);

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

// Bytes of every tensor of a loaded model, with its type (inspect).
void print_tensor_bytes(const Model& model);

}  // namespace llmcu::cli
