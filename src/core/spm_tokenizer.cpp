#include "llmcu/spm_tokenizer.h"

#include <cmath>
#include <cstring>

#include "core/pair_heap.h"
#include "core/unicode.h"

namespace llmcu {
namespace {

constexpr char kEscapedSpace[] = "\xE2\x96\x81";  // U+2581
size_t align4(size_t n) {
  return (n + 3) & ~size_t{3};
}

}  // namespace

size_t SpmTokenizer::table_bytes(const Vocabulary& vocab) {
  return VocabIndex::bytes(vocab.size()) + SpecialTokens::bytes(vocab);
}

size_t SpmTokenizer::table_bytes(int32_t vocab_size, int32_t specials) {
  return VocabIndex::bytes(vocab_size) + sizeof(uint32_t) * static_cast<size_t>(specials);
}

Result<SpmTokenizer> SpmTokenizer::load(const Vocabulary& vocab, const VocabSettings& settings,
                                        std::span<uint8_t> table_memory, const char* name) {
  auto fail = [name](Status s) -> Result<SpmTokenizer> { return s.with_context(name); };
  const int32_t n = vocab.size();
  if (n <= 0 || n > 0x3FFFFFFF) {
    return fail(Status::error(StatusCode::kInvalidFormat, "tokenizer.ggml.tokens holds %ld tokens",
                              static_cast<long>(n)));
  }
  if (table_memory.size() < table_bytes(vocab) ||
      reinterpret_cast<uintptr_t>(table_memory.data()) % alignof(int32_t) != 0) {
    return fail(Status::error(StatusCode::kResourceExhausted,
                              "SentencePiece tables need %llu aligned bytes, got %llu",
                              static_cast<unsigned long long>(table_bytes(vocab)),
                              static_cast<unsigned long long>(table_memory.size())));
  }
  for (int32_t id = 0; id < n; ++id) {
    if (std::isnan(vocab.score(id))) {
      return fail(Status::error(StatusCode::kInvalidFormat,
                                "tokenizer.ggml.scores: token %ld has a NaN score",
                                static_cast<long>(id)));
    }
  }
  SpmTokenizer t;
  t.vocab_ = &vocab;
  auto* ints = reinterpret_cast<int32_t*>(table_memory.data());
  t.index_.build(vocab, ints);
  t.specials_.build(vocab, settings.model_name, reinterpret_cast<uint32_t*>(ints + n));
  if (settings.add_space_prefix >= 0) t.add_space_prefix_ = settings.add_space_prefix != 0;
  if (settings.add_bos >= 0) t.add_bos_ = settings.add_bos != 0;
  if (settings.add_eos >= 0) t.add_eos_ = settings.add_eos != 0;
  t.bos_ = settings.bos_id >= 0 && settings.bos_id < n ? settings.bos_id : (1 < n ? 1 : -1);
  t.eos_ = settings.eos_id >= 0 && settings.eos_id < n ? settings.eos_id : (2 < n ? 2 : -1);
  return t;
}

size_t SpmTokenizer::encode_work_bytes(size_t text_bytes) {
  // Fragments, then per symbol (at most one per byte, plus the prefix) 7
  // ints, then the escaped text (a space grows to three bytes).
  return sizeof(Fragment) * SpecialTokens::max_fragments(text_bytes) +
         7 * sizeof(int32_t) * (text_bytes + 1) + align4(3 * (text_bytes + 1)) + 16;
}

Status SpmTokenizer::encode_fragment(std::string_view raw, bool space_prefix,
                                     std::span<uint8_t> work, IdWriter& out) const {
  const size_t capacity = raw.size() + 1;  // symbols
  auto* ints = reinterpret_cast<int32_t*>(work.data());
  int32_t* begin = ints;                     // (capacity) offset of each symbol in text
  int32_t* id = begin + capacity;            // (capacity) token of the symbol's string, -1: none
  int32_t* prev = id + capacity;             // (capacity) previous live symbol, -1 at the start
  int32_t* next = prev + capacity;           // (capacity) next live symbol, -1 at the end
  int32_t* merged = next + capacity;         // (capacity) token of symbol + successor, -1: none
  int32_t* heap_memory = merged + capacity;  // (capacity)
  int32_t* slot = heap_memory + capacity;    // (capacity)
  char* text = reinterpret_cast<char*>(slot + capacity);  // (3 * capacity) escaped text

  size_t length = 0;
  auto append_escaped = [&](char c) {
    if (c == ' ') {
      memcpy(text + length, kEscapedSpace, 3);
      length += 3;
    } else {
      text[length++] = c;
    }
  };
  if (space_prefix) append_escaped(' ');
  for (char c : raw) append_escaped(c);
  const std::string_view escaped(text, length);

  int32_t n = 0;
  for (size_t pos = 0; pos < length;) {
    begin[n++] = static_cast<int32_t>(pos);
    const size_t k = unicode::length_from_lead(text[pos]);
    pos += k < length - pos ? k : length - pos;
  }
  auto end_of = [&](int32_t s) {
    return next[s] >= 0 ? begin[next[s]] : static_cast<int32_t>(length);
  };
  auto pair_token = [&](int32_t s) -> int32_t {
    if (next[s] < 0) return -1;
    const int32_t b = begin[s], e = end_of(next[s]);
    return index_.find(escaped.substr(static_cast<size_t>(b), static_cast<size_t>(e - b)));
  };
  auto before = [this, merged](int32_t a, int32_t b) {
    const float sa = vocab_->score(merged[a]), sb = vocab_->score(merged[b]);
    return sa > sb || (sa == sb && a < b);
  };
  PairHeap<decltype(before)> heap(heap_memory, slot, before);
  for (int32_t s = 0; s < n; ++s) {
    prev[s] = s - 1;
    next[s] = s + 1 < n ? s + 1 : -1;
  }
  for (int32_t s = 0; s < n; ++s) {
    id[s] = -2;  // looked up at the end
    merged[s] = pair_token(s);
    heap.clear_slot(s);
    if (merged[s] >= 0) heap.append(s);
  }
  heap.heapify();
  auto refresh = [&](int32_t s) {
    heap.remove(s);
    merged[s] = pair_token(s);
    if (merged[s] >= 0) heap.push(s);
  };
  while (!heap.empty()) {
    const int32_t left = heap.top(), right = next[left];
    heap.remove(left);
    heap.remove(right);
    id[left] = merged[left];
    next[left] = next[right];
    if (next[left] >= 0) prev[next[left]] = left;
    refresh(left);
    if (prev[left] >= 0) refresh(prev[left]);
  }

  for (int32_t s = n > 0 ? 0 : -1; s >= 0; s = next[s]) {
    const std::string_view str =
        escaped.substr(static_cast<size_t>(begin[s]), static_cast<size_t>(end_of(s) - begin[s]));
    const int32_t token = id[s] >= 0 ? id[s] : index_.find(str);
    if (token >= 0) {
      LLMCU_TRY(out.push(token));
      continue;
    }
    // Byte fallback: "<0xXX>", else the byte as a one-byte token.
    for (char c : str) {
      static constexpr char kHex[] = "0123456789ABCDEF";
      const auto b = static_cast<uint8_t>(c);
      const char name[6] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
      int32_t byte_token = index_.find(std::string_view(name, 6));
      if (byte_token < 0) byte_token = index_.find(std::string_view(&c, 1));
      if (byte_token < 0) {
        return Status::error(StatusCode::kInvalidArgument,
                             "byte 0x%02X has no token (neither <0x%02X> nor the byte itself)", b,
                             b);
      }
      LLMCU_TRY(out.push(byte_token));
    }
  }
  return Status::ok();
}

Status SpmTokenizer::encode(std::string_view text, bool add_special, bool parse_special,
                            std::span<uint8_t> work, std::span<int32_t> ids, int32_t* n_ids) const {
  *n_ids = 0;
  LLMCU_TRY(check_encode_inputs(text, work, encode_work_bytes(text.size())));
  auto* fragments = reinterpret_cast<Fragment*>(work.data());
  const size_t fragment_bytes = sizeof(Fragment) * SpecialTokens::max_fragments(text.size());
  const std::span<uint8_t> rest = work.subspan(fragment_bytes);
  IdWriter out{ids.data(), ids.size()};
  if (add_special && add_bos_ && bos_ >= 0) LLMCU_TRY(out.push(bos_));
  bool after_special = true;  // the start of the text counts as after one
  for (int32_t f = specials_.partition(text, parse_special, fragments); f >= 0;
       f = fragments[f].next) {
    const Fragment& fragment = fragments[f];
    if (fragment.token >= 0) {
      LLMCU_TRY(out.push(fragment.token));
      after_special = true;
      continue;
    }
    if (fragment.length == 0) continue;
    LLMCU_TRY(encode_fragment(text.substr(fragment.begin, fragment.length),
                              add_space_prefix_ && after_special, rest, out));
    after_special = false;
  }
  if (add_special && add_eos_ && eos_ >= 0) LLMCU_TRY(out.push(eos_));
  *n_ids = static_cast<int32_t>(out.count);
  return Status::ok();
}

}  // namespace llmcu
