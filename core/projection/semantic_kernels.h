// The semantic head's arithmetic on plain float arrays, vectorized.
//
// On x86-64 with g++, each function is compiled three times: AVX-512, AVX2
// with FMA, and the SSE2 baseline. The dynamic loader picks the widest the
// CPU has, so one binary runs on any x86-64 machine at that machine's
// vector width. Elsewhere, with clang (the fuzz build) and under
// ThreadSanitizer, there is one baseline copy.
//
// Internal to core/projection.
#ifndef SYNESTHESIA_CORE_PROJECTION_SEMANTIC_KERNELS_H_
#define SYNESTHESIA_CORE_PROJECTION_SEMANTIC_KERNELS_H_

#include <cstdint>

namespace synesthesia::projection::kernels {

// result[r, j] = gelu(bias[j] + sum over k of x[r, k] · weight_t[k, j])
// for ROWS rows: x is [rows, in], weight_t [in, out] (the transposed
// weight of a linear layer), bias [out] and result [rows, out], all
// row-major. GELU is x · Phi(x) with an erf approximation that the tests
// check against libm's to 5e-7.
void LinearGelu(const float* x, int64_t rows, int64_t in, const float* weight_t, const float* bias,
                int64_t out, float* result);

// result[r, c] = bias[c] + sum over k of x[r, k] · weight[c, k] for the
// three outputs c: x is [rows, in], weight [3, in], result [rows, 3].
void LinearToThree(const float* x, int64_t rows, int64_t in, const float* weight,
                   const float* bias, float* result);

// GELU of one value with the same erf approximation as LinearGelu.
float Gelu(float x);

}  // namespace synesthesia::projection::kernels

#endif  // SYNESTHESIA_CORE_PROJECTION_SEMANTIC_KERNELS_H_
