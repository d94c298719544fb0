// The DistilBERT forward pass that DistilBertEncoder runs: the same maths as
// DistilBertModule (distilbert_module.h), rearranged for inference speed.
//
// - The real tokens of a batch are packed into one [tokens, dim] matrix, so
//   the linear layers and the feed-forward network never compute padding.
//   Only attention, which needs one [length, length] block per sequence,
//   pads the sequences to the longest with a key mask.
// - q, k and v are one linear layer of width 3·dim. The queries' weights and
//   bias are pre-multiplied by 1/sqrt(head_dim), which transformers applies
//   to the queries after the projection. For distilbert-base (head_dim 64)
//   the factor is 1/8, so the result is the same to the bit; other head
//   sizes differ by float rounding.
// - Linear layers are float32 (oneDNN's matmul with weights packed at load
//   time, packed_linear.h) or int8 with dynamic activation quantization
//   (libtorch's quantized engine). In float32 the feed-forward activation
//   and the two residual additions run inside the products. The attention products and the
//   element-wise steps are libtorch's (BLAS and its intra-op threads).
//
// Internal to core/model: users go through encoder.h.
#ifndef SYNESTHESIA_CORE_MODEL_INFERENCE_H_
#define SYNESTHESIA_CORE_MODEL_INFERENCE_H_

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "core/model/config.h"
#include "core/model/distilbert_module.h"

namespace synesthesia::model {

enum class Precision;

// y = act(x·Wᵀ + b) + residual for x [rows, in], in float32 or int8, with
// the activation and the residual (both optional) fixed at construction
// (PackedLinearEpilogue, packed_linear.h). float32 fuses them into the
// product.
class InferenceLinear {
 public:
  virtual ~InferenceLinear() = default;
  // RESIDUAL is [rows, out] when the layer adds one. Throws c10::Error and
  // the exceptions of oneDNN (dnnl::error).
  virtual torch::Tensor Forward(const torch::Tensor& input,
                                const torch::Tensor& residual = {}) const = 0;
};

// The weights of one transformer layer, ready for inference.
struct InferenceLayer {
  std::unique_ptr<InferenceLinear> qkv;  // [dim] -> [3·dim]: q, k, v
  std::unique_ptr<InferenceLinear> out;   // adds the layer's input
  std::unique_ptr<InferenceLinear> lin1;  // applies the activation
  std::unique_ptr<InferenceLinear> lin2;  // adds the attention block's output
  torch::Tensor attention_norm_weight;
  torch::Tensor attention_norm_bias;
  torch::Tensor output_norm_weight;
  torch::Tensor output_norm_bias;
};

// Thread-safe: Forward and Embed only read the weights.
class DistilBertInference {
 public:
  // Copies the weights of MODULE (loaded) into the inference layout with
  // linear layers of PRECISION. float32 linear layers run on GEMM_THREADS
  // OpenMP threads. MODULE is not needed afterwards.
  // FAILED_PRECONDITION for int8 when libtorch has neither the ONEDNN nor the
  // FBGEMM quantized engine. Throws c10::Error, dnnl::error, and for int8 whatever the
  // quantized engine throws (std::exception subclasses).
  static absl::StatusOr<std::unique_ptr<DistilBertInference>> Create(DistilBertModuleImpl& module,
                                                                     Precision precision,
                                                                     int gemm_threads);

  // Runs the encoder on the sequences of BATCH (already validated: nonempty,
  // ids in the vocabulary, lengths within max_position_embeddings). Returns
  // the last hidden states of the real tokens packed in batch order,
  // [sum of lengths, dim]. Call under torch::InferenceMode.
  torch::Tensor Forward(const std::vector<std::span<const int32_t>>& batch) const;

  // The output of the embedding layer norm for the packed tokens of BATCH,
  // [sum of lengths, dim].
  torch::Tensor Embed(const std::vector<std::span<const int32_t>>& batch) const;

 private:
  explicit DistilBertInference(const DistilBertConfig& config) : config_(config) {}

  // Self-attention of one layer on the packed q, k, v rows QKV [tokens,
  // 3·dim]. Returns the per-head context, packed, [tokens, dim].
  torch::Tensor Attend(const torch::Tensor& qkv, const std::vector<int64_t>& lengths) const;

  DistilBertConfig config_;
  torch::Tensor word_embeddings_;
  torch::Tensor position_embeddings_;
  torch::Tensor embedding_norm_weight_;
  torch::Tensor embedding_norm_bias_;
  std::vector<InferenceLayer> layers_;
};

}  // namespace synesthesia::model

#endif  // SYNESTHESIA_CORE_MODEL_INFERENCE_H_
