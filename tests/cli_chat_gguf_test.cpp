// Chat mode on GGUF models with a chat template: every turn is laid out by
// the file's template, the model's end-of-turn token ends the answer, and
// over a whole session the tokens fed are the tokens of the conversation as
// llama.cpp renders it whole (render_chat reproduces
// llama_chat_apply_template: chat_template_test.cpp). The models are tiny
// GGUF files written here, whose constant weights make greedy decoding
// always pick one chosen token: an end-of-turn token (empty answers), or a
// letter that a --stop string cuts after three.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <vector>

#include "cli_helpers.h"
#include "gguf_builder.h"
#include "llmcu/chat_template.h"

namespace llmcu::test {
namespace {

struct TinyChatModel {
  std::vector<std::string> specials;  // ids 0.. (control tokens), then the 256 bytes and U+2581
  int32_t bos = 1;
  int32_t eos = 2;
  int32_t eot = -1;  // tokenizer.ggml.eot_token_id, when >= 0
  std::string chat_template;
  int32_t favourite = 2;  // the token greedy decoding always picks
  bool add_bos = true;    // tokenizer.ggml.add_bos_token
};

int32_t byte_token(const TinyChatModel& m, unsigned char byte) {
  return static_cast<int32_t>(m.specials.size()) + byte;
}

std::vector<uint8_t> build(const TinyChatModel& m) {
  GgufBuilder b;
  const uint64_t dim = 8, hidden = 12, kv_dim = 4;
  const auto vocab = static_cast<uint64_t>(m.specials.size() + 257);
  b.string("general.architecture", "llama");
  b.u32("llama.context_length", 512);
  b.u32("llama.embedding_length", dim);
  b.u32("llama.feed_forward_length", hidden);
  b.u32("llama.block_count", 1);
  b.u32("llama.attention.head_count", 2);
  b.u32("llama.attention.head_count_kv", 1);
  b.f32("llama.attention.layer_norm_rms_epsilon", 1e-5f);
  std::vector<std::string> tokens = m.specials;
  std::vector<float> scores(vocab, 0.0f);
  std::vector<int32_t> types(m.specials.size(), 3);  // control
  for (int byte = 0; byte < 256; ++byte) {
    char text[8];
    snprintf(text, sizeof(text), "<0x%02X>", byte);
    tokens.push_back(text);
    types.push_back(6);  // byte
  }
  tokens.push_back("\xE2\x96\x81");  // U+2581, SentencePiece's space: a token of its own
  types.push_back(1);
  b.string("tokenizer.ggml.model", "llama");
  b.strings("tokenizer.ggml.tokens", tokens);
  b.array("tokenizer.ggml.scores", GgufBuilder::kF32, scores);
  b.array("tokenizer.ggml.token_type", GgufBuilder::kI32, types);
  b.u32("tokenizer.ggml.bos_token_id", static_cast<uint32_t>(m.bos));
  b.u32("tokenizer.ggml.eos_token_id", static_cast<uint32_t>(m.eos));
  if (!m.add_bos) b.boolean("tokenizer.ggml.add_bos_token", false);
  if (m.eot >= 0) b.u32("tokenizer.ggml.eot_token_id", static_cast<uint32_t>(m.eot));
  if (!m.chat_template.empty()) b.string("tokenizer.chat_template", m.chat_template);
  // Every weight 0.5: the hidden state is a positive multiple of all-ones,
  // so the logits follow the output rows' sums, and the favourite's row is
  // the largest.
  b.f32_tensor("token_embd.weight", {dim, vocab});
  b.f32_tensor("output_norm.weight", {dim});
  GgufBuilder::Tensor& output = b.f32_tensor("output.weight", {dim, vocab});
  const float one = 1.0f;
  for (uint64_t i = 0; i < dim; ++i) {
    memcpy(output.data.data() + (static_cast<uint64_t>(m.favourite) * dim + i) * 4, &one, 4);
  }
  b.f32_tensor("blk.0.attn_norm.weight", {dim});
  b.f32_tensor("blk.0.attn_q.weight", {dim, dim});
  b.f32_tensor("blk.0.attn_k.weight", {dim, kv_dim});
  b.f32_tensor("blk.0.attn_v.weight", {dim, kv_dim});
  b.f32_tensor("blk.0.attn_output.weight", {dim, dim});
  b.f32_tensor("blk.0.ffn_norm.weight", {dim});
  b.f32_tensor("blk.0.ffn_gate.weight", {dim, hidden});
  b.f32_tensor("blk.0.ffn_up.weight", {dim, hidden});
  b.f32_tensor("blk.0.ffn_down.weight", {hidden, dim});
  return b.build();
}

TinyChatModel chatml_model() {
  TinyChatModel m;
  m.specials = {"<unk>", "<s>", "<|endoftext|>", "<|im_start|>", "<|im_end|>"};
  m.bos = 1;
  m.eos = 4;  // as SmolLM2's files: EOS is <|im_end|>
  m.chat_template =
      "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
      "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
      "{{ '<|im_start|>assistant\\n' }}{% endif %}";
  m.favourite = 4;
  return m;
}

TinyChatModel llama3_model() {
  TinyChatModel m;
  m.specials = {"<unk>",
                "<|begin_of_text|>",
                "<|end_of_text|>",
                "<|start_header_id|>",
                "<|end_header_id|>",
                "<|eot_id|>"};
  m.bos = 1;
  m.eos = 2;
  m.eot = 5;
  m.chat_template =
      "{% for message in messages %}{{ '<|start_header_id|>' + message['role'] + "
      "'<|end_header_id|>\\n\\n' + message['content'] | trim + '<|eot_id|>' }}{% endfor %}";
  m.favourite = byte_token(m, 'A');
  return m;
}

struct FedTurn {
  std::string text;
  std::vector<int32_t> tokens;
};

std::vector<int32_t> parse_ids(const std::string& text) {
  std::vector<int32_t> ids;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = 0;
    ids.push_back(std::stoi(text.substr(at), &end));
    at += end;
    while (at < text.size() && text[at] == ' ') ++at;
  }
  return ids;
}

// The turns --verbose-prompt printed: "[prompt: N bytes]\n" TEXT
// "\n[prompt: M tokens: IDS]\n".
std::vector<FedTurn> fed_turns(const std::string& err) {
  std::vector<FedTurn> turns;
  const std::string head = "[prompt: ";
  size_t at = 0;
  while ((at = err.find(head, at)) != std::string::npos) {
    size_t end = 0;
    const size_t bytes = std::stoul(err.substr(at + head.size()), &end);
    const size_t text_at = err.find("bytes]\n", at) + 7;
    FedTurn turn;
    turn.text = err.substr(text_at, bytes);
    at = text_at + bytes;
    const std::string tokens_head = "\n[prompt: ";
    EXPECT_EQ(err.compare(at, tokens_head.size(), tokens_head), 0) << err.substr(at, 40);
    const size_t colon = err.find("tokens:", at);
    const size_t close = err.find(']', colon);
    turn.tokens = parse_ids(err.substr(colon + 7, close - colon - 7));
    EXPECT_EQ(turn.tokens.size(), std::stoul(err.substr(at + tokens_head.size())));
    turns.push_back(turn);
    at = close;
  }
  return turns;
}

std::string render(ChatTemplateKind t, const std::vector<ChatTurn>& messages) {
  std::string text(render_chat(t, messages, /*add_assistant=*/true, {}), '\0');
  render_chat(t, messages, true, text);
  return text;
}

// `llmcu encode`: the ids of `text` with the vocabulary's BOS.
std::vector<int32_t> encode(const std::string& model, const std::string& text) {
  const CommandResult r = run_cli("encode -z " + q(model) + " " + q(text));
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return parse_ids(r.out.substr(0, r.out.find('\n')));
}

size_t count(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(ChatGguf, ChatMLTurnsAreTheWholeConversationAndEndAtImEnd) {
  TempDir dir;
  const TinyChatModel m = chatml_model();
  const std::string model = dir.file("chatml.gguf", build(m));
  const std::string input = dir.text("turns.in", "Hi\nA story?\n\nMore.\n");
  // Piped `run -m chat`: the turns are read as `llmcu chat` reads them (an
  // empty line skipped, the end of input ends the session).
  const CommandResult r = run_cli_input(
      "run " + q(model) + " -m chat -y " + q("Be brief.") + " -t 0 -n 0 --verbose-prompt", input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.out, "User: Assistant: \nUser: Assistant: \nUser: User: Assistant: \nUser: \n");
  EXPECT_EQ(r.err.find("note:"), std::string::npos) << r.err;
  const std::vector<FedTurn> turns = fed_turns(r.err);
  ASSERT_EQ(turns.size(), 3u) << r.err;
  EXPECT_EQ(turns[0].text,
            "<|im_start|>system\nBe brief.<|im_end|>\n<|im_start|>user\nHi<|im_end|>\n"
            "<|im_start|>assistant\n");
  EXPECT_EQ(turns[1].text,
            "<|im_end|>\n<|im_start|>user\nA story?<|im_end|>\n"
            "<|im_start|>assistant\n");
  // Each answer is empty: <|im_end|> (EOS) at once.
  EXPECT_EQ(count(r.err, "[answer: 0 tokens, ended by token 4 <|im_end|>]"), 3u) << r.err;

  const std::vector<ChatTurn> conversation = {
      {ChatRole::kSystem, "Be brief."}, {ChatRole::kUser, "Hi"},    {ChatRole::kAssistant, ""},
      {ChatRole::kUser, "A story?"},    {ChatRole::kAssistant, ""}, {ChatRole::kUser, "More."}};
  const std::string whole = render(ChatTemplateKind::kChatML, conversation);
  std::string fed_text;
  std::vector<int32_t> fed_tokens;
  for (const FedTurn& t : turns) {
    fed_text += t.text;
    fed_tokens.insert(fed_tokens.end(), t.tokens.begin(), t.tokens.end());
  }
  EXPECT_EQ(fed_text, whole);
  const std::vector<int32_t> expected = encode(model, whole);
  EXPECT_EQ(fed_tokens, expected);
  ASSERT_FALSE(fed_tokens.empty());
  EXPECT_EQ(fed_tokens[0], m.bos);
  EXPECT_EQ(std::count(fed_tokens.begin(), fed_tokens.end(), m.bos), 1) << "BOS only once";
}

TEST(ChatGguf, Llama3AnswersStayInTheCacheBetweenTurns) {
  TempDir dir;
  const TinyChatModel m = llama3_model();
  const std::string model = dir.file("llama3.gguf", build(m));
  const std::string input = dir.text("turns.in", "Hi\nA story?\nMore.\n");
  // `llmcu chat` from a pipe; every answer is "AAA..." cut by --stop after
  // three tokens, so the next turn starts by closing it with <|eot_id|>.
  const CommandResult r = run_cli_input(
      "chat " + q(model) + " -y " + q("Be brief.") + " -t 0 --stop AAA --verbose-prompt", input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  const std::vector<FedTurn> turns = fed_turns(r.err);
  ASSERT_EQ(turns.size(), 3u) << r.err;
  EXPECT_EQ(turns[1].text,
            "<|eot_id|><|start_header_id|>user<|end_header_id|>\n\nA story?<|eot_id|>"
            "<|start_header_id|>assistant<|end_header_id|>\n\n");
  const std::vector<ChatTurn> conversation = {
      {ChatRole::kSystem, "Be brief."}, {ChatRole::kUser, "Hi"},
      {ChatRole::kAssistant, "AAA"},    {ChatRole::kUser, "A story?"},
      {ChatRole::kAssistant, "AAA"},    {ChatRole::kUser, "More."}};
  const std::string whole = render(ChatTemplateKind::kLlama3, conversation);
  const std::vector<int32_t> answer(3, byte_token(m, 'A'));
  std::string fed_text;
  std::vector<int32_t> fed_tokens;
  for (size_t i = 0; i < turns.size(); ++i) {
    if (i > 0) {
      fed_text += "AAA";
      fed_tokens.insert(fed_tokens.end(), answer.begin(), answer.end());
    }
    fed_text += turns[i].text;
    fed_tokens.insert(fed_tokens.end(), turns[i].tokens.begin(), turns[i].tokens.end());
  }
  EXPECT_EQ(fed_text, whole);
  EXPECT_EQ(fed_tokens, encode(model, whole));
}

// Every layout, forced by name, on a vocabulary with and without BOS added:
// answers end at once at EOS (</s>), and what is fed is the tokens of the
// whole conversation with empty answers (whitespace around a user text
// kept or stripped as the layout does).
TEST(ChatGguf, EveryLayoutFeedsTheWholeConversation) {
  TempDir dir;
  const std::string input = dir.text("turns.in", "Hi\n  A story? \nMore.\n");
  const std::vector<ChatTurn> conversation = {
      {ChatRole::kSystem, "Be brief."}, {ChatRole::kUser, "Hi"},    {ChatRole::kAssistant, ""},
      {ChatRole::kUser, "  A story? "}, {ChatRole::kAssistant, ""}, {ChatRole::kUser, "More."}};
  for (bool add_bos : {true, false}) {
    TinyChatModel m;
    // Every layout's markers are special tokens here. (Where one is plain
    // text, as Zephyr's <|endoftext|> in TinyLlama's vocabulary, a turn
    // that starts with it is encoded as a text of its own, with the
    // SentencePiece space prefix in front, as llama.cpp encodes it.)
    m.specials = {"<unk>",
                  "<s>",
                  "</s>",
                  "<|im_start|>",
                  "<|im_end|>",
                  "<|start_header_id|>",
                  "<|end_header_id|>",
                  "<|eot_id|>",
                  "<|endoftext|>"};
    m.favourite = 2;
    m.add_bos = add_bos;
    const std::string model = dir.file(add_bos ? "bos.gguf" : "no_bos.gguf", build(m));
    for (ChatTemplateKind t :
         {ChatTemplateKind::kChatML, ChatTemplateKind::kLlama2, ChatTemplateKind::kLlama2Sys,
          ChatTemplateKind::kLlama2SysBos, ChatTemplateKind::kLlama2SysStrip,
          ChatTemplateKind::kLlama3, ChatTemplateKind::kZephyr}) {
      const std::string name = chat_template_name(t);
      const CommandResult r = run_cli_input("chat " + q(model) + " --chat-template " + name +
                                                " -y " + q("Be brief.") + " -t 0 --verbose-prompt",
                                            input);
      ASSERT_EQ(r.exit_code, 0) << name << "\n" << r.err;
      EXPECT_EQ(count(r.err, "[answer: 0 tokens, ended by token 2 </s>]"), 3u) << r.err;
      const std::vector<FedTurn> turns = fed_turns(r.err);
      ASSERT_EQ(turns.size(), 3u) << name << "\n" << r.err;
      std::string fed_text;
      std::vector<int32_t> fed_tokens;
      for (const FedTurn& turn : turns) {
        fed_text += turn.text;
        fed_tokens.insert(fed_tokens.end(), turn.tokens.begin(), turn.tokens.end());
      }
      const std::string whole = render(t, conversation);
      EXPECT_EQ(fed_text, whole) << name;
      EXPECT_EQ(fed_tokens, encode(model, whole)) << name << (add_bos ? " with BOS" : "");
      EXPECT_EQ(!fed_tokens.empty() && fed_tokens[0] == m.bos, add_bos) << name;
    }
  }
}

TEST(ChatGguf, ChatTemplateForcesALayout) {
  TempDir dir;
  TinyChatModel m = chatml_model();
  m.chat_template.clear();  // none in the file
  const std::string model = dir.file("plain.gguf", build(m));
  const std::string input = dir.text("turns.in", "Hi\n");
  // No template: llama2.c's Llama 2 layout, and a note saying so.
  CommandResult r = run_cli_input("chat " + q(model) + " -t 0 -n 40 --verbose-prompt", input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_NE(r.err.find("has no chat template; the turns use llama2.c's Llama 2 layout"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("\n[INST] Hi [/INST]\n"), std::string::npos) << r.err;
  // --chat-template NAME: that layout, no note.
  r = run_cli_input("chat " + q(model) + " -t 0 --chat-template chatml --verbose-prompt", input);
  ASSERT_EQ(r.exit_code, 0) << r.err;
  EXPECT_EQ(r.err.find("note:"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("\n<|im_start|>user\nHi<|im_end|>\n<|im_start|>assistant\n\n"),
            std::string::npos)
      << r.err;
  EXPECT_NE(r.err.find("ended by token 4 <|im_end|>"), std::string::npos) << r.err;
  // Names llmcu does not know, and llama2.c models, are refused.
  r = run_cli_input("chat " + q(model) + " --chat-template vicuna", input);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("no template llmcu knows"), std::string::npos) << r.err;
  r = run_cli_input("run " + q(models() + "/stories260K.bin") + " -z " +
                        q(models() + "/tok512.bin") + " -m chat --chat-template chatml",
                    input);
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("--chat-template is for GGUF models"), std::string::npos) << r.err;
  r = run_cli("run " + q(model) + " -i Hi --chat-template chatml");
  EXPECT_EQ(r.exit_code, 2);
  EXPECT_NE(r.err.find("are for -m chat"), std::string::npos) << r.err;
}

// llama2.c models keep llama2.c's chat to the byte; --verbose-prompt only
// adds to standard error.
TEST(ChatGguf, Llama2cModelsKeepTheirChat) {
  TempDir dir;
  const std::string input = dir.text("turns.in", "\nOnce upon a time\n");
  const std::string run = "run " + q(models() + "/stories260K.bin") + " -z " +
                          q(models() + "/tok512.bin") + " -m chat -s 42 -n 120";
  const CommandResult plain = run_cli_input(run, input);
  ASSERT_EQ(plain.exit_code, 0) << plain.err;
  const CommandResult verbose = run_cli_input(run + " --verbose-prompt", input);
  ASSERT_EQ(verbose.exit_code, 0) << verbose.err;
  EXPECT_EQ(verbose.out, plain.out);
  EXPECT_EQ(plain.err.find("[prompt: "), std::string::npos) << plain.err;
  const std::vector<FedTurn> turns = fed_turns(verbose.err);
  ASSERT_EQ(turns.size(), 1u) << verbose.err;  // the story fills the steps
  EXPECT_EQ(turns[0].text, "[INST] Once upon a time [/INST]");
  EXPECT_EQ(turns[0].tokens.front(), 1);  // BOS
}

// The end of a reply that a chat feeds before the next turn is what the
// template writes after an assistant's text.
TEST(ChatGguf, ReplyEndIsWhatFollowsAnAnswer) {
  for (ChatTemplateKind t :
       {ChatTemplateKind::kChatML, ChatTemplateKind::kLlama2, ChatTemplateKind::kLlama2Sys,
        ChatTemplateKind::kLlama2SysBos, ChatTemplateKind::kLlama2SysStrip,
        ChatTemplateKind::kLlama3, ChatTemplateKind::kZephyr}) {
    const std::vector<ChatTurn> asked = {{ChatRole::kUser, "Hi"}};
    const std::vector<ChatTurn> answered = {{ChatRole::kUser, "Hi"},
                                            {ChatRole::kAssistant, "Hello."}};
    std::string whole(render_chat(t, answered, false, {}), '\0');
    render_chat(t, answered, false, whole);
    EXPECT_EQ(render(t, asked) + "Hello." + chat_reply_end(t), whole) << chat_template_name(t);
  }
  EXPECT_STREQ(chat_reply_end(ChatTemplateKind::kNone), "");
}

}  // namespace
}  // namespace llmcu::test
