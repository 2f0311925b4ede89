// Converting fp32 checkpoints to int8 (Q8_0), without Python: the writer
// streams the new file through a byte sink, so the core never touches a file
// system and never allocates (the host CLI writes a temporary file and renames
// it; the tests collect the bytes in memory).
#pragma once

#include <cstddef>
#include <cstdint>

#include "llmcu/model.h"
#include "llmcu/status.h"

namespace llmcu {

// llama2.c's export.py starts from this group size.
inline constexpr int32_t kDefaultGroupSize = 64;

// The group size for a llama2.c version-2 file of this config. In that format
// one group size serves every matrix and a group must not straddle a row, so
// it must divide both row lengths: dim (wq, wk, wv, wo, w1, w3, embedding)
// and hidden_dim (w2).
//   requested > 0: used as is if it divides both, else an error naming the
//                  tensor and the largest group size that would fit.
//   requested 0:   the largest power of two up to kDefaultGroupSize that divides
//                  both (llama2.c halves 64 until it divides dim, and forgets hidden_dim).
Result<int32_t> choose_group_size(const ModelConfig& config, int32_t requested);

// Bytes of a llama2.c version-2 file of this config and group size.
uint64_t llama2c_v2_bytes(const ModelConfig& config, int32_t group_size);

struct QuantizeStats {
  uint64_t bytes_written = 0;
  uint64_t groups = 0;
  // Largest |dequantized - original| over every weight, and that element's
  // group scale: the error of round-to-nearest is at most scale / 2.
  float max_abs_error = 0.0f;
  float max_error_scale = 0.0f;
  // Largest error relative to its group's scale (<= 0.5 plus rounding).
  float max_error_in_scales = 0.0f;
};

// Receives the output in order; a non-ok Status stops the writer.
using ByteSink = Status (*)(void* user, const uint8_t* data, size_t size);

// Writes `model` (fp32, any version we read) as a llama2.c version-2 file
// with `group_size` (see choose_group_size): what llama2.c's runq.c and our
// loader read. Each group's scale is max|w| / 127 and each value
// round(w / scale), as in export.py. Fails on non-finite weights, naming the tensor.
Result<QuantizeStats> write_llama2c_v2(const Model& model, int32_t group_size, ByteSink sink,
                                       void* user);

}  // namespace llmcu
