// The conversation loop of `llmcu chat` and `llmcu run -m chat`: reads the
// user's turns, renders them with a chat template and streams the answers.
#pragma once

#include <string>
#include <vector>

#include "cli.h"
#include "llmcu/chat.h"
#include "llmcu/chat_template.h"
#include "llmcu/generator.h"
#include "llmcu/model.h"

namespace llmcu::cli {

enum class ChatStyle {
  // llama2.c's chat() to the byte, for piped input: its prompts ("Enter
  // system prompt (optional): ", "User: ", "Assistant: "), lines read as its
  // fgets into 512-byte buffers does (a longer line is read in pieces, and at
  // the end of input the last line is sent again), every turn until the steps
  // run out.
  kLlama2c,
  // A session for a person: lines of any length, empty lines skipped, Ctrl-C
  // stops the answer, the end of input (Ctrl-D) ends the session, an answer
  // ends at its EOS.
  kInteractive,
};

struct ChatSettings {
  ChatStyle style = ChatStyle::kLlama2c;
  bool line_editing = false;  // kInteractive on a terminal
  bool ask_system = true;     // ask for a system prompt when none was given
  bool has_system = false;    // -y given
  std::string system;
  bool has_first_user = false;  // -i given: the first user turn
  std::string first_user;
  std::vector<std::string> stops;  // --stop
  ChatOptions chat;                // steps, sampling, seed
  // A GGUF model's chat template: turns laid out as llama.cpp renders the
  // conversation, answers ending at the vocabulary's end-of-turn tokens,
  // always in the kInteractive style. kNone: run_chat's ChatTemplate.
  ChatTemplateKind tmpl = ChatTemplateKind::kNone;
  // --verbose-prompt: each turn's text and tokens on standard error.
  bool verbose_prompt = false;
};

// The prompt bytes a chat session must be planned for (SessionOptions).
size_t chat_prompt_bytes(const ChatSettings& settings);
// ... and when the model turns out to be a GGUF file with a chat template.
size_t chat_template_prompt_bytes(const ChatSettings& settings);

// The chat template of `model` (read from `path`), or the one `name` forces
// (--chat-template: a name as llama.cpp has them, or a Jinja source). kNone:
// llama2.c's Llama 2 layout, for llama2.c models, and for GGUF files without
// a template llmcu knows (a note on standard error says so).
Outcome choose_chat_template(const Model& model, const std::string& path, const std::string& name,
                             ChatTemplateKind* tmpl);
// The template names --chat-template accepts, for its help.
std::string chat_template_names();

Outcome run_chat(Generator& generator, const ChatTemplate& chat_template,
                 const ChatSettings& settings);

}  // namespace llmcu::cli
