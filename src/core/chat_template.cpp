#include "llmcu/chat_template.h"

#include <cstring>

#include "llmcu/gguf.h"

namespace llmcu {
namespace {

bool contains(std::string_view text, std::string_view marker) {
  return text.find(marker) != std::string_view::npos;
}

// What llama.cpp strips: C's isspace in the "C" locale.
bool is_space(char c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && is_space(s.front())) s.remove_prefix(1);
  while (!s.empty() && is_space(s.back())) s.remove_suffix(1);
  return s;
}

constexpr struct {
  const char* name;
  ChatTemplateKind tmpl;
} kNames[] = {
    {"chatml", ChatTemplateKind::kChatML},
    {"llama2", ChatTemplateKind::kLlama2},
    {"llama2-sys", ChatTemplateKind::kLlama2Sys},
    {"llama2-sys-bos", ChatTemplateKind::kLlama2SysBos},
    {"llama2-sys-strip", ChatTemplateKind::kLlama2SysStrip},
    {"llama3", ChatTemplateKind::kLlama3},
    {"zephyr", ChatTemplateKind::kZephyr},
};

// Appends to a caller buffer, counting what does not fit.
class Output {
 public:
  explicit Output(std::span<char> out) : out_(out) {}
  void put(std::string_view s) {
    if (!on_) return;
    if (length_ < out_.size()) {
      const size_t room = out_.size() - length_;
      memcpy(out_.data() + length_, s.data(), s.size() < room ? s.size() : room);
    }
    length_ += s.size();
  }
  // Text of messages before `first` is laid out but not written.
  void enable(bool on) { on_ = on; }
  size_t length() const { return length_; }

 private:
  std::span<char> out_;
  size_t length_ = 0;
  bool on_ = true;
};

void render_llama2(ChatTemplateKind tmpl, std::span<const ChatTurn> messages, Output& out,
                   size_t first) {
  const bool system_block = tmpl != ChatTemplateKind::kLlama2;
  const bool bos_inside = tmpl == ChatTemplateKind::kLlama2SysBos;
  const bool strip = tmpl == ChatTemplateKind::kLlama2SysStrip;
  // The first turn's [INST] opens the text (BOS comes from the tokenizer); no
  // messages, no text (llama.cpp writes a lone "[INST] ").
  if (messages.empty()) return;
  out.enable(first == 0);
  out.put("[INST] ");
  bool inside_turn = true;
  for (size_t i = 0; i < messages.size(); ++i) {
    out.enable(i >= first);
    const ChatTurn& m = messages[i];
    const std::string_view content = strip ? trim(m.content) : m.content;
    if (!inside_turn) {
      inside_turn = true;
      out.put(bos_inside ? "<s>[INST] " : "[INST] ");
    }
    switch (m.role) {
      case ChatRole::kSystem:
        if (system_block) {
          out.put("<<SYS>>\n");
          out.put(content);
          out.put("\n<</SYS>>\n\n");
        } else {
          out.put(content);
          out.put("\n");
        }
        break;
      case ChatRole::kUser:
        out.put(content);
        out.put(" [/INST]");
        break;
      case ChatRole::kAssistant:
        out.put(content);
        out.put("</s>");
        inside_turn = false;
        break;
    }
  }
}

}  // namespace

const char* chat_template_name(ChatTemplateKind tmpl) {
  for (const auto& n : kNames) {
    if (n.tmpl == tmpl) return n.name;
  }
  return "none";
}

const char* chat_role_name(ChatRole role) {
  switch (role) {
    case ChatRole::kSystem: return "system";
    case ChatRole::kUser: return "user";
    case ChatRole::kAssistant: return "assistant";
  }
  return "user";
}

ChatTemplateKind detect_chat_template(std::string_view text) {
  for (const auto& n : kNames) {
    if (text == n.name) return n.tmpl;
  }
  auto has = [text](std::string_view marker) { return contains(text, marker); };
  if (has("<|im_start|>"))
    return has("<|im_sep|>") ? ChatTemplateKind::kNone : ChatTemplateKind::kChatML;
  if (text.substr(0, 7) == "mistral" || has("[INST]")) {
    // Mistral's own layouts (v1, v3, v7) are not Llama 2's.
    if (has("[SYSTEM_PROMPT]") || has("' [INST] ' + system_message") || has("[AVAILABLE_TOOLS]")) {
      return ChatTemplateKind::kNone;
    }
    if (has("content.strip()")) return ChatTemplateKind::kLlama2SysStrip;
    if (has("bos_token + '[INST]")) return ChatTemplateKind::kLlama2SysBos;
    return has("<<SYS>>") ? ChatTemplateKind::kLlama2Sys : ChatTemplateKind::kLlama2;
  }
  // Phi-3, Falcon 3 and GLM-Edge come before Zephyr and share its markers.
  if (has("<|assistant|>") && (has("<|end|>") || has("<|user|>"))) return ChatTemplateKind::kNone;
  if (has("<|user|>") && has("<|endoftext|>")) return ChatTemplateKind::kZephyr;
  // Layouts llama.cpp tries before Llama 3 whose markers could meet its own.
  if (has("bos_token + message['role']") || has("<start_of_turn>") ||
      has("'\\n\\nAssistant: ' + eos_token") || has("GPT4 Correct ") ||
      (has("USER: ") && has("ASSISTANT: ")) || (has("### Instruction:") && has("<|EOT|>")) ||
      (has("<|START_OF_TURN_TOKEN|>") && has("<|USER_TOKEN|>"))) {
    return ChatTemplateKind::kNone;
  }
  if (has("<|start_header_id|>") && has("<|end_header_id|>")) return ChatTemplateKind::kLlama3;
  return ChatTemplateKind::kNone;
}

ChatTemplateKind model_chat_template(const Model& model) {
  if (model.gguf == nullptr) return ChatTemplateKind::kNone;
  Result<std::string_view> text = model.gguf->get_string("tokenizer.chat_template", "");
  return text.is_ok() ? detect_chat_template(*text) : ChatTemplateKind::kNone;
}

const char* chat_reply_end(ChatTemplateKind tmpl) {
  switch (tmpl) {
    case ChatTemplateKind::kNone: return "";
    case ChatTemplateKind::kChatML: return "<|im_end|>\n";
    case ChatTemplateKind::kLlama2:
    case ChatTemplateKind::kLlama2Sys:
    case ChatTemplateKind::kLlama2SysBos:
    case ChatTemplateKind::kLlama2SysStrip: return "</s>";
    case ChatTemplateKind::kLlama3: return "<|eot_id|>";
    case ChatTemplateKind::kZephyr: return "<|endoftext|>\n";
  }
  return "";
}

size_t render_chat(ChatTemplateKind tmpl, std::span<const ChatTurn> messages, bool add_assistant,
                   std::span<char> out_memory, size_t first) {
  Output out(out_memory);
  switch (tmpl) {
    case ChatTemplateKind::kNone: return 0;
    case ChatTemplateKind::kLlama2:
    case ChatTemplateKind::kLlama2Sys:
    case ChatTemplateKind::kLlama2SysBos:
    case ChatTemplateKind::kLlama2SysStrip:
      render_llama2(tmpl, messages, out, first);
      return out.length();  // the reply follows [/INST] directly
    case ChatTemplateKind::kChatML:
    case ChatTemplateKind::kLlama3:
    case ChatTemplateKind::kZephyr: break;
  }
  for (size_t i = 0; i < messages.size(); ++i) {
    out.enable(i >= first);
    const std::string_view role = chat_role_name(messages[i].role);
    const std::string_view content = messages[i].content;
    if (tmpl == ChatTemplateKind::kChatML) {
      out.put("<|im_start|>");
      out.put(role);
      out.put("\n");
      out.put(content);
      out.put("<|im_end|>\n");
    } else if (tmpl == ChatTemplateKind::kLlama3) {
      out.put("<|start_header_id|>");
      out.put(role);
      out.put("<|end_header_id|>\n\n");
      out.put(trim(content));
      out.put("<|eot_id|>");
    } else {
      out.put("<|");
      out.put(role);
      out.put("|>\n");
      out.put(content);
      out.put("<|endoftext|>\n");
    }
  }
  out.enable(true);
  if (add_assistant) {
    out.put(tmpl == ChatTemplateKind::kChatML ? "<|im_start|>assistant\n"
            : tmpl == ChatTemplateKind::kLlama3
                ? "<|start_header_id|>assistant<|end_header_id|>\n\n"
                : "<|assistant|>\n");
  }
  return out.length();
}

}  // namespace llmcu
