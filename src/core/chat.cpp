#include "llmcu/chat.h"

#include "llmcu/model_check.h"
#include "llmcu/platform.h"

namespace llmcu {
namespace {

// Appends to a span, counting what does not fit.
struct Writer {
  std::span<char> out;
  size_t length = 0;
  void put(std::string_view text) {
    for (char c : text) {
      if (length < out.size()) out[length] = c;
      ++length;
    }
  }
};

size_t render_llama2(const ChatMessage& message, bool first_turn, std::span<char> out) {
  Writer w{out};
  if (first_turn && !message.system.empty()) {
    w.put("[INST] <<SYS>>\n");
    w.put(message.system);
    w.put("\n<</SYS>>\n\n");
  } else {
    w.put("[INST] ");
  }
  w.put(message.user);
  w.put(" [/INST]");
  return w.length;
}

}  // namespace

size_t ChatTemplate::render(const ChatMessage& message, bool first_turn,
                            std::span<char> out) const {
  switch (format_) {
    case ChatFormat::kLlama2: return render_llama2(message, first_turn, out);
  }
  return 0;
}

const char* ChatTemplate::name() const {
  switch (format_) {
    case ChatFormat::kLlama2: return "llama2";
  }
  return "unknown";
}

Result<Chat> Chat::start(Generator* generator, const ChatOptions& options) {
  if (!(options.temperature >= 0.0f) || !(options.topp >= 0.0f && options.topp <= 1.0f) ||
      options.steps < 0) {
    return Status::error(StatusCode::kInvalidArgument,
                         "need temperature >= 0, topp in [0, 1] and steps >= 0; got %g, %g, %ld",
                         static_cast<double>(options.temperature),
                         static_cast<double>(options.topp), static_cast<long>(options.steps));
  }
  Chat chat;
  chat.generator_ = generator;
  chat.options_ = options;
  chat.steps_ = generator->plan().positions(options.steps);
  chat.seed_ = options.seed != 0 ? options.seed : platform::entropy_u64();
  generator->sampler().configure(options.temperature, options.topp, chat.seed_, options.top_k);
  return chat;
}

Status Chat::feed(int32_t token) {
  return feed_batch(std::span<const int32_t>(&token, 1));
}

Status Chat::feed_batch(std::span<const int32_t> tokens) {
  Transformer& t = generator_->transformer();
  const auto n = static_cast<int32_t>(tokens.size());
  logits_ = n == 1 ? t.forward(tokens[0], pos_) : t.forward_batch(tokens.data(), n, pos_);
  if (logits_ == nullptr) {
    return Status::error(StatusCode::kOutOfRange, "forward failed at position %ld",
                         static_cast<long>(pos_));
  }
  LLMCU_TRY(check_batch_finite(t, logits_, pos_, n));
  pos_ += n;
  return Status::ok();
}

Result<bool> Chat::feed_prompt(std::span<const int32_t> prompt, TurnStats* stats) {
  size_t fed = 0;
  while (fed < prompt.size()) {
    if (pos_ >= steps_) return false;
    if (cancelled()) {
      stats->end = TurnEnd::kCancelled;
      return false;
    }
    size_t n = prompt.size() - fed;
    const auto room = static_cast<size_t>(steps_ - pos_);
    const auto batch = static_cast<size_t>(generator_->transformer().batch());
    if (n > room) n = room;
    if (n > batch) n = batch;
    LLMCU_TRY(feed_batch(prompt.subspan(fed, n)));
    fed += n;
    stats->fed_prompt_tokens += static_cast<int32_t>(n);
  }
  return true;
}

bool Chat::cancelled() const {
  return options_.cancel != nullptr && options_.cancel->load(std::memory_order_relaxed);
}

void Chat::emit(PieceSink sink, void* user, int32_t prev, int32_t token) const {
  TextTokenizer& tokenizer = generator_->tokenizer();
  const std::string_view piece = tokenizer.printable(tokenizer.decode(prev, token));
  if (!piece.empty() && sink != nullptr) sink(user, piece);
}

Result<TurnStats> Chat::turn(std::string_view prompt, PieceSink sink, void* user) {
  LLMCU_TRY_ASSIGN(const std::span<const int32_t> tokens, encode(prompt));
  return turn_tokens(tokens, sink, user);
}

Result<std::span<const int32_t>> Chat::encode(std::string_view prompt) {
  if (generator_ == nullptr) {
    return Status::error(StatusCode::kInvalidArgument, "the chat was not started");
  }
  LLMCU_TRY_ASSIGN(std::span<const int32_t> tokens, generator_->encode_prompt(prompt));
  if (!options_.template_turns) return tokens;
  // The Generator encodes every prompt as a text of its own, BOS first when
  // the vocabulary adds one. A later turn continues the first one's text:
  // that BOS goes (a BOS the template writes, as "<s>[INST]", stays).
  const int32_t bos = generator_->tokenizer().bos();
  const bool starts_with_bos = bos >= 0 && !tokens.empty() && tokens[0] == bos;
  if (pos_ == 0) {
    bos_added_ = starts_with_bos;
  } else if (bos_added_ && starts_with_bos) {
    tokens = tokens.subspan(1);
  }
  return tokens;
}

Result<TurnStats> Chat::turn_tokens(std::span<const int32_t> tokens, PieceSink sink, void* user) {
  if (generator_ == nullptr) {
    return Status::error(StatusCode::kInvalidArgument, "the chat was not started");
  }
  if (options_.template_turns) return template_turn(tokens, sink, user);
  return options_.llama2c_compatible ? llama2c_turn(tokens, sink, user)
                                     : clean_turn(tokens, sink, user);
}

// llama2.c's chat(), one user turn of its position loop.
Result<TurnStats> Chat::llama2c_turn(std::span<const int32_t> prompt, PieceSink sink, void* user) {
  TurnStats stats;
  stats.prompt_tokens = static_cast<int32_t>(prompt.size());
  const size_t n = prompt.size();
  size_t next_prompt = 0;
  Sampler& sampler = generator_->sampler();
  while (pos_ < steps_) {
    if (cancelled()) {
      stats.end = TurnEnd::kCancelled;
      return stats;
    }
    int32_t token;
    if (next_prompt < n) {
      token = prompt[next_prompt++];
      ++stats.fed_prompt_tokens;
    } else {
      token = next_;
      ++stats.generated_tokens;
    }
    const bool end_of_turn = token == Tokenizer::kEos;
    LLMCU_TRY(feed(token));
    next_ = sampler.sample(logits_);
    if (next_prompt >= n && next_ != Tokenizer::kEos) emit(sink, user, token, next_);
    if (next_ == Tokenizer::kEos && sink != nullptr) sink(user, "\n");
    if (end_of_turn) return stats;
  }
  stats.end = TurnEnd::kContextFull;
  return stats;
}

Result<TurnStats> Chat::clean_turn(std::span<const int32_t> prompt, PieceSink sink, void* user) {
  TurnStats stats;
  stats.prompt_tokens = static_cast<int32_t>(prompt.size());
  stats.end = TurnEnd::kContextFull;
  // The previous answer's EOS closes it before this turn's BOS.
  if (eos_pending_ && pos_ < steps_) LLMCU_TRY(feed(Tokenizer::kEos));
  eos_pending_ = false;
  LLMCU_TRY_ASSIGN(const bool whole_prompt, feed_prompt(prompt, &stats));
  if (!whole_prompt) return stats;
  LLMCU_TRY_ASSIGN(stats,
                   answer(prompt.empty() ? Tokenizer::kBos : prompt.back(), stats, sink, user));
  eos_pending_ = stats.end != TurnEnd::kContextFull;
  return stats;
}

Result<TurnStats> Chat::template_turn(std::span<const int32_t> prompt, PieceSink sink, void* user) {
  TurnStats stats;
  stats.prompt_tokens = static_cast<int32_t>(prompt.size());
  stats.end = TurnEnd::kContextFull;
  if (prompt.empty() && pos_ == 0) {
    return Status::error(StatusCode::kInvalidArgument, "the first turn of a chat has no tokens");
  }
  LLMCU_TRY_ASSIGN(const bool whole_prompt, feed_prompt(prompt, &stats));
  if (!whole_prompt) return stats;
  return answer(prompt.empty() ? -1 : prompt.back(), stats, sink, user);
}

bool Chat::ends_answer(int32_t token) const {
  // In a template, the file's end tokens. Otherwise EOS ends a chat model's
  // answer, and BOS is where a base model (a story model) would start a new
  // text, so its answer ends there too.
  if (options_.template_turns) return generator_->tokenizer().ends_generation(token);
  return token == Tokenizer::kEos || token == Tokenizer::kBos;
}

Result<TurnStats> Chat::answer(int32_t token, TurnStats stats, PieceSink sink, void* user) {
  Sampler& sampler = generator_->sampler();
  while (true) {
    next_ = sampler.sample(logits_);
    if (ends_answer(next_)) {
      stats.end = TurnEnd::kEndOfTurn;
      stats.end_token = next_;
      return stats;
    }
    if (cancelled()) {
      stats.end = TurnEnd::kCancelled;
      return stats;
    }
    emit(sink, user, token, next_);
    if (pos_ >= steps_) return stats;
    LLMCU_TRY(feed(next_));
    token = next_;
    ++stats.generated_tokens;
  }
}

}  // namespace llmcu
