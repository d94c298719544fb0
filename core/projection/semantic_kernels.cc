#include "core/projection/semantic_kernels.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdint>
#include <cstring>

// The tsan build crashed before main when the dynamic loader ran the
// clones' resolvers, so under ThreadSanitizer there is one copy.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && !defined(__SANITIZE_THREAD__)
#define SYNESTHESIA_VECTOR_CLONES __attribute__((target_clones("avx512f", "arch=haswell", "default")))
#else
#define SYNESTHESIA_VECTOR_CLONES
#endif

namespace synesthesia::projection::kernels {
namespace {

// e^y for y <= 0, without a library call so that loops over it vectorize.
// y = k·ln 2 + r with |r| <= ln 2 / 2. e^r comes from a polynomial fitted
// for float, and 2^k is written straight into the exponent bits. Below
// -87.3, where e^y leaves the normal floats, it returns e^-87.3 (about
// 1e-38), so the erf that uses it rounds to exactly 1.
inline float ExpOfNonPositive(float y) {
  // A NaN becomes -87.3 too. GeluInline still returns NaN for it, because
  // its result is a multiple of x.
  y = y > -87.3f ? y : -87.3f;
  // Adding and subtracting 1.5·2^23 rounds to the nearest integer in
  // float arithmetic, with no call that would stop vectorization.
  constexpr float kRound = 12582912.0f;
  const float k = (y * 1.44269504f + kRound) - kRound;
  const float r = (y - k * 0.693359375f) + k * 2.12194440e-4f;
  float p = 1.9875691500e-4f;
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * r * r + r + 1.0f;
  const int32_t exponent = (static_cast<int32_t>(k) + 127) << 23;
  return p * std::bit_cast<float>(exponent);
}

// x · Phi(x) = x/2 · (1 + erf(x/√2)), with the classic approximation
// erf(a) = 1 - t·P(t)·e^(-a²), t = 1/(1 + 0.3275911·a), for a >= 0. The
// tests check the result against libm's erf to 5e-7 · max(1, |x|).
inline float GeluInline(float x) {
  const float z = x * 0.70710678f;
  const float a = std::fabs(z);
  const float t = 1.0f / (1.0f + 0.3275911f * a);
  float poly = 1.061405429f;
  poly = poly * t - 1.453152027f;
  poly = poly * t + 1.421413741f;
  poly = poly * t - 0.284496736f;
  poly = poly * t + 0.254829592f;
  const float erf_a = 1.0f - poly * t * ExpOfNonPositive(-a * a);
  const float erf_z = std::copysign(erf_a, z);
  return 0.5f * x * (1.0f + erf_z);
}

using Vector = float __attribute__((vector_size(64)));
constexpr int64_t kLanes = 16;  // floats in a Vector
constexpr int64_t kBlock = 2 * kLanes;

// y[r, first .. first + kBlock) = bias + x[r, :] · weight_t[:, first ..]
// for the ROWS rows from x and y. The 2·ROWS sums stay in registers while
// the inputs stream past, and each pair of weight vectors serves every
// row, so the FMAs do not wait on one another. g++ and clang split the
// 16-float Vector into what the clone's registers hold (one AVX-512, two
// AVX2 or four SSE2 registers).
template <int kRows>
[[gnu::always_inline]] inline void LinearBlock(const float* __restrict x, int64_t in,
                                               const float* __restrict weight_t,
                                               const float* __restrict bias, int64_t out,
                                               int64_t first, float* __restrict y) {
  Vector low[kRows];
  Vector high[kRows];
#pragma GCC unroll 8
  for (int row = 0; row < kRows; ++row) {
    std::memcpy(&low[row], bias + first, sizeof(Vector));
    std::memcpy(&high[row], bias + first + kLanes, sizeof(Vector));
  }
  for (int64_t k = 0; k < in; ++k) {
    const float* w = weight_t + k * out + first;
    Vector w_low;
    Vector w_high;
    std::memcpy(&w_low, w, sizeof w_low);
    std::memcpy(&w_high, w + kLanes, sizeof w_high);
#pragma GCC unroll 8
    for (int row = 0; row < kRows; ++row) {
      const float scale = x[row * in + k];
      low[row] += scale * w_low;
      high[row] += scale * w_high;
    }
  }
#pragma GCC unroll 8
  for (int row = 0; row < kRows; ++row) {
    std::memcpy(y + row * out + first, &low[row], sizeof(Vector));
    std::memcpy(y + row * out + first + kLanes, &high[row], sizeof(Vector));
  }
}

}  // namespace

float Gelu(float x) { return GeluInline(x); }

SYNESTHESIA_VECTOR_CLONES
void LinearGelu(const float* __restrict x, int64_t rows, int64_t in,
                const float* __restrict weight_t, const float* __restrict bias, int64_t out,
                float* __restrict result) {
  constexpr int kRowsAtOnce = 4;
  int64_t first = 0;
  for (; first + kBlock <= out; first += kBlock) {
    int64_t r = 0;
    for (; r + kRowsAtOnce <= rows; r += kRowsAtOnce) {
      LinearBlock<kRowsAtOnce>(x + r * in, in, weight_t, bias, out, first, result + r * out);
    }
    for (; r < rows; ++r) LinearBlock<1>(x + r * in, in, weight_t, bias, out, first, result + r * out);
  }
  // Outputs past the last whole block, one at a time.
  for (int64_t r = 0; r < rows; ++r) {
    for (int64_t j = first; j < out; ++j) {
      float sum = bias[j];
      for (int64_t k = 0; k < in; ++k) sum += x[r * in + k] * weight_t[k * out + j];
      result[r * out + j] = sum;
    }
  }
  const int64_t count = rows * out;
  for (int64_t i = 0; i < count; ++i) result[i] = GeluInline(result[i]);
}

SYNESTHESIA_VECTOR_CLONES
void LinearToThree(const float* __restrict x, int64_t rows, int64_t in,
                   const float* __restrict weight, const float* __restrict bias,
                   float* __restrict result) {
  // Sixteen running sums per output, added together at the end: the
  // products vectorize, and only the order of the additions differs from
  // a plain loop's.
  constexpr int64_t kLanes = 16;
  for (int64_t r = 0; r < rows; ++r) {
    const float* x_row = x + r * in;
    for (int64_t c = 0; c < 3; ++c) {
      const float* w = weight + c * in;
      float lanes[kLanes] = {};
      int64_t k = 0;
      for (; k + kLanes <= in; k += kLanes) {
        for (int64_t lane = 0; lane < kLanes; ++lane) lanes[lane] += x_row[k + lane] * w[k + lane];
      }
      float sum = bias[c];
      for (; k < in; ++k) sum += x_row[k] * w[k];
      for (int64_t lane = 0; lane < kLanes; ++lane) sum += lanes[lane];
      result[r * 3 + c] = sum;
    }
  }
}

}  // namespace synesthesia::projection::kernels
