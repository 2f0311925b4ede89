// Fixtures and helpers shared by the test suites.
#pragma once

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "llmcu/generator.h"
#include "llmcu/model.h"
#include "llmcu/status.h"

namespace llmcu::test {

// $LLMCU_SHARED_DIR, else the directory CMake was configured with.
std::string shared_dir();
std::string model_path(const std::string& name);  // shared/models/NAME
std::vector<uint8_t> read_file(const std::string& path);
nlohmann::json golden_cases(const std::string& file = "cases.json");
std::vector<float> read_f32(const std::string& path);

// n floats uniform in [-scale, scale), the same for the same seed.
std::vector<float> random_floats(size_t n, uint32_t seed, float scale = 1.0f);

// A little-endian byte buffer for building checkpoints in tests.
struct Bytes {
  std::vector<uint8_t> data;
  void i32(int32_t v);
  void u32(uint32_t v);
  void u8(uint8_t v) { data.push_back(v); }
  void f32(float v);
  void f32s(size_t count, float v);
};

// A valid version-0 checkpoint of the given config with small deterministic
// weights (negative vocab in the header when !shared_classifier).
std::vector<uint8_t> make_v0_model(const ModelConfig& config);
// A tokenizer file with byte tokens and a few merges, `vocab_size` tokens.
std::vector<uint8_t> make_tokenizer(int32_t vocab_size);

// A model writer's sink (write_llmcu, write_llama2c_v2) that appends to the
// std::vector<uint8_t> at `user`.
Status append_to_vector(void* user, const uint8_t* data, size_t size);

// The logits at every position of `tokens` fed from position 0, concatenated
// (tokens.size() rows of vocab_size), with a synthetic tokenizer.
std::vector<float> logits_at(const Model& model, const std::vector<int32_t>& tokens);

// The argmax continuation of `prompt` (fed from position 0) for `steps`
// tokens, through a forward-only session: what llama.cpp's greedy oracle does.
std::vector<int32_t> greedy(const Model& model, const std::vector<int32_t>& prompt, int steps);

// A model file read into memory and loaded in place, with the model memory
// GGUF files need; failures fail the test (model is then default).
struct FileModel {
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> memory;
  Model model;
  bool ok = false;
};
std::unique_ptr<FileModel> load_file_model(const std::string& path);
// The same over bytes the caller gives (copied).
std::unique_ptr<FileModel> load_bytes_model(std::vector<uint8_t> bytes, const char* name);

// A model loaded in place from `bytes`, with tok512 and its own arena (room
// for 8,192-byte prompts); failures fail the test.
struct ModelSession {
  std::vector<uint8_t> arena;
  Model model;
  Generator generator;
  ModelSession(const std::vector<uint8_t>& bytes, const std::vector<uint8_t>& tokenizer);
};
// The prompt forced, then argmax, for `steps` positions: the generated ids.
// With `margins`, how far each chosen token's logit leads the runner-up's.
std::vector<int32_t> greedy_continuation(ModelSession& session, const std::string& prompt,
                                         int32_t steps, std::vector<float>* margins);

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs the llmcu CLI with `args` (already shell-quoted) and captures both streams.
CommandResult run_cli(const std::string& args);
std::string shell_quote(const std::string& s);

}  // namespace llmcu::test
