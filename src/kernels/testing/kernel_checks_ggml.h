// The checks of ggml's row kernels (F16, Q8_0, Q4_0: ref/ggml_blocks.h), part
// of the shared harness: kernel_checks.h includes this file at its end and
// check_all runs them. Its rules hold here too: a kernel in the family's
// kApproximate set stays within 1e-5 of the sum of its terms' magnitudes,
// any other gives the reference's bits (a NaN matches any NaN), and a row's
// bits do not depend on the range of rows it was computed in.
//
// Rows start at odd, 2-byte-aligned and aligned addresses: Q8_0 and Q4_0
// blocks are 34 and 18 bytes long, and a file may declare an alignment of 1.
// Besides ordinary data, hostile rows hold what a damaged file can: fp16
// values and scales that are subnormal, infinite or NaN, the quant -128, and
// activations whose scale overflows a half or whose reciprocal overflows a
// float. Results there may be garbage, but a kernel must not fault or touch
// memory outside its rows, and an exact kernel must still give ref's bits.
// An approximate kernel is only held to ref where no partial sum can
// overflow (the order of additions decides which ones do). The activation
// quantizer gives ref's bytes for every input in every family.
#pragma once

#include "../ref/family.h"
#include "kernel_checks.h"

namespace llmcu::kernels::checks {

namespace ggml_detail {

enum class RowType : uint8_t { kF16, kQ8_0, kQ4_0 };

inline const char* type_name(RowType t) {
  return t == RowType::kF16 ? "f16" : t == RowType::kQ8_0 ? "q8_0" : "q4_0";
}

inline size_t row_bytes(RowType t, int32_t cols) {
  switch (t) {
    case RowType::kF16: return ggml::f16_row_bytes(cols);
    case RowType::kQ8_0: return ggml::q8_0_row_bytes(cols);
    case RowType::kQ4_0: return ggml::q4_0_row_bytes(cols);
  }
  return 0;
}

inline Kernel matvec_kernel(RowType t) {
  return t == RowType::kF16    ? Kernel::kMatvecF16
         : t == RowType::kQ8_0 ? Kernel::kMatvecQ8_0
                               : Kernel::kMatvecQ4_0;
}

template <class F>
void dequantize_row(RowType t, float* out, const uint8_t* row, int32_t cols) {
  switch (t) {
    case RowType::kF16: return F::dequantize_row_f16(out, row, cols);
    case RowType::kQ8_0: return F::dequantize_row_q8_0(out, row, cols);
    case RowType::kQ4_0: return F::dequantize_row_q4_0(out, row, cols);
  }
}

// x feeds F16 rows; xq (x quantized to Q8_0) the block types.
template <class F>
void matvec(RowType t, float* out, const uint8_t* w, const float* x, const uint8_t* xq,
            int32_t cols, int32_t row_begin, int32_t row_end) {
  switch (t) {
    case RowType::kF16: return F::matvec_f16(out, w, x, cols, row_begin, row_end);
    case RowType::kQ8_0: return F::matvec_q8_0(out, w, xq, cols, row_begin, row_end);
    case RowType::kQ4_0: return F::matvec_q4_0(out, w, xq, cols, row_begin, row_end);
  }
}

// Halves a damaged file may hold: signed zeros, subnormals, the smallest
// normal, the largest finite, infinities, NaNs (quiet and signalling).
inline constexpr uint16_t kSpecialHalves[] = {0x0000, 0x8000, 0x0001, 0x83ff, 0x0200,
                                              0x0400, 0x7bff, 0xfbff, 0x7c00, 0xfc00,
                                              0x7e00, 0x7c01, 0xfe00};

inline void store_half(uint8_t* p, uint16_t h) {
  memcpy(p, &h, sizeof h);
}

// A scale as llama.cpp's quantizer writes for weights of magnitude ~2.
inline uint16_t ordinary_scale(Context& ctx) {
  return ggml::f32_to_fp16(ctx.uniform(0.02f));
}

inline uint16_t hostile_scale(Context& ctx) {
  switch (ctx.next_random() % 3) {
    case 0: return kSpecialHalves[ctx.next_random() % (sizeof kSpecialHalves / 2)];
    case 1: return static_cast<uint16_t>(ctx.next_random());  // any bits
    default: return ordinary_scale(ctx);
  }
}

// `rows` rows of `cols` values of type t, one after another from w. Ordinary
// Q8_0 quants are in [-127, 127] as llama.cpp writes them; hostile ones take
// any byte, F16 values any bits. Every fourth block holds its extreme quant
// throughout (Q8_0: 127, hostile -128; Q4_0: 7): with activations of one
// sign these make dot products of 15 significant bits, whose float steps
// round differently in another order.
inline void fill_rows(Context& ctx, RowType t, uint8_t* w, int32_t rows, int32_t cols,
                      bool hostile) {
  const size_t bytes = row_bytes(t, cols) * static_cast<size_t>(rows);
  if (t == RowType::kF16) {
    for (size_t i = 0; i < bytes; i += 2) {
      store_half(w + i, hostile ? static_cast<uint16_t>(ctx.next_random())
                                : ggml::f32_to_fp16(ctx.uniform(1.0f)));
    }
    return;
  }
  const size_t block = t == RowType::kQ8_0 ? ggml::kQ8_0BlockBytes : ggml::kQ4_0BlockBytes;
  for (size_t b = 0; b < bytes; b += block) {
    store_half(w + b, hostile ? hostile_scale(ctx) : ordinary_scale(ctx));
    const bool extreme = (b / block) % 4 == 3;
    for (size_t i = ggml::kQsOffset; i < block; ++i) {
      const bool any_byte = hostile || t == RowType::kQ4_0;
      w[b + i] = extreme    ? (t == RowType::kQ4_0 ? 0xff
                               : hostile           ? 0x80
                                                   : 0x7f)
                 : any_byte ? static_cast<uint8_t>(ctx.next_random())
                            : static_cast<uint8_t>(ctx.random_int8());
    }
  }
}

// Activations: ordinary values, every eighth block of one sign (large dot
// products); hostile ones add, block by block, scales that overflow a half
// (max |x| / 127 >= 65520), values so small that 1 / d overflows, scales that
// are fp16 subnormals, infinities and NaNs, a block of zeros and a NaN, and
// exact rounding ties (d = 1/8, so x * (1 / d) is k + 0.5 exactly) beside
// their neighbours one ulp away.
inline void fill_activations(Context& ctx, float* x, int32_t cols, bool hostile) {
  ctx.fill(x, static_cast<size_t>(cols), 2.0f);
  for (int32_t b = 0; b < cols / ggml::kBlockValues; ++b) {
    float* xb = x + static_cast<size_t>(b) * ggml::kBlockValues;
    if (b % 8 == 7) {
      for (int32_t i = 0; i < ggml::kBlockValues; ++i) xb[i] = std::fabs(xb[i]) + 1.0f;
    }
    if (!hostile) continue;
    switch (b % 8) {
      case 0: break;
      case 1:
        for (int32_t i = 0; i < ggml::kBlockValues; ++i) xb[i] *= 3e37f;
        break;
      case 2:
        for (int32_t i = 0; i < ggml::kBlockValues; ++i) xb[i] *= 1e-38f;
        xb[5] = 0.0f;
        break;
      case 3:
        for (int32_t i = 0; i < ggml::kBlockValues; ++i) xb[i] *= 1e-6f;
        break;
      case 4:
        xb[3] = INFINITY;
        xb[17] = -INFINITY;
        xb[30] = NAN;
        break;
      case 5:
        for (int32_t i = 0; i < ggml::kBlockValues; ++i) xb[i] = 0.0f;
        xb[b % ggml::kBlockValues] = NAN;
        break;
      case 6:
        xb[0] = 15.875f;  // max |x|: d = 15.875 / 127 = 0.125
        for (int32_t i = 1; i < ggml::kBlockValues; ++i) {
          const float tie = (static_cast<float>(i * 4 - 64) + 0.5f) * 0.125f;  // within +-15.875
          xb[i] = i % 3 == 0 ? tie : std::nextafter(tie, i % 3 == 1 ? 1e9f : -1e9f);
        }
        break;
      default: break;
    }
  }
}

// The bound of an approximate matvec row: 1e-5 of the sum of its terms'
// magnitudes, w and x as the kernel sees them. Infinite (anything goes)
// where that sum could overflow: such a row's value depends on the order of
// additions in any kernel.
inline float row_bound(const float* w, const float* x, int32_t cols) {
  double s = 0.0;
  for (int32_t i = 0; i < cols; ++i) s += std::fabs(static_cast<double>(w[i]) * x[i]);
  if (!(s < 1e37)) return INFINITY;
  return static_cast<float>(1e-5 * s) + 1e-30f;
}

}  // namespace ggml_detail

// dequantize_row_{f16,q8_0,q4_0}: exact (every family), also on hostile rows,
// never a value past the row.
template <class F>
void check_ggml_dequantize(Context& ctx) {
  using namespace ggml_detail;
  static const int32_t f16_cols[] = {1, 2, 3, 7, 8, 9, 15, 16, 17, 31, 33, 64, 172, 257, 1000};
  static const int32_t blocks_list[] = {1, 2, 3, 5, 8, 18, 48};
  for (RowType t : {RowType::kF16, RowType::kQ8_0, RowType::kQ4_0}) {
    const size_t n_shapes = t == RowType::kF16 ? sizeof f16_cols / sizeof f16_cols[0]
                                               : sizeof blocks_list / sizeof blocks_list[0];
    for (size_t k = 0; k < n_shapes; ++k) {
      const int32_t cols = t == RowType::kF16 ? f16_cols[k] : ggml::kBlockValues * blocks_list[k];
      for (int32_t offset : {0, 1, 2}) {
        for (bool hostile : {false, true}) {
          ctx.begin_case();
          uint8_t* row = ctx.take<uint8_t>(row_bytes(t, cols) + 2);
          float* got = ctx.take<float>(static_cast<size_t>(cols) + 1);
          float* want = ctx.take<float>(static_cast<size_t>(cols) + 1);
          float* bound = ctx.take<float>(static_cast<size_t>(cols));
          if (bound == nullptr) {
            ctx.skip();
            continue;
          }
          row += offset;
          fill_rows(ctx, t, row, 1, cols, hostile);
          got[cols] = want[cols] = -7.0f;
          dequantize_row<F>(t, got, row, cols);
          dequantize_row<ref::Ref>(t, want, row, cols);
          relative_bounds(bound, want, static_cast<size_t>(cols));
          const Shape s = shape("%s, %d values, row at +%d%s", type_name(t), static_cast<int>(cols),
                                static_cast<int>(offset), hostile ? ", hostile" : "");
          ctx.expect(F::kName, "dequantize_row", s.text, got, want,
                     bounds_unless_exact<F>(Kernel::kDequantizeRow, bound),
                     static_cast<size_t>(cols));
          ctx.expect_true(got[cols] == -7.0f, F::kName, "dequantize_row wrote past the row",
                          s.text);
        }
      }
    }
  }
}

// quantize_row_q8_0: the reference's bytes, scales and quants, for every
// family and every input, and nothing written past the row.
template <class F>
void check_ggml_quantize(Context& ctx) {
  using namespace ggml_detail;
  for (int32_t blocks : {1, 2, 3, 5, 7, 14, 48}) {
    const int32_t cols = ggml::kBlockValues * blocks;
    const size_t bytes = ggml::q8_0_row_bytes(cols);
    for (int32_t offset : {0, 1, 2}) {
      for (bool hostile : {false, true}) {
        ctx.begin_case();
        float* x = ctx.take<float>(static_cast<size_t>(cols) + 1);
        uint8_t* got = ctx.take<uint8_t>(bytes + 3);
        uint8_t* want = ctx.take<uint8_t>(bytes + 3);
        if (want == nullptr) {
          ctx.skip();
          continue;
        }
        x += offset == 1;  // one float past alignment too
        got += offset;
        want += offset;
        fill_activations(ctx, x, cols, hostile);
        memset(got, 0x5a, bytes + 1);
        memset(want, 0x5a, bytes + 1);
        F::quantize_row_q8_0(got, x, cols);
        ref::quantize_row_q8_0(want, x, cols);
        const Shape s = shape("%d blocks, out at +%d%s", static_cast<int>(blocks),
                              static_cast<int>(offset), hostile ? ", hostile" : "");
        ctx.expect_true(got[bytes] == 0x5a, F::kName, "quantize_row_q8_0 wrote past the row",
                        s.text);
        for (size_t i = 0; i < bytes; ++i) {
          if (got[i] != want[i]) {
            const size_t block = i / ggml::kQ8_0BlockBytes, at = i % ggml::kQ8_0BlockBytes;
            ctx.fail("%s quantize_row_q8_0 (%s): block %u %s %u is 0x%02x, reference 0x%02x",
                     F::kName, s.text, static_cast<unsigned>(block),
                     at < ggml::kQsOffset ? "scale byte" : "quant",
                     static_cast<unsigned>(at < ggml::kQsOffset ? at : at - ggml::kQsOffset),
                     got[i], want[i]);
            break;
          }
        }
      }
    }
  }
}

// matvec_{f16,q8_0,q4_0} of type t: rows [1, rows) against the reference
// (the rows outside untouched), then the same rows in ranges of 3 against one
// range. Three variants: ordinary data with rows 2-byte aligned; hostile data
// with rows at odd addresses, the activations (and for F16 x) 2 bytes (one
// float) past alignment; ordinary data, everything aligned but the
// activations at an odd address.
template <class F>
void check_ggml_matvec(Context& ctx, ggml_detail::RowType t) {
  using namespace ggml_detail;
  static const int32_t f16_cols[] = {1, 3, 7, 8, 15, 16, 17, 31, 33, 64, 65, 172, 257, 576, 1000};
  static const int32_t blocks_list[] = {1, 2, 3, 4, 5, 7, 8, 9, 18, 48};
  static const int32_t rows_list[] = {1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 17};
  const size_t n_shapes = t == RowType::kF16 ? sizeof f16_cols / sizeof f16_cols[0]
                                             : sizeof blocks_list / sizeof blocks_list[0];
  const Kernel kernel = matvec_kernel(t);
  for (size_t k = 0; k < n_shapes; ++k) {
    const int32_t cols = t == RowType::kF16 ? f16_cols[k] : ggml::kBlockValues * blocks_list[k];
    for (int32_t rows : rows_list) {
      for (int32_t variant = 0; variant < 3; ++variant) {
        const bool hostile = variant == 1;
        const int32_t w_offset = variant == 0 ? 2 : variant == 1 ? 1 : 0;
        const int32_t x_offset = variant == 0 ? 0 : variant == 1 ? 2 : 1;  // bytes of xq
        ctx.begin_case();
        const size_t rb = row_bytes(t, cols);
        const auto n_cols = static_cast<size_t>(cols);
        uint8_t* w = ctx.take<uint8_t>(rb * static_cast<size_t>(rows) + 2);
        float* x = ctx.take<float>(n_cols + 1);
        uint8_t* xq = ctx.take<uint8_t>(ggml::q8_0_row_bytes(cols) + 2);
        float* x_seen = ctx.take<float>(n_cols);  // x as the kernel sees it
        float* w_row = ctx.take<float>(n_cols);
        const MatvecOutputs o = take_matvec_outputs(ctx, rows);
        if (o.bound == nullptr) {
          ctx.skip();
          continue;
        }
        w += w_offset;
        x += variant == 1;
        xq += x_offset;
        fill_rows(ctx, t, w, rows, cols, hostile);
        if (t == RowType::kF16) {
          ctx.fill(x, n_cols, 2.0f);
          if (hostile) {
            for (int32_t i = 5; i < cols; i += 29) x[i] = i % 2 ? 1e30f : -INFINITY;
          }
          memcpy(x_seen, x, sizeof(float) * n_cols);
        } else {
          fill_activations(ctx, x, cols, hostile);
          ref::quantize_row_q8_0(xq, x, cols);
          ref::dequantize_row_q8_0(x_seen, xq, cols);
        }
        for (int32_t r = 0; r < rows; ++r) {
          dequantize_row<ref::Ref>(t, w_row, w + rb * static_cast<size_t>(r), cols);
          o.bound[r] = row_bound(w_row, x_seen, cols);
        }
        const Shape s = shape("%s, %d x %d, rows from %d, w at +%d, x at +%d%s", type_name(t),
                              static_cast<int>(rows), static_cast<int>(cols), rows > 1 ? 1 : 0,
                              static_cast<int>(w_offset),
                              static_cast<int>(t == RowType::kF16 ? 4 * (variant == 1) : x_offset),
                              hostile ? ", hostile" : "");
        char name[16];
        snprintf(name, sizeof name, "matvec_%s", type_name(t));
        expect_matvec(
            ctx, F::kName, name, s.text, rows, 3, o, bounds_unless_exact<F>(kernel, o.bound),
            [&](float* out, int32_t b, int32_t e) { matvec<F>(t, out, w, x, xq, cols, b, e); },
            [&](float* out, int32_t b, int32_t e) {
              matvec<ref::Ref>(t, out, w, x, xq, cols, b, e);
            });
      }
    }
  }
}

// matmul_{q8_0,q4_0} of type t, n tokens: every row of every token exactly
// the bits (memcmp) F's matvec gives it for that token alone, nothing
// written outside the rows [row_begin, row_end) of each token's output. A
// NaN matches any NaN, as everywhere in the harness: a compiler may commute
// the operands of a multiply or an add in one kernel and not in another,
// which decides whose NaN (sign, payload) comes out.
// Odd numbers of tokens (up to 19: more than a kernel may take in one
// pass), of blocks (up to 25) and of rows, ranges that start and end
// off the 16-row groups, output and activation strides that are not
// multiples of a vector (the activations' not even of 2 bytes); in the
// hostile variant the rows are hostile and at an odd address, the
// activations hostile.
template <class F>
void check_ggml_matmul(Context& ctx, ggml_detail::RowType t) {
  using namespace ggml_detail;
  static const int32_t blocks_list[] = {1, 3, 9, 25};
  static const int32_t rows_list[] = {1, 3, 16, 17, 29, 37};
  static const int32_t tokens_list[] = {1, 2, 3, 4, 5, 7, 9, 19};
  for (int32_t blocks : blocks_list) {
    const int32_t cols = ggml::kBlockValues * blocks;
    const size_t rb = row_bytes(t, cols);
    const size_t xq_bytes = ggml::q8_0_row_bytes(cols);
    for (int32_t rows : rows_list) {
      for (int32_t n : tokens_list) {
        for (bool hostile : {false, true}) {
          // Rows [begin, end): all of them, or from 1 to 2 before the end.
          const int32_t begin = hostile && rows > 2 ? 1 : 0;
          const int32_t end = hostile && rows > 4 ? rows - 2 : rows;
          const size_t out_stride = static_cast<size_t>(rows) + (hostile ? 3 : 16);
          const size_t xq_stride = xq_bytes + (hostile ? 5 : 0);
          const auto n_tokens = static_cast<size_t>(n);
          const auto n_cols = static_cast<size_t>(cols);
          const size_t n_out = n_tokens * out_stride + 1;
          ctx.begin_case();
          uint8_t* w = ctx.take<uint8_t>(rb * static_cast<size_t>(rows) + 2);
          float* x = ctx.take<float>(n_cols);
          uint8_t* xq = ctx.take<uint8_t>(xq_stride * n_tokens + 2);
          float* got = ctx.take<float>(n_out);
          float* want = ctx.take<float>(n_out);
          if (want == nullptr) {
            ctx.skip();
            continue;
          }
          w += hostile ? 1 : 0;
          xq += hostile ? 1 : 0;
          fill_rows(ctx, t, w, rows, cols, hostile);
          memset(xq, 0x5a, xq_stride * n_tokens);
          for (size_t i = 0; i < n_tokens; ++i) {
            fill_activations(ctx, x, cols, hostile);
            ref::quantize_row_q8_0(xq + i * xq_stride, x, cols);
          }
          for (size_t i = 0; i < n_out; ++i) got[i] = want[i] = -7.0f;
          if (t == RowType::kQ8_0) {
            F::matmul_q8_0(got, out_stride, w, xq, xq_stride, n, cols, begin, end);
          } else {
            F::matmul_q4_0(got, out_stride, w, xq, xq_stride, n, cols, begin, end);
          }
          for (size_t i = 0; i < n_tokens; ++i) {
            matvec<F>(t, want + i * out_stride, w, nullptr, xq + i * xq_stride, cols, begin, end);
          }
          const Shape s = shape(
              "%s, %d tokens, rows %d-%d of %d x %d, out stride %u, x stride %u%s", type_name(t),
              static_cast<int>(n), static_cast<int>(begin), static_cast<int>(end),
              static_cast<int>(rows), static_cast<int>(cols), static_cast<unsigned>(out_stride),
              static_cast<unsigned>(xq_stride), hostile ? ", hostile" : "");
          for (size_t i = 0; i < n_out; ++i) {
            const bool same = memcmp(&got[i], &want[i], sizeof(float)) == 0 ||
                              (std::isnan(got[i]) && std::isnan(want[i]));
            if (!same) {
              ctx.fail("%s matmul_%s (%s): token %u row %u is %.9g, its matvec's %.9g%s", F::kName,
                       type_name(t), s.text, static_cast<unsigned>(i / out_stride),
                       static_cast<unsigned>(i % out_stride), static_cast<double>(got[i]),
                       static_cast<double>(want[i]),
                       want[i] == -7.0f ? " (outside the rows)" : " (must be the same bits)");
              break;
            }
          }
          ctx.expect_true(true, F::kName, "matmul", s.text);  // one check passed
        }
      }
    }
  }
}

template <class F>
void check_ggml_matvec_f16(Context& ctx) {
  check_ggml_matvec<F>(ctx, ggml_detail::RowType::kF16);
}
// Each block type's matvec, then its matmul against that matvec.
template <class F>
void check_ggml_matvec_q8_0(Context& ctx) {
  check_ggml_matvec<F>(ctx, ggml_detail::RowType::kQ8_0);
  check_ggml_matmul<F>(ctx, ggml_detail::RowType::kQ8_0);
}
template <class F>
void check_ggml_matvec_q4_0(Context& ctx) {
  check_ggml_matvec<F>(ctx, ggml_detail::RowType::kQ4_0);
  check_ggml_matmul<F>(ctx, ggml_detail::RowType::kQ4_0);
}

}  // namespace llmcu::kernels::checks
