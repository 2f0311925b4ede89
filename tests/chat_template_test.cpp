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

std::string render(ChatTemplateKind t, const std::vector<ChatTurn>& messages, bool add_assistant,
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

TEST(ChatTemplateKind, RendersAsLlamaCpp) {
  const nlohmann::json data = oracle();
  int compared = 0;
  for (const auto& c : data["cases"]) {
    const std::string tmpl = c["template"];
    const ChatTemplateKind detected = detect_chat_template(tmpl);
    if (is_lookalike(tmpl)) {
      EXPECT_EQ(detected, ChatTemplateKind::kNone) << tmpl;
      continue;
    }
    ASSERT_NE(detected, ChatTemplateKind::kNone) << tmpl;
    ASSERT_GE(c["result"].get<int>(), 0) << tmpl;
    std::vector<ChatTurn> messages;
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

TEST(ChatTemplateKind, DetectsByMarkersAndNames) {
  EXPECT_EQ(detect_chat_template("chatml"), ChatTemplateKind::kChatML);
  EXPECT_EQ(detect_chat_template("llama3"), ChatTemplateKind::kLlama3);
  EXPECT_EQ(detect_chat_template("{{ '<|im_start|>' }}"), ChatTemplateKind::kChatML);
  EXPECT_EQ(detect_chat_template("[INST] <<SYS>>"), ChatTemplateKind::kLlama2Sys);
  EXPECT_EQ(detect_chat_template("<|user|> <|endoftext|>"), ChatTemplateKind::kZephyr);
  EXPECT_EQ(detect_chat_template("<|user|> <|assistant|> <|endoftext|>"), ChatTemplateKind::kNone);
  EXPECT_EQ(detect_chat_template(""), ChatTemplateKind::kNone);
  EXPECT_EQ(detect_chat_template("{{ messages }}"), ChatTemplateKind::kNone);
  EXPECT_STREQ(chat_template_name(ChatTemplateKind::kLlama2SysBos), "llama2-sys-bos");
}

// Rendering a conversation whole is rendering its history, then each new
// turn alone: what a chat that keeps its KV cache feeds.
TEST(ChatTemplateKind, TurnByTurnIsTheWhole) {
  const std::vector<ChatTurn> chat = {{ChatRole::kSystem, "Be brief."},
                                      {ChatRole::kUser, "Hi"},
                                      {ChatRole::kAssistant, "Hello!"},
                                      {ChatRole::kUser, "A story?"},
                                      {ChatRole::kAssistant, "Once upon a time."},
                                      {ChatRole::kUser, "More."}};
  for (ChatTemplateKind t :
       {ChatTemplateKind::kChatML, ChatTemplateKind::kLlama2, ChatTemplateKind::kLlama2Sys,
        ChatTemplateKind::kLlama2SysBos, ChatTemplateKind::kLlama2SysStrip,
        ChatTemplateKind::kLlama3, ChatTemplateKind::kZephyr}) {
    for (bool add : {false, true}) {
      const std::string whole = render(t, chat, add);
      for (size_t k = 0; k <= chat.size(); ++k) {
        const std::vector<ChatTurn> history(chat.begin(), chat.begin() + k);
        EXPECT_EQ(render(t, history, false) + render(t, chat, add, k), whole)
            << chat_template_name(t) << " cut before message " << k;
      }
    }
  }
  EXPECT_EQ(render(ChatTemplateKind::kChatML, {{ChatRole::kUser, "A story?"}}, true),
            "<|im_start|>user\nA story?<|im_end|>\n<|im_start|>assistant\n");
}

TEST(ChatTemplateKind, CutsLikeSnprintf) {
  const std::vector<ChatTurn> chat = {{ChatRole::kUser, "Hello"}};
  char small[10];
  const size_t n = render_chat(ChatTemplateKind::kChatML, chat, true, small);
  EXPECT_EQ(n, render(ChatTemplateKind::kChatML, chat, true).size());
  EXPECT_EQ(std::string(small, sizeof(small)), "<|im_start");
  EXPECT_EQ(render_chat(ChatTemplateKind::kNone, chat, true, small), 0u);
}

TEST(ChatTemplateKind, ModelTemplates) {
  auto stories = test::load_file_model(test::model_path("gguf/stories260K-f32.gguf"));
  ASSERT_TRUE(stories->ok);
  EXPECT_EQ(model_chat_template(stories->model), ChatTemplateKind::kNone);
  auto llama2c = test::load_file_model(test::model_path("stories260K.bin"));
  ASSERT_TRUE(llama2c->ok);
  EXPECT_EQ(model_chat_template(llama2c->model), ChatTemplateKind::kNone);
}

}  // namespace
}  // namespace llmcu
