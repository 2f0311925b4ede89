// llmcu encode [-z TOKENIZER] TEXT: the token ids of TEXT on one line.
// TOKENIZER is a llama2.c tokenizer file or a GGUF file (its vocabulary,
// encoded as llama.cpp encodes it, special tokens' text included).
#include <cstdio>
#include <vector>

#include "cli.h"
#include "host_tokenizer.h"
#include "model_store.h"
#include "options.h"

namespace llmcu::cli {
namespace {

struct EncodeArgs {
  std::string tokenizer;
  std::string text;
  bool no_bos = false;
  bool eos = false;
};

Outcome encode(const EncodeArgs& args) {
  std::string path = args.tokenizer;
  if (path.empty()) {
    LLMCU_TRY_ASSIGN(path, ensure_default_file(kDefaultTokenizer));
  }
  LLMCU_TRY_ASSIGN(std::unique_ptr<HostTokenizer> t, HostTokenizer::open(path));
  std::vector<int32_t> ids;
  if (t->tokenizer().kind() == TokenizerKind::kLlama2c) {
    // llama2.c's encode takes BOS and EOS as flags of their own.
    std::vector<int32_t> work(Tokenizer::encode_work_ints(args.text.size()));
    int32_t n = 0;
    LLMCU_TRY(t->tokenizer().llama2c().encode(args.text, !args.no_bos, args.eos, work, &n));
    ids.assign(work.begin(), work.begin() + n);
  } else {
    // GGUF: BOS as the vocabulary asks unless --no-bos; --eos appends its EOS.
    LLMCU_TRY_ASSIGN(ids, t->encode(args.text, !args.no_bos));
    const std::span<const int32_t> stops = t->tokenizer().stop_tokens();
    if (args.eos && !stops.empty() && (ids.empty() || ids.back() != stops[0])) {
      ids.push_back(stops[0]);
    }
  }
  for (size_t i = 0; i < ids.size(); ++i) printf(i == 0 ? "%d" : " %d", ids[i]);
  printf("\n");
  return Outcome();
}

}  // namespace

Registration register_encode(CLI::App& app) {
  auto args = std::make_shared<EncodeArgs>();
  CLI::App* cmd = app.add_subcommand("encode", "print the token ids of a text");
  add_path_option(cmd, "-z,--tokenizer", &args->tokenizer,
                  "llama2.c tokenizer file or GGUF model (default: tok512.bin)");
  cmd->add_flag("--no-bos", args->no_bos, "do not start with BOS");
  cmd->add_flag("--eos", args->eos, "end with EOS");
  cmd->add_option("text", args->text, "text to encode")->required();
  return {cmd, [args] { return encode(*args); }};
}

}  // namespace llmcu::cli
