// A conversation on one Generator: each user turn is rendered by a chat
// template, encoded and fed after the positions already used (the KV cache
// holds the whole conversation), then the answer is sampled and streamed
// until the end-of-turn token, the step limit or a cancel request.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "llmcu/generator.h"
#include "llmcu/status.h"

namespace llmcu {

// One user turn as a template sees it.
struct ChatMessage {
  std::string_view system;  // empty: none
  std::string_view user;
};

// The chat formats a turn can be rendered in. Llama 2 chat, as llama2.c
// renders it: the first turn with a system prompt is
// "[INST] <<SYS>>\n{system}\n<</SYS>>\n\n{user} [/INST]", every other turn
// "[INST] {user} [/INST]".
enum class ChatFormat : uint8_t { kLlama2 };

// Renders a turn into the text that is encoded and fed. A value, not a class
// hierarchy: the core is built without RTTI, and code built with it (and
// with UBSan's vptr check) calls into it.
class ChatTemplate {
 public:
  constexpr explicit ChatTemplate(ChatFormat format) : format_(format) {}

  // Writes the prompt for `message` into `out`, as much as fits, and returns
  // its whole length (snprintf's contract, without a terminator).
  // `first_turn`: the turn that opens the conversation.
  size_t render(const ChatMessage& message, bool first_turn, std::span<char> out) const;
  const char* name() const;

 private:
  ChatFormat format_;
};

struct ChatOptions {
  int32_t steps = 256;  // positions for the whole conversation (resolve_steps)
  float temperature = 1.0f;
  float topp = 0.9f;
  int32_t top_k = 0;
  uint64_t seed = 0;  // 0: one from the platform's entropy source
  // Checked before every position: once true, the current answer ends.
  const std::atomic<bool>* cancel = nullptr;
  // llama2.c's chat loop exactly: a token is sampled at every position, the
  // prompt's included; an EOS sampled anywhere prints "\n"; the answer's EOS
  // is then fed and the token sampled after it printed before the next turn.
  // Otherwise an answer ends at its EOS or a BOS (printing nothing), and the
  // next turn feeds that EOS before its prompt.
  bool llama2c_compatible = true;
  // A GGUF chat template's turns (llmcu/chat_template.h), which takes
  // precedence over llama2c_compatible: only the first turn's prompt starts
  // with BOS (when the vocabulary adds one; later turns go on the same text),
  // and an answer ends before any token the vocabulary ends generation with
  // (its EOS, EOT, <|im_end|>, <|eot_id|>, ...). That token is not fed: the
  // next turn's prompt starts with the template's own end of a reply
  // (chat_reply_end), so the cache holds the conversation exactly as the
  // template renders it whole. (Each turn is encoded as a text of its own:
  // one that starts with a marker the vocabulary has no special token for,
  // as Zephyr's <|endoftext|> in a Llama 2 vocabulary, gets a SentencePiece
  // vocabulary's space prefix there, which the whole text does not have.)
  bool template_turns = false;
};

enum class TurnEnd : uint8_t {
  kEndOfTurn,    // the model ended its answer
  kContextFull,  // the steps ran out (the conversation is over)
  kCancelled,    // ChatOptions::cancel
};

struct TurnStats {
  TurnEnd end = TurnEnd::kEndOfTurn;
  int32_t prompt_tokens = 0;      // the rendered turn's tokens, BOS included
  int32_t fed_prompt_tokens = 0;  // as many of them as the steps had room for
  int32_t generated_tokens = 0;   // answer tokens fed after the prompt
  int32_t end_token = -1;         // the token that ended the answer (kEndOfTurn)
};

class Chat {
 public:
  Chat() = default;

  // A conversation from position 0 on `generator`, which must outlive it.
  static Result<Chat> start(Generator* generator, const ChatOptions& options);

  // Feeds `prompt` (a rendered turn) and streams the answer to `sink`:
  // turn_tokens(encode(prompt)).
  Result<TurnStats> turn(std::string_view prompt, PieceSink sink, void* user);

  // The tokens turn() would feed for `prompt` (BOS as the turn needs it), in
  // the generator's prompt memory: valid until the next encode.
  Result<std::span<const int32_t>> encode(std::string_view prompt);
  // Feeds tokens encode() returned and streams the answer to `sink`.
  Result<TurnStats> turn_tokens(std::span<const int32_t> tokens, PieceSink sink, void* user);

  int32_t position() const { return pos_; }
  int32_t steps() const { return steps_; }
  bool finished() const { return pos_ >= steps_; }
  uint64_t seed() const { return seed_; }

 private:
  Result<TurnStats> llama2c_turn(std::span<const int32_t> prompt, PieceSink sink, void* user);
  Result<TurnStats> clean_turn(std::span<const int32_t> prompt, PieceSink sink, void* user);
  Result<TurnStats> template_turn(std::span<const int32_t> prompt, PieceSink sink, void* user);
  // Samples the answer from logits_ (after `token`, the prompt's last) and
  // feeds it until it ends, the steps run out or a cancel.
  Result<TurnStats> answer(int32_t token, TurnStats stats, PieceSink sink, void* user);
  bool ends_answer(int32_t token) const;
  Status feed(int32_t token);
  // Feeds tokens at pos_ together (Transformer::forward_batch); logits_
  // then holds the last one's.
  Status feed_batch(std::span<const int32_t> tokens);
  // Feeds a turn's prompt in batches, as far as the steps reach and until
  // cancelled (stats->end says so); true when all of it was fed.
  Result<bool> feed_prompt(std::span<const int32_t> prompt, TurnStats* stats);
  bool cancelled() const;
  void emit(PieceSink sink, void* user, int32_t prev, int32_t token) const;

  Generator* generator_ = nullptr;
  ChatOptions options_;
  uint64_t seed_ = 0;
  int32_t steps_ = 0;
  int32_t pos_ = 0;
  float* logits_ = nullptr;   // after the last token fed
  int32_t next_ = 0;          // the last token sampled
  bool eos_pending_ = false;  // an answer's EOS still to feed
  bool bos_added_ = false;    // template_turns: the first prompt started with BOS
};

}  // namespace llmcu
