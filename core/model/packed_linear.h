// A float32 linear layer on oneDNN's matmul with its weights packed once.
//
// libtorch's addmm hands float32 products to OpenBLAS, which copies both
// operands into its blocked layout on every call (11% of a profile of the
// encoder). oneDNN's matmul can take weights already in its kernels' layout,
// so PackedLinear reorders them once, at load time. On the 2-core Sapphire
// Rapids machine of bench/model/RESULTS.md, this ran the encoder's shapes at
// 330 to 357 GFLOP/s with 2 threads at every row count from 16 to 1,024.
// OpenBLAS reached 146 GFLOP/s there at 16 rows and 300 at 1,024.
//
// oneDNN fixes a kernel's row count when it is created, and creating one
// takes 0.15 to 0.35 ms. Inputs are therefore cut into blocks
// (PackedLinearBlockRows): blocks of 512 or 256 rows while that many
// remain, then blocks of at most kPackedLinearBlockRows (128). Each layer
// shape keeps one kernel per block size it has seen (at most 130), shared by
// every layer of that shape.
//
// Every block reads all of the layer's weights, so large blocks read them
// less often. On the Sapphire Rapids guest, a 256-token sequence of the
// distilbert-base shape encoded about 2,900 tokens/s with blocks of at most
// 128 rows and 3,060 to 3,100 with large blocks (bench/model/RESULTS.md,
// "Large blocks"). Only two large sizes get kernels, since kernels for every row
// count up to 512 grew the resident memory of one encoder by 2.4 GB. The
// 128 small kernels and the two large ones of the four distilbert-base
// layer shapes take 33 MB.
//
// Internal to core/model.
#ifndef SYNESTHESIA_CORE_MODEL_PACKED_LINEAR_H_
#define SYNESTHESIA_CORE_MODEL_PACKED_LINEAR_H_

#include <torch/torch.h>

#include <cstdint>
#include <memory>

namespace synesthesia::model {

// Blocks of any row count up to this one get a kernel of their own.
inline constexpr int64_t kPackedLinearBlockRows = 128;
// The largest block; the large blocks are 256 and this.
inline constexpr int64_t kPackedLinearLargestBlockRows = 512;

// The rows of the next block of PackedLinear::Forward when ROWS (at least
// 1) rows remain: the largest power of two from 256 to
// kPackedLinearLargestBlockRows that is at most ROWS, or else
// min(ROWS, kPackedLinearBlockRows).
int64_t PackedLinearBlockRows(int64_t rows);

class PackedMatmulKernels;

// Work fused into the product, applied by oneDNN as each block of the
// output is written, so that no separate pass reads and writes it again.
struct PackedLinearEpilogue {
  enum class Activation { kNone, kGelu, kRelu };
  // Applied to x·Wᵀ + b. kGelu is the exact erf form, as torch::gelu's
  // default and transformers' "gelu".
  Activation activation = Activation::kNone;
  // Adds a residual [rows, out] after the activation; Forward then needs
  // one.
  bool add_residual = false;

  friend bool operator==(const PackedLinearEpilogue&, const PackedLinearEpilogue&) = default;
};

// y = x·Wᵀ + b for x [rows, in] float32. Thread-safe: Forward only reads
// the packed weights.
class PackedLinear {
 public:
  // WEIGHT is [out, in] and BIAS [out], float32, as torch::nn::Linear
  // stores them. THREADS is the number of OpenMP threads a product uses
  // (at least 1). Throws dnnl::error when oneDNN cannot build the product.
  PackedLinear(const torch::Tensor& weight, const torch::Tensor& bias, int threads,
               PackedLinearEpilogue epilogue = {});
  ~PackedLinear();

  PackedLinear(const PackedLinear&) = delete;
  PackedLinear& operator=(const PackedLinear&) = delete;

  // INPUT is [rows, in] float32 (made contiguous if it is not); returns
  // [rows, out]. RESIDUAL, [rows, out], is required when the epilogue adds
  // one and ignored otherwise. Throws dnnl::error, and c10::Error when a
  // required residual is missing or has the wrong shape.
  torch::Tensor Forward(const torch::Tensor& input, const torch::Tensor& residual = {}) const;

 private:
  struct Packed;
  std::shared_ptr<PackedMatmulKernels> kernels_;
  std::unique_ptr<Packed> packed_;
  int threads_;
  PackedLinearEpilogue epilogue_;
};

}  // namespace synesthesia::model

#endif  // SYNESTHESIA_CORE_MODEL_PACKED_LINEAR_H_
