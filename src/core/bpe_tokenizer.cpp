#include "llmcu/bpe_tokenizer.h"

#include <algorithm>
#include <cstring>

#include "core/pair_heap.h"
#include "core/unicode.h"

namespace llmcu {
namespace {

// GPT-2's byte -> code point map: printable Latin-1 bytes stand for
// themselves, the other 68 take code points 256, 257, ... in byte order.
struct ByteCodePoints {
  uint16_t cp[256];
  constexpr ByteCodePoints() : cp() {
    int next = 256;
    for (int b = 0; b < 256; ++b) {
      const bool printable = (b >= 0x21 && b <= 0x7E) || (b >= 0xA1 && b <= 0xAC) || b >= 0xAE;
      cp[b] = static_cast<uint16_t>(printable ? b : next++);
    }
  }
};
constexpr ByteCodePoints kByteCodePoints;

size_t align4(size_t n) {
  return (n + 3) & ~size_t{3};
}

}  // namespace

// Per-word scratch: the word's bytes as GPT-2 code points (UTF-8) and, per
// symbol, its start in them and its links, pair rank and heap slot.
struct BpeTokenizer::Word {
  char* text;      // (6 * word bytes) byte-level text
  int32_t* begin;  // (symbols) offset of each symbol in text
  int32_t* id;     // (symbols) token id of the symbol's string, -1: none
  int32_t* prev;   // (symbols) previous live symbol, -1 at the start
  int32_t* next;   // (symbols) next live symbol, -1 at the end
  int32_t* rank;   // (symbols) merge rank of the symbol and its successor, -1: none
  int32_t* heap;   // (symbols)
  int32_t* slot;   // (symbols)
};

size_t BpeTokenizer::table_bytes(const Vocabulary& vocab) {
  return VocabIndex::bytes(vocab.size()) + SpecialTokens::bytes(vocab) +
         sizeof(Merge) * static_cast<size_t>(std::max<int32_t>(vocab.merge_count(), 0));
}

size_t BpeTokenizer::table_bytes(int32_t vocab_size, int32_t specials, int32_t merges) {
  return VocabIndex::bytes(vocab_size) + sizeof(uint32_t) * static_cast<size_t>(specials) +
         sizeof(Merge) * static_cast<size_t>(std::max<int32_t>(merges, 0));
}

Result<BpeTokenizer> BpeTokenizer::load(const Vocabulary& vocab, const VocabSettings& settings,
                                        std::span<uint8_t> table_memory, const char* name) {
  auto fail = [name](Status s) -> Result<BpeTokenizer> { return s.with_context(name); };
  const int32_t n = vocab.size();
  if (n <= 0 || n > 0x3FFFFFFF) {
    return fail(Status::error(StatusCode::kInvalidFormat, "tokenizer.ggml.tokens holds %ld tokens",
                              static_cast<long>(n)));
  }
  if (vocab.merge_count() < 0) {
    return fail(Status::error(StatusCode::kInvalidFormat, "negative merge count"));
  }
  if (table_memory.size() < table_bytes(vocab) ||
      reinterpret_cast<uintptr_t>(table_memory.data()) % alignof(int32_t) != 0) {
    return fail(Status::error(StatusCode::kResourceExhausted,
                              "BPE tables need %llu aligned bytes, got %llu",
                              static_cast<unsigned long long>(table_bytes(vocab)),
                              static_cast<unsigned long long>(table_memory.size())));
  }
  Result<PreTokenizer> pre = pre_tokenizer_named(settings.pre);
  if (!pre.is_ok()) return fail(pre.status());

  BpeTokenizer t;
  t.vocab_ = &vocab;
  t.pre_ = *pre;
  auto* ints = reinterpret_cast<int32_t*>(table_memory.data());
  t.index_.build(vocab, ints);
  auto* special_memory = reinterpret_cast<uint32_t*>(ints + n);
  t.specials_.build(vocab, settings.model_name, special_memory);
  auto* merges = reinterpret_cast<Merge*>(table_memory.data() + VocabIndex::bytes(n) +
                                          SpecialTokens::bytes(vocab));
  int32_t count = 0;
  for (int32_t rank = 0; rank < vocab.merge_count(); ++rank) {
    // llama.cpp splits at the first space after the first byte.
    const std::string_view m = vocab.merge(rank);
    const size_t space = m.size() > 1 ? m.find(' ', 1) : std::string_view::npos;
    if (space == std::string_view::npos) continue;
    const int32_t left = t.index_.find(m.substr(0, space));
    const int32_t right = t.index_.find(m.substr(space + 1));
    // A merge whose halves are not both tokens never applies to symbols
    // that are tokens; llmcu drops it.
    if (left < 0 || right < 0) continue;
    merges[count++] = {left, right, rank};
  }
  std::sort(merges, merges + count, [](const Merge& a, const Merge& b) {
    if (a.left != b.left) return a.left < b.left;
    if (a.right != b.right) return a.right < b.right;
    return a.rank < b.rank;
  });
  t.merges_ = merges;
  t.merge_count_ = count;
  // llama.cpp's defaults per pre-tokenizer, then the file's keys.
  t.ignore_merges_ = t.pre_ == PreTokenizer::kLlama3;
  t.add_bos_ = settings.add_bos >= 0 ? settings.add_bos != 0 : t.pre_ == PreTokenizer::kLlama3;
  t.add_eos_ = settings.add_eos > 0;
  t.bos_ = settings.bos_id >= 0 && settings.bos_id < n ? settings.bos_id : (11 < n ? 11 : -1);
  t.eos_ = settings.eos_id >= 0 && settings.eos_id < n ? settings.eos_id : (11 < n ? 11 : -1);
  return t;
}

int32_t BpeTokenizer::rank_of(int32_t left, int32_t right) const {
  const Merge* end = merges_ + merge_count_;
  const Merge* it =
      std::lower_bound(merges_, end, Merge{left, right, 0}, [](const Merge& a, const Merge& b) {
        return a.left != b.left ? a.left < b.left : a.right < b.right;
      });
  return (it != end && it->left == left && it->right == right) ? it->rank : -1;
}

size_t BpeTokenizer::encode_work_bytes(size_t text_bytes) {
  // Fragments, then per symbol (at most 3 per text byte: a bad byte becomes
  // U+FFFD, three bytes) 7 ints, then the byte-level text (at most 6 bytes
  // per text byte).
  return sizeof(Fragment) * SpecialTokens::max_fragments(text_bytes) +
         7 * sizeof(int32_t) * 3 * text_bytes + align4(6 * text_bytes) + 16;
}

Status BpeTokenizer::encode_word(std::string_view word, Word& w, IdWriter& out) const {
  // The word's code points (bad bytes as U+FFFD) as UTF-8, each byte of that
  // as its GPT-2 code point; every such code point starts a symbol.
  int32_t length = 0, n = 0;
  for (size_t pos = 0; pos < word.size();) {
    size_t cp_length;
    const uint32_t cp = unicode::decode(word, pos, &cp_length);
    pos += cp_length;
    char utf8[4];
    const size_t k = unicode::encode(cp, utf8);
    for (size_t i = 0; i < k; ++i) {
      w.begin[n++] = length;
      length += static_cast<int32_t>(
          unicode::encode(kByteCodePoints.cp[static_cast<uint8_t>(utf8[i])], w.text + length));
    }
  }
  const std::string_view text(w.text, static_cast<size_t>(length));
  if (ignore_merges_) {
    if (const int32_t id = index_.find(text); id >= 0) return out.push(id);
  }
  auto end_of = [&](int32_t s) { return w.next[s] >= 0 ? w.begin[w.next[s]] : length; };
  auto string_of = [&](int32_t s) {
    return text.substr(static_cast<size_t>(w.begin[s]),
                       static_cast<size_t>(end_of(s) - w.begin[s]));
  };
  auto pair_rank = [&](int32_t s) {
    const int32_t r = w.next[s];
    return (r >= 0 && w.id[s] >= 0 && w.id[r] >= 0) ? rank_of(w.id[s], w.id[r]) : -1;
  };
  auto before = [&w](int32_t a, int32_t b) {
    return w.rank[a] < w.rank[b] || (w.rank[a] == w.rank[b] && a < b);
  };
  PairHeap<decltype(before)> heap(w.heap, w.slot, before);
  for (int32_t s = 0; s < n; ++s) {
    w.prev[s] = s - 1;
    w.next[s] = s + 1 < n ? s + 1 : -1;
  }
  for (int32_t s = 0; s < n; ++s) w.id[s] = index_.find(string_of(s));
  for (int32_t s = 0; s < n; ++s) {
    w.rank[s] = pair_rank(s);
    heap.clear_slot(s);
    if (w.rank[s] >= 0) heap.append(s);
  }
  heap.heapify();
  auto refresh = [&](int32_t s) {
    heap.remove(s);
    w.rank[s] = pair_rank(s);
    if (w.rank[s] >= 0) heap.push(s);
  };
  while (!heap.empty()) {
    const int32_t left = heap.top(), right = w.next[left];
    heap.remove(left);
    heap.remove(right);
    w.next[left] = w.next[right];
    if (w.next[left] >= 0) w.prev[w.next[left]] = left;
    w.id[left] = index_.find(string_of(left));
    refresh(left);
    if (w.prev[left] >= 0) refresh(w.prev[left]);
  }
  for (int32_t s = n > 0 ? 0 : -1; s >= 0; s = w.next[s]) {
    if (w.id[s] >= 0) {
      LLMCU_TRY(out.push(w.id[s]));
      continue;
    }
    // No token: llama.cpp looks up each byte alone and skips those it lacks.
    const std::string_view str = string_of(s);
    for (size_t i = 0; i < str.size(); ++i) {
      if (const int32_t id = index_.find(str.substr(i, 1)); id >= 0) LLMCU_TRY(out.push(id));
    }
  }
  return Status::ok();
}

Status BpeTokenizer::encode(std::string_view text, bool add_special, bool parse_special,
                            std::span<uint8_t> work, std::span<int32_t> ids, int32_t* n_ids) const {
  *n_ids = 0;
  LLMCU_TRY(check_encode_inputs(text, work, encode_work_bytes(text.size())));
  auto* fragments = reinterpret_cast<Fragment*>(work.data());
  const size_t symbols = 3 * text.size();
  auto* ints = reinterpret_cast<int32_t*>(fragments + SpecialTokens::max_fragments(text.size()));
  Word w{reinterpret_cast<char*>(ints + 7 * symbols),
         ints,
         ints + symbols,
         ints + 2 * symbols,
         ints + 3 * symbols,
         ints + 4 * symbols,
         ints + 5 * symbols,
         ints + 6 * symbols};
  IdWriter out{ids.data(), ids.size()};
  if (add_special && add_bos_ && bos_ >= 0) LLMCU_TRY(out.push(bos_));

  struct Context {
    const BpeTokenizer* self;
    std::string_view text;
    Word* word;
    IdWriter* out;
  };
  for (int32_t f = specials_.partition(text, parse_special, fragments); f >= 0;
       f = fragments[f].next) {
    const Fragment& fragment = fragments[f];
    if (fragment.token >= 0) {
      LLMCU_TRY(out.push(fragment.token));
      continue;
    }
    if (fragment.length == 0) continue;
    Context context{this, text.substr(fragment.begin, fragment.length), &w, &out};
    LLMCU_TRY(pre_tokenize(
        pre_, context.text,
        [](void* user, size_t begin, size_t end) {
          auto* c = static_cast<Context*>(user);
          return c->self->encode_word(c->text.substr(begin, end - begin), *c->word, *c->out);
        },
        &context));
  }
  if (add_special && add_eos_ && eos_ >= 0) LLMCU_TRY(out.push(eos_));
  *n_ids = static_cast<int32_t>(out.count);
  return Status::ok();
}

}  // namespace llmcu
