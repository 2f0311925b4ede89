// Chat templates: how a conversation becomes the text an instruction-tuned
// model was trained on. GGUF files carry theirs as Jinja source
// (tokenizer.chat_template); llmcu runs no Jinja but recognizes the common
// ones by their markers, in the order llama.cpp tries them, and lays out the
// turns exactly as llama.cpp's llama_chat_apply_template does (oracle data:
// tests/data/chat/). llama2.c's chat models use the Llama 2 layout.
//
// The rendered text holds special tokens as text (<|im_start|>, [INST], ...):
// encode it with the vocabulary's special tokens parsed (TextTokenizer does).
// BOS is not part of it (the tokenizer adds it), except the <s> that the
// Llama 2 "sys-bos" variant puts before every later turn.
//
// This is the GGUF side: recognizing a file's template and laying out a
// whole conversation of role-tagged turns (ChatTurn). llmcu/chat.h's
// ChatTemplate/ChatFormat render llama2.c's Llama 2 chat turn by turn; a
// GGUF model's chat renders its turns with render_chat and runs the Chat loop
// with ChatOptions::template_turns.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "llmcu/model.h"

namespace llmcu {

enum class ChatTemplateKind : uint8_t {
  kNone,            // no template, or one llmcu does not know
  kChatML,          // <|im_start|>ROLE\nTEXT<|im_end|>\n (SmolLM2, Qwen2)
  kLlama2,          // [INST] TEXT [/INST]REPLY</s>; a system text is a plain first line
  kLlama2Sys,       // the same with <<SYS>>\nSYSTEM\n<</SYS>>\n\n (Llama 2 chat)
  kLlama2SysBos,    // ... and <s> before every [INST] after the first
  kLlama2SysStrip,  // ... and every text stripped of surrounding whitespace
  kLlama3,          // <|start_header_id|>ROLE<|end_header_id|>\n\nTEXT<|eot_id|>
  kZephyr,          // <|ROLE|>\nTEXT<|endoftext|>\n (TinyLlama chat)
};
// "chatml", "llama2", "llama2-sys", ..., as llama.cpp names them; "none".
const char* chat_template_name(ChatTemplateKind tmpl);

// The template of a Jinja source or of a name (chat_template_name's, as
// llama.cpp accepts them): markers decide, in llama.cpp's order, so a
// template llama.cpp takes for another kind (Phi-3's <|assistant|> and
// <|end|>, Mistral's [AVAILABLE_TOOLS], ...) is kNone here, not a lookalike.
ChatTemplateKind detect_chat_template(std::string_view text);

// A model's template: a GGUF file's tokenizer.chat_template, kNone when it
// has none (llama2.c files carry none: their chat mode is Llama 2's).
ChatTemplateKind model_chat_template(const Model& model);

enum class ChatRole : uint8_t { kSystem, kUser, kAssistant };
const char* chat_role_name(ChatRole role);  // "system", "user", "assistant"

struct ChatTurn {
  ChatRole role = ChatRole::kUser;
  std::string_view content;
};

// Writes the text of `messages` laid out by `tmpl`, then, with
// `add_assistant`, what opens the assistant's reply. Writes at most
// out.size() bytes (no terminator) and returns the length of the whole text,
// as snprintf does: more than out.size() means the text was cut. 0 for kNone.
//
// With `first` > 0 only the text from message `first` on is written: the
// whole text is always the text up to `first` followed by this, so a chat
// that keeps its KV cache feeds each new turn alone. (Render the history
// without add_assistant when cutting it this way; the reply the model wrote
// stands in for the assistant text and its end marker.)
size_t render_chat(ChatTemplateKind tmpl, std::span<const ChatTurn> messages, bool add_assistant,
                   std::span<char> out, size_t first = 0);

// What the template writes after an assistant's text: "<|im_end|>\n",
// "</s>", "<|eot_id|>", "<|endoftext|>\n"; "" for kNone. A chat that ends an
// answer at the model's end-of-turn token feeds this before the next turn
// (render_chat from the next message on), which keeps the conversation in
// the cache exactly as render_chat lays it out whole.
const char* chat_reply_end(ChatTemplateKind tmpl);

}  // namespace llmcu
