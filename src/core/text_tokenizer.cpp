#include "llmcu/text_tokenizer.h"

#include <cstring>
#include <new>

#include "core/unicode.h"

namespace llmcu {
namespace {

size_t align8(size_t n) {
  return (n + 7) & ~size_t{7};
}

// The ids an encode of `text_bytes` bytes may give: one per byte at most
// (a byte-fallback or GPT-2 byte token each), plus BOS and EOS.
size_t max_ids(size_t text_bytes) {
  return text_bytes + 4;
}

// Where the parts of a GGUF tokenizer's table memory start.
struct TableLayout {
  size_t vocab_object = 0;
  size_t offsets = 0;
  size_t engine = 0;
  size_t engine_bytes = 0;
  size_t piece_buffer = 0;
  size_t total = 0;
};

TableLayout gguf_table_layout(const TokenizerSpec& spec) {
  TableLayout t;
  t.offsets = align8(sizeof(GgufVocabulary));
  t.engine = t.offsets + align8(GgufVocabulary::table_bytes(spec));
  t.engine_bytes = spec.kind == TokenizerKind::kBytePairs
                       ? BpeTokenizer::table_bytes(spec.vocab_size, spec.specials, spec.merges)
                       : SpmTokenizer::table_bytes(spec.vocab_size, spec.specials);
  t.piece_buffer = t.engine + align8(t.engine_bytes);
  t.total = t.piece_buffer + align8(static_cast<size_t>(spec.max_token_bytes) + 1);
  return t;
}

// GPT-2's byte -> code point map undone: the byte a code point below 324
// stands for (printable Latin-1 bytes stand for themselves, the other 68
// bytes took 256, 257, ... in byte order), -1 for the code points it skips.
struct ByteOfCodePoint {
  int16_t byte[324];
  constexpr ByteOfCodePoint() : byte() {
    for (int16_t& b : byte) b = -1;
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      byte[printable ? b : next++] = static_cast<int16_t>(b);
    }
  }
};
constexpr ByteOfCodePoint kByteOfCodePoint;

constexpr char kEscapedSpace[] = "\xE2\x96\x81";  // U+2581, SentencePiece's space

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

// Token strings llama.cpp also treats as ends of a turn, whatever the metadata says.
constexpr std::string_view kTurnEnds[] = {"<|eot_id|>",      "<|eom_id|>",    "<|im_end|>",
                                          "<|end|>",         "<end_of_turn>", "<|endoftext|>",
                                          "<|end_of_text|>", "<EOT>"};

Result<int32_t> read_optional_id(const GgufFile& file, std::string_view key) {
  if (file.find(key) == nullptr) return -1;
  LLMCU_TRY_ASSIGN(uint32_t v, file.get_u32(key));
  return v > INT32_MAX ? -1 : static_cast<int32_t>(v);
}

}  // namespace

const char* tokenizer_kind_name(TokenizerKind kind) {
  switch (kind) {
    case TokenizerKind::kLlama2c: return "llama2.c tokenizer file";
    case TokenizerKind::kSentencePiece: return "SentencePiece BPE (GGUF llama)";
    case TokenizerKind::kBytePairs: return "byte-level BPE (GGUF gpt2)";
    case TokenizerKind::kUnsupported: return "unsupported";
  }
  return "unknown";
}

TokenizerSpec llama2c_tokenizer_spec(int32_t vocab_size) {
  TokenizerSpec spec;
  spec.kind = TokenizerKind::kLlama2c;
  spec.vocab_size = vocab_size;
  return spec;
}

size_t tokenizer_table_bytes(const TokenizerSpec& spec) {
  switch (spec.kind) {
    case TokenizerKind::kLlama2c: return Tokenizer::table_bytes(spec.vocab_size);
    case TokenizerKind::kSentencePiece:
    case TokenizerKind::kBytePairs: return gguf_table_layout(spec).total;
    case TokenizerKind::kUnsupported: return 0;
  }
  return 0;
}

size_t tokenizer_work_bytes(const TokenizerSpec& spec, size_t text_bytes) {
  const size_t ids = align8(sizeof(int32_t) * max_ids(text_bytes));
  switch (spec.kind) {
    case TokenizerKind::kLlama2c: return sizeof(int32_t) * Tokenizer::encode_work_ints(text_bytes);
    case TokenizerKind::kSentencePiece: return ids + SpmTokenizer::encode_work_bytes(text_bytes);
    case TokenizerKind::kBytePairs: return ids + BpeTokenizer::encode_work_bytes(text_bytes);
    case TokenizerKind::kUnsupported: return 0;
  }
  return 0;
}

Result<TextTokenizer> TextTokenizer::load_llama2c(std::span<const uint8_t> bytes,
                                                  int32_t vocab_size,
                                                  std::span<uint8_t> table_memory,
                                                  const char* name) {
  TextTokenizer t;
  LLMCU_TRY_ASSIGN(t.llama2c_, Tokenizer::load(bytes, vocab_size, table_memory, name));
  t.kind_ = TokenizerKind::kLlama2c;
  t.vocab_size_ = vocab_size;
  t.bos_ = Tokenizer::kBos;
  t.add_stop(Tokenizer::kBos);
  return t;
}

Result<TextTokenizer> TextTokenizer::load_gguf(const GgufFile& file, const TokenizerSpec& spec,
                                               std::span<uint8_t> table_memory) {
  if (spec.kind != TokenizerKind::kSentencePiece && spec.kind != TokenizerKind::kBytePairs) {
    // Say why: measuring again gives the reason it was refused.
    LLMCU_TRY(GgufVocabulary::measure(file).status());
    return Status::error(StatusCode::kInvalidArgument,
                         "the tokenizer spec is not that of a GGUF vocabulary")
        .with_context(file.name());
  }
  const TableLayout layout = gguf_table_layout(spec);
  if (table_memory.size() < layout.total ||
      reinterpret_cast<uintptr_t>(table_memory.data()) % 8 != 0) {
    return Status::error(StatusCode::kResourceExhausted,
                         "the tokenizer's tables need %llu bytes, 8-byte aligned; got %llu",
                         static_cast<unsigned long long>(layout.total),
                         static_cast<unsigned long long>(table_memory.size()))
        .with_context(file.name());
  }
  uint8_t* base = table_memory.data();
  LLMCU_TRY_ASSIGN(
      GgufVocabulary opened,
      GgufVocabulary::open(file, spec, {base + layout.offsets, layout.engine - layout.offsets}));
  auto* vocab = new (base + layout.vocab_object) GgufVocabulary(opened);
  LLMCU_TRY_ASSIGN(const VocabSettings settings, GgufVocabulary::settings(file));

  TextTokenizer t;
  t.kind_ = spec.kind;
  t.vocab_size_ = spec.vocab_size;
  t.vocab_ = vocab;
  t.piece_buffer_ = reinterpret_cast<char*>(base + layout.piece_buffer);
  const std::span<uint8_t> engine_memory(base + layout.engine, layout.engine_bytes);
  int32_t eos = -1;
  if (spec.kind == TokenizerKind::kSentencePiece) {
    LLMCU_TRY_ASSIGN(t.spm_, SpmTokenizer::load(*vocab, settings, engine_memory, file.name()));
    t.bos_ = t.spm_.bos();
    eos = t.spm_.eos();
    t.strip_space_after_bos_ = t.spm_.adds_space_prefix();
  } else {
    LLMCU_TRY_ASSIGN(t.bpe_, BpeTokenizer::load(*vocab, settings, engine_memory, file.name()));
    t.bos_ = t.bpe_.bos();
    eos = t.bpe_.eos();
  }
  t.add_stop(eos);
  for (const char* key : {"tokenizer.ggml.eot_token_id", "tokenizer.ggml.eom_token_id"}) {
    LLMCU_TRY_ASSIGN(const int32_t id, read_optional_id(file, key));
    if (id < spec.vocab_size) t.add_stop(id);
  }
  for (int32_t id = 0; id < spec.vocab_size; ++id) {
    const std::string_view s = vocab->token(id);
    if (s.size() < 5 || s.size() > 15 || s[0] != '<') continue;  // cheap filter first
    for (std::string_view end : kTurnEnds) {
      if (s == end) t.add_stop(id);
    }
  }
  return t;
}

void TextTokenizer::add_stop(int32_t token) {
  if (token < 0 || ends_generation(token) || stop_count_ == kMaxStopTokens) return;
  stops_[stop_count_++] = token;
}

bool TextTokenizer::ends_generation(int32_t token) const {
  for (int32_t i = 0; i < stop_count_; ++i) {
    if (stops_[i] == token) return true;
  }
  return false;
}

Result<std::span<const int32_t>> TextTokenizer::encode(std::string_view text, bool add_special,
                                                       std::span<uint8_t> work) const {
  TokenizerSpec spec;
  spec.kind = kind_;
  const size_t needed = tokenizer_work_bytes(spec, text.size());
  if (work.size() < needed || reinterpret_cast<uintptr_t>(work.data()) % 4 != 0) {
    return Status::error(StatusCode::kResourceExhausted,
                         "encoding %llu bytes of text needs %llu bytes of work memory, got %llu",
                         static_cast<unsigned long long>(text.size()),
                         static_cast<unsigned long long>(needed),
                         static_cast<unsigned long long>(work.size()));
  }
  auto* ids = reinterpret_cast<int32_t*>(work.data());
  int32_t n = 0;
  if (kind_ == TokenizerKind::kLlama2c) {
    const std::span<int32_t> ints(ids, Tokenizer::encode_work_ints(text.size()));
    LLMCU_TRY(llama2c_.encode(text, add_special, /*eos=*/false, ints, &n));
    return std::span<const int32_t>(ids, static_cast<size_t>(n));
  }
  const size_t capacity = max_ids(text.size());
  const std::span<uint8_t> rest = work.subspan(align8(sizeof(int32_t) * capacity));
  const std::span<int32_t> out(ids, capacity);
  if (kind_ == TokenizerKind::kSentencePiece) {
    LLMCU_TRY(spm_.encode(text, add_special, /*parse_special=*/true, rest, out, &n));
  } else {
    LLMCU_TRY(bpe_.encode(text, add_special, /*parse_special=*/true, rest, out, &n));
  }
  return std::span<const int32_t>(ids, static_cast<size_t>(n));
}

std::string_view TextTokenizer::piece(int32_t token) const {
  if (token < 0 || token >= vocab_size_) return {};
  return kind_ == TokenizerKind::kLlama2c ? llama2c_.piece(token) : vocab_->token(token);
}

std::string_view TextTokenizer::decode(int32_t prev, int32_t token) {
  if (kind_ == TokenizerKind::kLlama2c) return llama2c_.decode(prev, token);
  if (token < 0 || token >= vocab_size_) return {};
  const std::string_view text = vocab_->token(token);
  const TokenType type = vocab_->type(token);
  if (type == TokenType::kControl) return {};
  char* out = piece_buffer_;
  size_t n = 0;
  if (kind_ == TokenizerKind::kSentencePiece) {
    if (type == TokenType::kByte && text.size() == 6 && text.substr(0, 3) == "<0x" &&
        text[5] == '>' && hex_digit(text[3]) >= 0 && hex_digit(text[4]) >= 0) {
      out[0] = static_cast<char>(hex_digit(text[3]) * 16 + hex_digit(text[4]));
      return {out, 1};
    }
    for (size_t i = 0; i < text.size();) {
      if (text.compare(i, 3, kEscapedSpace) == 0) {
        out[n++] = ' ';
        i += 3;
      } else {
        out[n++] = text[i++];
      }
    }
    if (strip_space_after_bos_ && prev == bos_ && n > 0 && out[0] == ' ') return {out + 1, n - 1};
    return {out, n};
  }
  if (type == TokenType::kUserDefined) return text;
  // Byte-level BPE: each code point stands for one byte. One that does not
  // (not a GPT-2 byte code point) is kept as it is.
  for (size_t pos = 0; pos < text.size();) {
    size_t length = 0;
    const uint32_t cp = unicode::decode(text, pos, &length);
    if (cp < 324 && kByteOfCodePoint.byte[cp] >= 0) {
      out[n++] = static_cast<char>(kByteOfCodePoint.byte[cp]);
    } else {
      memcpy(out + n, text.data() + pos, length);
      n += length;
    }
    pos += length;
  }
  return {out, n};
}

}  // namespace llmcu
