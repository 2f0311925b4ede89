// Oracle for llmcu's GGUF path: loads a GGUF through llama.cpp's public API
// (llama.h) and prints, as JSON, the logits it computes for a fixed token
// sequence fed one token per decode call (teacher forcing), and its greedy
// continuation of a prompt. Built only by tools/oracle/build.sh against a
// llama.cpp checkout the user supplies; llmcu never links it.
//
// Usage: gguf_logits MODEL.gguf [--tokens ID,ID,...] [--prompt TEXT] [--greedy N]
//                    [--top K] [--full N --full-out FILE] [--threads N] [--kv-f32]
//
// --full N writes the logits of the first N forced positions to FILE as
// float32 little-endian rows of n_vocab values; every forced position gets
// its top K, argmax, sum and sum of squares in the JSON. --kv-f32 keeps the
// KV cache in float32 instead of llama.cpp's default float16.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "llama.h"

namespace {

struct Options {
  std::string model;
  std::vector<llama_token> forced;
  std::string prompt;
  bool has_prompt = false;
  int greedy_steps = 0;
  int top_k = 5;
  int full_positions = 0;
  std::string full_out;
  int threads = 1;
  bool kv_f32 = false;
};

[[noreturn]] void usage(const char* why) {
  fprintf(stderr,
          "gguf_logits: %s\n"
          "usage: gguf_logits MODEL.gguf [--tokens ID,ID,...] [--prompt TEXT] [--greedy N]\n"
          "                   [--top K] [--full N --full-out FILE] [--threads N] [--kv-f32]\n",
          why);
  exit(2);
}

std::vector<llama_token> parse_ids(const char* text) {
  std::vector<llama_token> ids;
  const char* p = text;
  while (*p != '\0') {
    char* end = nullptr;
    const long v = strtol(p, &end, 10);
    if (end == p) usage("--tokens wants comma-separated integers");
    ids.push_back(static_cast<llama_token>(v));
    p = end;
    if (*p == ',') ++p;
  }
  return ids;
}

Options parse_options(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    auto value = [&]() -> const char* {
      if (i + 1 >= argc) usage(("missing value after " + arg).c_str());
      return argv[++i];
    };
    if (arg == "--tokens") {
      o.forced = parse_ids(value());
    } else if (arg == "--prompt") {
      o.prompt = value();
      o.has_prompt = true;
    } else if (arg == "--greedy") {
      o.greedy_steps = atoi(value());
    } else if (arg == "--top") {
      o.top_k = atoi(value());
    } else if (arg == "--full") {
      o.full_positions = atoi(value());
    } else if (arg == "--full-out") {
      o.full_out = value();
    } else if (arg == "--kv-f32") {
      o.kv_f32 = true;
    } else if (arg == "--threads") {
      o.threads = atoi(value());
    } else if (!arg.empty() && arg[0] == '-') {
      usage(("unknown option " + arg).c_str());
    } else if (o.model.empty()) {
      o.model = arg;
    } else {
      usage("one model only");
    }
  }
  if (o.model.empty()) usage("no model given");
  if (o.full_positions > 0 && o.full_out.empty()) usage("--full needs --full-out");
  return o;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char buf[8];
      snprintf(buf, sizeof(buf), "\\u%04x", c);
      out += buf;
    } else {
      out += static_cast<char>(c);
    }
  }
  return out + "\"";
}

std::string piece(const llama_vocab* vocab, llama_token id) {
  char buf[256];
  const int n = llama_token_to_piece(vocab, id, buf, sizeof(buf), 0, true);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : std::string();
}

int argmax(const float* x, int n) {
  int best = 0;
  for (int i = 1; i < n; ++i) {
    if (x[i] > x[best]) best = i;
  }
  return best;
}

void quiet_log(ggml_log_level level, const char* text, void*) {
  if (level == GGML_LOG_LEVEL_ERROR) fputs(text, stderr);
}

void decode_one(llama_context* ctx, llama_token token) {
  llama_token t = token;
  if (llama_decode(ctx, llama_batch_get_one(&t, 1)) != 0) {
    fprintf(stderr, "gguf_logits: llama_decode failed\n");
    exit(1);
  }
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse_options(argc, argv);
  llama_log_set(quiet_log, nullptr);
  llama_backend_init();

  llama_model_params mparams = llama_model_default_params();
  mparams.n_gpu_layers = 0;
  llama_model* model = llama_model_load_from_file(opt.model.c_str(), mparams);
  if (model == nullptr) {
    fprintf(stderr, "gguf_logits: cannot load %s\n", opt.model.c_str());
    return 1;
  }
  const llama_vocab* vocab = llama_model_get_vocab(model);
  const int n_vocab = llama_vocab_n_tokens(vocab);

  std::vector<llama_token> prompt_ids;
  if (opt.has_prompt) {
    prompt_ids.resize(opt.prompt.size() + 8);
    const int n =
        llama_tokenize(vocab, opt.prompt.c_str(), static_cast<int32_t>(opt.prompt.size()),
                       prompt_ids.data(), static_cast<int32_t>(prompt_ids.size()), true, false);
    if (n < 0) {
      fprintf(stderr, "gguf_logits: prompt does not tokenize\n");
      return 1;
    }
    prompt_ids.resize(static_cast<size_t>(n));
  }
  const size_t longest = std::max(opt.forced.size(), prompt_ids.size() + opt.greedy_steps);

  llama_context_params cparams = llama_context_default_params();
  cparams.n_ctx = static_cast<uint32_t>(std::max<size_t>(longest, 16));
  cparams.n_batch = cparams.n_ctx;
  cparams.n_threads = opt.threads;
  cparams.n_threads_batch = opt.threads;
  if (opt.kv_f32) {
    cparams.type_k = GGML_TYPE_F32;
    cparams.type_v = GGML_TYPE_F32;
  }
  llama_context* ctx = llama_init_from_model(model, cparams);
  if (ctx == nullptr) {
    fprintf(stderr, "gguf_logits: cannot create a context\n");
    return 1;
  }

  const size_t slash = opt.model.find_last_of('/');
  const std::string model_name =
      slash == std::string::npos ? opt.model : opt.model.substr(slash + 1);
  printf("{\n  \"model\": %s,\n  \"n_vocab\": %d,\n  \"kv_cache\": \"%s\",\n",
         json_string(model_name).c_str(), n_vocab, opt.kv_f32 ? "f32" : "f16");

  // Teacher forcing: one token per decode, the path generation takes.
  FILE* full = nullptr;
  if (opt.full_positions > 0) {
    full = fopen(opt.full_out.c_str(), "wb");
    if (full == nullptr) {
      fprintf(stderr, "gguf_logits: cannot write %s\n", opt.full_out.c_str());
      return 1;
    }
  }
  printf("  \"forced\": {\n    \"tokens\": [");
  for (size_t i = 0; i < opt.forced.size(); ++i) printf("%s%d", i ? ", " : "", opt.forced[i]);
  printf("],\n    \"full_positions\": %d,\n    \"positions\": [",
         std::min<int>(opt.full_positions, static_cast<int>(opt.forced.size())));
  std::vector<int> order(static_cast<size_t>(n_vocab));
  for (size_t pos = 0; pos < opt.forced.size(); ++pos) {
    if (opt.forced[pos] < 0 || opt.forced[pos] >= n_vocab) usage("forced token out of range");
    decode_one(ctx, opt.forced[pos]);
    const float* logits = llama_get_logits_ith(ctx, -1);
    if (full != nullptr && static_cast<int>(pos) < opt.full_positions) {
      fwrite(logits, sizeof(float), static_cast<size_t>(n_vocab), full);
    }
    double sum = 0, sum_sq = 0;
    for (int i = 0; i < n_vocab; ++i) {
      sum += logits[i];
      sum_sq += static_cast<double>(logits[i]) * logits[i];
    }
    for (int i = 0; i < n_vocab; ++i) order[static_cast<size_t>(i)] = i;
    const int k = std::min(opt.top_k, n_vocab);
    std::partial_sort(order.begin(), order.begin() + k, order.end(), [&](int a, int b) {
      return logits[a] > logits[b] || (logits[a] == logits[b] && a < b);
    });
    printf(
        "%s\n      {\"pos\": %zu, \"token\": %d, \"argmax\": %d, \"sum\": %.9g, \"sum_sq\": %.9g, "
        "\"top\": [",
        pos ? "," : "", pos, opt.forced[pos], argmax(logits, n_vocab), sum, sum_sq);
    for (int j = 0; j < k; ++j) {
      printf("%s[%d, %.9g]", j ? ", " : "", order[static_cast<size_t>(j)],
             logits[order[static_cast<size_t>(j)]]);
    }
    printf("]}");
  }
  printf("\n    ]\n  }");
  if (full != nullptr) fclose(full);

  if (opt.has_prompt) {
    llama_kv_cache_clear(ctx);
    std::vector<llama_token> generated;
    std::string text;
    bool stopped_at_eog = false;
    for (size_t i = 0; i < prompt_ids.size(); ++i) decode_one(ctx, prompt_ids[i]);
    for (int step = 0; step < opt.greedy_steps; ++step) {
      const llama_token next = argmax(llama_get_logits_ith(ctx, -1), n_vocab);
      if (llama_vocab_is_eog(vocab, next)) {
        stopped_at_eog = true;
        break;
      }
      generated.push_back(next);
      text += piece(vocab, next);
      decode_one(ctx, next);
    }
    printf(",\n  \"greedy\": {\n    \"prompt\": %s,\n    \"prompt_tokens\": [",
           json_string(opt.prompt).c_str());
    for (size_t i = 0; i < prompt_ids.size(); ++i) printf("%s%d", i ? ", " : "", prompt_ids[i]);
    printf("],\n    \"steps\": %d,\n    \"stopped_at_eog\": %s,\n    \"tokens\": [",
           opt.greedy_steps, stopped_at_eog ? "true" : "false");
    for (size_t i = 0; i < generated.size(); ++i) printf("%s%d", i ? ", " : "", generated[i]);
    printf("],\n    \"text\": %s\n  }", json_string(text).c_str());
  }
  printf("\n}\n");

  llama_free(ctx);
  llama_model_free(model);
  llama_backend_free();
  return 0;
}
