// The DistilBERT encoder as a libtorch module, for inference and training.
//
// The module mirrors transformers' DistilBertModel: its parameter names are
// the Hugging Face tensor names ("embeddings.word_embeddings.weight",
// "transformer.layer.0.attention.q_lin.weight", ...), so checkpoints load and
// save without a name table. Its forward pass is ordinary libtorch code, so a
// trainer can run autograd through it; DistilBertEncoder (encoder.h) runs the
// same module under torch::InferenceMode.
//
// Like any libtorch module, forward() throws c10::Error on invalid tensors.
// The functions that return absl::Status catch it.
#ifndef SYNESTHESIA_CORE_MODEL_DISTILBERT_MODULE_H_
#define SYNESTHESIA_CORE_MODEL_DISTILBERT_MODULE_H_

#include <torch/torch.h>

#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "core/model/config.h"
#include "core/model/safetensors.h"

namespace synesthesia::model {

struct DistilBertModuleOptions {
  // Dropout probability after the embeddings, the attention output and the
  // feed-forward output, applied only in training mode. Default: 0 (off);
  // transformers trains DistilBERT with 0.1.
  double dropout = 0.0;
  // Dropout probability on the attention weights, training mode only.
  // Default: 0 (off); transformers uses 0.1.
  double attention_dropout = 0.0;
};

// Returns the fixed position table that transformers'
// create_sinusoidal_embeddings builds: entry (pos, j) is sin(angle) for even j
// and cos(angle) for odd j, with angle = pos / 10000^(2 * floor(j / 2) / dim),
// computed in double and rounded to float32. Shape [positions, dim].
torch::Tensor SinusoidalPositionTable(int64_t positions, int64_t dim);

// Word and position embeddings followed by a layer norm (eps 1e-12).
class DistilBertEmbeddingsImpl : public torch::nn::Module {
 public:
  DistilBertEmbeddingsImpl(const DistilBertConfig& config, const DistilBertModuleOptions& options);

  // INPUT_IDS: int64 [batch, length]. Returns float [batch, length, dim].
  torch::Tensor forward(const torch::Tensor& input_ids);

  torch::nn::Embedding word_embeddings{nullptr};
  // With sinusoidal_pos_embds the table is fixed (requires_grad false).
  torch::nn::Embedding position_embeddings{nullptr};
  torch::nn::LayerNorm layer_norm{nullptr};
  torch::nn::Dropout dropout{nullptr};
};
TORCH_MODULE(DistilBertEmbeddings);

// Multi-head self-attention with q/k/v/out projections.
class DistilBertAttentionImpl : public torch::nn::Module {
 public:
  DistilBertAttentionImpl(const DistilBertConfig& config, const DistilBertModuleOptions& options);

  // HIDDEN: [batch, length, dim]. KEY_PADDING: bool [batch, length], true at
  // padding positions, which no query attends to; an undefined tensor means
  // no padding. Returns [batch, length, dim].
  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& key_padding);

  torch::nn::Linear q_lin{nullptr};
  torch::nn::Linear k_lin{nullptr};
  torch::nn::Linear v_lin{nullptr};
  torch::nn::Linear out_lin{nullptr};
  torch::nn::Dropout dropout{nullptr};

 private:
  int64_t n_heads_;
  int64_t head_dim_;
};
TORCH_MODULE(DistilBertAttention);

// The position-wise feed-forward network: lin1, GELU (erf form) or ReLU, lin2.
class DistilBertFeedForwardImpl : public torch::nn::Module {
 public:
  DistilBertFeedForwardImpl(const DistilBertConfig& config, const DistilBertModuleOptions& options);

  torch::Tensor forward(const torch::Tensor& hidden);

  torch::nn::Linear lin1{nullptr};
  torch::nn::Linear lin2{nullptr};
  torch::nn::Dropout dropout{nullptr};

 private:
  Activation activation_;
};
TORCH_MODULE(DistilBertFeedForward);

// One transformer layer: attention, residual, layer norm, feed-forward,
// residual, layer norm (post-norm, eps 1e-12), as in transformers.
class DistilBertLayerImpl : public torch::nn::Module {
 public:
  DistilBertLayerImpl(const DistilBertConfig& config, const DistilBertModuleOptions& options);

  torch::Tensor forward(const torch::Tensor& hidden, const torch::Tensor& key_padding);

  DistilBertAttention attention{nullptr};
  torch::nn::LayerNorm sa_layer_norm{nullptr};
  DistilBertFeedForward ffn{nullptr};
  torch::nn::LayerNorm output_layer_norm{nullptr};
};
TORCH_MODULE(DistilBertLayer);

// The whole encoder. Parameters start as transformers initialises a fresh
// model: normal(0, 0.02) weights, zero biases and unit layer-norm weights,
// drawn from libtorch's global generator. Load a checkpoint to replace them.
//
// Thread safety: forward() in eval mode under torch::InferenceMode or
// torch::NoGradGuard may run on several threads at once; training and
// loading need exclusive access.
class DistilBertModuleImpl : public torch::nn::Module {
 public:
  // Precondition: CONFIG.Validate() is OK.
  explicit DistilBertModuleImpl(const DistilBertConfig& config,
                                const DistilBertModuleOptions& options = {});

  // INPUT_IDS: int64 [batch, length] with ids in [0, vocab_size) and length at
  // most max_position_embeddings. ATTENTION_MASK: [batch, length], nonzero
  // for real tokens and 0 for padding, or an undefined tensor when nothing is
  // padded. Returns the last hidden states, float [batch, length, dim]; rows
  // at padding positions are computed but meaningless.
  torch::Tensor forward(const torch::Tensor& input_ids,
                        const torch::Tensor& attention_mask = torch::Tensor());

  // The output of the embedding layer norm, [batch, length, dim].
  torch::Tensor Embed(const torch::Tensor& input_ids);

  const DistilBertConfig& config() const { return config_; }

  DistilBertEmbeddings embeddings{nullptr};
  // Registered as "transformer" with the layers in its "layer" list, which
  // gives the Hugging Face names "transformer.layer.N....".
  torch::nn::ModuleList layers{nullptr};

 private:
  DistilBertConfig config_;
};
TORCH_MODULE(DistilBertModule);

// The Hugging Face name and shape of every parameter of a DistilBertModule
// built from CONFIG, computed without building it.
std::vector<std::pair<std::string, std::vector<int64_t>>> DistilBertParameterShapes(
    const DistilBertConfig& config);

// Checks that FILE has every tensor that a DistilBertModule built from CONFIG
// needs, with its shape and a float dtype, with the same errors as
// LoadDistilBertWeights. Call it before building the module: the module
// allocates and initializes every parameter, so a config.json that describes
// a far larger model than the file would otherwise cost gigabytes (or more
// than the machine has) before the first missing tensor is noticed.
absl::Status CheckDistilBertWeights(const SafetensorsFile& file, const DistilBertConfig& config);

// Copies the weights of FILE into MODULE. Accepts bare DistilBertModel names
// and "distilbert."-prefixed names (DistilBertForMaskedLM and
// DistilBertForSequenceClassification checkpoints); other tensors in the file,
// such as the heads, are ignored. With sinusoidal_pos_embds the position
// table is computed, not read. Fails with INVALID_ARGUMENT, naming FILE and
// the tensor, for a missing tensor, a shape that differs from the config, a
// dtype other than F32/F16/BF16, or a NaN or infinite value. After a failure
// MODULE may hold a mix of old and new weights.
absl::Status LoadDistilBertWeights(const SafetensorsFile& file, DistilBertModuleImpl& module);

// Writes every parameter of MODULE to PATH as safetensors under its Hugging
// Face name with PREFIX prepended (empty for DistilBertModel, "distilbert."
// for the task models), replacing the file atomically. DTYPE is kF32 or
// kF16 (half the size, rounded to nearest even).
absl::Status SaveDistilBertWeights(DistilBertModuleImpl& module, const std::string& path,
                                   const std::string& prefix = "", DType dtype = DType::kF32);

}  // namespace synesthesia::model

#endif  // SYNESTHESIA_CORE_MODEL_DISTILBERT_MODULE_H_
