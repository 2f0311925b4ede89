// The GGUF tokenizers (SentencePiece "llama" and byte-level BPE "gpt2") on
// every test pair of llama.cpp's vocabulary fixtures (tests/data/tokenizers,
// pruned; LLMCU_TOKENIZER_FIXTURES points elsewhere, e.g. at the unpruned ones
// tools/oracle/make_tokenizer_fixtures.py --check writes), the pre-tokenizers
// against splits by the published patterns, and hostile vocabularies.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "llmcu/bpe_tokenizer.h"
#include "llmcu/pretokenizer.h"
#include "llmcu/spm_tokenizer.h"
#include "llmcu/vocab.h"
#include "test_internals.h"

namespace llmcu::test {
namespace {

std::string fixtures_dir() {
  if (const char* dir = std::getenv("LLMCU_TOKENIZER_FIXTURES")) return dir;
  return std::string(LLMCU_TEST_DATA_DIR) + "/tokenizers";
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << path;
  return nlohmann::json::parse(in);
}

std::string bytes_of(const nlohmann::json& j) {
  if (j.is_object()) {
    const std::string hex = j["hex"];
    std::string out;
    for (size_t i = 0; i + 1 < hex.size(); i += 2) {
      out += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
    }
    return out;
  }
  return j.get<std::string>();
}

// A vocabulary held in vectors: what a GGUF reader provides, or a test's own.
class TestVocab final : public Vocabulary {
 public:
  std::vector<std::string> tokens;
  std::vector<float> scores;
  std::vector<TokenType> types;
  std::vector<std::string> merges;

  int32_t size() const override { return static_cast<int32_t>(tokens.size()); }
  std::string_view token(int32_t id) const override { return tokens[id]; }
  float score(int32_t id) const override { return scores.empty() ? 0.0f : scores[id]; }
  TokenType type(int32_t id) const override {
    return types.empty() ? TokenType::kNormal : types[id];
  }
  int32_t merge_count() const override { return static_cast<int32_t>(merges.size()); }
  std::string_view merge(int32_t rank) const override { return merges[rank]; }

  void add(std::string s, float score = 0.0f, TokenType type = TokenType::kNormal) {
    tokens.push_back(std::move(s));
    scores.push_back(score);
    types.push_back(type);
  }
};

// A pruned fixture: ids it dropped get a string no text can reach (a NUL
// and the id) and the unused type; merges it dropped become "" (no space:
// never applies).
struct Fixture {
  std::string file;
  nlohmann::json json;
  TestVocab vocab;
  VocabSettings settings;
  std::string pre, name;
};

void load_fixture(const std::string& path, Fixture& f) {
  f.file = path;
  f.json = read_json(path);
  const int32_t n = f.json["vocab_size"];
  f.vocab.tokens.resize(n);
  f.vocab.scores.assign(n, 0.0f);
  f.vocab.types.assign(n, TokenType::kUnused);
  for (int32_t i = 0; i < n; ++i) {
    f.vocab.tokens[i].assign(1, '\0');
    f.vocab.tokens[i].append(std::to_string(i));
  }
  for (const auto& t : f.json["tokens"]) {
    const int32_t id = t[0];
    f.vocab.tokens[id] = bytes_of(t[1]);
    f.vocab.scores[id] = t[2];
    f.vocab.types[id] = static_cast<TokenType>(t[3].get<int32_t>());
  }
  f.vocab.merges.assign(f.json["merge_count"].get<size_t>(), "");
  for (const auto& m : f.json["merges"]) f.vocab.merges[m[0].get<size_t>()] = bytes_of(m[1]);
  f.pre = f.json["pre"];
  f.name = f.json["name"];
  f.settings.pre = f.pre;
  f.settings.model_name = f.name;
  f.settings.bos_id = f.json["bos_id"];
  f.settings.eos_id = f.json["eos_id"];
  auto flag = [&](const char* key) -> int8_t {
    return f.json[key].is_null() ? -1 : (f.json[key].get<bool>() ? 1 : 0);
  };
  f.settings.add_bos = flag("add_bos");
  f.settings.add_eos = flag("add_eos");
  f.settings.add_space_prefix = flag("add_space_prefix");
}

std::vector<std::string> fixture_files() {
  std::vector<std::string> files;
  for (const auto& entry : std::filesystem::directory_iterator(fixtures_dir())) {
    const std::string p = entry.path().string();
    if (entry.path().extension() == ".json" &&
        entry.path().filename() != "pretokenizer_splits.json") {
      files.push_back(p);
    }
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Encodes with whichever engine the fixture's model names.
class AnyTokenizer {
 public:
  Status load(const Vocabulary& vocab, const VocabSettings& settings, const std::string& model) {
    bpe_ = model == "gpt2";
    tables_.resize(
        (bpe_ ? BpeTokenizer::table_bytes(vocab) : SpmTokenizer::table_bytes(vocab)) / 4 + 1);
    std::span<uint8_t> memory(reinterpret_cast<uint8_t*>(tables_.data()), tables_.size() * 4);
    if (bpe_) {
      Result<BpeTokenizer> t = BpeTokenizer::load(vocab, settings, memory, "fixture");
      if (!t.is_ok()) return t.status();
      bpe_tokenizer_ = *t;
    } else {
      Result<SpmTokenizer> t = SpmTokenizer::load(vocab, settings, memory, "fixture");
      if (!t.is_ok()) return t.status();
      spm_tokenizer_ = *t;
    }
    return Status::ok();
  }
  std::vector<int32_t> encode(const std::string& text, bool add_special = false,
                              bool parse_special = false, Status* status = nullptr) {
    const size_t work_bytes = bpe_ ? BpeTokenizer::encode_work_bytes(text.size())
                                   : SpmTokenizer::encode_work_bytes(text.size());
    std::vector<uint32_t> work(work_bytes / 4 + 1);
    std::vector<int32_t> ids(6 * text.size() + 2);
    std::span<uint8_t> w(reinterpret_cast<uint8_t*>(work.data()), work_bytes);
    int32_t n = 0;
    const Status s = bpe_ ? bpe_tokenizer_.encode(text, add_special, parse_special, w, ids, &n)
                          : spm_tokenizer_.encode(text, add_special, parse_special, w, ids, &n);
    if (status != nullptr) *status = s;
    EXPECT_TRUE(status != nullptr || s.is_ok()) << s.message();
    return {ids.begin(), ids.begin() + n};
  }

 private:
  bool bpe_ = false;
  std::vector<uint32_t> tables_;
  BpeTokenizer bpe_tokenizer_;
  SpmTokenizer spm_tokenizer_;
};

TEST(TokenizerFixtures, EveryPairOfEveryVocabularyMatches) {
  const std::vector<std::string> files = fixture_files();
  ASSERT_GE(files.size(), 9u) << fixtures_dir();
  size_t pairs = 0;
  for (const std::string& file : files) {
    Fixture f;
    load_fixture(file, f);
    AnyTokenizer tokenizer;
    const Status loaded = tokenizer.load(f.vocab, f.settings, f.json["model"]);
    ASSERT_TRUE(loaded.is_ok()) << file << ": " << loaded.message();
    for (const auto& test : f.json["tests"]) {
      const std::string text = bytes_of(test["text"]);
      EXPECT_EQ(tokenizer.encode(text), test["ids"].get<std::vector<int32_t>>())
          << file << ": '" << text << "'";
      ++pairs;
    }
  }
  EXPECT_GE(pairs, 9u * 47u);
}

TEST(TokenizerFixtures, SpecialsAddBosAsTheVocabularySays) {
  Fixture f;
  load_fixture(fixtures_dir() + "/llama-spm.json", f);
  AnyTokenizer tokenizer;
  ASSERT_TRUE(tokenizer.load(f.vocab, f.settings, "llama").is_ok());
  const std::vector<int32_t> plain = tokenizer.encode("Hello world");
  std::vector<int32_t> with_bos = {1};
  with_bos.insert(with_bos.end(), plain.begin(), plain.end());
  EXPECT_EQ(tokenizer.encode("Hello world", true), with_bos);
  // "</s>" is a control token: text unless parse_special.
  EXPECT_NE(tokenizer.encode("a</s>b"), (std::vector<int32_t>{}));
  const std::vector<int32_t> parsed = tokenizer.encode("</s>", false, true);
  EXPECT_EQ(parsed, (std::vector<int32_t>{2}));
  EXPECT_NE(tokenizer.encode("</s>", false, false), parsed);
}

// The pre-tokenizers against Python's `regex` running the published
// patterns one after another (for llama-bpe, qwen2 and smollm, whose
// vocabularies llama.cpp's snapshot lacks, and gpt-2).
TEST(PreTokenizer, MatchesPublishedPatterns) {
  const nlohmann::json doc = read_json(fixtures_dir() + "/pretokenizer_splits.json");
  size_t checked = 0;
  for (const auto& [pre, cases] : doc["splits"].items()) {
    Result<PreTokenizer> kind = pre_tokenizer_named(pre);
    ASSERT_TRUE(kind.is_ok()) << pre;
    for (const auto& c : cases) {
      const std::string text = c["text"];
      struct Sink {
        std::string text;
        std::vector<std::string> words;
      } sink{text, {}};
      ASSERT_TRUE(pre_tokenize(
                      *kind, text,
                      [](void* user, size_t b, size_t e) {
                        auto* s = static_cast<Sink*>(user);
                        s->words.push_back(s->text.substr(b, e - b));
                        return Status::ok();
                      },
                      &sink)
                      .is_ok());
      EXPECT_EQ(sink.words, c["words"].get<std::vector<std::string>>()) << pre << ": " << text;
      ++checked;
    }
  }
  EXPECT_GT(checked, 200u);
}

std::vector<std::string> split(PreTokenizer kind, const std::string& text) {
  struct Sink {
    const std::string* text;
    std::vector<std::string> words;
  } sink{&text, {}};
  EXPECT_TRUE(pre_tokenize(
                  kind, text,
                  [](void* user, size_t b, size_t e) {
                    auto* s = static_cast<Sink*>(user);
                    s->words.push_back(s->text->substr(b, e - b));
                    return Status::ok();
                  },
                  &sink)
                  .is_ok());
  return sink.words;
}

using Words = std::vector<std::string>;

TEST(PreTokenizer, HandCheckedSplits) {
  // Llama 3: contractions in any case, letters with one leading non-letter,
  // digits by three, punctuation with its newlines, whitespace before a word
  // keeps its last character for the word.
  EXPECT_EQ(split(PreTokenizer::kLlama3, "I'M 12345 ok!!\n\n  x"),
            (Words{"I", "'M", " ", "123", "45", " ok", "!!\n\n", " ", " x"}));
  EXPECT_EQ(split(PreTokenizer::kQwen2, "a 123"), (Words{"a", " ", "1", "2", "3"}));
  // GPT-2: contractions are lowercase only; " 123" keeps its space.
  EXPECT_EQ(split(PreTokenizer::kGpt2, "I'M it's  123"),
            (Words{"I", "'", "M", " it", "'s", " ", " 123"}));
  // StarCoder/SmolLM: every digit alone, first.
  EXPECT_EQ(split(PreTokenizer::kStarcoder, "x 42"), (Words{"x", " ", "4", "2"}));
  // Falcon: runs of punctuation first; then three ASCII digits at a time.
  EXPECT_EQ(split(PreTokenizer::kFalcon, "a, b 12345"), (Words{"a", ",", " b", " ", "123", "45"}));
  // Bad UTF-8 counts as U+FFFD, one per byte, a letter-less "other".
  EXPECT_EQ(split(PreTokenizer::kGpt2, "a\xff\xfe b"), (Words{"a", "\xff\xfe", " b"}));
}

TEST(PreTokenizer, UnknownNameIsAnErrorNamingIt) {
  Result<PreTokenizer> kind = pre_tokenizer_named("tekken");
  ASSERT_FALSE(kind.is_ok());
  EXPECT_NE(std::string(kind.status().message()).find("'tekken'"), std::string::npos);
}

TEST(Unicode, ClassesFromTheGeneratedTable) {
  using unicode::classify;
  EXPECT_EQ(classify('a').category, unicode::kLetter);
  EXPECT_EQ(classify('7').category, unicode::kNumber);
  EXPECT_EQ(classify(0x0663).category, unicode::kNumber);  // ARABIC-INDIC DIGIT THREE
  EXPECT_EQ(classify('!').category, unicode::kPunctuation);
  EXPECT_EQ(classify('$').category, unicode::kSymbol);
  EXPECT_EQ(classify(0x0301).category, unicode::kMark);
  EXPECT_EQ(classify(0x4E00).category, unicode::kLetter);
  EXPECT_EQ(classify(0x1F999).category, unicode::kSymbol);  // llama emoji
  EXPECT_EQ(classify(0xE000).category, unicode::kControl);  // private use
  EXPECT_EQ(classify(0x0378).category, unicode::kUnassigned);
  EXPECT_EQ(classify(0x10FFFF).category, unicode::kUnassigned);
  EXPECT_EQ(classify(0x110000).category, unicode::kUnassigned);
  for (uint32_t cp : {0x09u, 0x0Au, 0x0Du, 0x20u, 0x85u, 0xA0u, 0x2003u, 0x3000u}) {
    EXPECT_TRUE(classify(cp).whitespace) << cp;
  }
  EXPECT_FALSE(classify(0x200B).whitespace);  // zero width space is not White_Space
  EXPECT_FALSE(classify(0x1C).whitespace);
  EXPECT_LT(unicode::table_bytes(), 12u * 1024u);
}

TEST(Unicode, DecodesBadBytesAsReplacementOneByteEach) {
  size_t n = 0;
  EXPECT_EQ(unicode::decode("\xC3\xA9", 0, &n), 0xE9u);
  EXPECT_EQ(n, 2u);
  EXPECT_EQ(unicode::decode("\xC3", 0, &n), unicode::kReplacement);
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(unicode::decode("\xE2\x82x", 0, &n), unicode::kReplacement);
  EXPECT_EQ(n, 1u);
  EXPECT_EQ(unicode::decode("\x80", 0, &n), unicode::kReplacement);
  EXPECT_EQ(unicode::decode("\xF7\xBF\xBF\xBF", 0, &n), unicode::kReplacement);  // > U+10FFFF
}

// A tiny byte-level BPE vocabulary: bytes, then "ab", "abc", "Ġa".
TestVocab tiny_bpe() {
  TestVocab v;
  for (const char* s : {"a", "b", "c", "Ġ", "ab", "abc", "Ġa", "<|end|>", "<sp>"}) v.add(s);
  v.types[7] = TokenType::kControl;
  v.types[8] = TokenType::kUserDefined;
  v.merges = {"a b", "ab c", "Ġ a", "nospace", "x y"};
  return v;
}

TEST(BpeTokenizer, MergesByRankAndCutsSpecials) {
  TestVocab v = tiny_bpe();
  VocabSettings s;
  s.pre = "gpt-2";
  AnyTokenizer t;
  ASSERT_TRUE(t.load(v, s, "gpt2").is_ok());
  EXPECT_EQ(t.encode("abc"), (std::vector<int32_t>{5}));
  EXPECT_EQ(t.encode("abc a"), (std::vector<int32_t>{5, 6}));
  // User-defined tokens are cut out even without parse_special; control
  // tokens only with it. A byte with no token is skipped, as llama.cpp does.
  EXPECT_EQ(t.encode("a<sp>b"), (std::vector<int32_t>{0, 8, 1}));
  EXPECT_EQ(t.encode("<|end|>", false, true), (std::vector<int32_t>{7}));
  EXPECT_EQ(t.encode("a<|end|>", false, false), (std::vector<int32_t>{0}));  // '<', '|'... absent
  // Too little work memory or room for ids is an error, not an overflow.
  std::vector<uint32_t> work(4);
  std::vector<int32_t> ids(1);
  std::vector<uint32_t> tables(BpeTokenizer::table_bytes(v) / 4 + 1);
  BpeTokenizer bpe = *BpeTokenizer::load(
      v, s, {reinterpret_cast<uint8_t*>(tables.data()), tables.size() * 4}, "tiny");
  int32_t n = 0;
  EXPECT_FALSE(
      bpe.encode("abc", false, false, {reinterpret_cast<uint8_t*>(work.data()), 16}, ids, &n)
          .is_ok());
  std::vector<uint32_t> enough(BpeTokenizer::encode_work_bytes(5) / 4 + 1);
  const Status s2 =
      bpe.encode("ab ab", false, false,
                 {reinterpret_cast<uint8_t*>(enough.data()), enough.size() * 4}, ids, &n);
  EXPECT_EQ(s2.code(), StatusCode::kResourceExhausted) << s2.message();
}

TEST(BpeTokenizer, RefusesWhatItCannotLoad) {
  TestVocab v = tiny_bpe();
  VocabSettings s;
  s.pre = "no-such-pre";
  std::vector<uint32_t> tables(BpeTokenizer::table_bytes(v) / 4 + 1);
  std::span<uint8_t> memory(reinterpret_cast<uint8_t*>(tables.data()), tables.size() * 4);
  EXPECT_FALSE(BpeTokenizer::load(v, s, memory, "tiny").is_ok());
  s.pre = "gpt-2";
  EXPECT_FALSE(BpeTokenizer::load(v, s, memory.first(8), "tiny").is_ok());
  TestVocab empty;
  EXPECT_FALSE(BpeTokenizer::load(empty, s, memory, "empty").is_ok());
}

TEST(SpmTokenizer, ByteFallbackAndScores) {
  TestVocab v;
  v.add("<unk>", 0, TokenType::kUnknown);
  v.add("<s>", 0, TokenType::kControl);
  v.add("</s>", 0, TokenType::kControl);
  for (int b = 0; b < 256; ++b) {
    char name[8];
    snprintf(name, sizeof(name), "<0x%02X>", b);
    v.add(name, 0, TokenType::kByte);
  }
  const int32_t space = v.size();
  v.add("\xE2\x96\x81", -1);
  v.add("a", -1);
  v.add("b", -1);
  v.add(
      "\xE2\x96\x81"
      "a",
      -2);          // id space + 3
  v.add("ab", -3);  // loses to "▁a"
  v.add(
      "\xE2\x96\x81"
      "ab",
      -4);
  VocabSettings s;
  AnyTokenizer t;
  ASSERT_TRUE(t.load(v, s, "llama").is_ok());
  EXPECT_EQ(t.encode("ab"), (std::vector<int32_t>{space + 5}));
  EXPECT_EQ(t.encode("ab", true), (std::vector<int32_t>{1, space + 5}));
  // 'z' is no token: "<0x7A>".
  EXPECT_EQ(t.encode("z"), (std::vector<int32_t>{space, 3 + 'z'}));
  // No space prefix when the vocabulary says so.
  s.add_space_prefix = 0;
  AnyTokenizer u;
  ASSERT_TRUE(u.load(v, s, "llama").is_ok());
  EXPECT_EQ(u.encode("ab"), (std::vector<int32_t>{space + 4}));
}

TEST(SpmTokenizer, MissingByteTokenIsAnError) {
  TestVocab v;
  v.add("<unk>", 0, TokenType::kUnknown);
  v.add("\xE2\x96\x81");
  VocabSettings s;
  AnyTokenizer t;
  ASSERT_TRUE(t.load(v, s, "llama").is_ok());
  Status status;
  t.encode("q", false, false, &status);
  EXPECT_FALSE(status.is_ok());
  EXPECT_NE(std::string(status.message()).find("byte 0x71"), std::string::npos) << status.message();
}

}  // namespace
}  // namespace llmcu::test
