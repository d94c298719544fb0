#include "core/model/distilbert_module.h"

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/util/status_macros.h"

namespace synesthesia::model {
namespace {

// transformers builds every DistilBERT layer norm with this epsilon.
constexpr double kLayerNormEps = 1e-12;
constexpr double kInitializerRange = 0.02;
constexpr char kPositionTableName[] = "embeddings.position_embeddings.weight";
constexpr char kTaskModelPrefix[] = "distilbert.";

torch::nn::LayerNorm MakeLayerNorm(int64_t dim) {
  return torch::nn::LayerNorm(
      torch::nn::LayerNormOptions({dim}).eps(kLayerNormEps).elementwise_affine(true));
}

void InitLinear(torch::nn::Linear& linear) {
  torch::NoGradGuard no_grad;
  linear->weight.normal_(0.0, kInitializerRange);
  linear->bias.zero_();
}

std::string ShapeString(torch::IntArrayRef shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

// Returns a one-line summary of a libtorch error, without its C++ backtrace.
std::string ShortTorchMessage(const c10::Error& error) {
  std::string message = error.what_without_backtrace();
  if (size_t newline = message.find('\n'); newline != std::string::npos) message.resize(newline);
  return message;
}

}  // namespace

torch::Tensor SinusoidalPositionTable(int64_t positions, int64_t dim) {
  torch::Tensor table = torch::empty({positions, dim}, torch::kFloat32);
  auto values = table.accessor<float, 2>();
  for (int64_t pos = 0; pos < positions; ++pos) {
    for (int64_t j = 0; j < dim; ++j) {
      const double exponent = static_cast<double>(2 * (j / 2)) / static_cast<double>(dim);
      const double angle = static_cast<double>(pos) / std::pow(10000.0, exponent);
      values[pos][j] = static_cast<float>(j % 2 == 0 ? std::sin(angle) : std::cos(angle));
    }
  }
  return table;
}

DistilBertEmbeddingsImpl::DistilBertEmbeddingsImpl(const DistilBertConfig& config,
                                                   const DistilBertModuleOptions& options) {
  word_embeddings = register_module(
      "word_embeddings",
      torch::nn::Embedding(torch::nn::EmbeddingOptions(config.vocab_size, config.dim)
                               .padding_idx(config.pad_token_id)));
  position_embeddings = register_module(
      "position_embeddings",
      torch::nn::Embedding(config.max_position_embeddings, config.dim));
  layer_norm = register_module("LayerNorm", MakeLayerNorm(config.dim));
  dropout = register_module("dropout", torch::nn::Dropout(options.dropout));

  torch::NoGradGuard no_grad;
  word_embeddings->weight.normal_(0.0, kInitializerRange);
  word_embeddings->weight[config.pad_token_id].zero_();
  if (config.sinusoidal_pos_embds) {
    position_embeddings->weight.copy_(
        SinusoidalPositionTable(config.max_position_embeddings, config.dim));
    position_embeddings->weight.set_requires_grad(false);
  } else {
    position_embeddings->weight.normal_(0.0, kInitializerRange);
  }
}

torch::Tensor DistilBertEmbeddingsImpl::forward(const torch::Tensor& input_ids) {
  TORCH_CHECK(input_ids.dim() == 2, "input_ids must be [batch, length], got ",
              input_ids.sizes());
  const int64_t length = input_ids.size(1);
  TORCH_CHECK(length <= position_embeddings->weight.size(0), "sequence length ", length,
              " exceeds max_position_embeddings ", position_embeddings->weight.size(0));

  torch::Tensor positions = torch::arange(length, input_ids.options().dtype(torch::kInt64));
  torch::Tensor sum = word_embeddings(input_ids) + position_embeddings(positions).unsqueeze(0);
  return dropout(layer_norm(sum));
}

DistilBertAttentionImpl::DistilBertAttentionImpl(const DistilBertConfig& config,
                                                 const DistilBertModuleOptions& options)
    : n_heads_(config.n_heads), head_dim_(config.dim / config.n_heads) {
  q_lin = register_module("q_lin", torch::nn::Linear(config.dim, config.dim));
  k_lin = register_module("k_lin", torch::nn::Linear(config.dim, config.dim));
  v_lin = register_module("v_lin", torch::nn::Linear(config.dim, config.dim));
  out_lin = register_module("out_lin", torch::nn::Linear(config.dim, config.dim));
  dropout = register_module("dropout", torch::nn::Dropout(options.attention_dropout));
  for (torch::nn::Linear* linear : {&q_lin, &k_lin, &v_lin, &out_lin}) InitLinear(*linear);
}

torch::Tensor DistilBertAttentionImpl::forward(const torch::Tensor& hidden,
                                               const torch::Tensor& key_padding) {
  const int64_t batch = hidden.size(0);
  const int64_t length = hidden.size(1);
  auto split_heads = [&](const torch::Tensor& projected) {
    return projected.view({batch, length, n_heads_, head_dim_}).transpose(1, 2);
  };

  // transformers scales the queries, not the scores, by 1/sqrt(head_dim).
  torch::Tensor query = split_heads(q_lin(hidden)) / std::sqrt(static_cast<double>(head_dim_));
  torch::Tensor key = split_heads(k_lin(hidden));
  torch::Tensor value = split_heads(v_lin(hidden));

  torch::Tensor scores = torch::matmul(query, key.transpose(2, 3));  // [batch, heads, L, L]
  if (key_padding.defined()) {
    // The lowest finite float, which transformers also uses, gives padding
    // keys an attention weight of exactly zero after the softmax.
    scores = scores.masked_fill(key_padding.view({batch, 1, 1, length}),
                                std::numeric_limits<float>::lowest());
  }
  torch::Tensor weights = dropout(torch::softmax(scores, -1));

  torch::Tensor context = torch::matmul(weights, value)
                              .transpose(1, 2)
                              .reshape({batch, length, n_heads_ * head_dim_});
  return out_lin(context);
}

DistilBertFeedForwardImpl::DistilBertFeedForwardImpl(const DistilBertConfig& config,
                                                     const DistilBertModuleOptions& options)
    : activation_(config.activation) {
  lin1 = register_module("lin1", torch::nn::Linear(config.dim, config.hidden_dim));
  lin2 = register_module("lin2", torch::nn::Linear(config.hidden_dim, config.dim));
  dropout = register_module("dropout", torch::nn::Dropout(options.dropout));
  InitLinear(lin1);
  InitLinear(lin2);
}

torch::Tensor DistilBertFeedForwardImpl::forward(const torch::Tensor& hidden) {
  torch::Tensor inner = lin1(hidden);
  // torch::gelu defaults to the exact erf form, which transformers' "gelu" is.
  inner = activation_ == Activation::kGelu ? torch::gelu(inner) : torch::relu(inner);
  return dropout(lin2(inner));
}

DistilBertLayerImpl::DistilBertLayerImpl(const DistilBertConfig& config,
                                         const DistilBertModuleOptions& options) {
  attention = register_module("attention", DistilBertAttention(config, options));
  sa_layer_norm = register_module("sa_layer_norm", MakeLayerNorm(config.dim));
  ffn = register_module("ffn", DistilBertFeedForward(config, options));
  output_layer_norm = register_module("output_layer_norm", MakeLayerNorm(config.dim));
}

torch::Tensor DistilBertLayerImpl::forward(const torch::Tensor& hidden,
                                           const torch::Tensor& key_padding) {
  torch::Tensor attended = sa_layer_norm(attention(hidden, key_padding) + hidden);
  return output_layer_norm(ffn(attended) + attended);
}

DistilBertModuleImpl::DistilBertModuleImpl(const DistilBertConfig& config,
                                           const DistilBertModuleOptions& options)
    : config_(config) {
  embeddings = register_module("embeddings", DistilBertEmbeddings(config, options));
  auto transformer = register_module("transformer", std::make_shared<torch::nn::Module>());
  layers = transformer->register_module("layer", torch::nn::ModuleList());
  for (int64_t i = 0; i < config.n_layers; ++i) layers->push_back(DistilBertLayer(config, options));
}

torch::Tensor DistilBertModuleImpl::forward(const torch::Tensor& input_ids,
                                            const torch::Tensor& attention_mask) {
  torch::Tensor key_padding;
  if (attention_mask.defined()) {
    TORCH_CHECK(attention_mask.sizes() == input_ids.sizes(), "attention_mask has shape ",
                attention_mask.sizes(), " but input_ids has shape ", input_ids.sizes());
    key_padding = attention_mask.eq(0);
  }

  torch::Tensor hidden = embeddings(input_ids);
  for (const auto& layer : *layers) {
    hidden = layer->as<DistilBertLayer>()->forward(hidden, key_padding);
  }
  return hidden;
}

torch::Tensor DistilBertModuleImpl::Embed(const torch::Tensor& input_ids) {
  return embeddings(input_ids);
}

std::vector<std::pair<std::string, std::vector<int64_t>>> DistilBertParameterShapes(
    const DistilBertConfig& config) {
  const int64_t dim = config.dim;
  std::vector<std::pair<std::string, std::vector<int64_t>>> shapes = {
      {"embeddings.word_embeddings.weight", {config.vocab_size, dim}},
      {kPositionTableName, {config.max_position_embeddings, dim}},
      {"embeddings.LayerNorm.weight", {dim}},
      {"embeddings.LayerNorm.bias", {dim}},
  };
  for (int64_t i = 0; i < config.n_layers; ++i) {
    const std::string layer = absl::StrCat("transformer.layer.", i, ".");
    for (const char* linear : {"q_lin", "k_lin", "v_lin", "out_lin"}) {
      shapes.push_back({absl::StrCat(layer, "attention.", linear, ".weight"), {dim, dim}});
      shapes.push_back({absl::StrCat(layer, "attention.", linear, ".bias"), {dim}});
    }
    shapes.push_back({layer + "sa_layer_norm.weight", {dim}});
    shapes.push_back({layer + "sa_layer_norm.bias", {dim}});
    shapes.push_back({layer + "ffn.lin1.weight", {config.hidden_dim, dim}});
    shapes.push_back({layer + "ffn.lin1.bias", {config.hidden_dim}});
    shapes.push_back({layer + "ffn.lin2.weight", {dim, config.hidden_dim}});
    shapes.push_back({layer + "ffn.lin2.bias", {dim}});
    shapes.push_back({layer + "output_layer_norm.weight", {dim}});
    shapes.push_back({layer + "output_layer_norm.bias", {dim}});
  }
  return shapes;
}

absl::Status CheckDistilBertWeights(const SafetensorsFile& file, const DistilBertConfig& config) {
  const std::string probe = "embeddings.word_embeddings.weight";
  std::string prefix;
  if (!file.Contains(probe) && file.Contains(kTaskModelPrefix + probe)) prefix = kTaskModelPrefix;

  for (const auto& [name, shape] : DistilBertParameterShapes(config)) {
    if (name == kPositionTableName && config.sinusoidal_pos_embds) continue;
    const std::string tensor_name = prefix + name;
    absl::StatusOr<TensorView> view = file.Get(tensor_name);
    if (!view.ok()) {
      return absl::InvalidArgumentError(absl::StrCat(file.source(), ": missing tensor '",
                                                     tensor_name, "' with shape ",
                                                     ShapeString(shape)));
    }
    const bool float_dtype =
        view->dtype == DType::kF32 || view->dtype == DType::kF16 || view->dtype == DType::kBF16;
    if (view->shape != shape || !float_dtype) {
      // ReadFloat32 words the shape and dtype errors; it checks both before
      // copying anything.
      RETURN_IF_ERROR(file.ReadFloat32(tensor_name, shape).status());
    }
  }
  return absl::OkStatus();
}

absl::Status LoadDistilBertWeights(const SafetensorsFile& file, DistilBertModuleImpl& module) {
  const std::string probe = "embeddings.word_embeddings.weight";
  std::string prefix;
  if (!file.Contains(probe) && file.Contains(kTaskModelPrefix + probe)) prefix = kTaskModelPrefix;

  torch::NoGradGuard no_grad;
  for (auto& item : module.named_parameters(/*recurse=*/true)) {
    const std::string& name = item.key();
    torch::Tensor& parameter = item.value();
    if (name == kPositionTableName && module.config().sinusoidal_pos_embds) continue;

    const std::string tensor_name = prefix + name;
    if (!file.Contains(tensor_name)) {
      return absl::InvalidArgumentError(absl::StrCat(file.source(), ": missing tensor '",
                                                     tensor_name, "' with shape ",
                                                     ShapeString(parameter.sizes())));
    }
    std::vector<int64_t> shape(parameter.sizes().begin(), parameter.sizes().end());
    absl::StatusOr<std::vector<float>> values = file.ReadFloat32(tensor_name, shape);
    if (!values.ok()) return values.status();
    for (float value : *values) {
      if (!std::isfinite(value)) {
        return absl::InvalidArgumentError(absl::StrCat(
            file.source(), ": tensor '", tensor_name, "' contains a NaN or infinite value"));
      }
    }

    try {
      parameter.copy_(torch::from_blob(values->data(), parameter.sizes(), torch::kFloat32));
    } catch (const c10::Error& error) {
      return absl::InternalError(absl::StrCat("copying tensor '", tensor_name,
                                              "' into the module failed: ",
                                              ShortTorchMessage(error)));
    }
  }
  return absl::OkStatus();
}

absl::Status SaveDistilBertWeights(DistilBertModuleImpl& module, const std::string& path,
                                   const std::string& prefix, DType dtype) {
  std::vector<Float32Tensor> tensors;
  try {
    for (const auto& item : module.named_parameters(/*recurse=*/true)) {
      const std::string& name = item.key();
      const torch::Tensor& parameter = item.value();
      torch::Tensor values = parameter.detach().to(torch::kCPU, torch::kFloat32).contiguous();
      Float32Tensor tensor;
      tensor.name = prefix + name;
      tensor.shape.assign(values.sizes().begin(), values.sizes().end());
      tensor.values.assign(values.data_ptr<float>(), values.data_ptr<float>() + values.numel());
      tensor.stored_dtype = dtype;
      tensors.push_back(std::move(tensor));
    }
  } catch (const c10::Error& error) {
    return absl::InternalError(
        absl::StrCat("reading the module's parameters failed: ", ShortTorchMessage(error)));
  }
  return WriteSafetensors(path, tensors, {{"format", "pt"}});
}

}  // namespace synesthesia::model
