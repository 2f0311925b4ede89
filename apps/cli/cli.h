// What the llmcu subcommands share: how a command is registered and how it
// ends, and the host-side plumbing every command that reads a model needs.
#pragma once

#include <CLI/CLI.hpp>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "huge_page_copy.h"
#include "llmcu/container.h"
#include "llmcu/model.h"
#include "llmcu/status.h"
#include "mapped_file.h"

namespace llmcu::cli {

inline constexpr int kExitOk = 0;
inline constexpr int kExitBadInput = 1;  // a file or input that cannot be used
inline constexpr int kExitUsage = 2;     // wrong usage

// How a command ended: success, a Status (exit 1, "error: MESSAGE"), or
// wrong usage (exit 2). A Status converts implicitly, so command bodies
// propagate errors with LLMCU_TRY / LLMCU_TRY_ASSIGN.
class Outcome {
 public:
  Outcome() = default;
  Outcome(Status status) : status_(status) {}  // NOLINT: implicit by design
  static Outcome usage(const char* format, ...) __attribute__((format(printf, 1, 2)));

  bool ok() const { return status_.is_ok(); }
  // Prints the error, if any, to standard error and returns the exit status.
  int finish() const;

 private:
  Status status_;
  bool usage_ = false;
};

// A subcommand added to the app, and what runs once it was chosen and parsed.
struct Registration {
  CLI::App* subcommand = nullptr;
  std::function<Outcome()> run;
};

// One per command, each in its own cmd_*.cpp.
Registration register_run(CLI::App& app);
Registration register_bench(CLI::App& app);
Registration register_gen_random(CLI::App& app);
Registration register_encode(CLI::App& app);
Registration register_inspect(CLI::App& app);
Registration register_plan(CLI::App& app);
Registration register_quantize(CLI::App& app);
Registration register_eval(CLI::App& app);
Registration register_pack(CLI::App& app);
Registration register_chat(CLI::App& app);

// "llmcu VERSION (git REVISION), kernels FAMILY, COMPILER".
std::string version_text();

// ---- reading models -------------------------------------------------------

struct LoadOptions {
  // Copy a large model into huge pages for decoding (weights_for_decoding).
  bool huge_pages = false;
  // Refuse NaN or infinite weights (check_weights_finite): for every command
  // that computes with them, so none prints text or a perplexity from them.
  bool check_finite = true;
};

// A model loaded in place from its mapping (or from a huge-page copy of it),
// from a bare checkpoint or from a `pack` container.
struct LoadedModel {
  host::MappedFile file;
  host::HugePageCopy copy;      // when decoding a large model: where the weights live
  std::vector<uint8_t> memory;  // model_memory_bytes: a GGUF file's index and tables
  Model model;
  bool packed = false;  // read from a container (llmcu/container.h)
  ContainerHeader container;
  std::span<const uint8_t> packed_tokenizer;  // the container's tokenizer
};
Result<std::unique_ptr<LoadedModel>> load_model_file(const std::string& path,
                                                     const LoadOptions& options = {});

// ---- reading texts ---------------------------------------------------------

// The text in the file at `path`, or on standard input for "-": a regular
// file, a pipe or a terminal (not a directory), at most `max_bytes`, and
// without a NUL byte (which would end it early in the tokenizer).
Result<std::string> read_text(const std::string& path, size_t max_bytes);
inline constexpr size_t kMaxPromptBytes = size_t{1} << 20;

// The bytes to load a model from: for files of 16 MiB and more, when
// `allowed` and the kernel has transparent huge pages, a copy in huge pages
// (kept in *copy); else `file` itself.
std::span<const uint8_t> weights_for_decoding(std::span<const uint8_t> file, bool allowed,
                                              host::HugePageCopy* copy);

// Worker threads for a model: `requested` if positive, else one for tiny
// models (where fork/join costs more than it saves) and every CPU otherwise.
int choose_threads(int32_t requested, uint64_t weight_bytes);
// Bytes of memory the kernel could still hand out (MemAvailable), or 0 if unknown.
uint64_t available_memory_bytes();

// 64-byte aligned arena memory from the heap, or an error that says how much
// (a hostile model can plan terabytes: a message, not std::bad_alloc).
class ArenaMemory {
 public:
  static Result<ArenaMemory> allocate(size_t bytes, const std::string& what);
  std::span<uint8_t> span() const { return {aligned_, size_}; }

 private:
  std::unique_ptr<uint8_t[]> storage_;
  uint8_t* aligned_ = nullptr;
  size_t size_ = 0;
};

// Bytes of every tensor of a loaded model, with its type; for llmcu files the
// tensor table of `file` with offsets and the checksum.
void print_tensor_bytes(const Model& model, std::span<const uint8_t> file);
// A GGUF model's header, metadata, vocabulary and chat template (inspect).
void print_gguf_summary(const Model& model);

}  // namespace llmcu::cli
