// What `run` and `chat` share: a model (bare or packed), its tokenizer, a
// memory plan, the arena and the threads, and a Generator over them.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "cli.h"
#include "llmcu/generator.h"
#include "llmcu/memory_plan.h"
#include "mapped_file.h"
#include "options.h"
#include "thread_pool.h"

namespace llmcu::cli {

struct SessionArgs {
  std::string model;  // "" with !model_given: the default model
  bool model_given = false;
  std::string tokenizer;  // "": the container's, else next to the model
  int32_t seq_len = 0;
  int32_t threads = 0;
  int32_t batch = kDefaultBatch;
  bool huge_pages = true;
  size_t prompt_bytes = 0;       // the longest prompt text the session must encode
  size_t gguf_prompt_bytes = 0;  // ... when the model is a GGUF file, if more
};

struct Session {
  std::string model_path;
  std::string tokenizer_path;
  std::unique_ptr<LoadedModel> loaded;
  host::MappedFile tokenizer_file;
  MemoryPlan plan;
  ArenaMemory arena;
  std::unique_ptr<host::ThreadPool> pool;
  Generator generator;
};

Result<std::unique_ptr<Session>> open_session(const SessionArgs& args);

// The options `run` and `chat` share (cmd_run.cpp).
void add_sampling_options(CLI::App* cmd, float* temperature, float* topp, uint64_t* seed,
                          int32_t* top_k, std::vector<std::string>* stops);
void add_session_options(CLI::App* cmd, SessionArgs* session, bool* no_huge_pages);
// --chat-template NAME and --verbose-prompt (chat modes).
void add_chat_template_options(CLI::App* cmd, std::string* chat_template, bool* verbose_prompt);

}  // namespace llmcu::cli
