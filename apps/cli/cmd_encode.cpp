// llmcu encode [-z TOKENIZER] TEXT: the token ids of TEXT on one line.
#include <cstdio>
#include <vector>

#include "cli.h"
#include "llmcu/tokenizer.h"
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
  LLMCU_TRY_ASSIGN(host::MappedFile file, host::MappedFile::open(path));
  LLMCU_TRY_ASSIGN(const int32_t vocab, Tokenizer::count_tokens(file.bytes(), path.c_str()));
  std::vector<uint32_t> tables(Tokenizer::table_bytes(vocab) / sizeof(uint32_t));
  LLMCU_TRY_ASSIGN(Tokenizer tokenizer, Tokenizer::load(file.bytes(), vocab,
                                                        {reinterpret_cast<uint8_t*>(tables.data()),
                                                         tables.size() * sizeof(uint32_t)},
                                                        path.c_str()));
  std::vector<int32_t> work(Tokenizer::encode_work_ints(args.text.size()));
  int32_t n = 0;
  LLMCU_TRY(tokenizer.encode(args.text, !args.no_bos, args.eos, work, &n));
  for (int32_t i = 0; i < n; ++i) printf(i == 0 ? "%d" : " %d", work[i]);
  printf("\n");
  return Outcome();
}

}  // namespace

Registration register_encode(CLI::App& app) {
  auto args = std::make_shared<EncodeArgs>();
  CLI::App* cmd = app.add_subcommand("encode", "print the token ids of a text");
  add_path_option(cmd, "-z,--tokenizer", &args->tokenizer, "tokenizer file (default: tok512.bin)");
  cmd->add_flag("--no-bos", args->no_bos, "do not start with BOS (1)");
  cmd->add_flag("--eos", args->eos, "end with EOS (2)");
  cmd->add_option("text", args->text, "text to encode")->required();
  return {cmd, [args] { return encode(*args); }};
}

}  // namespace llmcu::cli
