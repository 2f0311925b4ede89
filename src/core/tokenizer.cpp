#include "llmcu/tokenizer.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "bytes.h"
#include "core/pair_heap.h"

namespace llmcu {
namespace {

constexpr size_t kRecordHeader = sizeof(float) + sizeof(int32_t);  // score, length

// Every possible byte as a one-character piece, for "<0xXX>" tokens.
struct BytePieces {
  char bytes[256];
  constexpr BytePieces() : bytes() {
    for (int i = 0; i < 256; ++i) bytes[i] = static_cast<char>(i);
  }
};
constexpr BytePieces kBytePieces;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Compares the concatenation left+right with `text`, like a three-way memcmp.
int compare_concat(std::string_view left, std::string_view right, std::string_view text) {
  size_t n = std::min(left.size(), text.size());
  if (int c = memcmp(left.data(), text.data(), n); c != 0) return c;
  if (left.size() > text.size()) return 1;
  text.remove_prefix(n);
  n = std::min(right.size(), text.size());
  if (int c = memcmp(right.data(), text.data(), n); c != 0) return c;
  if (right.size() == text.size()) return 0;
  return right.size() < text.size() ? -1 : 1;
}

// Walks the records of a tokenizer file; shared by count_tokens() and load().
class RecordWalker {
 public:
  explicit RecordWalker(std::span<const uint8_t> bytes) : bytes_(bytes) {}

  Status start() {
    if (bytes_.size() < sizeof(uint32_t)) {
      return Status::error(StatusCode::kInvalidFormat,
                           "truncated: a tokenizer starts with a 4-byte max_token_length, file "
                           "has %llu bytes",
                           static_cast<unsigned long long>(bytes_.size()));
    }
    max_len_ = read_u32(bytes_.data());
    offset_ = sizeof(uint32_t);
    return Status::ok();
  }
  bool at_end() const { return offset_ == bytes_.size(); }
  size_t offset() const { return offset_; }

  // Validates record `index` and returns the offset of its piece bytes.
  Result<uint32_t> next(int32_t index) {
    const size_t left = bytes_.size() - offset_;
    if (left < kRecordHeader) {
      return Status::error(StatusCode::kInvalidFormat,
                           "truncated at token %ld: %llu bytes left, a record needs at least %u",
                           static_cast<long>(index), static_cast<unsigned long long>(left),
                           static_cast<unsigned>(kRecordHeader));
    }
    float score;
    memcpy(&score, bytes_.data() + offset_, sizeof(score));
    int32_t length;
    memcpy(&length, bytes_.data() + offset_ + sizeof(float), sizeof(length));
    if (std::isnan(score)) {
      return Status::error(StatusCode::kInvalidFormat, "token %ld has a NaN score",
                           static_cast<long>(index));
    }
    if (length < 0 || static_cast<uint32_t>(length) > max_len_) {
      return Status::error(StatusCode::kInvalidFormat,
                           "token %ld has length %ld, outside 0..%lu (max_token_length)",
                           static_cast<long>(index), static_cast<long>(length),
                           static_cast<unsigned long>(max_len_));
    }
    if (static_cast<size_t>(length) > left - kRecordHeader) {
      return Status::error(StatusCode::kInvalidFormat,
                           "truncated at token %ld: its %ld bytes run past the end of the file",
                           static_cast<long>(index), static_cast<long>(length));
    }
    if (offset_ + kRecordHeader > UINT32_MAX) {
      return Status::error(StatusCode::kOutOfRange, "file larger than 4 GiB");
    }
    const uint32_t piece_offset = static_cast<uint32_t>(offset_ + kRecordHeader);
    offset_ = piece_offset + static_cast<size_t>(length);
    return piece_offset;
  }

 private:
  std::span<const uint8_t> bytes_;
  uint32_t max_len_ = 0;
  size_t offset_ = 0;
};

}  // namespace

size_t Tokenizer::table_bytes(int32_t vocab_size) {
  return vocab_size <= 0 ? 0 : 2 * sizeof(uint32_t) * static_cast<size_t>(vocab_size);
}

Result<int32_t> Tokenizer::count_tokens(std::span<const uint8_t> bytes, const char* name) {
  RecordWalker walker(bytes);
  Status status = walker.start();
  int32_t count = 0;
  while (status.is_ok() && !walker.at_end()) {
    if (count == INT32_MAX) {
      status = Status::error(StatusCode::kOutOfRange, "more than 2^31 tokens");
      break;
    }
    Result<uint32_t> record = walker.next(count);
    status = record.status();
    if (status.is_ok()) ++count;
  }
  if (status.is_ok() && count < 3) {
    status = Status::error(StatusCode::kInvalidFormat,
                           "holds %ld tokens: ids 0-2 (<unk>, <s>, </s>) must exist",
                           static_cast<long>(count));
  }
  if (!status.is_ok()) return status.with_context(name);
  return count;
}

Result<Tokenizer> Tokenizer::load(std::span<const uint8_t> bytes, int32_t vocab_size,
                                  std::span<uint8_t> table_memory, const char* name) {
  auto fail = [name](Status status) -> Result<Tokenizer> { return status.with_context(name); };
  // encode() emits BOS (1) and EOS (2), so those ids must exist.
  if (vocab_size < 3) {
    return fail(Status::error(StatusCode::kInvalidArgument,
                              "vocab_size %ld is too small: ids 0-2 are <unk>, <s> and </s>",
                              static_cast<long>(vocab_size)));
  }
  if (table_memory.size() < table_bytes(vocab_size) ||
      reinterpret_cast<uintptr_t>(table_memory.data()) % alignof(uint32_t) != 0) {
    return fail(Status::error(StatusCode::kResourceExhausted,
                              "tokenizer tables need %llu aligned bytes, got %llu",
                              static_cast<unsigned long long>(table_bytes(vocab_size)),
                              static_cast<unsigned long long>(table_memory.size())));
  }
  RecordWalker walker(bytes);
  if (Status s = walker.start(); !s.is_ok()) return fail(s);

  auto* offsets = reinterpret_cast<uint32_t*>(table_memory.data());
  auto* sorted = offsets + vocab_size;
  for (int32_t i = 0; i < vocab_size; ++i) {
    Result<uint32_t> record = walker.next(i);
    if (!record.is_ok()) {
      Status s = record.status();
      return fail(s.with_context(i == 0 ? "" : "fewer tokens than the model's vocabulary"));
    }
    offsets[i] = *record;
    sorted[i] = static_cast<uint32_t>(i);
  }
  if (!walker.at_end()) {
    return fail(Status::error(
        StatusCode::kInvalidFormat,
        "holds more tokens than the model's vocab_size %ld (%llu bytes left after the last one)",
        static_cast<long>(vocab_size),
        static_cast<unsigned long long>(bytes.size() - walker.offset())));
  }

  Tokenizer t;
  t.file_ = bytes.data();
  t.vocab_size_ = vocab_size;
  t.offsets_ = offsets;
  t.sorted_ = sorted;
  std::sort(sorted, sorted + vocab_size, [&t](uint32_t a, uint32_t b) {
    const int c = t.piece(static_cast<int32_t>(a)).compare(t.piece(static_cast<int32_t>(b)));
    return c != 0 ? c < 0 : a < b;
  });
  return t;
}

std::string_view Tokenizer::piece(int32_t id) const {
  const uint32_t offset = offsets_[id];
  int32_t length;
  memcpy(&length, file_ + offset - sizeof(int32_t), sizeof(length));
  return {reinterpret_cast<const char*>(file_ + offset), static_cast<size_t>(length)};
}

float Tokenizer::score(int32_t id) const {
  float s;
  memcpy(&s, file_ + offsets_[id] - kRecordHeader, sizeof(s));
  return s;
}

int32_t Tokenizer::lookup(std::string_view text) const {
  const uint32_t* end = sorted_ + vocab_size_;
  const uint32_t* it =
      std::lower_bound(sorted_, end, text, [this](uint32_t id, std::string_view t) {
        return piece(static_cast<int32_t>(id)).compare(t) < 0;
      });
  return (it != end && piece(static_cast<int32_t>(*it)) == text) ? static_cast<int32_t>(*it) : -1;
}

int32_t Tokenizer::lookup_pair(int32_t left, int32_t right) const {
  const std::string_view a = piece(left), b = piece(right);
  const uint32_t* end = sorted_ + vocab_size_;
  const uint32_t* it = std::lower_bound(sorted_, end, 0, [&](uint32_t id, int) {
    return compare_concat(a, b, piece(static_cast<int32_t>(id))) > 0;
  });
  return (it != end && compare_concat(a, b, piece(static_cast<int32_t>(*it))) == 0)
             ? static_cast<int32_t>(*it)
             : -1;
}

Status Tokenizer::encode(std::string_view text, bool bos, bool eos, std::span<int32_t> work,
                         int32_t* n_tokens, EncodeStats* stats) const {
  *n_tokens = 0;
  // An empty view may have a null data(), which memchr must not see.
  if (const void* nul = text.empty() ? nullptr : memchr(text.data(), 0, text.size());
      nul != nullptr) {
    text = text.substr(0, static_cast<size_t>(static_cast<const char*>(nul) - text.data()));
  }
  if (work.size() < encode_work_ints(text.size())) {
    return Status::error(StatusCode::kResourceExhausted,
                         "encoding %llu bytes of text needs %llu ints of work memory, got %llu",
                         static_cast<unsigned long long>(text.size()),
                         static_cast<unsigned long long>(encode_work_ints(text.size())),
                         static_cast<unsigned long long>(work.size()));
  }
  if (text.size() > static_cast<size_t>(INT32_MAX) - 3) {
    return Status::error(StatusCode::kOutOfRange, "text of %llu bytes: at most 2^31 - 4 encode",
                         static_cast<unsigned long long>(text.size()));
  }
  // At most BOS, the dummy-prefix space and one token per byte before merging; EOS comes after.
  const size_t capacity = text.size() + 3;
  int32_t* tokens = work.data();  // (capacity) ids; the merged result ends up at the front
  int32_t n = 0;

  auto push_bytes = [&](std::string_view bytes) -> Status {
    for (char c : bytes) {
      const int32_t id = static_cast<int32_t>(static_cast<unsigned char>(c)) + 3;
      if (id >= vocab_size_) {
        return Status::error(
            StatusCode::kInvalidArgument, "byte 0x%02X has no token in a %ld-token vocabulary",
            static_cast<unsigned>(static_cast<unsigned char>(c)), static_cast<long>(vocab_size_));
      }
      tokens[n++] = id;
    }
    return Status::ok();
  };

  if (bos) tokens[n++] = kBos;
  if (!text.empty()) {
    // sentencepiece's dummy prefix: text starts as if after a space.
    const int32_t space = lookup(" ");
    if (space >= 0) {
      tokens[n++] = space;
    } else {
      LLMCU_TRY(push_bytes(" "));
    }
  }

  // One token per UTF-8 code point (at most 4 bytes), else one per byte.
  char code_point[4];
  size_t cp_len = 0;
  for (size_t i = 0; i < text.size(); ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    if ((c & 0xC0) != 0x80) cp_len = 0;
    code_point[cp_len++] = static_cast<char>(c);
    const auto next = i + 1 < text.size() ? static_cast<unsigned char>(text[i + 1]) : 0;
    if ((next & 0xC0) == 0x80 && cp_len < 4) continue;
    const std::string_view cp(code_point, cp_len);
    const int32_t id = lookup(cp);
    if (id >= 0) {
      tokens[n++] = id;
    } else {
      LLMCU_TRY(push_bytes(cp));
    }
    cp_len = 0;
  }

  n = merge_pairs(tokens, n, work.data() + capacity, capacity, stats);
  if (eos) tokens[n++] = kEos;
  *n_tokens = n;
  return Status::ok();
}

// llama2.c merges the adjacent pair with the highest score, the leftmost among
// equal scores, until no pair forms a token. Here the symbols form a linked
// list over their first positions, and a binary heap holds each symbol whose
// pair with its successor forms a token, ordered by (score desc, position asc).
// Merging keeps the order of the symbols, so the smallest first position is
// the leftmost pair of the current sequence, as llama2.c's left-to-right scan
// with a strict '>' finds it. Each merge changes at most three heap entries:
// O(n log n) instead of a scan of every pair per merge.
int32_t Tokenizer::merge_pairs(int32_t* tokens, int32_t n, int32_t* scratch, size_t capacity,
                               EncodeStats* stats) const {
  int32_t* prev = scratch;             // (capacity) previous live symbol, -1 at the start
  int32_t* next = prev + capacity;     // (capacity) next live symbol, -1 at the end
  int32_t* merged = next + capacity;   // (capacity) id of symbol+successor, -1: none
  int32_t* heap = merged + capacity;   // (capacity) symbols with a pair, best first
  int32_t* slot_of = heap + capacity;  // (capacity) where a symbol sits in heap, -1: absent

  // llama2.c starts its search at -1e10: pairs scoring no better never merge.
  constexpr float kNoMerge = -1e10f;
  auto pair_id = [&](int32_t left) -> int32_t {
    const int32_t right = next[left];
    if (right < 0) return -1;
    const int32_t id = lookup_pair(tokens[left], tokens[right]);
    return (id >= 0 && score(id) > kNoMerge) ? id : -1;
  };
  auto before = [this, merged](int32_t a, int32_t b) {
    const float sa = score(merged[a]), sb = score(merged[b]);
    return sa > sb || (sa == sb && a < b);
  };
  PairHeap<decltype(before)> heap_of_pairs(heap, slot_of, before);
  // Recomputes the pair of `symbol` and its successor after either changed.
  auto refresh = [&](int32_t symbol) {
    heap_of_pairs.remove(symbol);
    merged[symbol] = pair_id(symbol);
    if (merged[symbol] >= 0) heap_of_pairs.push(symbol);
  };

  for (int32_t i = 0; i < n; ++i) {
    prev[i] = i - 1;
    next[i] = i + 1 < n ? i + 1 : -1;
    merged[i] = pair_id(i);
    heap_of_pairs.clear_slot(i);
    if (merged[i] >= 0) heap_of_pairs.append(i);
  }
  heap_of_pairs.heapify();  // O(n)

  int32_t merges = 0;
  while (!heap_of_pairs.empty()) {
    const int32_t left = heap_of_pairs.top();
    const int32_t right = next[left];
    heap_of_pairs.remove(left);
    heap_of_pairs.remove(right);
    tokens[left] = merged[left];
    next[left] = next[right];
    if (next[right] >= 0) prev[next[right]] = left;
    refresh(left);
    if (prev[left] >= 0) refresh(prev[left]);
    ++merges;
  }

  // Compact the surviving symbols to the front, in order.
  int32_t count = 0;
  for (int32_t i = n > 0 ? 0 : -1; i >= 0; i = next[i]) tokens[count++] = tokens[i];
  if (stats != nullptr) {
    stats->symbols = n;
    stats->merges = merges;
    stats->heap_sift_steps = heap_of_pairs.sift_steps();
  }
  return count;
}

std::string_view Tokenizer::decode(int32_t prev, int32_t token) const {
  std::string_view p = piece(token);
  if (prev == kBos && !p.empty() && p[0] == ' ') p.remove_prefix(1);
  if (p.size() == 6 && p.substr(0, 3) == "<0x" && p[5] == '>') {
    const int hi = hex_value(p[3]), lo = hex_value(p[4]);
    if (hi >= 0 && lo >= 0) return {&kBytePieces.bytes[hi * 16 + lo], 1};
  }
  return p;
}

std::string_view Tokenizer::printable(std::string_view piece) {
  if (const void* nul = piece.empty() ? nullptr : memchr(piece.data(), 0, piece.size());
      nul != nullptr) {
    piece = piece.substr(0, static_cast<size_t>(static_cast<const char*>(nul) - piece.data()));
  }
  if (piece.size() == 1) {
    const auto b = static_cast<unsigned char>(piece[0]);
    const bool is_print = b >= 0x20 && b <= 0x7E;
    const bool is_space = b == ' ' || (b >= '\t' && b <= '\r');
    if (!is_print && !is_space) return {};
  }
  return piece;
}

}  // namespace llmcu
