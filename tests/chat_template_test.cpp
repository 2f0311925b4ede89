// Chat templates against llama.cpp's llama_chat_apply_template
// (tests/data/chat/templates.json), and the turn-by-turn rendering a chat
// that keeps its KV cache relies on.
#include "llmcu/chat_template.h"

#include <gtest/gtest.h>

#include <fstream>
#include <string>
#include <vector>

#include "test_support.h"

namespace llmcu {
namespace {

nlohmann::json oracle() {
  std::ifstream in(std::string(LLMCU_TEST_DATA_DIR) + "/chat/templates.json");
  EXPECT_TRUE(in.good());
  return nlohmann::json::parse(in);
}

ChatRole role_named(const std::string& role) {
  return role == "system" ? ChatRole::kSystem
         : role == "user" ? ChatRole::kUser
                          : ChatRole::kAssistant;
}

std::string render(ChatTemplate t, const std::vector<ChatMessage>& messages, bool add_assistant,
                   size_t first = 0) {
  const size_t n = render_chat(t, messages, add_assistant, {}, first);
  std::string out(n, '\0');
  EXPECT_EQ(render_chat(t, messages, add_assistant, out, first), n);
  return out;
}

// Templates llama.cpp renders in layouts llmcu does not have (Phi-3, Phi-4,
// Mistral): they must not be taken for one llmcu has.
bool is_lookalike(const std::string& tmpl) {
  return tmpl == "phi3" || tmpl.find("<|end|>") != std::string::npos ||
         tmpl.find("<|im_sep|>") != std::string::npos ||
         tmpl.find("[AVAILABLE_TOOLS]") != std::string::npos;
}

TEST(ChatTemplate, RendersAsLlamaCpp) {
  const nlohmann::json data = oracle();
  int compared = 0;
  for (const auto& c : data["cases"]) {
    const std::string tmpl = c["template"];
    const ChatTemplate detected = detect_chat_template(tmpl);
    if (is_lookalike(tmpl)) {
      EXPECT_EQ(detected, ChatTemplate::kNone) << tmpl;
      continue;
    }
    ASSERT_NE(detected, ChatTemplate::kNone) << tmpl;
    ASSERT_GE(c["result"].get<int>(), 0) << tmpl;
    std::vector<ChatMessage> messages;
    std::vector<std::string> contents;
    contents.reserve(c["messages"].size());
    for (const auto& m : c["messages"]) contents.push_back(m[1]);
    for (size_t i = 0; i < contents.size(); ++i) {
      messages.push_back({role_named(c["messages"][i][0]), contents[i]});
    }
    EXPECT_EQ(render(detected, messages, c["add_assistant"]), c["text"].get<std::string>())
        << chat_template_name(detected) << " from " << tmpl;
    ++compared;
  }
  EXPECT_GE(compared, 100);
}

TEST(ChatTemplate, DetectsByMarkersAndNames) {
  EXPECT_EQ(detect_chat_template("chatml"), ChatTemplate::kChatML);
  EXPECT_EQ(detect_chat_template("llama3"), ChatTemplate::kLlama3);
  EXPECT_EQ(detect_chat_template("{{ '<|im_start|>' }}"), ChatTemplate::kChatML);
  EXPECT_EQ(detect_chat_template("[INST] <<SYS>>"), ChatTemplate::kLlama2Sys);
  EXPECT_EQ(detect_chat_template("<|user|> <|endoftext|>"), ChatTemplate::kZephyr);
  EXPECT_EQ(detect_chat_template("<|user|> <|assistant|> <|endoftext|>"), ChatTemplate::kNone);
  EXPECT_EQ(detect_chat_template(""), ChatTemplate::kNone);
  EXPECT_EQ(detect_chat_template("{{ messages }}"), ChatTemplate::kNone);
  EXPECT_STREQ(chat_template_name(ChatTemplate::kLlama2SysBos), "llama2-sys-bos");
}

// Rendering a conversation whole is rendering its history, then each new
// turn alone: what a chat that keeps its KV cache feeds.
TEST(ChatTemplate, TurnByTurnIsTheWhole) {
  const std::vector<ChatMessage> chat = {{ChatRole::kSystem, "Be brief."},
                                         {ChatRole::kUser, "Hi"},
                                         {ChatRole::kAssistant, "Hello!"},
                                         {ChatRole::kUser, "A story?"},
                                         {ChatRole::kAssistant, "Once upon a time."},
                                         {ChatRole::kUser, "More."}};
  for (ChatTemplate t : {ChatTemplate::kChatML, ChatTemplate::kLlama2, ChatTemplate::kLlama2Sys,
                         ChatTemplate::kLlama2SysBos, ChatTemplate::kLlama2SysStrip,
                         ChatTemplate::kLlama3, ChatTemplate::kZephyr}) {
    for (bool add : {false, true}) {
      const std::string whole = render(t, chat, add);
      for (size_t k = 0; k <= chat.size(); ++k) {
        const std::vector<ChatMessage> history(chat.begin(), chat.begin() + k);
        EXPECT_EQ(render(t, history, false) + render(t, chat, add, k), whole)
            << chat_template_name(t) << " cut before message " << k;
      }
    }
  }
  EXPECT_EQ(render(ChatTemplate::kChatML, {{ChatRole::kUser, "A story?"}}, true),
            "<|im_start|>user\nA story?<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplate, CutsLikeSnprintf) {
  const std::vector<ChatMessage> chat = {{ChatRole::kUser, "Hello"}};
  char small[10];
  const size_t n = render_chat(ChatTemplate::kChatML, chat, true, small);
  EXPECT_EQ(n, render(ChatTemplate::kChatML, chat, true).size());
  EXPECT_EQ(std::string(small, sizeof(small)), "<|im_start");
  EXPECT_EQ(render_chat(ChatTemplate::kNone, chat, true, small), 0u);
}

TEST(ChatTemplate, ModelTemplates) {
  auto stories = test::load_file_model(test::model_path("gguf/stories260K-f32.gguf"));
  ASSERT_TRUE(stories->ok);
  EXPECT_EQ(model_chat_template(stories->model), ChatTemplate::kNone);
  auto llama2c = test::load_file_model(test::model_path("stories260K.bin"));
  ASSERT_TRUE(llama2c->ok);
  EXPECT_EQ(model_chat_template(llama2c->model), ChatTemplate::kNone);
}

}  // namespace
}  // namespace llmcu
