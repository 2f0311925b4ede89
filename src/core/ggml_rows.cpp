#include "llmcu/ggml_rows.h"

#include <cstring>

#include "kernels/ref/ggml_blocks.h"

namespace llmcu {

bool ggml_row_type_supported(GgmlType type) {
  return type == GgmlType::kF32 || type == GgmlType::kF16 || type == GgmlType::kQ8_0 ||
         type == GgmlType::kQ4_0;
}

bool ggml_row_fits(GgmlType type, int64_t cols) {
  const GgmlTypeInfo* info = ggml_type_info(static_cast<uint32_t>(type));
  return info != nullptr && cols > 0 && cols <= INT32_MAX && cols % info->block_values == 0;
}

size_t ggml_row_bytes(GgmlType type, int64_t cols) {
  const GgmlTypeInfo* info = ggml_type_info(static_cast<uint32_t>(type));
  if (info == nullptr || cols <= 0) return 0;
  return static_cast<size_t>(cols / info->block_values) * info->block_bytes;
}

bool encode_ggml_row(GgmlType type, const float* x, int64_t cols, uint8_t* out) {
  if (!ggml_row_type_supported(type) || !ggml_row_fits(type, cols)) return false;
  const auto n = static_cast<int32_t>(cols);
  switch (type) {
    case GgmlType::kF32: memcpy(out, x, sizeof(float) * static_cast<size_t>(n)); return true;
    case GgmlType::kF16:
      for (int32_t i = 0; i < n; ++i) {
        const uint16_t h = kernels::ggml::f32_to_fp16(x[i]);
        memcpy(out + 2 * static_cast<size_t>(i), &h, sizeof(h));
      }
      return true;
    case GgmlType::kQ8_0: kernels::ref::quantize_row_q8_0(out, x, n); return true;
    case GgmlType::kQ4_0: kernels::ref::quantize_row_q4_0(out, x, n); return true;
    default: return false;
  }
}

bool decode_ggml_row(GgmlType type, const uint8_t* row, int64_t cols, float* out) {
  if (!ggml_row_type_supported(type) || !ggml_row_fits(type, cols)) return false;
  const auto n = static_cast<int32_t>(cols);
  switch (type) {
    case GgmlType::kF32: memcpy(out, row, sizeof(float) * static_cast<size_t>(n)); return true;
    case GgmlType::kF16: kernels::ref::dequantize_row_f16(out, row, n); return true;
    case GgmlType::kQ8_0: kernels::ref::dequantize_row_q8_0(out, row, n); return true;
    case GgmlType::kQ4_0: kernels::ref::dequantize_row_q4_0(out, row, n); return true;
    default: return false;
  }
}

}  // namespace llmcu
