// Where models live on the host: LLMCU_MODELS, else a per-user cache, with the
// default model fetched from its public home on first use.
#pragma once

#include <string>

#include "llmcu/status.h"

namespace llmcu::cli {

// $LLMCU_MODELS, else $XDG_CACHE_HOME/llmcu, else $HOME/.cache/llmcu.
std::string models_directory();

// The path of a known default file (stories260K.bin, tok512.bin) in the models
// directory, downloading and checking it first if it is missing.
Result<std::string> ensure_default_file(const std::string& name);

inline constexpr const char* kDefaultModel = "stories260K.bin";
inline constexpr const char* kDefaultTokenizer = "tok512.bin";

// The tokenizer to use with `model_path` when -z is not given: tok<vocab>.bin
// or tokenizer.bin in the model's directory.
Result<std::string> tokenizer_next_to(const std::string& model_path, int vocab_size);

bool file_exists(const std::string& path);

}  // namespace llmcu::cli
