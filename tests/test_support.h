// Fixtures and helpers shared by the test suites.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "llmcu/model.h"

namespace llmcu::test {

// $LLMCU_SHARED_DIR, else the directory CMake was configured with.
std::string shared_dir();
std::string model_path(const std::string& name);  // shared/models/NAME
std::vector<uint8_t> read_file(const std::string& path);
nlohmann::json golden_cases(const std::string& file = "cases.json");
std::vector<float> read_f32(const std::string& path);

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

struct CommandResult {
  int exit_code = -1;
  std::string out;
  std::string err;
};
// Runs the llmcu CLI with `args` (already shell-quoted) and captures both streams.
CommandResult run_cli(const std::string& args);
std::string shell_quote(const std::string& s);

}  // namespace llmcu::test
