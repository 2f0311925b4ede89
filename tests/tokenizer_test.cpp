#include "llmcu/tokenizer.h"

#include <gtest/gtest.h>

#include <cstring>
#include <limits>

#include "test_support.h"

namespace llmcu::test {
namespace {

struct LoadedTokenizer {
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> tables;
  Tokenizer tokenizer;
};

LoadedTokenizer load(const std::string& name) {
  LoadedTokenizer t;
  t.bytes = read_file(model_path(name));
  Result<int32_t> vocab = Tokenizer::count_tokens(t.bytes, name.c_str());
  EXPECT_TRUE(vocab.is_ok());
  t.tables.resize(Tokenizer::table_bytes(*vocab));
  Result<Tokenizer> tok = Tokenizer::load(t.bytes, *vocab, t.tables, name.c_str());
  EXPECT_TRUE(tok.is_ok()) << tok.status().message();
  t.tokenizer = *tok;
  return t;
}

std::vector<int32_t> encode(const Tokenizer& t, const std::string& text, bool bos = true,
                            bool eos = false) {
  std::vector<int32_t> work(Tokenizer::encode_work_ints(text.size()));
  int32_t n = 0;
  Status s = t.encode(text, bos, eos, work, &n);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return {work.begin(), work.begin() + n};
}

TEST(Tokenizer, CountsTokensOfRealFiles) {
  EXPECT_EQ(*Tokenizer::count_tokens(read_file(model_path("tok512.bin")), "tok512.bin"), 512);
  EXPECT_EQ(*Tokenizer::count_tokens(read_file(model_path("tokenizer.bin")), "t"), 32000);
}

TEST(Tokenizer, EmptyTextIsJustBosAndEos) {
  LoadedTokenizer t = load("tok512.bin");
  EXPECT_EQ(encode(t.tokenizer, ""), std::vector<int32_t>{1});
  EXPECT_EQ(encode(t.tokenizer, "", false, true), std::vector<int32_t>{2});
  EXPECT_EQ(encode(t.tokenizer, "", false, false), std::vector<int32_t>{});
}

TEST(Tokenizer, InvalidUtf8FallsBackToBytes) {
  LoadedTokenizer t = load("tok512.bin");
  // Lone continuation bytes, a truncated sequence, overlong and 0xFF.
  for (const std::string text : {"\x80\x80", "\xE2\x82", "\xC0\xAF", "\xFF\xFE", "a\xF0\x9F\x98"}) {
    std::vector<int32_t> ids = encode(t.tokenizer, text);
    ASSERT_GE(ids.size(), 2u);
    for (int32_t id : ids) EXPECT_TRUE(id >= 0 && id < 512);
  }
}

TEST(Tokenizer, LongTextEncodesWithoutOverflow) {
  LoadedTokenizer t = load("tokenizer.bin");
  std::string text;
  while (text.size() < 10000)
    text += "Once upon a time, there was a \xC3\xA9l\xC3\xA8ve \xF0\x9F\x98\x80. ";
  text.resize(10000);
  std::vector<int32_t> ids = encode(t.tokenizer, text);
  EXPECT_GT(ids.size(), 1000u);
  EXPECT_LT(ids.size(), 10003u);
  // Decoding the ids gives the text back (after the dummy-prefix space).
  std::string round_trip;
  for (size_t i = 1; i < ids.size(); ++i) round_trip += t.tokenizer.decode(ids[i - 1], ids[i]);
  EXPECT_EQ(round_trip, text);
}

TEST(Tokenizer, TextEndsAtNulLikeACString) {
  LoadedTokenizer t = load("tok512.bin");
  EXPECT_EQ(encode(t.tokenizer, std::string("ab\0cd", 5)), encode(t.tokenizer, "ab"));
}

TEST(Tokenizer, RefusesTooLittleWorkMemory) {
  LoadedTokenizer t = load("tok512.bin");
  std::vector<int32_t> work(4);
  int32_t n = 0;
  Status s = t.tokenizer.encode("hello world", true, false, work, &n);
  EXPECT_EQ(s.code(), StatusCode::kResourceExhausted);
}

TEST(Tokenizer, DecodeStripsSpaceAfterBosAndMapsBytes) {
  LoadedTokenizer t = load("tok512.bin");
  const Tokenizer& tok = t.tokenizer;
  const int32_t once = encode(tok, "Once")[1];
  EXPECT_EQ(tok.piece(once).substr(0, 1), " ");
  EXPECT_EQ(tok.decode(1, once)[0], 'O');
  EXPECT_EQ(tok.decode(5, once)[0], ' ');
  EXPECT_EQ(tok.decode(5, 13), "\n");  // <0x0A>
  EXPECT_EQ(tok.decode(5, 3).size(), 1u);
  EXPECT_EQ(tok.decode(5, 3)[0], '\0');
}

TEST(Tokenizer, PrintableDropsLoneControlBytes) {
  EXPECT_EQ(Tokenizer::printable(std::string_view("\x01", 1)), "");
  EXPECT_EQ(Tokenizer::printable(std::string_view("\x80", 1)), "");
  EXPECT_EQ(Tokenizer::printable(std::string_view("\0", 1)), "");
  EXPECT_EQ(Tokenizer::printable("\n"), "\n");
  EXPECT_EQ(Tokenizer::printable("a"), "a");
  EXPECT_EQ(Tokenizer::printable("\xC3\xA9"), "\xC3\xA9");
  EXPECT_EQ(Tokenizer::printable(std::string_view("ab\0c", 4)), "ab");
}

TEST(Tokenizer, MalformedFilesAreRefused) {
  const std::vector<uint8_t> good = make_tokenizer(300);
  std::vector<uint8_t> tables(Tokenizer::table_bytes(300));
  auto error = [&tables](const std::vector<uint8_t>& bytes, int32_t vocab) {
    Result<Tokenizer> t = Tokenizer::load(bytes, vocab, tables, "tok.bin");
    return t.is_ok() ? std::string() : std::string(t.status().message());
  };
  EXPECT_EQ(error(good, 300), "");
  EXPECT_NE(error({1, 0}, 300).find("tok.bin: truncated"), std::string::npos);
  for (size_t cut = 4; cut < good.size(); cut += 97) {
    std::vector<uint8_t> b(good.begin(), good.begin() + static_cast<long>(cut));
    EXPECT_NE(error(b, 300).find("truncated"), std::string::npos) << cut << error(b, 300);
  }
  EXPECT_NE(error(good, 299).find("more tokens than the model's vocab_size 299"),
            std::string::npos);
  // Negative length, length above max_token_length, length past the end.
  for (int32_t length : {-1, 17, 1000000}) {
    std::vector<uint8_t> b = good;
    memcpy(b.data() + 8, &length, 4);  // token 0's length
    EXPECT_NE(error(b, 300).find("token 0"), std::string::npos) << length << error(b, 300);
  }
  std::vector<uint8_t> nan_score = good;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  memcpy(nan_score.data() + 4, &nan, 4);
  EXPECT_NE(error(nan_score, 300).find("NaN"), std::string::npos);
  std::vector<uint8_t> small_tables(8);
  EXPECT_FALSE(Tokenizer::load(good, 300, small_tables, "t").is_ok());
}

TEST(Tokenizer, MergesPickTheBestScoringPair) {
  const std::vector<uint8_t> bytes = make_tokenizer(300);
  std::vector<uint8_t> tables(Tokenizer::table_bytes(300));
  Tokenizer t = *Tokenizer::load(bytes, 300, tables, "t");
  // " " 259, "a" 260, "b" 261, "c" 262, "ab" 263, "abc" 264, " a" 265, " ab" 266
  // Scores fall with the id, so " "+"a" (265) loses to "a"+"b" (263); then
  // "ab"+"c" (264) beats " "+"ab" (266).
  EXPECT_EQ(encode(t, "abc"), (std::vector<int32_t>{1, 259, 264}));
  // Without BOS: "a"+"b" first, then " "+"ab" (266) still forms a token.
  EXPECT_EQ(encode(t, "ab", false), (std::vector<int32_t>{266}));
  // 'z' has no token: byte fallback to 'z' + 3.
  EXPECT_EQ(encode(t, "z", false), (std::vector<int32_t>{259, 'z' + 3}));
}

TEST(Tokenizer, VocabularyWithoutByteTokensRefusesUnknownBytes) {
  const std::vector<uint8_t> bytes = make_tokenizer(100);
  std::vector<uint8_t> tables(Tokenizer::table_bytes(100));
  Tokenizer t = *Tokenizer::load(bytes, 100, tables, "t");
  std::vector<int32_t> work(Tokenizer::encode_work_ints(3));
  int32_t n = 0;
  Status s = t.encode("\xFF", true, false, work, &n);
  EXPECT_FALSE(s.is_ok());
  EXPECT_NE(std::string(s.message()).find("byte 0x"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace llmcu::test
