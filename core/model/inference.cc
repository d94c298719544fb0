#include "core/model/inference.h"

#include <ATen/Parallel.h>
#include <ATen/native/quantized/PackedParams.h>

#include <cmath>
#include <optional>
#include <string>
#include <utility>

#include <oneapi/dnnl/dnnl.h>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/model/encoder.h"
#include "core/model/packed_linear.h"

namespace synesthesia::model {
namespace {

// transformers builds every DistilBERT layer norm with this epsilon.
constexpr double kLayerNormEps = 1e-12;

// Throws c10::Error when dnnl_sgemm returns an error. It does so only for
// invalid sizes or leading dimensions, so a throw here means a bug in Attend.
void CheckSgemm(dnnl_status_t status) {
  TORCH_CHECK(status == dnnl_success, "oneDNN sgemm failed with status ", static_cast<int>(status));
}

// float32 on oneDNN with packed weights and the epilogue fused
// (packed_linear.h).
class FloatLinear : public InferenceLinear {
 public:
  FloatLinear(const torch::Tensor& weight, const torch::Tensor& bias, int threads,
              PackedLinearEpilogue epilogue)
      : linear_(weight, bias, threads, epilogue) {}

  torch::Tensor Forward(const torch::Tensor& input, const torch::Tensor& residual) const override {
    return linear_.Forward(input, residual);
  }

 private:
  PackedLinear linear_;
};

// int8 weights with one scale per output row (symmetric, zero point 0).
// Each call quantizes its input to uint8 with a scale and zero point from
// that input's own minimum and maximum. The products accumulate in int32,
// and the output is float32.
class Int8Linear : public InferenceLinear {
 public:
  Int8Linear(const torch::Tensor& weight, const torch::Tensor& bias, PackedLinearEpilogue epilogue)
      : epilogue_(epilogue) {
    const torch::Tensor weight_values = weight.detach().contiguous();
    // A row of zeros would get scale 0; the lower bound keeps every scale
    // positive, and the row still quantizes to zeros.
    const torch::Tensor scales =
        (std::get<0>(weight_values.abs().max(/*dim=*/1)) / 127.0).clamp_min(1e-12).to(torch::kDouble);
    const torch::Tensor zero_points = torch::zeros({weight_values.size(0)}, torch::kLong);
    const torch::Tensor quantized =
        torch::quantize_per_channel(weight_values, scales, zero_points, /*axis=*/0, torch::kQInt8);

    static const auto prepack =
        c10::Dispatcher::singleton()
            .findSchemaOrThrow("quantized::linear_prepack", "")
            .typed<c10::intrusive_ptr<LinearPackedParamsBase>(at::Tensor, c10::optional<at::Tensor>)>();
    packed_ = prepack.call(quantized, bias.detach().contiguous());
  }

  torch::Tensor Forward(const torch::Tensor& input, const torch::Tensor& residual) const override {
    torch::Tensor output = packed_->apply_dynamic(input.contiguous(), /*reduce_range=*/false);
    switch (epilogue_.activation) {
      case PackedLinearEpilogue::Activation::kNone:
        break;
      case PackedLinearEpilogue::Activation::kGelu:
        // torch::gelu defaults to the exact erf form, which transformers' "gelu" is.
        output = torch::gelu(output);
        break;
      case PackedLinearEpilogue::Activation::kRelu:
        output.relu_();
        break;
    }
    if (epilogue_.add_residual) output.add_(residual);
    return output;
  }

 private:
  PackedLinearEpilogue epilogue_;
  c10::intrusive_ptr<LinearPackedParamsBase> packed_;
};

std::unique_ptr<InferenceLinear> MakeLinear(const torch::Tensor& weight, const torch::Tensor& bias,
                                            Precision precision, int gemm_threads,
                                            PackedLinearEpilogue epilogue = {}) {
  if (precision == Precision::kInt8Dynamic) {
    return std::make_unique<Int8Linear>(weight, bias, epilogue);
  }
  return std::make_unique<FloatLinear>(weight, bias, gemm_threads, epilogue);
}

// Selects a quantized engine for prepacking and restores the previous one
// on destruction. The packed weights remember their engine, so later calls
// do not depend on the global setting.
class QuantizedEngineGuard {
 public:
  explicit QuantizedEngineGuard(at::QEngine engine) : previous_(at::globalContext().qEngine()) {
    at::globalContext().setQEngine(engine);
  }
  ~QuantizedEngineGuard() { at::globalContext().setQEngine(previous_); }
  QuantizedEngineGuard(const QuantizedEngineGuard&) = delete;
  QuantizedEngineGuard& operator=(const QuantizedEngineGuard&) = delete;

 private:
  at::QEngine previous_;
};

torch::Tensor Copy(const torch::Tensor& tensor) { return tensor.detach().clone(); }

// The int64 ids of BATCH packed in order, and each id's position in its
// sequence.
std::pair<torch::Tensor, torch::Tensor> PackIds(const std::vector<std::span<const int32_t>>& batch) {
  int64_t total = 0;
  for (const std::span<const int32_t>& sequence : batch) total += static_cast<int64_t>(sequence.size());
  torch::Tensor ids = torch::empty({total}, torch::kInt64);
  torch::Tensor positions = torch::empty({total}, torch::kInt64);
  int64_t* id_values = ids.data_ptr<int64_t>();
  int64_t* position_values = positions.data_ptr<int64_t>();
  for (const std::span<const int32_t>& sequence : batch) {
    for (size_t position = 0; position < sequence.size(); ++position) {
      *id_values++ = sequence[position];
      *position_values++ = static_cast<int64_t>(position);
    }
  }
  return {ids, positions};
}

absl::StatusOr<at::QEngine> Int8QuantizedEngine() {
  const std::vector<at::QEngine>& engines = at::globalContext().supportedQEngines();
  // oneDNN and FBGEMM have x86 int8 kernels; QNNPACK targets ARM.
  // NOTE: only ONEDNN was tested, because Debian's libtorch 1.13 has no
  // FBGEMM. FBGEMM on CPUs without VNNI may saturate with reduce_range
  // false.
  for (at::QEngine engine : {at::QEngine::ONEDNN, at::QEngine::FBGEMM}) {
    if (std::find(engines.begin(), engines.end(), engine) != engines.end()) return engine;
  }
  std::string names;
  for (at::QEngine engine : engines) absl::StrAppend(&names, names.empty() ? "" : ", ", c10::toString(engine));
  return absl::FailedPreconditionError(absl::StrCat(
      "int8 precision needs libtorch's ONEDNN or FBGEMM quantized engine, but this libtorch has only [",
      names, "]; use float32"));
}

}  // namespace

absl::StatusOr<std::unique_ptr<DistilBertInference>> DistilBertInference::Create(
    DistilBertModuleImpl& module, Precision precision, int gemm_threads) {
  const DistilBertConfig& config = module.config();
  std::unique_ptr<DistilBertInference> inference(new DistilBertInference(config));
  torch::NoGradGuard no_grad;

  std::optional<QuantizedEngineGuard> engine_guard;
  if (precision == Precision::kInt8Dynamic) {
    absl::StatusOr<at::QEngine> engine = Int8QuantizedEngine();
    if (!engine.ok()) return engine.status();
    engine_guard.emplace(*engine);
  }

  DistilBertEmbeddingsImpl& embeddings = *module.embeddings;
  inference->word_embeddings_ = Copy(embeddings.word_embeddings->weight);
  inference->position_embeddings_ = Copy(embeddings.position_embeddings->weight);
  inference->embedding_norm_weight_ = Copy(embeddings.layer_norm->weight);
  inference->embedding_norm_bias_ = Copy(embeddings.layer_norm->bias);

  const double query_scale = 1.0 / std::sqrt(static_cast<double>(config.dim / config.n_heads));
  for (const auto& item : *module.layers) {
    DistilBertLayerImpl& layer = *item->as<DistilBertLayer>();
    DistilBertAttentionImpl& attention = *layer.attention;
    InferenceLayer fused;
    const torch::Tensor qkv_weight = torch::cat(
        {attention.q_lin->weight * query_scale, attention.k_lin->weight, attention.v_lin->weight}, 0);
    const torch::Tensor qkv_bias = torch::cat(
        {attention.q_lin->bias * query_scale, attention.k_lin->bias, attention.v_lin->bias}, 0);
    fused.qkv = MakeLinear(qkv_weight, qkv_bias, precision, gemm_threads);
    const PackedLinearEpilogue residual{.add_residual = true};
    const PackedLinearEpilogue activation{
        .activation = config.activation == Activation::kGelu ? PackedLinearEpilogue::Activation::kGelu
                                                             : PackedLinearEpilogue::Activation::kRelu};
    fused.out = MakeLinear(attention.out_lin->weight, attention.out_lin->bias, precision,
                           gemm_threads, residual);
    fused.lin1 = MakeLinear(layer.ffn->lin1->weight, layer.ffn->lin1->bias, precision, gemm_threads,
                            activation);
    fused.lin2 = MakeLinear(layer.ffn->lin2->weight, layer.ffn->lin2->bias, precision, gemm_threads,
                            residual);
    fused.attention_norm_weight = Copy(layer.sa_layer_norm->weight);
    fused.attention_norm_bias = Copy(layer.sa_layer_norm->bias);
    fused.output_norm_weight = Copy(layer.output_layer_norm->weight);
    fused.output_norm_bias = Copy(layer.output_layer_norm->bias);
    inference->layers_.push_back(std::move(fused));
  }
  return inference;
}

torch::Tensor DistilBertInference::Embed(const std::vector<std::span<const int32_t>>& batch) const {
  auto [ids, positions] = PackIds(batch);
  torch::Tensor sum = word_embeddings_.index_select(0, ids);
  sum.add_(position_embeddings_.index_select(0, positions));
  return torch::layer_norm(sum, {config_.dim}, embedding_norm_weight_, embedding_norm_bias_,
                           kLayerNormEps);
}

torch::Tensor DistilBertInference::Forward(const std::vector<std::span<const int32_t>>& batch) const {
  std::vector<int64_t> lengths;
  lengths.reserve(batch.size());
  for (const std::span<const int32_t>& sequence : batch) lengths.push_back(static_cast<int64_t>(sequence.size()));

  torch::Tensor hidden = Embed(batch);
  for (const InferenceLayer& layer : layers_) {
    const torch::Tensor attended =
        layer.out->Forward(Attend(layer.qkv->Forward(hidden), lengths), hidden);
    hidden = torch::layer_norm(attended, {config_.dim}, layer.attention_norm_weight,
                               layer.attention_norm_bias, kLayerNormEps);

    const torch::Tensor inner = layer.lin1->Forward(hidden);
    const torch::Tensor output = layer.lin2->Forward(inner, hidden);
    hidden = torch::layer_norm(output, {config_.dim}, layer.output_norm_weight,
                               layer.output_norm_bias, kLayerNormEps);
  }
  return hidden;
}

torch::Tensor DistilBertInference::Attend(const torch::Tensor& qkv,
                                          const std::vector<int64_t>& lengths) const {
  const int64_t sequences = static_cast<int64_t>(lengths.size());
  const int64_t dim = config_.dim;
  const int64_t heads = config_.n_heads;
  const int64_t head_dim = dim / heads;
  const int64_t row = 3 * dim;  // stride between two tokens' rows of QKV

  // Each sequence attends only to its own rows, so there is no padding and
  // no mask (a padded key would get a weight of exactly zero anyway).
  // first[i] is sequence i's first row. Its scores start at
  // scores[score_first[i]], one [length, length] block per head.
  std::vector<int64_t> first(sequences + 1, 0);
  std::vector<int64_t> score_first(sequences + 1, 0);
  for (int64_t i = 0; i < sequences; ++i) {
    first[i + 1] = first[i] + lengths[i];
    score_first[i + 1] = score_first[i] + heads * lengths[i] * lengths[i];
  }
  const torch::Tensor rows = qkv.contiguous();
  torch::Tensor scores = torch::empty({score_first[sequences]}, rows.options());
  torch::Tensor context = torch::empty({first[sequences], dim}, rows.options());
  const float* q_k_v = rows.data_ptr<float>();
  float* score_values = scores.data_ptr<float>();
  float* context_values = context.data_ptr<float>();

  // The products run on oneDNN's row-major sgemm, one task per (sequence,
  // head) on libtorch's OpenMP threads. Called inside that parallel region,
  // the sgemm runs on the calling thread, since libgomp does not nest teams
  // by default. The query rows already carry the 1/sqrt(head_dim) scale.
  at::parallel_for(0, sequences * heads, 1, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t i = task / heads;
      const int64_t head = task % heads;
      const int64_t length = lengths[i];
      const float* query = q_k_v + first[i] * row + head * head_dim;
      const float* key = query + dim;
      // scores = query · keyᵀ, row-major [length, length].
      CheckSgemm(dnnl_sgemm('N', 'T', length, length, head_dim, 1.0f, query, row, key, row, 0.0f,
                       score_values + score_first[i] + head * length * length, length));
    }
  });
  for (int64_t i = 0; i < sequences; ++i) {
    torch::Tensor block = scores.narrow(0, score_first[i], score_first[i + 1] - score_first[i])
                              .view({heads * lengths[i], lengths[i]});
    at::_softmax_out(block, block, -1, false);
  }
  at::parallel_for(0, sequences * heads, 1, [&](int64_t begin, int64_t end) {
    for (int64_t task = begin; task < end; ++task) {
      const int64_t i = task / heads;
      const int64_t head = task % heads;
      const int64_t length = lengths[i];
      const float* value = q_k_v + first[i] * row + 2 * dim + head * head_dim;
      // context = weights · value, row-major [length, head_dim], written
      // into this head's columns of the packed output.
      CheckSgemm(dnnl_sgemm('N', 'N', length, head_dim, length, 1.0f,
                       score_values + score_first[i] + head * length * length, length, value, row,
                       0.0f, context_values + first[i] * dim + head * head_dim, dim));
    }
  });
  return context;
}

}  // namespace synesthesia::model
