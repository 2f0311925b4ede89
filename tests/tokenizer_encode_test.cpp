// The heap-based encoder against a plain quadratic one written the way
// llama2.c's run.c reads (scan every pair, merge the best, repeat), on
// thousands of random texts, and a check that its work grows as n log n.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "llmcu/tokenizer.h"
#include "test_support.h"

namespace llmcu::test {
namespace {

struct LoadedTokenizer {
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> tables;
  Tokenizer tokenizer;
  std::map<std::string, int32_t> ids;  // piece -> lowest id with that piece
};

const LoadedTokenizer& loaded(const std::string& name) {
  static std::map<std::string, LoadedTokenizer> cache;
  auto [it, inserted] = cache.try_emplace(name);
  LoadedTokenizer& t = it->second;
  if (inserted) {
    t.bytes = read_file(model_path(name));
    const int32_t vocab = *Tokenizer::count_tokens(t.bytes, name.c_str());
    t.tables.resize(Tokenizer::table_bytes(vocab));
    Result<Tokenizer> tok = Tokenizer::load(t.bytes, vocab, t.tables, name.c_str());
    EXPECT_TRUE(tok.is_ok()) << tok.status().message();
    t.tokenizer = *tok;
    for (int32_t id = 0; id < vocab; ++id)
      t.ids.try_emplace(std::string(t.tokenizer.piece(id)), id);
  }
  return t;
}

// llama2.c's encode, step by step; each pair's id is cached so that a merge
// looks up only the two pairs it changed, but every merge still scans all pairs.
std::vector<int32_t> reference_encode(const LoadedTokenizer& t, std::string text, bool bos,
                                      bool eos) {
  text = text.substr(0, text.find('\0'));
  auto lookup = [&t](const std::string& s) {
    auto it = t.ids.find(s);
    return it == t.ids.end() ? -1 : it->second;
  };
  std::vector<int32_t> tokens;
  if (bos) tokens.push_back(1);
  if (!text.empty()) {
    const int32_t space = lookup(" ");
    tokens.push_back(space >= 0 ? space : ' ' + 3);
  }
  for (size_t i = 0; i < text.size();) {
    size_t len = 1;
    while (len < 4 && i + len < text.size() &&
           (static_cast<unsigned char>(text[i + len]) & 0xC0) == 0x80) {
      ++len;
    }
    const std::string cp = text.substr(i, len);
    if (const int32_t id = lookup(cp); id >= 0) {
      tokens.push_back(id);
    } else {
      for (char c : cp) tokens.push_back(static_cast<unsigned char>(c) + 3);
    }
    i += len;
  }
  auto pair = [&](size_t i) {
    return lookup(std::string(t.tokenizer.piece(tokens[i])) +
                  std::string(t.tokenizer.piece(tokens[i + 1])));
  };
  std::vector<int32_t> merged;
  for (size_t i = 0; i + 1 < tokens.size(); ++i) merged.push_back(pair(i));
  while (true) {
    float best_score = -1e10f;
    int best = -1;
    for (size_t i = 0; i < merged.size(); ++i) {
      if (merged[i] >= 0 && t.tokenizer.score(merged[i]) > best_score) {
        best_score = t.tokenizer.score(merged[i]);
        best = static_cast<int>(i);
      }
    }
    if (best < 0) break;
    tokens[best] = merged[best];
    tokens.erase(tokens.begin() + best + 1);
    merged.erase(merged.begin() + best);
    if (best + 1 < static_cast<int>(tokens.size())) merged[best] = pair(best);
    if (best > 0) merged[best - 1] = pair(best - 1);
  }
  if (eos) tokens.push_back(2);
  return tokens;
}

std::vector<int32_t> encode(const Tokenizer& t, const std::string& text, bool bos, bool eos,
                            Tokenizer::EncodeStats* stats = nullptr) {
  std::vector<int32_t> work(Tokenizer::encode_work_ints(text.size()));
  int32_t n = 0;
  Status s = t.encode(text, bos, eos, work, &n, stats);
  EXPECT_TRUE(s.is_ok()) << s.message();
  return {work.begin(), work.begin() + n};
}

// Random texts of several kinds: raw bytes, UTF-8 of every length, runs of
// one piece (long chains of equal-scoring pairs), pieces of the vocabulary
// glued together, and small alphabets.
class TextMaker {
 public:
  TextMaker(const Tokenizer& t, uint32_t seed) : t_(t), rng_(seed) {}

  std::string make(int kind, size_t max_len) {
    std::string s;
    const size_t len = pick(max_len + 1);
    switch (kind % 5) {
      case 0:
        while (s.size() < len) s += static_cast<char>(pick(256));
        break;
      case 1:
        while (s.size() < len) append_code_point(s);
        break;
      case 2: {
        // A run of one short unit, sometimes with a different edge.
        std::string unit = vocab_piece();
        if (unit.empty() || unit.size() > 4) unit = std::string(1 + pick(3), "a e"[pick(3)]);
        if (pick(2) != 0) s += vocab_piece();
        while (s.size() < len) s += unit;
        if (pick(2) != 0) s += vocab_piece();
        break;
      }
      case 3:
        while (s.size() < len) {
          if (pick(3) == 0) s += ' ';
          s += vocab_piece();
        }
        break;
      case 4: {
        const std::string alphabet = pick(2) != 0 ? "ab " : "e \xC3\xA9\n";
        while (s.size() < len) s += alphabet[pick(alphabet.size())];
        break;
      }
    }
    return s;
  }

 private:
  size_t pick(size_t n) { return std::uniform_int_distribution<size_t>(0, n - 1)(rng_); }
  std::string vocab_piece() {
    // Skip the byte tokens' "<0xXX>" pieces: texts do not contain them.
    const int32_t id = static_cast<int32_t>(259 + pick(t_.vocab_size() - 259));
    return std::string(t_.piece(id));
  }
  void append_code_point(std::string& s) {
    static constexpr uint32_t kRanges[][2] = {
        {0x20, 0x7E}, {0x0A, 0x0A}, {0xA0, 0x7FF}, {0x800, 0xFFFF}, {0x1F300, 0x1F64F}};
    const auto& r = kRanges[pick(std::size(kRanges))];
    uint32_t cp = static_cast<uint32_t>(r[0] + pick(r[1] - r[0] + 1));
    if (cp >= 0xD800 && cp <= 0xDFFF) cp = 'x';
    if (cp < 0x80) {
      s += static_cast<char>(cp);
    } else if (cp < 0x800) {
      s += static_cast<char>(0xC0 | (cp >> 6));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      s += static_cast<char>(0xE0 | (cp >> 12));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      s += static_cast<char>(0xF0 | (cp >> 18));
      s += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      s += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      s += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  const Tokenizer& t_;
  std::mt19937 rng_;
};

void expect_same_as_reference(const std::string& name, int cases, size_t max_len) {
  const LoadedTokenizer& t = loaded(name);
  TextMaker maker(t.tokenizer, 1234);
  for (int i = 0; i < cases; ++i) {
    const std::string text = maker.make(i, max_len);
    const bool bos = (i & 8) == 0, eos = (i & 16) != 0;
    ASSERT_EQ(encode(t.tokenizer, text, bos, eos), reference_encode(t, text, bos, eos))
        << name << " case " << i << " kind " << i % 5 << ": '" << text << "'";
  }
}

TEST(TokenizerEncode, SameIdsAsQuadraticReferenceTok512) {
  expect_same_as_reference("tok512.bin", 3000, 300);
}

TEST(TokenizerEncode, SameIdsAsQuadraticReferenceLlama2) {
  expect_same_as_reference("tokenizer.bin", 2000, 300);
}

TEST(TokenizerEncode, EqualScoresMergeLeftmostFirst) {
  // A run of spaces: every adjacent pair forms the same token, so the chain
  // of ties decides the result.
  for (const char* name : {"tok512.bin", "tokenizer.bin"}) {
    const LoadedTokenizer& t = loaded(name);
    for (size_t len : {1u, 2u, 3u, 7u, 16u, 31u, 100u}) {
      for (const char* unit : {" ", "a", "ab", "\n", "\xC3\xA9"}) {
        std::string text;
        for (size_t i = 0; i < len; ++i) text += unit;
        EXPECT_EQ(encode(t.tokenizer, text, true, false), reference_encode(t, text, true, false))
            << name << ": " << len << " x '" << unit << "'";
      }
    }
  }
}

// Not timed: the heap's work per symbol stays within a constant times log n,
// from 4 KB to 1 MB, so encoding grows as n log n (a quadratic scan would
// show up as a ratio growing with n).
TEST(TokenizerEncode, HeapWorkGrowsAsNLogN) {
  const LoadedTokenizer& t = loaded("tokenizer.bin");
  const std::string paragraph =
      "Once upon a time, there was a little girl named Lily. She loved to play outside in the "
      "sunshine.  \xC3\x89l\xC3\xA8ve \xF0\x9F\x98\x80 aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n";
  for (size_t bytes : {size_t{4} << 10, size_t{64} << 10, size_t{1} << 20}) {
    std::string text;
    while (text.size() < bytes) text += paragraph;
    text.resize(bytes);
    Tokenizer::EncodeStats stats;
    const std::vector<int32_t> ids = encode(t.tokenizer, text, true, false, &stats);
    ASSERT_GT(stats.symbols, 0);
    EXPECT_EQ(stats.symbols - stats.merges, static_cast<int32_t>(ids.size()));
    const double n_log_n = stats.symbols * std::log2(static_cast<double>(stats.symbols));
    EXPECT_LT(static_cast<double>(stats.heap_sift_steps), 3.0 * n_log_n) << bytes << " bytes";
    // The ids decode to the text.
    std::string round_trip;
    for (size_t i = 1; i < ids.size(); ++i) round_trip += t.tokenizer.decode(ids[i - 1], ids[i]);
    EXPECT_EQ(round_trip, text);
  }
}

}  // namespace
}  // namespace llmcu::test
