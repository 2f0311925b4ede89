#include "test_support.h"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iterator>
#include <random>
#include <sstream>

#include "llmcu/memory_plan.h"
#include "test_internals.h"

namespace llmcu::test {

std::string shared_dir() {
  if (const char* env = getenv("LLMCU_SHARED_DIR"); env != nullptr && env[0] != '\0') return env;
  return LLMCU_DEFAULT_SHARED_DIR;
}

std::vector<float> random_floats(size_t n, uint32_t seed, float scale) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  std::vector<float> v(n);
  for (float& f : v) f = dist(rng);
  return v;
}

std::string model_path(const std::string& name) {
  return shared_dir() + "/models/" + name;
}

std::vector<uint8_t> read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read fixture " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

nlohmann::json golden_cases(const std::string& file) {
  std::ifstream in(shared_dir() + "/golden/" + file);
  if (!in) throw std::runtime_error("cannot read golden file " + file);
  return nlohmann::json::parse(in);
}

std::vector<float> read_f32(const std::string& path) {
  std::vector<uint8_t> bytes = read_file(path);
  std::vector<float> values(bytes.size() / sizeof(float));
  memcpy(values.data(), bytes.data(), values.size() * sizeof(float));
  return values;
}

void Bytes::i32(int32_t v) {
  uint8_t b[4];
  memcpy(b, &v, 4);
  data.insert(data.end(), b, b + 4);
}
void Bytes::u32(uint32_t v) {
  uint8_t b[4];
  memcpy(b, &v, 4);
  data.insert(data.end(), b, b + 4);
}
void Bytes::f32(float v) {
  uint8_t b[4];
  memcpy(b, &v, 4);
  data.insert(data.end(), b, b + 4);
}
void Bytes::f32s(size_t count, float v) {
  for (size_t i = 0; i < count; ++i) f32(v);
}

std::vector<uint8_t> make_v0_model(const ModelConfig& c) {
  Bytes b;
  b.i32(c.dim);
  b.i32(c.hidden_dim);
  b.i32(c.n_layers);
  b.i32(c.n_heads);
  b.i32(c.n_kv_heads);
  b.i32(c.shared_classifier ? c.vocab_size : -c.vocab_size);
  b.i32(c.seq_len);
  const size_t dim = c.dim, hidden = c.hidden_dim, layers = c.n_layers, vocab = c.vocab_size;
  const size_t kv_dim = c.kv_dim();
  uint32_t state = 12345;
  auto weights = [&](size_t count) {
    for (size_t i = 0; i < count; ++i) {
      state = state * 1664525u + 1013904223u;
      b.f32(static_cast<float>(static_cast<int32_t>(state >> 8) % 2001 - 1000) * 1e-4f);
    }
  };
  weights(vocab * dim);
  b.f32s(layers * dim, 1.0f);
  weights(layers * dim * dim);
  weights(layers * dim * kv_dim);
  weights(layers * dim * kv_dim);
  weights(layers * dim * dim);
  b.f32s(layers * dim, 1.0f);
  weights(layers * dim * hidden);
  weights(layers * hidden * dim);
  weights(layers * dim * hidden);
  b.f32s(dim, 1.0f);
  b.f32s(static_cast<size_t>(c.seq_len) * c.head_size(), 0.0f);
  if (!c.shared_classifier) weights(vocab * dim);
  return b.data;
}

std::vector<uint8_t> make_tokenizer(int32_t vocab_size) {
  // ids 0..2: <unk> <s> </s>; 3..258: <0xXX>; then single letters and merges.
  Bytes b;
  b.u32(16);
  auto token = [&b](const std::string& text, float score) {
    b.f32(score);
    b.i32(static_cast<int32_t>(text.size()));
    b.data.insert(b.data.end(), text.begin(), text.end());
  };
  token("<unk>", 0);
  token("\n<s>\n", 0);
  token("\n</s>\n", 0);
  char hex[8];
  for (int i = 0; i < 256 && 3 + i < vocab_size; ++i) {
    snprintf(hex, sizeof(hex), "<0x%02X>", i);
    token(hex, 0);
  }
  const char* extra[] = {" ", "a", "b", "c", "ab", "abc", " a", " ab", "bc", "ca"};
  int32_t id = 259;
  for (const char* e : extra) {
    if (id >= vocab_size) break;
    token(e, -static_cast<float>(id));
    ++id;
  }
  for (; id < vocab_size; ++id) token("x" + std::to_string(id), -static_cast<float>(id));
  return b.data;
}

std::string shell_quote(const std::string& s) {
  std::string q = "'";
  for (char c : s) {
    if (c == '\'') {
      q += "'\\''";
    } else {
      q += c;
    }
  }
  return q + "'";
}

CommandResult run_cli(const std::string& args) {
  char err_path[] = "/tmp/llmcu_cli_err_XXXXXX";
  const int err_fd = mkstemp(err_path);
  close(err_fd);
  const std::string cmd =
      shell_quote(LLMCU_CLI_PATH) + " " + args + " 2>" + err_path + " </dev/null";
  CommandResult result;
  FILE* pipe = popen(cmd.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  size_t n;
  while ((n = fread(buffer, 1, sizeof(buffer), pipe)) > 0) result.out.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  std::ifstream err(err_path);
  std::stringstream ss;
  ss << err.rdbuf();
  result.err = ss.str();
  unlink(err_path);
  return result;
}

Status append_to_vector(void* user, const uint8_t* data, size_t size) {
  auto* v = static_cast<std::vector<uint8_t>*>(user);
  v->insert(v->end(), data, data + size);
  return Status::ok();
}

std::unique_ptr<FileModel> load_bytes_model(std::vector<uint8_t> bytes, const char* name) {
  auto m = std::make_unique<FileModel>();
  m->bytes = std::move(bytes);
  Result<size_t> need = model_memory_bytes(m->bytes, name);
  EXPECT_TRUE(need.is_ok()) << need.status().message();
  if (!need.is_ok()) return m;
  m->memory.resize(*need);
  Result<Model> loaded = load_model(m->bytes, name, m->memory);
  EXPECT_TRUE(loaded.is_ok()) << loaded.status().message();
  if (!loaded.is_ok()) return m;
  m->model = *loaded;
  m->ok = true;
  return m;
}

std::unique_ptr<FileModel> load_file_model(const std::string& path) {
  return load_bytes_model(read_file(path), path.c_str());
}

std::vector<float> logits_at(const Model& model, const std::vector<int32_t>& tokens) {
  SessionOptions options;
  options.purpose = SessionPurpose::kForward;
  Result<MemoryPlan> plan = plan_memory(model, options);
  EXPECT_TRUE(plan.is_ok()) << plan.status().message();
  std::vector<uint8_t> arena(plan->arena_bytes + Arena::kAlignment);
  Result<Transformer> t = Transformer::create(model, *plan, arena, nullptr);
  EXPECT_TRUE(t.is_ok()) << t.status().message();
  std::vector<float> out;
  for (size_t pos = 0; pos < tokens.size(); ++pos) {
    const float* l = t->forward(tokens[pos], static_cast<int32_t>(pos));
    out.insert(out.end(), l, l + model.config.vocab_size);
  }
  return out;
}

std::vector<int32_t> greedy(const Model& model, const std::vector<int32_t>& prompt, int steps) {
  SessionOptions options;
  options.purpose = SessionPurpose::kForward;
  Result<MemoryPlan> plan = plan_memory(model, options);
  EXPECT_TRUE(plan.is_ok()) << plan.status().message();
  std::vector<uint8_t> arena(plan->arena_bytes + Arena::kAlignment);
  Result<Transformer> t = Transformer::create(model, *plan, arena, nullptr);
  EXPECT_TRUE(t.is_ok()) << t.status().message();
  const int32_t vocab = model.config.vocab_size;
  std::vector<int32_t> out;
  int32_t token = prompt[0];
  for (int32_t pos = 0; pos + 1 < static_cast<int32_t>(prompt.size()) + steps; ++pos) {
    const float* logits = t->forward(token, pos);
    const int32_t next = static_cast<int32_t>(std::max_element(logits, logits + vocab) - logits);
    if (pos + 1 < static_cast<int32_t>(prompt.size())) {
      token = prompt[pos + 1];
    } else {
      out.push_back(next);
      token = next;
    }
  }
  return out;
}

ModelSession::ModelSession(const std::vector<uint8_t>& bytes,
                           const std::vector<uint8_t>& tokenizer) {
  Result<Model> m = load_model(bytes, "model");
  EXPECT_TRUE(m.is_ok()) << m.status().message();
  model = *m;
  SessionOptions options;
  options.max_prompt_bytes = 8192;
  Result<MemoryPlan> plan = plan_memory(model, options);
  EXPECT_TRUE(plan.is_ok()) << plan.status().message();
  arena.resize(plan->arena_bytes + Arena::kAlignment);
  Result<Generator> g = Generator::create(model, tokenizer, "tok512.bin", *plan, arena, nullptr);
  EXPECT_TRUE(g.is_ok()) << g.status().message();
  generator = *g;
}

std::vector<int32_t> greedy_continuation(ModelSession& session, const std::string& prompt,
                                         int32_t steps, std::vector<float>* margins) {
  Result<std::span<const int32_t>> ids = session.generator.encode_prompt(prompt);
  EXPECT_TRUE(ids.is_ok());
  std::vector<int32_t> out;
  int32_t token = (*ids)[0];
  const int32_t vocab = session.model.config.vocab_size;
  for (int32_t pos = 0; pos < steps; ++pos) {
    const float* logits = session.generator.transformer().forward(token, pos);
    if (pos + 1 < static_cast<int32_t>(ids->size())) {
      token = (*ids)[pos + 1];
      continue;
    }
    token = kernels::ref::argmax(logits, vocab);
    float second = -INFINITY;
    for (int32_t i = 0; i < vocab; ++i) {
      if (i != token) second = std::max(second, logits[i]);
    }
    out.push_back(token);
    if (margins != nullptr) margins->push_back(logits[token] - second);
  }
  return out;
}

}  // namespace llmcu::test
