// The llmcu format: writer, strict loader, padded int8 rows, and every kind of
// damage the loader must name.
#include "llmcu/llmcu_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "llmcu/generator.h"
#include "llmcu/quantize.h"
#include "test_internals.h"
#include "test_support.h"

namespace llmcu::test {
namespace {

std::vector<uint8_t> to_llmcu(const Model& m, WeightType type, int32_t group_size) {
  std::vector<uint8_t> out;
  Result<QuantizeStats> s = write_llmcu(m, type, group_size, append_to_vector, &out);
  EXPECT_TRUE(s.is_ok()) << s.status().message();
  EXPECT_EQ(s->bytes_written, out.size());
  EXPECT_EQ(llmcu_file_bytes(m.config, type, group_size), out.size());
  return out;
}

std::string error_of(const std::vector<uint8_t>& bytes) {
  Result<Model> m = load_model(bytes, "m.llmcu");
  return m.is_ok() ? "(loaded)" : m.status().message();
}

// Recomputes the trailer's CRC after a deliberate edit, so the loader gets
// past the checksum to the check under test.
void reseal(std::vector<uint8_t>& b) {
  const uint32_t crc = crc32({b.data(), b.size() - kLlmcuTrailerBytes});
  memcpy(b.data() + b.size() - kLlmcuTrailerBytes, &crc, sizeof(crc));
}

uint32_t entry_index(const std::vector<uint8_t>& b, LlmcuKind kind) {
  const uint32_t n = decode_llmcu_header(b)->tensor_count;
  for (uint32_t i = 0; i < n; ++i) {
    if (decode_llmcu_entry(b, i)->kind == static_cast<uint16_t>(kind)) return i;
  }
  ADD_FAILURE() << "no tensor of kind " << static_cast<int>(kind);
  return 0;
}

LlmcuEntry entry(const std::vector<uint8_t>& b, LlmcuKind kind) {
  return *decode_llmcu_entry(b, entry_index(b, kind));
}

void put_entry(std::vector<uint8_t>& b, uint32_t index, const LlmcuEntry& e) {
  encode_llmcu_entry(e, b.data() + kLlmcuHeaderBytes + index * kLlmcuEntryBytes);
}

// Edits one entry of a copy of `good`, re-seals it and returns the error.
template <typename Edit>
std::string entry_error(const std::vector<uint8_t>& good, LlmcuKind kind, Edit edit) {
  std::vector<uint8_t> b = good;
  const uint32_t i = entry_index(b, kind);
  LlmcuEntry e = *decode_llmcu_entry(b, i);
  edit(e);
  put_entry(b, i, e);
  reseal(b);
  return error_of(b);
}

#define EXPECT_HAS(haystack, needle) \
  EXPECT_NE(std::string(haystack).find(needle), std::string::npos) << (haystack)

// A small model whose hidden_dim 18 and dim 12 are not multiples of 8.
const ModelConfig kOdd{12, 18, 2, 2, 1, 20, 8, false};

class LlmcuFormat : public ::testing::Test {
 protected:
  void SetUp() override {
    v0_ = make_v0_model(kOdd);
    Result<Model> m = load_model(v0_, "v0");
    ASSERT_TRUE(m.is_ok()) << m.status().message();
    fp32_ = *m;
    good_ = to_llmcu(fp32_, WeightType::kQ8, 8);
    ASSERT_EQ(error_of(good_), "(loaded)");
  }
  std::vector<uint8_t> v0_;
  Model fp32_;
  std::vector<uint8_t> good_;  // int8, group size 8, separate classifier
};

TEST(LlmcuCrc, MatchesTheStandardCheckValueAndContinues) {
  const char* text = "123456789";
  const auto* p = reinterpret_cast<const uint8_t*>(text);
  EXPECT_EQ(crc32({p, 9}), 0xCBF43926u);  // CRC-32/ISO-HDLC check value
  EXPECT_EQ(crc32({p + 4, 5}, crc32({p, 4})), 0xCBF43926u);
  EXPECT_EQ(crc32({p, 0}), 0u);
  std::vector<uint8_t> big(1000);
  for (size_t i = 0; i < big.size(); ++i) big[i] = static_cast<uint8_t>(i * 31 + 7);
  // Every split point gives the same CRC (the 8-byte and 1-byte paths agree).
  const uint32_t whole = crc32(big);
  for (size_t cut : {1u, 3u, 8u, 13u, 999u}) {
    EXPECT_EQ(crc32({big.data() + cut, big.size() - cut}, crc32({big.data(), cut})), whole);
  }
}

TEST(LlmcuLayout, PadsRowsToWholeGroupsAndAlignsEverything) {
  // w2 of stories260K at group size 64: 172 values -> 3 groups, 192 bytes.
  Result<LlmcuEntry> e = llmcu_layout(LlmcuKind::kW2, LlmcuType::kQ8, 64, 5, 64, 172);
  ASSERT_TRUE(e.is_ok());
  EXPECT_EQ(e->row_stride, 192u);
  EXPECT_EQ(e->scale_offset, 64u * 192u);
  EXPECT_EQ(e->layer_stride, 64u * 192u + 64u * 3u * 4u);  // both multiples of 64 already
  EXPECT_EQ(e->bytes, 5u * e->layer_stride);
  e = llmcu_layout(LlmcuKind::kWq, LlmcuType::kQ8, 5, 1, 3, 12);  // 3 groups of 5: 15 values
  EXPECT_EQ(e->row_stride, 15u);
  EXPECT_EQ(e->scale_offset, 64u);
  EXPECT_EQ(e->layer_stride, 128u);
  e = llmcu_layout(LlmcuKind::kRmsAtt, LlmcuType::kF32, 0, 1, 5, 3);
  EXPECT_EQ(e->row_stride, 3u);
  EXPECT_EQ(e->scale_offset, 0u);
  EXPECT_EQ(e->layer_stride, 64u);
  EXPECT_FALSE(llmcu_layout(LlmcuKind::kWq, LlmcuType::kQ4, 32, 1, 4, 4).is_ok());
  EXPECT_FALSE(
      llmcu_layout(LlmcuKind::kWq, LlmcuType::kF32, 0, UINT32_MAX, UINT32_MAX, UINT32_MAX).is_ok());
}

TEST_F(LlmcuFormat, F32RoundTripComputesExactlyLikeTheOriginal) {
  for (bool shared : {true, false}) {
    ModelConfig c = kOdd;
    c.shared_classifier = shared;
    const std::vector<uint8_t> v0 = make_v0_model(c);
    Result<Model> f = load_model(v0, "v0");
    ASSERT_TRUE(f.is_ok());
    const std::vector<uint8_t> bytes = to_llmcu(*f, WeightType::kF32, 0);
    Result<Model> m = load_model(bytes, "f32.llmcu");
    ASSERT_TRUE(m.is_ok()) << m.status().message();
    EXPECT_EQ(m->format, ModelFormat::kLlmcu);
    EXPECT_EQ(m->weight_type, WeightType::kF32);
    EXPECT_EQ(m->config.group_size, 0);
    EXPECT_EQ(m->config.shared_classifier, shared);
    EXPECT_EQ(m->parameter_count, f->parameter_count);
    EXPECT_EQ(decode_llmcu_header(bytes)->tensor_count, shared ? 11u : 12u);
    EXPECT_EQ(logits_at(*f, {1, 5, 7, 3, 9}), logits_at(*m, {1, 5, 7, 3, 9}));
    // And an llmcu fp32 file converts like its original.
    EXPECT_EQ(to_llmcu(*m, WeightType::kQ8, 8), to_llmcu(*f, WeightType::kQ8, 8));
  }
}

TEST_F(LlmcuFormat, EveryTensorIsAlignedInPlaceAndPaddingIsZero) {
  Result<Model> m = load_model(good_, "m.llmcu");
  ASSERT_TRUE(m.is_ok());
  const Weights& w = m->weights;
  const uint8_t* base = good_.data();
  for (const Matrix* x :
       {&w.token_embedding, &w.wq, &w.wk, &w.wv, &w.wo, &w.w1, &w.w2, &w.w3, &w.classifier}) {
    EXPECT_EQ(x->type, WeightType::kQ8);
    EXPECT_EQ(x->group_size, 8);
    EXPECT_EQ(x->row_stride % 8, 0);
    EXPECT_GE(x->row_stride, x->cols);
    EXPECT_LT(x->row_stride, x->cols + 8);
    for (int32_t l = 0; l < (x == &w.token_embedding || x == &w.classifier ? 1 : 2); ++l) {
      EXPECT_EQ((x->layer(l) - base) % 64, 0);
      EXPECT_EQ((x->scale_bytes(l) - base) % 64, 0);
      for (int32_t r = 0; r < x->rows; ++r) {
        for (int32_t i = x->cols; i < x->row_stride; ++i) {
          ASSERT_EQ(x->q8(l)[static_cast<size_t>(r) * x->row_stride + i], 0);
        }
      }
    }
  }
  for (const float* norm : {w.rms_att.base, w.rms_ffn.base, w.rms_final}) {
    EXPECT_EQ((reinterpret_cast<const uint8_t*>(norm) - base) % 64, 0);
  }
  EXPECT_EQ(w.w2.row_stride, 24);  // hidden_dim 18 -> 3 groups of 8
  EXPECT_EQ(w.wq.row_stride, 16);  // dim 12 -> 2 groups of 8
  EXPECT_EQ(m->config.group_size, 8);
  EXPECT_EQ(0, memcmp(w.rms_att.base, fp32_.weights.rms_att.base, sizeof(float) * 12 * 2));
}

// Dequantized weights lie within half a scale of the originals, for group
// sizes that divide the rows, that do not, and that exceed them.
TEST_F(LlmcuFormat, QuantizedWeightsAreWithinHalfAScaleForAnyGroupSize) {
  for (int32_t gs : {1, 3, 4, 5, 8, 12, 64}) {
    const std::vector<uint8_t> bytes = to_llmcu(fp32_, WeightType::kQ8, gs);
    Result<Model> q = load_model(bytes, "q");
    ASSERT_TRUE(q.is_ok()) << gs << ": " << q.status().message();
    const Weights &fw = fp32_.weights, &qw = q->weights;
    const Matrix* pairs[][2] = {{&fw.token_embedding, &qw.token_embedding},
                                {&fw.classifier, &qw.classifier},
                                {&fw.wq, &qw.wq},
                                {&fw.wk, &qw.wk},
                                {&fw.w1, &qw.w1},
                                {&fw.w2, &qw.w2}};
    for (auto [f, m] : pairs) {
      std::vector<float> row(static_cast<size_t>(m->cols));
      for (int32_t r = 0; r < m->rows; ++r) {
        const uint8_t* scales =
            m->scale_bytes(0) + static_cast<size_t>(r) * m->groups_per_row() * 4;
        kernels::ref::dequantize_q8(row.data(), m->q8(0) + static_cast<size_t>(r) * m->row_stride,
                                    scales, m->cols, gs);
        for (int32_t i = 0; i < m->cols; ++i) {
          float scale;
          memcpy(&scale, scales + (i / gs) * 4, sizeof(scale));
          const float original = f->f32(0)[static_cast<size_t>(r) * f->cols + i];
          ASSERT_LE(std::fabs(row[i] - original), scale * 0.5f * (1.0f + 1e-5f) + 1e-12f)
              << "gs " << gs << " row " << r << " col " << i;
        }
      }
    }
    const std::vector<float> logits = logits_at(*q, {1, 2, 3, 4});
    for (float v : logits) ASSERT_TRUE(std::isfinite(v));
  }
}

// Where the group size divides every row, llmcu and llama2.c version 2 hold
// the same groups: the same int8 values, scales and logits.
TEST_F(LlmcuFormat, DividingGroupSizesComputeExactlyLikeVersion2) {
  for (int32_t gs : {2, 3, 6}) {
    std::vector<uint8_t> v2;
    ASSERT_TRUE(write_llama2c_v2(fp32_, gs, append_to_vector, &v2).is_ok());
    const std::vector<uint8_t> ours = to_llmcu(fp32_, WeightType::kQ8, gs);
    Result<Model> a = load_model(v2, "v2");
    Result<Model> b = load_model(ours, "ours");
    ASSERT_TRUE(a.is_ok() && b.is_ok());
    EXPECT_EQ(logits_at(*a, {1, 9, 4, 17, 2}), logits_at(*b, {1, 9, 4, 17, 2})) << gs;
  }
}

TEST_F(LlmcuFormat, ChecksumCatchesAnyFlippedByte) {
  // A weight, a scale, a header field the other checks would also catch, the CRC itself.
  const LlmcuEntry w2 = entry(good_, LlmcuKind::kW2);
  for (size_t at :
       {static_cast<size_t>(w2.offset + 3), static_cast<size_t>(w2.offset + w2.scale_offset + 1),
        size_t{30}, good_.size() - kLlmcuTrailerBytes}) {
    std::vector<uint8_t> b = good_;
    b[at] ^= 0x10;
    const std::string e = error_of(b);
    EXPECT_HAS(e, "m.llmcu: llmcu format: checksum mismatch: the trailer says CRC-32 0x");
    EXPECT_HAS(e, "the file is corrupt");
  }
  std::vector<uint8_t> b = good_;
  b[b.size() - 1] = 'X';
  EXPECT_HAS(error_of(b), "no trailer: the last 4 bytes are not \"LEND\"");
}

TEST_F(LlmcuFormat, TruncationNamesTheTableEntryOrTensorThatIsCutOff) {
  const uint32_t n = decode_llmcu_header(good_)->tensor_count;
  ASSERT_EQ(n, 12u);
  for (uint32_t i = 0; i < n; ++i) {
    for (size_t into : {size_t{0}, size_t{1}, size_t{32}, size_t{63}}) {
      const size_t cut = kLlmcuHeaderBytes + i * kLlmcuEntryBytes + into;
      const std::vector<uint8_t> b(good_.begin(), good_.begin() + static_cast<long>(cut));
      const std::string e = error_of(b);
      char want[96];
      snprintf(want, sizeof(want), "truncated: tensor table entry %u of 12 (bytes %zu-%zu)", i,
               kLlmcuHeaderBytes + i * kLlmcuEntryBytes,
               kLlmcuHeaderBytes + (i + 1) * kLlmcuEntryBytes - 1);
      EXPECT_HAS(e, want);
      EXPECT_HAS(e, "m.llmcu: llmcu format: ");
    }
  }
  // Inside every tensor's data: the error names the (first) tensor cut off.
  for (uint32_t i = 0; i < n; ++i) {
    const LlmcuEntry t = *decode_llmcu_entry(good_, i);
    const std::vector<uint8_t> b(good_.begin(),
                                 good_.begin() + static_cast<long>(t.offset + t.bytes / 2));
    EXPECT_HAS(error_of(b), std::string("is cut off")) << i;
    EXPECT_HAS(error_of(b), std::string("tensor ") + llmcu_kind_name(t.kind) + " (table entry " +
                                std::to_string(i) + ",");
  }
  std::vector<uint8_t> b(good_.begin(), good_.end() - 3);
  EXPECT_HAS(error_of(b), "the trailer is cut off");
  b.assign(good_.begin(), good_.begin() + 40);
  EXPECT_HAS(error_of(b), "truncated: the header needs 64 bytes, file has 40");
  b = good_;
  b.push_back(0);
  EXPECT_HAS(error_of(b), "1 trailing bytes: header says");
}

TEST_F(LlmcuFormat, MisalignedOverlappingAndMisplacedTensorsAreRefused) {
  const LlmcuEntry wq = entry(good_, LlmcuKind::kWq);
  EXPECT_HAS(entry_error(good_, LlmcuKind::kWq, [](LlmcuEntry& e) { e.offset += 4; }),
             "m.llmcu: llmcu format: tensor wq: offset " + std::to_string(wq.offset + 4) +
                 " is not a multiple of 64");
  EXPECT_HAS(entry_error(good_, LlmcuKind::kWk, [&](LlmcuEntry& e) { e.offset = wq.offset; }),
             "tensors wq (bytes " + std::to_string(wq.offset) + "-" +
                 std::to_string(wq.offset + wq.bytes - 1) + ") and wk");
  EXPECT_HAS(entry_error(good_, LlmcuKind::kWk, [&](LlmcuEntry& e) { e.offset = wq.offset + 64; }),
             "overlap");
  EXPECT_HAS(entry_error(good_, LlmcuKind::kWq, [](LlmcuEntry& e) { e.offset = 64; }),
             "tensor wq: bytes from 64");
  EXPECT_HAS(entry_error(good_, LlmcuKind::kW3, [&](LlmcuEntry& e) { e.offset = UINT64_MAX - 63; }),
             "lie outside the tensor data");
}

TEST_F(LlmcuFormat, UnknownTypesKindsAndBadEntriesAreNamed) {
  EXPECT_HAS(
      entry_error(good_, LlmcuKind::kW1, [](LlmcuEntry& e) { e.type = 9; }),
      "m.llmcu: llmcu format: tensor w1: unknown type 9 (this build reads 0 = f32 and 1 = q8)");
  EXPECT_HAS(entry_error(good_, LlmcuKind::kW1, [](LlmcuEntry& e) { e.type = 2; }),
             "tensor w1: type q4 is reserved for a later version");
  EXPECT_HAS(entry_error(good_, LlmcuKind::kW1, [](LlmcuEntry& e) { e.kind = 77; }),
             "unknown tensor kind 77");
  EXPECT_HAS(entry_error(good_, LlmcuKind::kW3, [](LlmcuEntry& e) { e.kind = 9; }),
             "tensor table entry 10: a second w1 tensor (entry 8 is one)");
  EXPECT_HAS(entry_error(good_, LlmcuKind::kW1, [](LlmcuEntry& e) { e.rows = 17; }),
             "tensor w1: shape (2, 17, 12), the config needs (2, 18, 12)");
  EXPECT_HAS(entry_error(good_, LlmcuKind::kW2, [](LlmcuEntry& e) { e.row_stride = 18; }),
             "tensor w2: row_stride is 18, the layout of a q8 (2, 12, 18) tensor needs 24");
  EXPECT_HAS(entry_error(good_, LlmcuKind::kW2, [](LlmcuEntry& e) { e.layer_stride += 64; }),
             "tensor w2: layer_stride is");
  EXPECT_HAS(entry_error(good_, LlmcuKind::kW2, [](LlmcuEntry& e) { e.group_size = 0; }),
             "tensor w2: group size 0 must be between 1 and 4096");
  EXPECT_HAS(entry_error(good_, LlmcuKind::kW2,
                         [](LlmcuEntry& e) {
                           e.group_size = 4;
                           e.row_stride = 20;
                         }),
             "tensor w2:");
  EXPECT_HAS(entry_error(good_, LlmcuKind::kRmsAtt, [](LlmcuEntry& e) { e.type = 1; }),
             "tensor rms_att: norms must be f32");

  // A whole-file edit: the classifier dropped from the table while the flag
  // says it is separate; the flag set while it is present.
  std::vector<uint8_t> b = good_;
  b[52] |= 1;  // shared classifier
  reseal(b);
  EXPECT_HAS(error_of(b), "a classifier tensor (entry 11), but the header's flags say");
  b = good_;
  b[52] = 0x80;
  reseal(b);
  EXPECT_HAS(error_of(b), "unknown flags 0x00000080 in the header");
  b = good_;
  b[8] = 2;  // version
  reseal(b);
  EXPECT_HAS(error_of(b), "format version 2; this build reads version 1");
  b = good_;
  const uint32_t count = 11;
  memcpy(b.data() + 56, &count, sizeof(count));  // the last entry becomes "data"
  reseal(b);
  EXPECT_HAS(error_of(b), "no classifier tensor in the table");
  // Reserved entry bytes.
  b = good_;
  b[kLlmcuHeaderBytes + 3 * kLlmcuEntryBytes + 60] = 1;
  reseal(b);
  EXPECT_HAS(error_of(b), "reserved bytes 56-63 of its table entry are not zero");
}

TEST_F(LlmcuFormat, ContentsAreCheckedPaddingScalesAndGaps) {
  const LlmcuEntry w2 = entry(good_, LlmcuKind::kW2);
  // A padding value of row 3, layer 1 of w2 (cols 18, row_stride 24).
  std::vector<uint8_t> b = good_;
  b[w2.offset + w2.layer_stride + 3 * 24 + 20] = 5;
  reseal(b);
  EXPECT_HAS(error_of(b),
             "tensor w2, layer 1, row 3: padding value 2 of its last group is not zero");
  // The last scale of layer 1.
  for (float bad :
       {std::numeric_limits<float>::quiet_NaN(), std::numeric_limits<float>::infinity()}) {
    b = good_;
    const uint64_t groups = 12 * 3;
    memcpy(b.data() + w2.offset + w2.layer_stride + w2.scale_offset + (groups - 1) * 4, &bad, 4);
    reseal(b);
    EXPECT_HAS(error_of(b), "tensor w2, layer 1, row 11: scale of group 2 is not finite");
  }
  // Alignment padding between the values and the scales.
  b = good_;
  b[w2.offset + 12 * 24 + 1] = 1;
  reseal(b);
  EXPECT_HAS(error_of(b), "tensor w2, layer 0: alignment padding byte");
  // Writers leave no gaps between tensors; a reader allows zero gaps. Make
  // one: move the last tensor 64 bytes on, into a file grown by 64 zeros.
  b = good_;
  const uint32_t last = decode_llmcu_header(b)->tensor_count - 1;
  LlmcuEntry e = *decode_llmcu_entry(b, last);
  b.insert(b.begin() + static_cast<long>(e.offset), 64, 0);
  e.offset += 64;
  put_entry(b, last, e);
  uint64_t size = b.size();
  memcpy(b.data() + 16, &size, sizeof(size));
  reseal(b);
  EXPECT_EQ(error_of(b), "(loaded)");  // a zero gap is allowed
  b[e.offset - 10] = 1;
  reseal(b);
  EXPECT_HAS(error_of(b), "lies between tensors and is not zero");
}

TEST_F(LlmcuFormat, MixedGroupSizesAreRefusedClearly) {
  // wq's entry rewritten for group size 4 (a valid layout of its own; the
  // group-size check comes before the overlap and content checks).
  const std::vector<uint8_t> g4 = to_llmcu(fp32_, WeightType::kQ8, 4);
  const LlmcuEntry wq4 = entry(g4, LlmcuKind::kWq);
  const std::string e = entry_error(good_, LlmcuKind::kWq, [&](LlmcuEntry& x) {
    x.group_size = 4;
    x.row_stride = 12;
    x.scale_offset = wq4.scale_offset;
    x.layer_stride = wq4.layer_stride;
    x.bytes = wq4.bytes;
  });
  EXPECT_HAS(e, "tensor wq is q8 with group size 4, token_embedding q8 with group size 8");
}

TEST_F(LlmcuFormat, WriterRefusesInt8InputBadGroupSizesAndReportsSinkErrors) {
  std::vector<uint8_t> out;
  Result<Model> q = load_model(good_, "q");
  Result<QuantizeStats> s = write_llmcu(*q, WeightType::kQ8, 8, append_to_vector, &out);
  ASSERT_FALSE(s.is_ok());
  EXPECT_HAS(s.status().message(), "already int8 (llmcu version 1)");
  for (int32_t gs : {0, -1, kMaxGroupSize + 1}) {
    s = write_llmcu(fp32_, WeightType::kQ8, gs, append_to_vector, &out);
    ASSERT_FALSE(s.is_ok());
    EXPECT_HAS(s.status().message(), "must be between 1 and 4096");
  }
  EXPECT_EQ(llmcu_file_bytes(fp32_.config, WeightType::kQ8, 0), 0u);
  auto failing = [](void*, const uint8_t*, size_t) {
    return Status::error(StatusCode::kIoError, "disk full");
  };
  s = write_llmcu(fp32_, WeightType::kQ8, 8, failing, nullptr);
  ASSERT_FALSE(s.is_ok());
  EXPECT_STREQ(s.status().message(), "disk full");

  std::vector<uint8_t> v0 = v0_;
  const size_t at =
      static_cast<size_t>(fp32_.weights.w2.layer(1) - v0_.data()) + (3 * 18 + 5) * sizeof(float);
  const float nan = std::numeric_limits<float>::quiet_NaN();
  memcpy(v0.data() + at, &nan, sizeof(nan));
  Result<Model> poisoned = load_model(v0, "v0");
  s = write_llmcu(*poisoned, WeightType::kQ8, 8, append_to_vector, &out);
  ASSERT_FALSE(s.is_ok());
  EXPECT_STREQ(s.status().message(), "tensor w2, layer 1, row 3: a weight is not finite");
}

// The int8 activation buffers hold padded rows: a config whose widest row
// is not a multiple of the group size plans room for the padding.
TEST(LlmcuPlan, ActivationBuffersCoverPaddedRows) {
  ModelConfig c{64, 172, 5, 8, 4, 512, 512, true};
  EXPECT_EQ(c.padded(172), 172);
  c.group_size = 64;
  EXPECT_EQ(c.padded(172), 192);
  EXPECT_EQ(c.padded(64), 64);
  Result<MemoryPlan> with = plan_memory(c, {});
  c.group_size = 4;
  Result<MemoryPlan> narrow = plan_memory(c, {});
  ASSERT_TRUE(with.is_ok() && narrow.is_ok());
  EXPECT_TRUE(validate_config(ModelConfig{64, 172, 5, 8, 4, 512, 512, true, 64}).is_ok());
}

TEST(Q8QuantizePadded, PartialLastGroupIsScaledByItsOwnValuesAndZeroPadded) {
  const float x[7] = {1.0f, -2.0f, 0.5f, 0.25f, 3.0f, -1.0f, 0.0f};
  int8_t q[8];
  float s[2];
  memset(q, 0x55, sizeof(q));
  kernels::ref::quantize_q8(q, s, x, 7, 4);
  EXPECT_EQ(s[0], 2.0f / 127.0f);
  EXPECT_EQ(s[1], 3.0f / 127.0f);
  const int8_t expect[8] = {64, -127, 32, 16, 127, -42, 0, 0};
  for (int i = 0; i < 8; ++i) EXPECT_EQ(q[i], expect[i]) << i;
}

}  // namespace
}  // namespace llmcu::test
