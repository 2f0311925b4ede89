// Every kernel of a family against the reference, on odd sizes so that every
// vector tail and block boundary is exercised: one harness for the host
// (tests/kernel_checks_test.cpp runs it under GoogleTest for each family the
// build has) and for target images (the Cortex-M image's --selftest runs it
// on the CPU whose assembly it checks).
//
// A kernel in the family's kApproximate set must stay within a tolerance
// stated per kernel; any other must give the reference's bits:
//   sums (dot, matvec, attention scores and values, int8 and ggml matvecs):
//       |got - ref| <= 1e-5 * sum |a_i b_i|   (every term's magnitude)
//   element-wise (rmsnorm, softmax, swiglu):  |got - ref| <= 1e-5 * |ref|
// Kernels that split work by rows must also give each row the same bits
// whatever range it was computed in, or thread counts would change results.
//
// Portable and allocation-free: vectors come from the caller's scratch
// memory, random numbers from a xorshift, failures go to a callback.
#pragma once

#include <cmath>
#include <cstdarg>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstring>

#include "../reference.h"

#if defined(__SANITIZE_ADDRESS__)
#define LLMCU_CHECKS_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define LLMCU_CHECKS_ASAN 1
#endif
#endif
#if defined(LLMCU_CHECKS_ASAN)
#include <sanitizer/asan_interface.h>
#endif

namespace llmcu::kernels::checks {

using ReportFn = void (*)(void* user, const char* line);

// AddressSanitizer's manual poisoning of scratch memory (nothing without it).
inline void poison(const uint8_t* p, size_t bytes) {
#if defined(LLMCU_CHECKS_ASAN)
  ASAN_POISON_MEMORY_REGION(p, bytes);
#else
  (void)p, (void)bytes;
#endif
}
inline void unpoison(const uint8_t* p, size_t bytes) {
#if defined(LLMCU_CHECKS_ASAN)
  ASAN_UNPOISON_MEMORY_REGION(p, bytes);
#else
  (void)p, (void)bytes;
#endif
}

class Context {
 public:
  // `scratch` must be 16-byte aligned; cases that need more are skipped and
  // counted, which a thorough run (the host's) must not allow.
  Context(uint8_t* scratch, size_t scratch_bytes, ReportFn report, void* user)
      : scratch_(scratch), scratch_bytes_(scratch_bytes), report_(report), user_(user) {}
  ~Context() { unpoison(scratch_, scratch_bytes_); }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;

  // For families whose kernels read (never write) up to `bytes` past the end
  // of an input, as the esp32s3 vector dot products do by contract (their
  // callers keep those bytes readable): they stay addressable after each
  // buffer (see take()).
  void allow_reads_past_end(size_t bytes) { readable_past_end_ = bytes; }

  int checks() const { return checks_; }
  int failures() const { return failures_; }
  int skipped() const { return skipped_; }

  // Scratch for one case, all of it given back by the next begin_case(). Once
  // a take() fails, every later one in the case does too, so a case need only
  // check its last. Under AddressSanitizer the bytes between one buffer's
  // `count` values and the next buffer are poisoned, so a kernel that reads
  // or writes past its input or output fails there.
  void begin_case() {
    used_ = 0;
    out_of_room_ = false;
    unpoison(scratch_, scratch_bytes_);
  }
  template <typename T>
  T* take(size_t count) {
    const size_t bytes = (count * sizeof(T) + 63) / 64 * 64 + 64;  // room to misalign
    if (out_of_room_ || bytes > scratch_bytes_ - used_) {
      out_of_room_ = true;
      return nullptr;
    }
    T* p = reinterpret_cast<T*>(scratch_ + used_);
    const size_t addressable = count * sizeof(T) + readable_past_end_;
    if (addressable < bytes) poison(scratch_ + used_ + addressable, bytes - addressable);
    used_ += bytes;
    return p;
  }
  void skip() { ++skipped_; }

  uint32_t next_random() {  // xorshift32
    rng_ ^= rng_ << 13;
    rng_ ^= rng_ >> 17;
    rng_ ^= rng_ << 5;
    return rng_;
  }
  float uniform(float scale) {  // in [-scale, scale)
    return scale * (static_cast<float>(next_random() >> 8) / 8388608.0f - 1.0f);
  }
  void fill(float* v, size_t n, float scale) {
    for (size_t i = 0; i < n; ++i) v[i] = uniform(scale);
  }
  int8_t random_int8() {  // [-127, 127], as quantized values are
    return static_cast<int8_t>(static_cast<int32_t>(next_random() % 255u) - 127);
  }

  // One check of n values: exact, or within bound[i] of want[i] (bound null:
  // exact). A NaN matches any NaN (conversions and SIMD need not keep
  // payloads); an infinite bound accepts any value.
  void expect(const char* family, const char* what, const char* shape, const float* got,
              const float* want, const float* bound, size_t n) {
    ++checks_;
    for (size_t i = 0; i < n; ++i) {
      const bool same = memcmp(&got[i], &want[i], sizeof(float)) == 0 ||
                        (std::isnan(got[i]) && std::isnan(want[i]));
      const bool close =
          bound != nullptr && (std::isinf(bound[i]) || std::fabs(got[i] - want[i]) <= bound[i]);
      if (!same && !close) {
        fail("%s %s (%s): element %u is %.9g, reference %.9g%s", family, what, shape,
             static_cast<unsigned>(i), static_cast<double>(got[i]), static_cast<double>(want[i]),
             bound != nullptr ? "" : " (must be bit-exact)");
        return;
      }
    }
  }
  void expect_true(bool ok, const char* family, const char* what, const char* shape) {
    ++checks_;
    if (!ok) fail("%s %s (%s)", family, what, shape);
  }

  __attribute__((format(printf, 2, 3))) void fail(const char* format, ...) {
    ++failures_;
    char line[256];
    va_list args;
    va_start(args, format);
    vsnprintf(line, sizeof line, format, args);
    va_end(args);
    report_(user_, line);
  }

 private:
  uint8_t* scratch_;
  size_t scratch_bytes_;
  size_t used_ = 0;
  size_t readable_past_end_ = 0;
  bool out_of_room_ = false;
  ReportFn report_;
  void* user_;
  uint32_t rng_ = 0x12345678u;
  int checks_ = 0, failures_ = 0, skipped_ = 0;
};

// A shape description for messages, e.g. "rows 7, cols 172, rows [1, 7)".
struct Shape {
  char text[96];
};
__attribute__((format(printf, 1, 2))) inline Shape shape(const char* format, ...) {
  Shape s;
  va_list args;
  va_start(args, format);
  vsnprintf(s.text, sizeof s.text, format, args);
  va_end(args);
  return s;
}

// The bound for a sum: 1e-5 of the sum of its terms' magnitudes.
inline float sum_bound(const float* a, const float* b, int32_t n, size_t b_stride = 1) {
  double s = 0.0;
  for (int32_t i = 0; i < n; ++i) s += std::fabs(static_cast<double>(a[i]) * b[i * b_stride]);
  return static_cast<float>(1e-5 * s) + 1e-30f;
}
inline void relative_bounds(float* bound, const float* want, size_t n) {
  for (size_t i = 0; i < n; ++i) bound[i] = 1e-5f * std::fabs(want[i]) + 1e-30f;
}

template <class F>
const float* bounds_unless_exact(Kernel k, const float* bound) {
  return F::kApproximate.has(k) ? bound : nullptr;
}

// ---- f32 vector kernels --------------------------------------------------

template <class F>
void check_dot_axpy(Context& ctx) {
  static const int32_t sizes[] = {0,  1,  2,  3,  4,  5,  7,   8,   9,   12,
                                  15, 16, 17, 31, 33, 64, 172, 173, 1000};
  for (int32_t n : sizes) {
    ctx.begin_case();
    float* a = ctx.take<float>(n + 1);
    float* b = ctx.take<float>(n + 1);
    float* y = ctx.take<float>(n);
    float* want = ctx.take<float>(n);
    float* bound = ctx.take<float>(n);
    if (bound == nullptr) {
      ctx.skip();
      continue;
    }
    ++a, ++b;  // one float past alignment, as rows of version-0 files are
    ctx.fill(a, n, 1.0f);
    ctx.fill(b, n, 3.0f);
    const Shape s = shape("n %d, one float past alignment", static_cast<int>(n));
    const float got_dot = F::dot_f32(a, b, n), want_dot = ref::dot_f32(a, b, n);
    const float dot_bound = sum_bound(a, b, n);
    ctx.expect(F::kName, "dot_f32", s.text, &got_dot, &want_dot,
               bounds_unless_exact<F>(Kernel::kDotF32, &dot_bound), 1);

    ctx.fill(y, n, 1.0f);
    memcpy(want, y, sizeof(float) * n);
    F::axpy_f32(y, 0.37f, a, n);
    ref::axpy_f32(want, 0.37f, a, n);
    // FMA rounds once where the reference rounds twice.
    for (int32_t i = 0; i < n; ++i) bound[i] = 1e-6f * (std::fabs(want[i]) + std::fabs(a[i]));
    ctx.expect(F::kName, "axpy_f32", s.text, y, want,
               bounds_unless_exact<F>(Kernel::kAxpyF32, bound), n);
  }
}

// The scratch of one matvec case over `rows` rows: got and want have a float
// past the last row (it must stay untouched), pieces and bound one per row.
// All null when the scratch ran out.
struct MatvecOutputs {
  float* got = nullptr;
  float* want = nullptr;
  float* pieces = nullptr;
  float* bound = nullptr;
};

inline MatvecOutputs take_matvec_outputs(Context& ctx, int32_t rows) {
  const auto n = static_cast<size_t>(rows);
  MatvecOutputs o{ctx.take<float>(n + 1), ctx.take<float>(n + 1), ctx.take<float>(n),
                  ctx.take<float>(n)};
  if (o.bound == nullptr) return {};
  return o;
}

// What every matvec must do, given run(out, begin, end) for the family and
// run_ref for the reference: rows [1, rows) as the reference gives them
// (within `bound` unless the kernel is exact), nothing written outside them,
// and every row the same bits when the rows are split into ranges of `step`.
template <class Run, class RunRef>
void expect_matvec(Context& ctx, const char* family, const char* name, const char* shape,
                   int32_t rows, int32_t step, const MatvecOutputs& o, const float* bound, Run run,
                   RunRef run_ref) {
  for (int32_t i = 0; i <= rows; ++i) o.got[i] = o.want[i] = -7.0f;
  const int32_t begin = rows > 1 ? 1 : 0;
  run(o.got, begin, rows);
  run_ref(o.want, begin, rows);
  ctx.expect(family, name, shape, o.got, o.want, bound, static_cast<size_t>(rows));
  char what[64];
  snprintf(what, sizeof what, "%s wrote outside its rows", name);
  ctx.expect_true(o.got[rows] == -7.0f && (rows == 1 || o.got[0] == -7.0f), family, what, shape);
  for (int32_t b = 0; b < rows; b += step) run(o.pieces, b, b + step < rows ? b + step : rows);
  run(o.got, 0, rows);
  snprintf(what, sizeof what, "%s in row ranges of %d", name, static_cast<int>(step));
  ctx.expect(family, what, shape, o.pieces, o.got, nullptr, static_cast<size_t>(rows));
}

template <class F>
void check_matvec_f32(Context& ctx) {
  // Around the 8/16-float blocks, the 256/384 register limits (AVX-512) and
  // the models' widths.
  static const int32_t cols_list[] = {1,  3,  4,   7,   8,   12,  15,  16,  17,  31,  33,
                                      64, 65, 172, 255, 256, 257, 288, 383, 385, 768, 1000};
  static const int32_t rows_list[] = {1, 2, 3, 4, 5, 7, 9, 17};
  for (int32_t cols : cols_list) {
    for (int32_t rows : rows_list) {
      ctx.begin_case();
      const size_t n = static_cast<size_t>(rows) * static_cast<size_t>(cols);
      float* w = ctx.take<float>(n + 1);
      float* x = ctx.take<float>(cols);
      const MatvecOutputs o = take_matvec_outputs(ctx, rows);
      if (o.bound == nullptr) {
        ctx.skip();
        continue;
      }
      ++w;  // rows 4 bytes past alignment
      ctx.fill(w, n, 0.5f);
      ctx.fill(x, cols, 2.0f);
      for (int32_t r = 0; r < rows; ++r) {
        o.bound[r] = sum_bound(w + static_cast<size_t>(r) * cols, x, cols);
      }
      const Shape s = shape("%d x %d, rows from %d, unaligned", static_cast<int>(rows),
                            static_cast<int>(cols), rows > 1 ? 1 : 0);
      expect_matvec(
          ctx, F::kName, "matvec_f32", s.text, rows, 3, o,
          bounds_unless_exact<F>(Kernel::kMatvecF32, o.bound),
          [&](float* out, int32_t b, int32_t e) { F::matvec_f32(out, w, x, cols, b, e); },
          [&](float* out, int32_t b, int32_t e) { ref::matvec_f32(out, w, x, cols, b, e); });
    }
  }
}

template <class F>
void check_elementwise(Context& ctx) {
  static const int32_t sizes[] = {1,  2,  3,  4,  5,   7,   8,   9,   15,
                                  16, 17, 33, 64, 172, 200, 288, 512, 1000};
  for (int32_t n : sizes) {
    ctx.begin_case();
    float* x = ctx.take<float>(n);
    float* w = ctx.take<float>(n);
    float* got = ctx.take<float>(n);
    float* want = ctx.take<float>(n);
    float* bound = ctx.take<float>(n);
    if (bound == nullptr) {
      ctx.skip();
      continue;
    }
    const Shape s = shape("n %d", static_cast<int>(n));
    ctx.fill(x, n, 3.0f);
    ctx.fill(w, n, 1.0f);
    F::rmsnorm(got, x, w, n, 1e-5f);
    ref::rmsnorm(want, x, w, n, 1e-5f);
    relative_bounds(bound, want, n);
    ctx.expect(F::kName, "rmsnorm", s.text, got, want,
               bounds_unless_exact<F>(Kernel::kRmsnorm, bound), n);
    memcpy(want, x, sizeof(float) * n);
    F::rmsnorm(want, want, w, n, 1e-5f);  // in place
    ctx.expect(F::kName, "rmsnorm in place", s.text, want, got, nullptr, n);

    for (float scale : {1.0f, 30.0f, 200.0f}) {  // 200: most exps underflow
      ctx.fill(got, n, scale);
      memcpy(want, got, sizeof(float) * n);
      F::softmax(got, n);
      ref::softmax(want, n);
      relative_bounds(bound, want, n);
      ctx.expect(F::kName, "softmax", s.text, got, want,
                 bounds_unless_exact<F>(Kernel::kSoftmax, bound), n);
    }

    for (float scale : {6.0f, 120.0f}) {  // 120: past exp's range both ways
      ctx.fill(got, n, scale);
      memcpy(want, got, sizeof(float) * n);
      ctx.fill(x, n, 2.0f);
      F::swiglu(got, x, n);
      ref::swiglu(want, x, n);
      relative_bounds(bound, want, n);
      ctx.expect(F::kName, "swiglu", s.text, got, want,
                 bounds_unless_exact<F>(Kernel::kSwiglu, bound), n);
    }
  }
}

template <class F>
void check_rope(Context& ctx) {
  for (int32_t head_size : {2, 6, 8, 16, 48, 64}) {
    for (int32_t heads : {1, 3, 12}) {
      ctx.begin_case();
      const int32_t n = head_size * heads;
      float* cos_sin = ctx.take<float>(head_size);
      float* got = ctx.take<float>(n);
      float* want = ctx.take<float>(n);
      if (want == nullptr) {
        ctx.skip();
        continue;
      }
      for (int32_t i = 0; i < head_size / 2; ++i) {
        cos_sin[2 * i] = cosf(0.3f * static_cast<float>(i + 1));
        cos_sin[2 * i + 1] = sinf(0.3f * static_cast<float>(i + 1));
      }
      ctx.fill(got, n, 1.0f);
      memcpy(want, got, sizeof(float) * n);
      F::rope(got, cos_sin, n, head_size);
      ref::rope(want, cos_sin, n, head_size);
      const Shape s =
          shape("head_size %d, %d heads", static_cast<int>(head_size), static_cast<int>(heads));
      ctx.expect(F::kName, "rope", s.text, got, want, nullptr, n);  // exact for every family
    }
  }
}

template <class F>
void check_argmax(Context& ctx) {
  static const int32_t sizes[] = {1, 2, 3, 7, 8, 9, 17, 64, 172, 512, 1000, 32000};
  for (int32_t n : sizes) {
    ctx.begin_case();
    float* x = ctx.take<float>(n);
    float* ties = ctx.take<float>(n);
    if (ties == nullptr) {
      ctx.skip();
      continue;
    }
    ctx.fill(x, n, 1.0f);
    const Shape s = shape("n %d", static_cast<int>(n));
    ctx.expect_true(F::argmax(x, n) == ref::argmax(x, n), F::kName, "argmax", s.text);
    // Ties: the first index wins, also when the copies sit in other lanes.
    for (int32_t first : {int32_t{0}, n / 3, n - 1}) {
      memcpy(ties, x, sizeof(float) * n);
      ties[first] = 5.0f;
      for (int32_t j = first + 1; j < n; j += 5) ties[j] = 5.0f;
      ctx.expect_true(F::argmax(ties, n) == first, F::kName, "argmax of ties", s.text);
    }
  }
}

// ---- attention -----------------------------------------------------------

// Keys of one kv head, kv_stride apart, and the same keys in the family's
// layout (tiles when F::kTiledKeys; the last tile's unwritten lanes NaN,
// which must not leak into any result).
template <class F>
const float* family_keys(Context& ctx, const float* rows, int32_t n_pos, int32_t head_size,
                         int32_t kv_stride) {
  if (!F::kTiledKeys) return rows;
  const int32_t tiles = (n_pos + kKeyTile - 1) / kKeyTile;
  float* t = ctx.take<float>(static_cast<size_t>(tiles) * kKeyTile * head_size);
  if (t == nullptr) return nullptr;
  for (size_t i = 0; i < static_cast<size_t>(tiles) * kKeyTile * head_size; ++i) t[i] = NAN;
  for (int32_t p = 0; p < n_pos; ++p) {
    F::store_key_tiled(t, p, rows + static_cast<size_t>(p) * kv_stride, head_size);
  }
  return t;
}

template <class F>
void check_attention(Context& ctx) {
  static const int32_t positions[] = {1, 2, 3, 7, 8, 9, 16, 17, 50, 64, 172, 200, 288, 1000};
  for (int32_t head_size : {2, 6, 8, 16, 48, 64, 128}) {
    const int32_t kv_stride = head_size * 3 + 4;  // other heads' entries in between
    for (int32_t n_pos : positions) {
      for (int32_t n_heads : {1, 2, 3}) {
        ctx.begin_case();
        const size_t cache = static_cast<size_t>(n_pos) * kv_stride;
        float* q = ctx.take<float>(static_cast<size_t>(n_heads) * head_size);
        float* keys = ctx.take<float>(cache);
        float* values = ctx.take<float>(cache);
        float* got = ctx.take<float>(static_cast<size_t>(n_heads) * head_size + 1);
        float* att = ctx.take<float>(static_cast<size_t>(n_heads) * (n_pos + 5) + 1);
        const int32_t widest = n_pos > head_size ? n_pos : head_size;
        float* p = ctx.take<float>(widest + 1);
        float* want = ctx.take<float>(widest);
        float* bound = ctx.take<float>(widest);
        if (bound == nullptr) {
          ctx.skip();
          continue;
        }
        ctx.fill(q, static_cast<size_t>(n_heads) * head_size, 3.0f);
        ctx.fill(keys, cache, 1.0f);
        ctx.fill(values, cache, 1.0f);
        const float* layout = family_keys<F>(ctx, keys, n_pos, head_size, kv_stride);
        if (layout == nullptr) {
          ctx.skip();
          continue;
        }
        const float divisor = sqrtf(static_cast<float>(head_size));
        const Shape s = shape("head_size %d, %d positions, %d heads", static_cast<int>(head_size),
                              static_cast<int>(n_pos), static_cast<int>(n_heads));

        // Scores over rows, and over the tiles when the family keeps them,
        // against the reference's over rows.
        ref::attention_scores(want, q, keys, kv_stride, n_pos, head_size, divisor);
        for (int32_t t = 0; t < n_pos; ++t) {
          bound[t] = sum_bound(q, keys + static_cast<size_t>(t) * kv_stride, head_size) / divisor;
        }
        for (bool tiled : {false, true}) {
          if (tiled && !F::kTiledKeys) continue;
          p[n_pos] = -7.0f;
          if (tiled) {
            F::attention_scores_tiled(p, q, layout, n_pos, head_size, divisor);
          } else {
            F::attention_scores(p, q, keys, kv_stride, n_pos, head_size, divisor);
          }
          const char* what = tiled ? "attention scores over tiles" : "attention scores";
          ctx.expect(F::kName, what, s.text, p, want,
                     bounds_unless_exact<F>(Kernel::kAttentionScores, bound), n_pos);
          ctx.expect_true(p[n_pos] == -7.0f, F::kName, "attention scores wrote past n_pos", s.text);
        }

        // Values, weighted by the reference's probabilities.
        ref::softmax(want, n_pos);
        got[head_size] = -7.0f;
        F::attention_values(got, want, values, kv_stride, n_pos, head_size);
        ref::attention_values(p, want, values, kv_stride, n_pos, head_size);
        for (int32_t i = 0; i < head_size; ++i)
          bound[i] = sum_bound(want, values + i, n_pos, kv_stride);
        ctx.expect(F::kName, "attention values", s.text, got, p,
                   bounds_unless_exact<F>(Kernel::kAttentionValues, bound), head_size);
        ctx.expect_true(got[head_size] == -7.0f, F::kName, "attention values wrote past head_size",
                        s.text);

        // Whole heads of a group, against the reference's three steps per head.
        const int32_t att_stride = n_pos + 5;
        F::attention_heads(got, att, att_stride, q, n_heads, layout, values, kv_stride, n_pos,
                           head_size, divisor);
        for (int32_t h = 0; h < n_heads; ++h) {
          const float* qh = q + static_cast<size_t>(h) * head_size;
          ref::attention_scores(p, qh, keys, kv_stride, n_pos, head_size, divisor);
          ref::softmax(p, n_pos);
          ref::attention_values(want, p, values, kv_stride, n_pos, head_size);
          for (int32_t i = 0; i < head_size; ++i)
            bound[i] = sum_bound(p, values + i, n_pos, kv_stride);
          ctx.expect(F::kName, "attention_heads", s.text, got + static_cast<size_t>(h) * head_size,
                     want, bounds_unless_exact<F>(Kernel::kAttentionHeads, bound), head_size);
        }
      }
    }
  }
}

// ---- int8 ----------------------------------------------------------------

inline float load_float(const uint8_t* p) {
  float f;
  memcpy(&f, p, sizeof f);
  return f;
}

template <class F>
void check_matvec_q8(Context& ctx) {
  static const int32_t group_sizes[] = {1, 3, 4, 6, 8, 12, 16, 32, 50, 64, 128};
  // Blocks of 8 rows and of 8 groups (the AVX2 kernel), and the rest of each.
  static const int32_t rows_list[] = {1, 3, 5, 8, 9, 13, 17};
  auto check = [&ctx](int32_t gs, int32_t groups, int32_t rows, int32_t offset) {
    const int32_t cols = gs * groups;
    ctx.begin_case();
    const size_t n = static_cast<size_t>(rows) * cols;
    const size_t row_groups = static_cast<size_t>(rows) * groups;
    int8_t* w = ctx.take<int8_t>(n + 4);
    uint8_t* w_scales = ctx.take<uint8_t>(row_groups * 4 + 4);
    int8_t* xq = ctx.take<int8_t>(static_cast<size_t>(cols) + 4);
    float* x_scales = ctx.take<float>(groups);
    const MatvecOutputs o = take_matvec_outputs(ctx, rows);
    if (o.bound == nullptr) {
      ctx.skip();
      return;
    }
    w += offset, w_scales += offset, xq += offset;
    for (size_t i = 0; i < n; ++i) w[i] = ctx.random_int8();
    for (int32_t i = 0; i < cols; ++i) xq[i] = ctx.random_int8();
    for (size_t i = 0; i < row_groups; ++i) {
      const float scale = ctx.uniform(1.0f) / 127.0f;
      memcpy(w_scales + i * sizeof(float), &scale, sizeof scale);
    }
    ctx.fill(x_scales, groups, 1.0f / 127.0f);
    for (int32_t r = 0; r < rows; ++r) {
      double s = 0.0;
      for (int32_t c = 0; c < cols; ++c) {
        const size_t g = static_cast<size_t>(r) * groups + c / gs;
        s += std::fabs(static_cast<double>(w[static_cast<size_t>(r) * cols + c]) * xq[c] *
                       load_float(w_scales + g * 4) * x_scales[c / gs]);
      }
      o.bound[r] = static_cast<float>(1e-5 * s) + 1e-30f;
    }
    const Shape s = shape("%d x %d, group %d, offset %d", static_cast<int>(rows),
                          static_cast<int>(cols), static_cast<int>(gs), static_cast<int>(offset));
    expect_matvec(
        ctx, F::kName, "matvec_q8", s.text, rows, 2, o,
        bounds_unless_exact<F>(Kernel::kMatvecQ8, o.bound),
        [&](float* out, int32_t b, int32_t e) {
          F::matvec_q8(out, w, w_scales, xq, x_scales, cols, gs, b, e);
        },
        [&](float* out, int32_t b, int32_t e) {
          ref::matvec_q8(out, w, w_scales, xq, x_scales, cols, gs, b, e);
        });
  };
  for (int32_t gs : group_sizes) {
    for (int32_t groups : {1, 2, 3, 7, 8, 12, 17}) {
      for (int32_t rows : rows_list) {
        // Offset 3: scales and rows unaligned, as in version-2 files.
        for (int32_t offset : {0, 3}) check(gs, groups, rows, offset);
      }
    }
  }
  // Calls of 256 KiB and more, in rows of 512 bytes and more, take the AVX2
  // kernel's streamed order (rows 1-66 of 4160 columns: 65 groups, pieces of
  // 32, 32 and 1, and a partial block of rows); its row ranges of 2 take the
  // other order.
  check(64, 65, 67, 3);
}

// The activation quantizer must give the reference's bytes and scales for
// every family: group sizes it vectorizes and others, partial last groups,
// zero groups, and values at and one ulp either side of rounding ties.
template <class F>
void check_quantize_q8(Context& ctx) {
  for (int32_t gs : {1, 3, 4, 8, 12, 16, 32, 50, 64}) {
    for (int32_t n : {1, 4, 8, 12, 64, 172, 200, 288, 768}) {
      ctx.begin_case();
      const int32_t groups = (n + gs - 1) / gs;
      const size_t padded = static_cast<size_t>(groups) * gs;
      float* x = ctx.take<float>(n);
      int8_t* q_got = ctx.take<int8_t>(padded);
      int8_t* q_want = ctx.take<int8_t>(padded);
      float* s_got = ctx.take<float>(groups);
      float* s_want = ctx.take<float>(groups);
      float* back_got = ctx.take<float>(padded);
      float* back_want = ctx.take<float>(padded);
      if (back_want == nullptr) {
        ctx.skip();
        continue;
      }
      ctx.fill(x, n, 3.0f);
      if (n >= 2 * gs) {
        for (int32_t i = 0; i < gs; ++i) x[gs + i] = 0.0f;  // an all-zero group
      }
      // Ties in the first group: exact halves of its scale, and their neighbours.
      float amax = 0.0f;
      const int32_t first = gs < n ? gs : n;
      for (int32_t i = 0; i < first; ++i) amax = std::fabs(x[i]) > amax ? std::fabs(x[i]) : amax;
      const float scale = amax / 127.0f;
      for (int32_t i = 0; i < first; ++i) {
        if (std::fabs(x[i]) == amax) continue;
        const float tie = (static_cast<float>(i % 100) + 0.5f) * scale * (i % 2 ? -1.0f : 1.0f);
        if (std::fabs(tie) >= amax) continue;
        x[i] = i % 3 == 0 ? tie : std::nextafter(tie, i % 3 == 1 ? 1e9f : -1e9f);
      }
      memset(q_got, 99, padded);
      memset(q_want, 99, padded);
      F::quantize_q8(q_got, s_got, x, n, gs);
      ref::quantize_q8(q_want, s_want, x, n, gs);
      const Shape s = shape("n %d, group %d", static_cast<int>(n), static_cast<int>(gs));
      ctx.expect_true(memcmp(q_got, q_want, padded) == 0, F::kName, "quantize_q8 values", s.text);
      ctx.expect(F::kName, "quantize_q8 scales", s.text, s_got, s_want, nullptr, groups);
      F::dequantize_q8(back_got, q_want, reinterpret_cast<const uint8_t*>(s_want),
                       static_cast<int32_t>(padded), gs);
      ref::dequantize_q8(back_want, q_want, reinterpret_cast<const uint8_t*>(s_want),
                         static_cast<int32_t>(padded), gs);
      ctx.expect(F::kName, "dequantize_q8", s.text, back_got, back_want, nullptr, padded);
    }
  }
}

// ---- batched matvecs (prefill) --------------------------------------------

// F::matmul_f32 and F::matmul_q8 over n tokens must give each token's rows
// exactly the bits F::matvec_* gives them (batched prefill changes no
// result), for any row range, and write nothing else. Inputs are strided as
// the transformer's batch rows are; int8 weights and scales unaligned as in
// version-2 files. (ggml's matmuls: check_ggml_matmul.)
template <class F>
void check_matmul(Context& ctx) {
  struct Case {
    int32_t cols;
    int32_t gs;  // int8 groups; 0: fp32
  };
  // fp32: 1030 ends two whole 512-column chunks of the avx2 tile with a tail
  // of 6 (one half masked, the other empty); 1100 ends a partial chunk.
  static const Case cases[] = {
      {7, 0},     {64, 0},    {300, 0}, {1100, 0}, {1030, 0},   {32, 32},
      {288, 32},  {768, 32},  {64, 64}, {576, 64}, {384, 128},  {150, 50},
      {2112, 32}, {4160, 64}, {172, 4}, {120, 12}, {1024, 512},
  };
  for (const Case& c : cases) {
    const bool q8 = c.gs > 0;
    const int32_t groups = q8 ? c.cols / c.gs : 0;
    const size_t row_bytes = static_cast<size_t>(c.cols) * (q8 ? 1 : sizeof(float));
    const size_t offset = q8 ? 3 : 0;
    const size_t x_stride = static_cast<size_t>(c.cols) + (q8 ? c.gs : 3);  // floats or int8
    const size_t xs_stride = static_cast<size_t>(groups) + 1;
    for (int32_t rows : {5, 16, 35}) {
      for (int32_t n : {2, 3, 4, 5, 7, 9, 17}) {
        ctx.begin_case();
        const size_t out_stride = static_cast<size_t>(rows) + 3, outs = out_stride * n;
        uint8_t* w = ctx.take<uint8_t>(row_bytes * rows + offset);
        uint8_t* w_scales = ctx.take<uint8_t>(static_cast<size_t>(rows) * groups * 4 + offset);
        float* x = ctx.take<float>(q8 ? 0 : x_stride * n);
        int8_t* xq = ctx.take<int8_t>(q8 ? x_stride * n : 0);
        float* xs = ctx.take<float>(xs_stride * n);
        float* got = ctx.take<float>(outs);
        float* want = ctx.take<float>(outs);
        if (want == nullptr) {
          ctx.skip();
          continue;
        }
        w += offset, w_scales += offset;
        const auto* wq = reinterpret_cast<const int8_t*>(w);
        const auto* wf = reinterpret_cast<const float*>(w);
        if (q8) {
          for (size_t i = 0; i < row_bytes * rows; ++i)
            w[i] = static_cast<uint8_t>(ctx.random_int8());
          for (size_t i = 0; i < static_cast<size_t>(rows) * groups; ++i) {
            const float scale = ctx.uniform(1.0f) / 127.0f;
            memcpy(w_scales + i * sizeof(float), &scale, sizeof scale);
          }
          for (size_t i = 0; i < x_stride * n; ++i) xq[i] = ctx.random_int8();
          ctx.fill(xs, xs_stride * n, 1.0f / 127.0f);
        } else {
          ctx.fill(reinterpret_cast<float*>(w), row_bytes * rows / sizeof(float), 1.0f);
          ctx.fill(x, x_stride * n, 2.0f);
        }
        const Shape s =
            shape("%d x %d, group %d, %d tokens", static_cast<int>(rows), static_cast<int>(c.cols),
                  static_cast<int>(c.gs), static_cast<int>(n));
        const int32_t ranges[][2] = {{0, rows}, {1, rows - 1}, {rows / 2, rows}};
        for (const auto& range : ranges) {
          const int32_t b = range[0], e = range[1];
          for (size_t i = 0; i < outs; ++i) got[i] = want[i] = -7.0f;
          if (q8) {
            F::matmul_q8(got, out_stride, wq, w_scales, xq, x_stride, xs, xs_stride, n, c.cols,
                         c.gs, b, e);
          } else {
            F::matmul_f32(got, out_stride, wf, x, x_stride, n, c.cols, b, e);
          }
          for (int32_t t = 0; t < n; ++t) {
            float* o = want + t * out_stride;
            if (q8) {
              F::matvec_q8(o, wq, w_scales, xq + t * x_stride, xs + t * xs_stride, c.cols, c.gs, b,
                           e);
            } else {
              F::matvec_f32(o, wf, x + t * x_stride, c.cols, b, e);
            }
          }
          ctx.expect(F::kName, q8 ? "matmul_q8" : "matmul_f32", s.text, got, want, nullptr, outs);
        }
      }
    }
  }
}

// ---- ggml's rows (F16, Q8_0, Q4_0): kernel_checks_ggml.h, included below ----

template <class F>
void check_ggml_dequantize(Context& ctx);
template <class F>
void check_ggml_quantize(Context& ctx);
template <class F>
void check_ggml_matvec_f16(Context& ctx);
template <class F>
void check_ggml_matvec_q8_0(Context& ctx);
template <class F>
void check_ggml_matvec_q4_0(Context& ctx);

// Every check, in order.
template <class F>
void check_all(Context& ctx) {
  check_dot_axpy<F>(ctx);
  check_matvec_f32<F>(ctx);
  check_elementwise<F>(ctx);
  check_rope<F>(ctx);
  check_argmax<F>(ctx);
  check_attention<F>(ctx);
  check_matvec_q8<F>(ctx);
  check_quantize_q8<F>(ctx);
  check_matmul<F>(ctx);
  check_ggml_dequantize<F>(ctx);
  check_ggml_quantize<F>(ctx);
  check_ggml_matvec_f16<F>(ctx);
  check_ggml_matvec_q8_0<F>(ctx);
  check_ggml_matvec_q4_0<F>(ctx);
}

}  // namespace llmcu::kernels::checks

#include "kernel_checks_ggml.h"  // IWYU pragma: export
