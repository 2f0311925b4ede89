#include "llmcu/pretokenizer.h"

#include <cstdint>

#include "core/unicode.h"

namespace llmcu {
namespace {

using unicode::Category;

// One code point of the text: where it starts, how long it is, its class.
struct CodePoint {
  uint32_t cp = 0;
  size_t length = 0;  // 0: past the end of the piece
  Category category = unicode::kUnassigned;
  bool whitespace = false;
  bool at_end() const { return length == 0; }
  bool is(Category c) const { return length != 0 && category == c; }
};

// A piece [begin, end) of the text, read code point by code point.
struct Piece {
  std::string_view text;
  size_t begin, end;

  CodePoint at(size_t pos) const {
    CodePoint c;
    if (pos >= end) return c;
    c.cp = unicode::decode(text.substr(0, end), pos, &c.length);
    const unicode::CodePointClass k = unicode::classify(c.cp);
    c.category = k.category;
    c.whitespace = k.whitespace;
    return c;
  }
  size_t next(size_t pos) const { return pos + at(pos).length; }
  // The end of the run of code points from `pos` that satisfy `pred`.
  template <typename Pred>
  size_t run(size_t pos, Pred pred) const {
    for (CodePoint c = at(pos); !c.at_end() && pred(c); c = at(pos)) pos += c.length;
    return pos;
  }
};

bool is_letter(const CodePoint& c) {
  return c.is(unicode::kLetter);
}
bool is_number(const CodePoint& c) {
  return c.is(unicode::kNumber);
}
bool is_other(const CodePoint& c) {  // [^\s\p{L}\p{N}]
  return !c.at_end() && !c.whitespace && !is_letter(c) && !is_number(c);
}
bool is_cr_or_lf(const CodePoint& c) {
  return !c.at_end() && (c.cp == '\r' || c.cp == '\n');
}
char ascii_lower(uint32_t cp) {
  return static_cast<char>(cp >= 'A' && cp <= 'Z' ? cp + ('a' - 'A') : cp);
}

// 's 't 're 've 'm 'll 'd (ASCII letters, optionally either case): the end
// of the contraction at `pos`, or `pos`.
size_t contraction(const Piece& p, size_t pos, bool any_case) {
  const CodePoint quote = p.at(pos);
  if (quote.at_end() || quote.cp != '\'') return pos;
  const CodePoint a = p.at(pos + 1), b = p.at(pos + 1 + a.length);
  const auto lower = [any_case](const CodePoint& c) -> char {
    if (c.at_end() || c.cp >= 0x80) return 0;
    return any_case ? ascii_lower(c.cp) : static_cast<char>(c.cp);
  };
  const char x = lower(a), y = lower(b);
  if (x == 's' || x == 't' || x == 'm' || x == 'd') return pos + 1 + a.length;
  if ((x == 'r' && y == 'e') || (x == 'v' && y == 'e') || (x == 'l' && y == 'l')) {
    return pos + 1 + a.length + b.length;
  }
  return pos;
}

// After a run of whitespace [pos, ws_end): \s+(?!\S) leaves the last
// whitespace for the word that follows, unless the piece ends there.
size_t whitespace_word(const Piece& p, size_t pos, size_t ws_end) {
  if (ws_end < p.end) {
    size_t last = pos;
    for (size_t q = pos; q < ws_end; q = p.next(q)) last = q;
    if (last > pos) return last;
  }
  return ws_end;
}

// GPT-2: 's|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+
// The end of the word that starts at `pos`.
size_t gpt2_word(const Piece& p, size_t pos) {
  if (size_t e = contraction(p, pos, false); e != pos) return e;
  const CodePoint c = p.at(pos);
  const size_t after_space = c.cp == ' ' ? pos + 1 : pos;
  const CodePoint first = p.at(after_space);
  if (is_letter(first)) return p.run(after_space, is_letter);
  if (is_number(first)) return p.run(after_space, is_number);
  if (is_other(first)) return p.run(after_space, is_other);
  const size_t ws_end = p.run(pos, [](const CodePoint& k) { return k.whitespace; });
  if (ws_end > pos) return whitespace_word(p, pos, ws_end);
  return p.next(pos);
}

// Llama 3: (?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|
//          ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+
// Qwen2 is the same with \p{N} alone instead of \p{N}{1,3}.
size_t llama3_word(const Piece& p, size_t pos, int max_digits) {
  if (size_t e = contraction(p, pos, true); e != pos) return e;
  const CodePoint c = p.at(pos);
  if (is_letter(c)) return p.run(pos, is_letter);
  if (!is_cr_or_lf(c) && !is_number(c) && is_letter(p.at(pos + c.length))) {
    return p.run(pos + c.length, is_letter);
  }
  if (is_number(c)) {
    size_t e = pos;
    for (int i = 0; i < max_digits && is_number(p.at(e)); ++i) e = p.next(e);
    return e;
  }
  const size_t after_space = c.cp == ' ' ? pos + 1 : pos;
  if (is_other(p.at(after_space))) {
    return p.run(p.run(after_space, is_other), is_cr_or_lf);
  }
  size_t ws_end = pos, after_last_newline = pos;
  for (CodePoint k = p.at(ws_end); !k.at_end() && k.whitespace; k = p.at(ws_end)) {
    ws_end += k.length;
    if (k.cp == '\r' || k.cp == '\n') after_last_newline = ws_end;
  }
  if (after_last_newline > pos) return after_last_newline;  // \s*[\r\n]+
  if (ws_end > pos) return whitespace_word(p, pos, ws_end);
  return p.next(pos);
}

struct Range {
  uint32_t first, last;
};
bool in_ranges(uint32_t cp, const Range* ranges, size_t count) {
  for (size_t i = 0; i < count; ++i) {
    if (cp >= ranges[i].first && cp <= ranges[i].last) return true;
  }
  return false;
}
// llama.cpp runs the patterns without \p{..} on code points where every
// non-ASCII White_Space became U+000B, so explicit ranges never match those.
bool in_explicit_ranges(const CodePoint& c, const Range* ranges, size_t count) {
  if (c.at_end() || (c.cp >= 0x80 && c.whitespace)) return false;
  return in_ranges(c.cp, ranges, count);
}

// DeepSeek LLM's letter and punctuation classes, from its published pattern.
constexpr Range kDeepseekLetters[] = {
    {0x41, 0x5A},       {0x61, 0x7A},       {0xB5, 0xB5},       {0xC0, 0xD6},
    {0xD8, 0xF6},       {0xF8, 0x1BA},      {0x1BC, 0x1BF},     {0x1C4, 0x293},
    {0x295, 0x2AF},     {0x370, 0x373},     {0x376, 0x377},     {0x37B, 0x37D},
    {0x37F, 0x37F},     {0x386, 0x386},     {0x388, 0x38A},     {0x38C, 0x38C},
    {0x38E, 0x3A1},     {0x3A3, 0x3F5},     {0x3F7, 0x481},     {0x48A, 0x52F},
    {0x531, 0x556},     {0x10A0, 0x10C5},   {0x13A0, 0x13F5},   {0x13F8, 0x13FD},
    {0x1C90, 0x1CBA},   {0x1CBD, 0x1CBF},   {0x1D00, 0x1D2B},   {0x1D6B, 0x1D77},
    {0x1D79, 0x1D9A},   {0x1E00, 0x1F15},   {0x1F18, 0x1F1D},   {0x1F20, 0x1F45},
    {0x1F48, 0x1F4D},   {0x1F50, 0x1F57},   {0x1F59, 0x1F59},   {0x1F5B, 0x1F5B},
    {0x1F5D, 0x1F5D},   {0x1F5F, 0x1F7D},   {0x1F80, 0x1FB4},   {0x1FB6, 0x1FBC},
    {0x1FBE, 0x1FBE},   {0x1FC2, 0x1FC4},   {0x1FC6, 0x1FCC},   {0x1FD0, 0x1FD3},
    {0x1FD6, 0x1FDB},   {0x1FE0, 0x1FEC},   {0x1FF2, 0x1FF4},   {0x1FF6, 0x1FFC},
    {0x2102, 0x2102},   {0x2107, 0x2107},   {0x210A, 0x2113},   {0x2115, 0x2115},
    {0x2119, 0x211D},   {0x2124, 0x2124},   {0x2126, 0x2126},   {0x2128, 0x2128},
    {0x212A, 0x212D},   {0x212F, 0x2134},   {0x2139, 0x2139},   {0x213C, 0x213F},
    {0x2145, 0x2149},   {0x214E, 0x214E},   {0x2183, 0x2184},   {0x2C00, 0x2C7B},
    {0x2C7E, 0x2CE4},   {0x2CEB, 0x2CEE},   {0x2CF2, 0x2CF3},   {0xA640, 0xA66D},
    {0xA680, 0xA69B},   {0xA722, 0xA76F},   {0xA771, 0xA787},   {0xA78B, 0xA78E},
    {0xAB70, 0xABBF},   {0xFB00, 0xFB06},   {0xFB13, 0xFB17},   {0xFF21, 0xFF3A},
    {0xFF41, 0xFF5A},   {0x10400, 0x1044F}, {0x104B0, 0x104D3}, {0x104D8, 0x104FB},
    {0x10C80, 0x10CB2}, {0x10CC0, 0x10CF2}, {0x118A0, 0x118DF}, {0x1E900, 0x1E943},
};
constexpr Range kDeepseekPunctuation[] = {
    {0x21, 0x2F},     {0x3A, 0x7E},     {0xFF01, 0xFF0F},
    {0xFF1A, 0xFF5E}, {0x2018, 0x201F}, {0x3000, 0x3002},
};
// CJK ideographs and Hangul: [一-龥ࠀ-一가-퟿]
constexpr Range kCjk[] = {{0x800, 0x9FA5}, {0xAC00, 0xD7FF}};

enum class Pattern {
  kGpt2,                      // the GPT-2 pattern, cutting the whole piece
  kLlama3,                    // the Llama 3 pattern, cutting the whole piece
  kQwen2,                     // Llama 3's with single digits
  kNumber,                    // \p{N}
  kNumbers,                   // \p{N}+
  kThreeDigits,               // [0-9][0-9][0-9]
  kFalconPunctuation,         // [\p{P}\$\+<=>\^~\|`]+
  kDefaultPunctuation,        // [\p{P}\$\+<=>\^~\|]+
  kCrOrLf,                    // [\r\n]
  kSpaceLetters,              // \s?\p{L}+
  kSpacePunctuation,          // \s?\p{P}+
  kCjkRun,                    // [一-龥ࠀ-一가-퟿]+
  kSpaceDeepseekLetters,      // \s?[A-Za-zµÀ-Ö...]+
  kSpaceDeepseekPunctuation,  // \s?[!-/:-~！-／：-～‘-‟　-。]+
  kTrailingWhitespace,        // \s+$
};

bool is_ascii_digit(const CodePoint& c) {
  return !c.at_end() && c.cp >= '0' && c.cp <= '9';
}
bool is_punctuation_or(const CodePoint& c, std::string_view ascii) {
  if (c.at_end()) return false;
  if (c.is(unicode::kPunctuation)) return true;
  return c.cp < 0x80 && ascii.find(static_cast<char>(c.cp)) != std::string_view::npos;
}

// \s?X+ : an optional whitespace, then a run of X.
template <typename Pred>
size_t optional_space_then_run(const Piece& p, size_t pos, Pred pred) {
  const CodePoint c = p.at(pos);
  if (c.whitespace && pred(p.at(pos + c.length))) return p.run(pos + c.length, pred);
  return pred(c) ? p.run(pos, pred) : pos;
}

// The end of this pattern's match at `pos`, or `pos` when there is none.
size_t match_at(Pattern pattern, const Piece& p, size_t pos) {
  switch (pattern) {
    case Pattern::kGpt2: return gpt2_word(p, pos);
    case Pattern::kLlama3: return llama3_word(p, pos, 3);
    case Pattern::kQwen2: return llama3_word(p, pos, 1);
    case Pattern::kNumber: return is_number(p.at(pos)) ? p.next(pos) : pos;
    case Pattern::kNumbers: return p.run(pos, is_number);
    case Pattern::kThreeDigits: {
      size_t e = pos;
      for (int i = 0; i < 3; ++i) {
        if (!is_ascii_digit(p.at(e))) return pos;
        ++e;
      }
      return e;
    }
    case Pattern::kFalconPunctuation:
      return p.run(pos, [](const CodePoint& c) { return is_punctuation_or(c, "$+<=>^~|`"); });
    case Pattern::kDefaultPunctuation:
      return p.run(pos, [](const CodePoint& c) { return is_punctuation_or(c, "$+<=>^~|"); });
    case Pattern::kCrOrLf: return is_cr_or_lf(p.at(pos)) ? pos + 1 : pos;
    case Pattern::kSpaceLetters: return optional_space_then_run(p, pos, is_letter);
    case Pattern::kSpacePunctuation:
      return optional_space_then_run(
          p, pos, [](const CodePoint& c) { return c.is(unicode::kPunctuation); });
    case Pattern::kCjkRun:
      return p.run(pos, [](const CodePoint& c) {
        return in_explicit_ranges(c, kCjk, sizeof(kCjk) / sizeof(kCjk[0]));
      });
    case Pattern::kSpaceDeepseekLetters:
      return optional_space_then_run(p, pos, [](const CodePoint& c) {
        return in_explicit_ranges(c, kDeepseekLetters,
                                  sizeof(kDeepseekLetters) / sizeof(kDeepseekLetters[0]));
      });
    case Pattern::kSpaceDeepseekPunctuation:
      return optional_space_then_run(p, pos, [](const CodePoint& c) {
        return in_explicit_ranges(c, kDeepseekPunctuation,
                                  sizeof(kDeepseekPunctuation) / sizeof(kDeepseekPunctuation[0]));
      });
    case Pattern::kTrailingWhitespace: {
      const size_t e = p.run(pos, [](const CodePoint& c) { return c.whitespace; });
      return (e > pos && e == p.end) ? e : pos;
    }
  }
  return pos;
}

struct Sequence {
  const Pattern* patterns;
  int count;
};

Sequence sequence_of(PreTokenizer kind) {
  using P = Pattern;
  static constexpr P kGpt2[] = {P::kGpt2};
  static constexpr P kLlama3[] = {P::kLlama3};
  static constexpr P kQwen2[] = {P::kQwen2};
  static constexpr P kStarcoder[] = {P::kNumber, P::kGpt2};
  static constexpr P kFalcon[] = {P::kFalconPunctuation, P::kGpt2, P::kThreeDigits};
  static constexpr P kDeepseekCoder[] = {P::kCrOrLf, P::kSpaceLetters, P::kSpacePunctuation,
                                         P::kCjkRun, P::kNumber};
  static constexpr P kDeepseekLlm[] = {P::kCrOrLf,
                                       P::kSpaceDeepseekLetters,
                                       P::kSpaceDeepseekPunctuation,
                                       P::kTrailingWhitespace,
                                       P::kCjkRun,
                                       P::kNumbers};
  static constexpr P kDefault[] = {P::kDefaultPunctuation, P::kGpt2, P::kNumbers, P::kThreeDigits};
#define LLMCU_SEQUENCE(a)                         \
  Sequence {                                      \
    a, static_cast<int>(sizeof(a) / sizeof(a[0])) \
  }
  switch (kind) {
    case PreTokenizer::kGpt2: return LLMCU_SEQUENCE(kGpt2);
    case PreTokenizer::kLlama3: return LLMCU_SEQUENCE(kLlama3);
    case PreTokenizer::kQwen2: return LLMCU_SEQUENCE(kQwen2);
    case PreTokenizer::kStarcoder: return LLMCU_SEQUENCE(kStarcoder);
    case PreTokenizer::kFalcon: return LLMCU_SEQUENCE(kFalcon);
    case PreTokenizer::kDeepseekCoder: return LLMCU_SEQUENCE(kDeepseekCoder);
    case PreTokenizer::kDeepseekLlm: return LLMCU_SEQUENCE(kDeepseekLlm);
    case PreTokenizer::kDefault: return LLMCU_SEQUENCE(kDefault);
  }
#undef LLMCU_SEQUENCE
  return {kDefault, 0};
}

struct Splitter {
  Sequence sequence;
  std::string_view text;
  WordSink sink;
  void* user;

  Status emit(int stage, size_t begin, size_t end) {
    if (begin == end) return Status::ok();
    if (stage == sequence.count) return sink(user, begin, end);
    return split(stage, begin, end);
  }
  // Leftmost matches of the stage's pattern, each one a piece, and the
  // stretches between them pieces too.
  Status split(int stage, size_t begin, size_t end) {
    const Piece piece{text, begin, end};
    const Pattern pattern = sequence.patterns[stage];
    size_t gap = begin;
    for (size_t pos = begin; pos < end;) {
      const size_t match_end = match_at(pattern, piece, pos);
      if (match_end > pos) {
        LLMCU_TRY(emit(stage + 1, gap, pos));
        LLMCU_TRY(emit(stage + 1, pos, match_end));
        pos = gap = match_end;
      } else {
        pos = piece.next(pos);
      }
    }
    return emit(stage + 1, gap, end);
  }
};

}  // namespace

Result<PreTokenizer> pre_tokenizer_named(std::string_view name) {
  struct Name {
    std::string_view name;
    PreTokenizer kind;
  };
  static constexpr Name kNames[] = {
      {"", PreTokenizer::kDefault},
      {"default", PreTokenizer::kDefault},
      {"gpt-2", PreTokenizer::kGpt2},
      {"phi-2", PreTokenizer::kGpt2},
      {"jina-es", PreTokenizer::kGpt2},
      {"jina-de", PreTokenizer::kGpt2},
      {"gigachat", PreTokenizer::kGpt2},
      {"jina-v1-en", PreTokenizer::kGpt2},
      {"jina-v2-es", PreTokenizer::kGpt2},
      {"jina-v2-de", PreTokenizer::kGpt2},
      {"jina-v2-code", PreTokenizer::kGpt2},
      {"roberta-bpe", PreTokenizer::kGpt2},
      {"mpt", PreTokenizer::kGpt2},
      {"olmo", PreTokenizer::kGpt2},
      {"jais", PreTokenizer::kGpt2},
      {"llama3", PreTokenizer::kLlama3},
      {"llama-v3", PreTokenizer::kLlama3},
      {"llama-bpe", PreTokenizer::kLlama3},
      {"falcon3", PreTokenizer::kLlama3},
      {"dbrx", PreTokenizer::kLlama3},
      {"smaug-bpe", PreTokenizer::kLlama3},
      {"chatglm-bpe", PreTokenizer::kLlama3},
      {"qwen2", PreTokenizer::kQwen2},
      {"deepseek-r1-qwen", PreTokenizer::kQwen2},
      {"stablelm2", PreTokenizer::kQwen2},
      {"megrez", PreTokenizer::kQwen2},
      {"starcoder", PreTokenizer::kStarcoder},
      {"refact", PreTokenizer::kStarcoder},
      {"smollm", PreTokenizer::kStarcoder},
      {"command-r", PreTokenizer::kStarcoder},
      {"codeshell", PreTokenizer::kStarcoder},
      {"exaone", PreTokenizer::kStarcoder},
      {"minerva-7b", PreTokenizer::kStarcoder},
      {"falcon", PreTokenizer::kFalcon},
      {"deepseek-coder", PreTokenizer::kDeepseekCoder},
      {"deepseek-llm", PreTokenizer::kDeepseekLlm},
  };
  for (const Name& n : kNames) {
    if (n.name == name) return n.kind;
  }
  return Status::error(StatusCode::kUnsupported,
                       "tokenizer.ggml.pre '%.*s': no pre-tokenizer of that name in llmcu",
                       static_cast<int>(name.size()), name.data());
}

Status pre_tokenize(PreTokenizer kind, std::string_view text, WordSink sink, void* user) {
  Splitter splitter{sequence_of(kind), text, sink, user};
  return splitter.emit(0, 0, text.size());
}

}  // namespace llmcu
