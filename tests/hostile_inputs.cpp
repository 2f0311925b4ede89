#include "hostile_inputs.h"

#include <cstring>
#include <limits>

namespace llmcu::test {
namespace {

std::vector<uint8_t> with_i32(std::vector<uint8_t> bytes, size_t offset, int32_t value) {
  memcpy(bytes.data() + offset, &value, sizeof(value));
  return bytes;
}

std::vector<uint8_t> prefix(const std::vector<uint8_t>& bytes, size_t n) {
  return {bytes.begin(), bytes.begin() + static_cast<long>(n)};
}

std::vector<uint8_t> ak42_header(int32_t version, const std::vector<uint8_t>& v0) {
  std::vector<uint8_t> h(256, 0);
  memcpy(h.data(), "24ka", 4);
  memcpy(h.data() + 4, &version, 4);
  memcpy(h.data() + 8, v0.data(), 28);  // the same seven config ints
  h[36] = 1;                            // shared classifier
  const int32_t group_size = 4;
  if (version == 2) memcpy(h.data() + 37, &group_size, 4);
  return h;
}

}  // namespace

std::vector<Corrupted> corrupted_models(const std::vector<uint8_t>& m) {
  constexpr int32_t kMax = std::numeric_limits<int32_t>::max();
  constexpr int32_t kMin = std::numeric_limits<int32_t>::min();
  // Header field offsets.
  constexpr size_t kDim = 0, kHidden = 4, kLayers = 8, kHeads = 12, kKvHeads = 16, kVocab = 20,
                   kSeq = 24;
  std::vector<Corrupted> c;
  c.push_back({"empty", {}, "truncated"});
  c.push_back({"one_byte", prefix(m, 1), "truncated"});
  c.push_back({"header_cut", prefix(m, 27), "truncated"});
  c.push_back({"header_only", prefix(m, 28), "truncated"});
  c.push_back({"half", prefix(m, m.size() / 2), "truncated"});
  c.push_back({"last_byte_missing", prefix(m, m.size() - 1), "truncated"});
  std::vector<uint8_t> longer = m;
  longer.push_back(0);
  c.push_back({"trailing_byte", longer, "1 trailing bytes"});
  c.push_back({"dim_zero", with_i32(m, kDim, 0), "dim must be positive"});
  c.push_back({"dim_negative", with_i32(m, kDim, -64), "dim must be positive"});
  c.push_back({"dim_max", with_i32(m, kDim, kMax), "not divisible"});
  c.push_back({"dim_doubled", with_i32(m, kDim, 128), "truncated"});
  c.push_back({"hidden_zero", with_i32(m, kHidden, 0), "hidden_dim must be positive"});
  c.push_back({"hidden_max", with_i32(m, kHidden, kMax), "truncated"});
  c.push_back({"layers_zero", with_i32(m, kLayers, 0), "n_layers must be positive"});
  c.push_back({"layers_million", with_i32(m, kLayers, 1000000), "truncated"});
  c.push_back({"layers_min", with_i32(m, kLayers, kMin), "n_layers must be positive"});
  c.push_back({"layers_four", with_i32(m, kLayers, 4), "trailing bytes"});
  c.push_back({"heads_zero", with_i32(m, kHeads, 0), "n_heads must be positive"});
  c.push_back({"heads_three", with_i32(m, kHeads, 3), "not divisible by n_heads"});
  c.push_back({"heads_64_odd_head_size", with_i32(m, kHeads, 64), "odd"});
  c.push_back({"kv_heads_zero", with_i32(m, kKvHeads, 0), "n_kv_heads must be positive"});
  c.push_back({"kv_heads_above_heads", with_i32(m, kKvHeads, 16), "multiple of n_kv_heads"});
  c.push_back({"kv_heads_three", with_i32(m, kKvHeads, 3), "multiple of n_kv_heads"});
  c.push_back({"kv_heads_eight", with_i32(m, kKvHeads, 8), "truncated"});
  c.push_back({"vocab_zero", with_i32(m, kVocab, 0), "vocab_size must be positive"});
  c.push_back({"vocab_two", with_i32(m, kVocab, 2), "too small"});
  c.push_back({"vocab_min", with_i32(m, kVocab, kMin), "out of range"});
  c.push_back({"vocab_negative_separate_classifier", with_i32(m, kVocab, -512), "truncated"});
  c.push_back({"vocab_513", with_i32(m, kVocab, 513), "truncated"});
  c.push_back({"seq_len_zero", with_i32(m, kSeq, 0), "seq_len must be positive"});
  c.push_back({"seq_len_negative", with_i32(m, kSeq, -1), "seq_len must be positive"});
  c.push_back({"seq_len_billion", with_i32(m, kSeq, 1000000000), "truncated"});
  c.push_back({"seq_len_511", with_i32(m, kSeq, 511), "trailing bytes"});
  std::vector<uint8_t> all_ones = m;
  memset(all_ones.data(), 0xFF, 28);
  c.push_back({"header_all_ff", all_ones, "must be positive"});
  std::vector<uint8_t> huge = m;
  for (size_t f : {kDim, kHidden, kLayers, kHeads, kKvHeads, kVocab, kSeq}) {
    const int32_t v = f == kHeads || f == kKvHeads ? 2 : 1 << 30;
    memcpy(huge.data() + f, &v, 4);
  }
  c.push_back({"dims_overflow_64_bits", huge, "overflows 64 bits"});
  c.push_back({"ak42_magic_only", {'2', '4', 'k', 'a'}, "truncated"});
  c.push_back({"ak42_version_7", with_i32(ak42_header(1, m), 4, 7), "version 7"});
  c.push_back({"ak42_version_negative", with_i32(ak42_header(1, m), 4, -1), "version -1"});
  // Version 1 and 2 headers with a legacy body after them: wrong size (or,
  // in a build without those formats, unsupported).
  std::vector<uint8_t> v1 = ak42_header(1, m);
  v1.insert(v1.end(), m.begin() + 28, m.end());
  c.push_back({"ak42_v1_legacy_body", v1, ""});
  c.push_back({"ak42_v1_header_only", ak42_header(1, m), ""});
  c.push_back({"ak42_v2_header_only", ak42_header(2, m), ""});
  std::vector<uint8_t> v2_group0 = ak42_header(2, m);
  memset(v2_group0.data() + 37, 0, 4);
  v2_group0.insert(v2_group0.end(), m.begin() + 28, m.end());
  c.push_back({"ak42_v2_group_size_zero", v2_group0, ""});
  return c;
}

std::vector<Corrupted> corrupted_tokenizers(const std::vector<uint8_t>& t) {
  // Record offsets: 4-byte max_token_length, then per token score, length, bytes.
  std::vector<size_t> records;
  for (size_t o = 4; o + 8 <= t.size();) {
    records.push_back(o);
    int32_t length;
    memcpy(&length, t.data() + o + 4, 4);
    o += 8 + static_cast<size_t>(length);
  }
  const size_t first_length = records[0] + 4;
  std::vector<Corrupted> c;
  c.push_back({"empty", {}, "truncated"});
  c.push_back({"three_bytes", prefix(t, 3), "truncated"});
  c.push_back({"header_only", prefix(t, 4), "truncated at token 0"});
  c.push_back({"cut_in_a_record", prefix(t, records[100] + 6), "truncated at token 100"});
  c.push_back({"last_byte_missing", prefix(t, t.size() - 1), "truncated at token 511"});
  c.push_back({"only_511_tokens", prefix(t, records[511]), "fewer tokens than the model's"});
  std::vector<uint8_t> longer = t;
  longer.push_back(0);
  c.push_back({"trailing_byte", longer, "more tokens than the model's vocab_size 512"});
  std::vector<uint8_t> extra = t;
  const uint8_t record[] = {0, 0, 0, 0, 1, 0, 0, 0, 'z'};
  extra.insert(extra.end(), record, record + sizeof(record));
  c.push_back({"token_513", extra, "more tokens than the model's vocab_size 512"});
  c.push_back({"length_negative", with_i32(t, first_length, -1), "token 0 has length -1"});
  c.push_back({"length_above_max", with_i32(t, first_length, 1000), "outside 0.."});
  c.push_back({"length_max", with_i32(t, first_length, std::numeric_limits<int32_t>::max()),
               "outside 0.."});
  c.push_back({"max_token_length_zero", with_i32(t, 0, 0), "outside 0..0"});
  std::vector<uint8_t> nan = t;
  const float qnan = std::numeric_limits<float>::quiet_NaN();
  memcpy(nan.data() + records[7], &qnan, 4);
  c.push_back({"nan_score", nan, "token 7 has a NaN score"});
  std::vector<uint8_t> past_end = with_i32(t, 0, std::numeric_limits<int32_t>::max());
  memcpy(past_end.data() + records[511] + 4, &past_end[0], 4);  // last token runs past the end
  c.push_back({"last_token_past_end", past_end, "run past the end"});
  return c;
}

}  // namespace llmcu::test
