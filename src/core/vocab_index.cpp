#include "llmcu/vocab_index.h"

#include <algorithm>
#include <cstring>

namespace llmcu {

void VocabIndex::build(const Vocabulary& vocab, int32_t* memory) {
  vocab_ = &vocab;
  sorted_ = memory;
  size_ = vocab.size();
  for (int32_t i = 0; i < size_; ++i) memory[i] = i;
  std::sort(memory, memory + size_, [&vocab](int32_t a, int32_t b) {
    const int c = vocab.token(a).compare(vocab.token(b));
    return c != 0 ? c < 0 : a < b;
  });
}

int32_t VocabIndex::find(std::string_view text) const {
  const int32_t* end = sorted_ + size_;
  const int32_t* it = std::lower_bound(sorted_, end, text, [this](int32_t id, std::string_view t) {
    return vocab_->token(id).compare(t) < 0;
  });
  return (it != end && vocab_->token(*it) == text) ? *it : -1;
}

namespace {

bool is_special(const Vocabulary& vocab, int32_t id) {
  const TokenType t = vocab.type(id);
  return (t == TokenType::kControl || t == TokenType::kUserDefined || t == TokenType::kUnknown) &&
         !vocab.token(id).empty();
}

}  // namespace

size_t SpecialTokens::bytes(const Vocabulary& vocab) {
  size_t count = 0;
  for (int32_t id = 0; id < vocab.size(); ++id) count += is_special(vocab, id) ? 1 : 0;
  return sizeof(uint32_t) * count;
}

void SpecialTokens::build(const Vocabulary& vocab, std::string_view model_name, uint32_t* memory) {
  vocab_ = &vocab;
  entries_ = memory;
  count_ = 0;
  // llama.cpp lowercases general.name and looks for "phi-3" or "phi3".
  bool phi3 = false;
  for (size_t i = 0; i + 4 <= model_name.size() && !phi3; ++i) {
    auto lower = [&](size_t k) {
      const char c = model_name[i + k];
      return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
    };
    phi3 =
        (lower(0) == 'p' && lower(1) == 'h' && lower(2) == 'i' &&
         (lower(3) == '3' || (lower(3) == '-' && i + 5 <= model_name.size() && lower(4) == '3')));
  }
  for (int32_t id = 0; id < vocab.size(); ++id) {
    if (!is_special(vocab, id)) continue;
    uint32_t entry = static_cast<uint32_t>(id);
    if (phi3) {
      const std::string_view s = vocab.token(id);
      if (s != "<unk>" && s != "<s>" && s != "<|endoftext|>") entry |= kRstrip;
    }
    memory[count_++] = entry;
  }
  std::stable_sort(memory, memory + count_, [&vocab](uint32_t a, uint32_t b) {
    return vocab.token(static_cast<int32_t>(a & kIdMask)).size() >
           vocab.token(static_cast<int32_t>(b & kIdMask)).size();
  });
}

int32_t SpecialTokens::partition(std::string_view text, bool parse_special,
                                 Fragment* fragments) const {
  if (text.empty()) return -1;
  int32_t used = 1;
  fragments[0] = {0, static_cast<uint32_t>(text.size()), -1, -1};
  const auto is_space = [](char c) { return c == ' ' || (c >= '\t' && c <= '\r'); };
  for (int32_t s = 0; s < count_; ++s) {
    const int32_t id = static_cast<int32_t>(entries_[s] & kIdMask);
    const TokenType type = vocab_->type(id);
    if (!parse_special && type != TokenType::kUserDefined) continue;
    const std::string_view special = vocab_->token(id);
    for (int32_t f = 0; f >= 0; f = fragments[f].next) {
      if (fragments[f].token >= 0) continue;
      const std::string_view piece = text.substr(fragments[f].begin, fragments[f].length);
      const size_t match = piece.find(special);
      if (match == std::string_view::npos) continue;
      // [left][special][right]: this fragment keeps the left part (possibly
      // emptied), the special and the right part follow it; the loop then
      // moves on to the right part, which may hold more occurrences.
      Fragment& left = fragments[f];
      const uint32_t begin = left.begin;
      uint32_t left_length = static_cast<uint32_t>(match);
      if ((entries_[s] & kLstrip) != 0) {
        while (left_length > 0 && is_space(text[begin + left_length - 1])) --left_length;
      }
      uint32_t right_begin = begin + static_cast<uint32_t>(match + special.size());
      const uint32_t end = begin + static_cast<uint32_t>(piece.size());
      if ((entries_[s] & kRstrip) != 0) {
        while (right_begin < end && is_space(text[right_begin])) ++right_begin;
      }
      const int32_t after = left.next;
      const int32_t token_index = used++;
      fragments[token_index] = {static_cast<uint32_t>(begin + match),
                                static_cast<uint32_t>(special.size()), id, after};
      if (right_begin < end) {
        const int32_t right_index = used++;
        fragments[right_index] = {right_begin, end - right_begin, -1, after};
        fragments[token_index].next = right_index;
      }
      left.length = left_length;
      left.next = token_index;
    }
  }
  return 0;
}

Status check_encode_inputs(std::string_view text, std::span<const uint8_t> work, size_t needed) {
  if (text.size() > 0x0FFFFFFF) {
    return Status::error(StatusCode::kOutOfRange, "text of %llu bytes: at most 256 MiB encode",
                         static_cast<unsigned long long>(text.size()));
  }
  if (work.size() < needed || reinterpret_cast<uintptr_t>(work.data()) % alignof(int32_t) != 0) {
    return Status::error(StatusCode::kResourceExhausted,
                         "encoding %llu bytes of text needs %llu aligned bytes of work memory, "
                         "got %llu",
                         static_cast<unsigned long long>(text.size()),
                         static_cast<unsigned long long>(needed),
                         static_cast<unsigned long long>(work.size()));
  }
  return Status::ok();
}

}  // namespace llmcu
