// Oracle for llmcu's chat templates: renders a fixed set of conversations
// with llama.cpp's llama_chat_apply_template (no model needed) for template
// names and for short template sources that carry each layout's markers,
// and prints them as JSON (tests/data/chat/templates.json). Built only by
// tools/oracle/build.sh against a llama.cpp checkout the user supplies.
//
// Usage: chat_templates > templates.json
#include <cstdio>
#include <string>
#include <vector>

#include "llama.h"

namespace {

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

struct Message {
  const char* role;
  const char* content;
};

// Template names llama.cpp knows, and sources with the markers of a layout
// (and of lookalikes that must not be taken for one).
const char* const kTemplates[] = {
    "chatml",
    "llama2",
    "llama2-sys",
    "llama2-sys-bos",
    "llama2-sys-strip",
    "llama3",
    "zephyr",
    "phi3",
    "{% for m in messages %}<|im_start|>{{ m['role'] }}\n{{ m['content'] }}<|im_end|>\n"
    "{% endfor %}{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}",
    "{% for m in messages %}{% if m['role'] == 'user' %}[INST] {{ m['content'] }} [/INST]"
    "{% else %}{{ m['content'] }}</s>{% endif %}{% endfor %}",
    "{% if messages[0]['role'] == 'system' %}<<SYS>>\n{{ messages[0]['content'] }}\n<</SYS>>\n\n"
    "{% endif %}{% for m in messages %}[INST] {{ m['content'] }} [/INST]{% endfor %}",
    "{{ bos_token + '[INST] ' }}<<SYS>>{% for m in messages %}{{ m['content'] }}{% endfor %}",
    "<<SYS>>[INST] {{ message['content'].strip() }} [/INST] {{ content.strip() }}",
    "{% for m in messages %}<|start_header_id|>{{ m['role'] }}<|end_header_id|>\n\n"
    "{{ m['content'] | trim }}<|eot_id|>{% endfor %}",
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|endoftext|>\n{% endfor %}"
    "{% if m['role'] == 'user' %}<|user|>{% endif %}",
    "{% for m in messages %}<|{{ m['role'] }}|>\n{{ m['content'] }}<|end|>\n{% endfor %}"
    "<|assistant|>",
    "{% for m in messages %}[INST] {{ m['content'] }} [/INST][AVAILABLE_TOOLS]{% endfor %}",
    "{% for m in messages %}<|im_start|>{{ m['role'] }}<|im_sep|>{{ m['content'] }}{% endfor %}",
};

const std::vector<std::vector<Message>> kChats = {
    {{"user", "Hello!"}},
    {{"system", "You are a helpful assistant."}, {"user", "What is 2+2?"}},
    {{"user", "Hi"}, {"assistant", "Hello, how can I help?"}, {"user", "Tell me a story."}},
    {{"system", "  Be brief.  "},
     {"user", "\n Why is the sky blue? \n"},
     {"assistant", " Rayleigh scattering. "},
     {"user", "And sunsets?"}},
};

}  // namespace

int main() {
  printf("{\n  \"cases\": [\n");
  bool first = true;
  for (const char* tmpl : kTemplates) {
    for (const auto& chat : kChats) {
      for (bool add_ass : {false, true}) {
        std::vector<llama_chat_message> messages;
        for (const Message& m : chat) messages.push_back({m.role, m.content});
        std::vector<char> buf(4096);
        const int32_t n = llama_chat_apply_template(tmpl, messages.data(), messages.size(), add_ass,
                                                    buf.data(), static_cast<int32_t>(buf.size()));
        printf("%s    {\"template\": %s, \"add_assistant\": %s, \"messages\": [",
               first ? "" : ",\n", json_string(tmpl).c_str(), add_ass ? "true" : "false");
        first = false;
        for (size_t i = 0; i < chat.size(); ++i) {
          printf("%s[%s, %s]", i == 0 ? "" : ", ", json_string(chat[i].role).c_str(),
                 json_string(chat[i].content).c_str());
        }
        // -1: llama.cpp knows no such template.
        printf(
            "], \"result\": %d, \"text\": %s}", n,
            n < 0 ? "null" : json_string(std::string(buf.data(), static_cast<size_t>(n))).c_str());
      }
    }
  }
  printf("\n  ]\n}\n");
  return 0;
}
