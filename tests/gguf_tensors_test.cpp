// The ggml kernels on real tensors: llama.cpp's conversions of stories260K
// must be exactly what llmcu's quantizers make of the F32 file's tensors,
// and dequantize to within the encoding's error of them.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "llmcu/crc32.h"
#include "llmcu/gguf.h"
#include "test_internals.h"
#include "test_support.h"

namespace llmcu {
namespace {

using kernels::ggml::f32_to_fp16;
using kernels::ggml::load_fp16;

struct Opened {
  std::vector<uint8_t> bytes;
  std::vector<uint8_t> arena_memory;
  GgufFile file;
};

std::unique_ptr<Opened> open_shared(const std::string& name) {
  auto o = std::make_unique<Opened>();
  o->bytes = test::read_file(test::model_path("gguf/" + name));
  Result<size_t> need = gguf_index_bytes(o->bytes, name.c_str());
  EXPECT_TRUE(need.is_ok()) << need.status().message();
  o->arena_memory.resize(need.is_ok() ? *need : 0);
  Arena arena(o->arena_memory);
  Result<GgufFile> file = gguf_open(o->bytes, "shared.gguf", arena);
  EXPECT_TRUE(file.is_ok()) << file.status().message();
  if (file.is_ok()) o->file = *file;
  return o;
}

std::vector<float> floats_of(const GgufTensor& t) {
  std::vector<float> v(static_cast<size_t>(t.elements));
  memcpy(v.data(), t.data, v.size() * sizeof(float));
  return v;
}

// `t`'s values (from the F32 file) encoded as `type`, row by row.
std::vector<uint8_t> encode(const GgufTensor& t, GgmlType type) {
  const std::vector<float> x = floats_of(t);
  const auto cols = static_cast<int32_t>(t.dims[0]);
  const size_t rows = static_cast<size_t>(t.rows());
  std::vector<uint8_t> out;
  switch (type) {
    case GgmlType::kF32:
      out.resize(x.size() * 4);
      memcpy(out.data(), x.data(), out.size());
      break;
    case GgmlType::kF16:
      out.resize(x.size() * 2);
      for (size_t i = 0; i < x.size(); ++i) {
        const uint16_t h = f32_to_fp16(x[i]);
        memcpy(out.data() + 2 * i, &h, 2);
      }
      break;
    case GgmlType::kQ8_0:
      out.resize(rows * kernels::ggml::q8_0_row_bytes(cols));
      for (size_t r = 0; r < rows; ++r) {
        kernels::ref::quantize_row_q8_0(out.data() + r * kernels::ggml::q8_0_row_bytes(cols),
                                        x.data() + r * static_cast<size_t>(cols), cols);
      }
      break;
    case GgmlType::kQ4_0:
      out.resize(rows * kernels::ggml::q4_0_row_bytes(cols));
      for (size_t r = 0; r < rows; ++r) {
        kernels::ref::quantize_row_q4_0(out.data() + r * kernels::ggml::q4_0_row_bytes(cols),
                                        x.data() + r * static_cast<size_t>(cols), cols);
      }
      break;
    default: ADD_FAILURE() << "no encoder for " << ggml_type_name(type);
  }
  return out;
}

// Q8_0: |q * d - x| <= 0.5 d' + 127 |d - d'| with d' = amax / 127 before fp16
// rounding; d' is within 2^-11 of d, so 0.6 d bounds it.
void check_q8_0_error(const GgufTensor& q, const GgufTensor& f) {
  const std::vector<float> x = floats_of(f);
  const auto cols = static_cast<int32_t>(q.dims[0]);
  std::vector<float> row(static_cast<size_t>(cols));
  double worst = 0;
  for (uint64_t r = 0; r < q.rows(); ++r) {
    const uint8_t* bytes = q.data + r * kernels::ggml::q8_0_row_bytes(cols);
    kernels::ref::dequantize_row_q8_0(row.data(), bytes, cols);
    for (int32_t i = 0; i < cols; ++i) {
      const float d = load_fp16(bytes + (i / 32) * kernels::ggml::kQ8_0BlockBytes);
      const float expected = x[r * static_cast<uint64_t>(cols) + static_cast<uint64_t>(i)];
      const double error = std::fabs(row[static_cast<size_t>(i)] - expected);
      ASSERT_LE(error, 0.6 * std::fabs(d) + 1e-12) << q.name << " row " << r << " col " << i;
      worst = std::fmax(worst, error);
    }
  }
  EXPECT_GT(worst, 0.0) << q.name;  // really quantized
}

void check_f16_error(const GgufTensor& h, const GgufTensor& f) {
  const std::vector<float> x = floats_of(f);
  std::vector<float> values(x.size());
  kernels::ref::dequantize_row_f16(values.data(), h.data, static_cast<int32_t>(x.size()));
  for (size_t i = 0; i < x.size(); ++i) {
    ASSERT_LE(std::fabs(values[i] - x[i]), std::fabs(x[i]) * 0x1p-11 + 0x1p-25) << h.name << i;
  }
}

TEST(GgufTensors, Q8_0ConversionsAreOurQuantizationOfTheF32File) {
  auto f32 = open_shared("stories260K-f32.gguf");
  for (const char* name : {"stories260K-q8_0.gguf", "stories260K-q8_0-f32down.gguf"}) {
    SCOPED_TRACE(name);
    auto q = open_shared(name);
    ASSERT_EQ(q->file.tensors().size(), f32->file.tensors().size());
    int quantized = 0;
    for (const GgufTensor& t : q->file.tensors()) {
      const GgufTensor* f = f32->file.find_tensor(t.name);
      ASSERT_NE(f, nullptr) << t.name;
      ASSERT_EQ(memcmp(t.dims, f->dims, sizeof(t.dims)), 0) << t.name;
      const std::vector<uint8_t> ours = encode(*f, t.type);
      ASSERT_EQ(ours.size(), t.bytes) << t.name;
      EXPECT_EQ(memcmp(ours.data(), t.data, ours.size()), 0)
          << t.name << " (" << ggml_type_name(t.type) << ") differs from llmcu's encoding";
      if (t.type == GgmlType::kQ8_0) {
        check_q8_0_error(t, *f);
        ++quantized;
      } else if (t.type == GgmlType::kF16) {
        check_f16_error(t, *f);
      }
    }
    EXPECT_EQ(quantized, 32);
  }
}

struct TensorRecord {
  std::string name;
  std::string type;
  uint64_t bytes = 0;
  uint32_t crc = 0;
};

std::vector<TensorRecord> read_records(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::vector<TensorRecord> records;
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream fields(line);
    TensorRecord r;
    std::string crc;
    if (fields >> r.name >> r.type >> r.bytes >> crc) {
      r.crc = static_cast<uint32_t>(std::stoul(crc, nullptr, 16));
      records.push_back(r);
    }
  }
  return records;
}

GgmlType type_named(const std::string& name) {
  for (GgmlType t : {GgmlType::kF32, GgmlType::kF16, GgmlType::kQ8_0, GgmlType::kQ4_0}) {
    if (name == ggml_type_name(t)) return t;
  }
  ADD_FAILURE() << "unexpected type " << name;
  return GgmlType::kF32;
}

// llama-quantize's Q4_0 and F16 files are not fixtures; their tensors' CRCs
// are (tests/data/gguf/README.md). llmcu's encoders must reproduce them.
TEST(GgufTensors, Q4_0AndF16ConversionsMatchLlamaCppsChecksums) {
  auto f32 = open_shared("stories260K-f32.gguf");
  for (const char* variant : {"q4_0", "f16"}) {
    SCOPED_TRACE(variant);
    const std::vector<TensorRecord> records = read_records(
        std::string(LLMCU_TEST_DATA_DIR) + "/gguf/stories260K-" + variant + ".tensors");
    ASSERT_EQ(records.size(), 48u);
    int q4 = 0;
    for (const TensorRecord& r : records) {
      const GgufTensor* f = f32->file.find_tensor(r.name);
      ASSERT_NE(f, nullptr) << r.name;
      const GgmlType type = type_named(r.type);
      q4 += type == GgmlType::kQ4_0;
      const std::vector<uint8_t> ours = encode(*f, type);
      EXPECT_EQ(ours.size(), r.bytes) << r.name;
      EXPECT_EQ(crc32(ours), r.crc) << r.name << " (" << r.type << ") differs from llama.cpp's";
    }
    EXPECT_EQ(q4, std::string(variant) == "q4_0" ? 31 : 0);
  }
}

}  // namespace
}  // namespace llmcu
