// llmcu: command-line front end. Parsing lives here; the work in commands.cpp.
#include <CLI/CLI.hpp>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>

#include "commands.h"

namespace {

// CLI11 converts "-1" and numbers past 64 bits to an unsigned option without
// complaint (both become 2^64 - 1); this refuses them before conversion.
const CLI::Validator kUint64(
    [](std::string& text) -> std::string {
      const bool digits =
          !text.empty() && text.find_first_not_of("0123456789") == std::string::npos;
      errno = 0;
      if (digits) (void)strtoull(text.c_str(), nullptr, 10);
      if (!digits || errno != 0) return "must be a whole number from 0 to 18446744073709551615";
      return std::string();
    },
    "UINT64");

// Byte counts such as 1M, 512K or 1048576.
bool parse_bytes(const std::string& text, uint64_t* out) {
  if (text.empty() || text[0] < '0' || text[0] > '9') return false;
  errno = 0;
  char* end = nullptr;
  const unsigned long long value = strtoull(text.c_str(), &end, 10);
  if (errno != 0) return false;
  const std::string suffix(end);
  uint64_t scale = 1;
  if (suffix == "K" || suffix == "KiB")
    scale = 1024;
  else if (suffix == "M" || suffix == "MiB")
    scale = 1024 * 1024;
  else if (suffix == "G" || suffix == "GiB")
    scale = 1024ull * 1024 * 1024;
  else if (!suffix.empty())
    return false;
  if (value > UINT64_MAX / scale) return false;
  *out = value * scale;
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  using namespace llmcu::cli;
  CLI::App app{"llmcu: Llama-architecture language models on microcontrollers and the host"};
  app.require_subcommand(1);

  RunArgs run;
  CLI::App* run_cmd = app.add_subcommand("run", "generate text (llama2.c's flags and defaults)");
  run_cmd->add_option("model", run.model, "checkpoint (default: stories260K from LLMCU_MODELS)");
  run_cmd->add_option("-z,--tokenizer", run.tokenizer,
                      "tokenizer file (default: next to the model)");
  run_cmd->add_option("-t,--temperature", run.temperature, "0 is greedy")
      ->check(CLI::NonNegativeNumber)
      ->default_val(1.0);
  run_cmd->add_option("-p,--topp", run.topp, "nucleus mass in [0,1]")
      ->check(CLI::Range(0.0, 1.0))
      ->default_val(0.9);
  run_cmd->add_option("-s,--seed", run.seed, "random seed; 0 takes one from the OS")
      ->check(kUint64)
      ->default_val(0);
  run_cmd->add_option("-n,--steps", run.steps, "positions to run; 0 means the whole context")
      ->check(CLI::NonNegativeNumber)
      ->default_val(256);
  run_cmd->add_option("-i,--prompt", run.prompt, "prompt text");
  run_cmd
      ->add_option("--generations", run.generations,
                   "stories to generate back to back (seeds s, s+1, ...)")
      ->check(CLI::PositiveNumber)
      ->default_val(1);
  run_cmd->add_option("--seq-len", run.seq_len, "context to plan for (default: the model's)")
      ->check(CLI::NonNegativeNumber);
  run_cmd
      ->add_option("--threads", run.threads,
                   "worker threads (default: 1 for tiny models, else every CPU)")
      ->check(CLI::NonNegativeNumber);
  bool run_no_huge_pages = false;
  run_cmd->add_flag("--no-huge-pages", run_no_huge_pages,
                    "read the weights from the file mapping, not a huge-page copy");

  BenchArgs bench;
  CLI::App* bench_cmd = app.add_subcommand(
      "bench", "prefill/decode tok/s, time to first token, memory and bandwidth (greedy)");
  bench_cmd->add_option("model", bench.model, "checkpoint")->required();
  bench_cmd->add_option("-z,--tokenizer", bench.tokenizer,
                        "tokenizer file (default: next to the model)");
  bench_cmd
      ->add_option("--threads", bench.threads,
                   "worker threads (default: 1 for tiny models, else every CPU)")
      ->check(CLI::NonNegativeNumber);
  bench_cmd->add_option("--prompt-tokens", bench.prompt_tokens, "prompt length")
      ->check(CLI::PositiveNumber)
      ->default_val(16);
  bench_cmd->add_option("--gen-tokens", bench.gen_tokens, "generated tokens per run")
      ->check(CLI::PositiveNumber)
      ->default_val(128);
  bench_cmd->add_option("--repeat", bench.repeat, "runs to take the median of")
      ->check(CLI::PositiveNumber)
      ->default_val(5);
  bench_cmd->add_flag("--json", bench.json, "one JSON object on standard output");
  bool bench_no_huge_pages = false;
  bench_cmd->add_flag("--no-huge-pages", bench_no_huge_pages,
                      "read the weights from the file mapping, not a huge-page copy");
  bool no_bandwidth = false;
  bench_cmd->add_flag("--no-bandwidth", no_bandwidth,
                      "skip measuring the machine's read bandwidth (0.5 GB buffer)");

  GenRandomArgs gen_random;
  CLI::App* gen_random_cmd =
      app.add_subcommand("gen-random", "write a llama2.c version-0 checkpoint with random weights");
  gen_random_cmd->add_option("out", gen_random.out, "file to write")->required();
  gen_random_cmd
      ->add_option("--shape", gen_random.shape,
                   "15M, 42M, 110M or dim,hidden,layers,heads,kv_heads,vocab,seq_len")
      ->required();
  gen_random_cmd->add_option("--seed", gen_random.seed, "random seed")->default_val(1);

  EncodeArgs encode;
  CLI::App* encode_cmd = app.add_subcommand("encode", "print the token ids of a text");
  encode_cmd->add_option("-z,--tokenizer", encode.tokenizer,
                         "tokenizer file (default: tok512.bin)");
  bool no_bos = false;
  encode_cmd->add_flag("--no-bos", no_bos, "do not start with BOS (1)");
  encode_cmd->add_flag("--eos", encode.eos, "end with EOS (2)");
  encode_cmd->add_option("text", encode.text, "text to encode")->required();

  std::string inspect_model;
  int32_t inspect_seq_len = 0;
  CLI::App* inspect_cmd =
      app.add_subcommand("inspect", "format, config and memory plan of a model");
  inspect_cmd->add_option("model", inspect_model, "checkpoint")->required();
  inspect_cmd->add_option("--seq-len", inspect_seq_len, "context to plan for")
      ->check(CLI::NonNegativeNumber);

  PlanArgs plan;
  std::string ram_text;
  CLI::App* plan_cmd = app.add_subcommand(
      "plan", "memory plan against a RAM budget, and the longest context that fits");
  plan_cmd->add_option("model", plan.model, "checkpoint")->required();
  plan_cmd->add_option("--ram", ram_text, "RAM budget for the arena, e.g. 1M, 512K, 2097152")
      ->required();
  plan_cmd->add_option("--seq-len", plan.seq_len, "context to plan for")
      ->check(CLI::NonNegativeNumber);

  PackArgs pack;
  CLI::App* pack_cmd = app.add_subcommand(
      "pack", "write the model container a device flashes (model + tokenizer, checksummed)");
  pack_cmd->add_option("model", pack.model, "checkpoint")->required();
  pack_cmd->add_option("tokenizer", pack.tokenizer, "tokenizer file")->required();
  pack_cmd->add_option("out", pack.out, "container to write")->required();

  QuantizeArgs quantize;
  CLI::App* quantize_cmd = app.add_subcommand(
      "quantize", "convert an fp32 checkpoint to int8 (llama2.c version 2 or llmcu, Q8_0 groups)");
  quantize_cmd->add_option("in", quantize.in, "fp32 checkpoint (llama2.c version 0 or 1, llmcu)")
      ->required();
  quantize_cmd->add_option("out", quantize.out, "int8 file to write")->required();
  quantize_cmd
      ->add_option("--group-size", quantize.group_size,
                   "values per scale. llama2c-v2: must divide dim and hidden_dim (default: the "
                   "largest power of two up to 64 that does); llmcu: any, rows are padded to "
                   "whole groups (default 64)")
      ->check(CLI::PositiveNumber);
  quantize_cmd->add_option("--format", quantize.format, "output format: llama2c-v2 or llmcu")
      ->check(CLI::IsMember({"llama2c-v2", "llmcu"}))
      ->default_val("llama2c-v2");

  EvalArgs eval;
  CLI::App* eval_cmd =
      app.add_subcommand("eval", "teacher-forced perplexity of a text or token sequence");
  eval_cmd->add_option("model", eval.model, "checkpoint")->required();
  eval_cmd->add_option("-z,--tokenizer", eval.tokenizer,
                       "tokenizer file (default: next to the model)");
  eval_cmd->add_option("--text", eval.text_file, "text file to evaluate (BOS is prepended)");
  eval_cmd->add_option("--tokens", eval.tokens, "token ids to evaluate, e.g. \"1 403 407\"");
  eval_cmd->add_option("--logits-out", eval.logits_out,
                       "write every position's logits as float32 rows");
  eval_cmd->add_option("--seq-len", eval.seq_len, "context window (default: the model's)")
      ->check(CLI::NonNegativeNumber);

  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    app.exit(e);
    return kExitUsage;
  }

  if (*run_cmd) {
    // CLI11's range checks let NaN through (every comparison with it is false).
    if (std::isnan(run.temperature) || std::isnan(run.topp)) {
      fprintf(stderr, "run: --temperature and --topp must be numbers, not NaN\n");
      return kExitUsage;
    }
    run.huge_pages = !run_no_huge_pages;
    return run_command(run);
  }
  if (*bench_cmd) {
    bench.measure_bandwidth = !no_bandwidth;
    bench.huge_pages = !bench_no_huge_pages;
    return bench_command(bench);
  }
  if (*gen_random_cmd) return gen_random_command(gen_random);
  if (*encode_cmd) {
    encode.bos = !no_bos;
    return encode_command(encode);
  }
  if (*inspect_cmd) return inspect_command(inspect_model, inspect_seq_len);
  if (*plan_cmd) {
    if (!parse_bytes(ram_text, &plan.ram_bytes)) {
      fprintf(stderr, "--ram: '%s' is not a byte count (e.g. 1M, 512K, 2097152)\n",
              ram_text.c_str());
      return kExitUsage;
    }
    return plan_command(plan);
  }
  if (*pack_cmd) return pack_command(pack);
  if (*quantize_cmd) return quantize_command(quantize);
  if (*eval_cmd) return eval_command(eval);
  return kExitUsage;
}
