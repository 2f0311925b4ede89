#include "llmcu/sampler.h"

#include <algorithm>
#include <cfloat>
#include <cmath>

#include "kernels/kernels.h"

namespace llmcu {

void Sampler::configure(float temperature, float topp, uint64_t seed, int32_t top_k) {
  temperature_ = temperature;
  topp_ = topp;
  state_ = seed;
  top_k_ = top_k > 0 && top_k < vocab_size_ ? top_k : 0;
}

uint32_t Sampler::random_u32() {
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  return static_cast<uint32_t>((state_ * 0x2545F4914F6CDD1Dull) >> 32);
}

float Sampler::random_f32() {
  return static_cast<float>(random_u32() >> 8) / 16777216.0f;
}

int32_t Sampler::sample(float* logits) {
  if (temperature_ == 0.0f) return kernels::Active::argmax(logits, vocab_size_);
  // As T falls to 0 the distribution closes in on the argmax. Once some
  // logit / T overflows (1 / T alone does below about 3e-39), llama2.c's
  // softmax would compute inf - inf = NaN: that limit is greedy.
  float largest = 0.0f;
  for (int32_t i = 0; i < vocab_size_; ++i) largest = std::max(largest, std::fabs(logits[i]));
  if (!(largest / temperature_ <= FLT_MAX)) return kernels::Active::argmax(logits, vocab_size_);
  for (int32_t i = 0; i < vocab_size_; ++i) logits[i] /= temperature_;
  if (int8_model_) {
    kernels::Active::Q8Path::softmax(logits, vocab_size_);
  } else {
    kernels::Active::softmax(logits, vocab_size_);
  }
  const float coin = random_f32();
  if (top_k_ > 0) return sample_top_k(logits, coin);
  if (topp_ <= 0.0f || topp_ >= 1.0f) return sample_multinomial(logits, coin);
  return sample_topp(logits, coin);
}

int32_t Sampler::sample_multinomial(const float* probs, float coin) const {
  float cdf = 0.0f;
  for (int32_t i = 0; i < vocab_size_; ++i) {
    cdf += probs[i];
    if (coin < cdf) return i;
  }
  return vocab_size_ - 1;  // rounding left the cdf below coin
}

int32_t Sampler::sample_topp(const float* probs, float coin) {
  // Tokens below this probability can never be in the nucleus, so only the
  // rest are sorted (descending; ties in index order, as a stable sort of
  // the vocabulary would leave them).
  const float cutoff = (1.0f - topp_) / static_cast<float>(vocab_size_ - 1);
  int32_t n = 0;
  for (int32_t i = 0; i < vocab_size_; ++i) {
    if (probs[i] >= cutoff) scratch_[n++] = ProbIndex{probs[i], i};
  }
  if (n == 0) return sample_multinomial(probs, coin);  // only with NaN probabilities
  std::sort(scratch_, scratch_ + n, [](const ProbIndex& a, const ProbIndex& b) {
    return a.prob != b.prob ? a.prob > b.prob : a.index < b.index;
  });

  float cumulative = 0.0f;
  int32_t last = n - 1;
  for (int32_t i = 0; i < n; ++i) {
    cumulative += scratch_[i].prob;
    if (cumulative > topp_) {
      last = i;
      break;
    }
  }
  const float r = coin * cumulative;
  float cdf = 0.0f;
  for (int32_t i = 0; i <= last; ++i) {
    cdf += scratch_[i].prob;
    if (r < cdf) return scratch_[i].index;
  }
  return scratch_[last].index;
}

int32_t Sampler::sample_top_k(const float* probs, float coin) {
  // The k most probable (ties in index order), then top-p or multinomial
  // sampling over them, their probabilities renormalised.
  for (int32_t i = 0; i < vocab_size_; ++i) scratch_[i] = ProbIndex{probs[i], i};
  std::partial_sort(scratch_, scratch_ + top_k_, scratch_ + vocab_size_,
                    [](const ProbIndex& a, const ProbIndex& b) {
                      return a.prob != b.prob ? a.prob > b.prob : a.index < b.index;
                    });
  float mass = 0.0f;
  for (int32_t i = 0; i < top_k_; ++i) mass += scratch_[i].prob;
  int32_t last = top_k_ - 1;
  float kept = mass;
  if (topp_ > 0.0f && topp_ < 1.0f) {
    float cumulative = 0.0f;
    for (int32_t i = 0; i < top_k_; ++i) {
      cumulative += scratch_[i].prob;
      if (cumulative > topp_ * mass) {
        last = i;
        break;
      }
    }
    kept = cumulative;
  }
  const float r = coin * kept;
  float cdf = 0.0f;
  for (int32_t i = 0; i <= last; ++i) {
    cdf += scratch_[i].prob;
    if (r < cdf) return scratch_[i].index;
  }
  return scratch_[last].index;
}

}  // namespace llmcu
