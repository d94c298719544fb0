#include "tests/unit/model/checkpoint_testing.h"

#include <torch/torch.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include "nlohmann/json.hpp"

namespace synesthesia::model::testing {

absl::StatusOr<std::vector<Float32Tensor>> ReadAllTensors(const SafetensorsFile& file) {
  std::vector<Float32Tensor> tensors;
  for (const std::string& name : file.Names()) {
    absl::StatusOr<TensorView> view = file.Get(name);
    if (!view.ok()) return view.status();
    absl::StatusOr<std::vector<float>> values = file.ReadFloat32(name);
    if (!values.ok()) return values.status();
    tensors.push_back({name, view->shape, *std::move(values)});
  }
  return tensors;
}

namespace {

torch::ScalarType TorchType(DType dtype) {
  switch (dtype) {
    case DType::kF32:
      return torch::kFloat32;
    case DType::kF16:
      return torch::kFloat16;
    case DType::kBF16:
      return torch::kBFloat16;
    default:
      throw std::invalid_argument("WriteWithDType supports F32, F16 and BF16 only");
  }
}

torch::Tensor AsTensor(const std::vector<float>& values) {
  return torch::from_blob(const_cast<float*>(values.data()),
                          {static_cast<int64_t>(values.size())}, torch::kFloat32)
      .clone();
}

}  // namespace

std::vector<float> RoundTrip(const std::vector<float>& values, DType dtype) {
  torch::Tensor rounded = AsTensor(values).to(TorchType(dtype)).to(torch::kFloat32);
  return std::vector<float>(rounded.data_ptr<float>(), rounded.data_ptr<float>() + rounded.numel());
}

void WriteWithDType(const std::string& path, const std::vector<Float32Tensor>& tensors,
                    DType dtype) {
  nlohmann::json header = nlohmann::json::object();
  std::string data;
  for (const Float32Tensor& tensor : tensors) {
    torch::Tensor converted = AsTensor(tensor.values).to(TorchType(dtype)).contiguous();
    const size_t bytes = static_cast<size_t>(converted.numel() * converted.element_size());
    const size_t begin = data.size();
    data.append(static_cast<const char*>(converted.data_ptr()), bytes);
    header[tensor.name] = {{"dtype", std::string(DTypeName(dtype))},
                           {"shape", tensor.shape},
                           {"data_offsets", {begin, data.size()}}};
  }
  const std::string text = header.dump();
  const uint64_t length = text.size();
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(&length), sizeof(length));
  out << text << data;
}

ReferenceDistilBert::ReferenceDistilBert(DistilBertConfig config,
                                         std::map<std::string, std::vector<float>> weights,
                                         std::vector<double> position_table)
    : config_(config), weights_(std::move(weights)), position_table_(std::move(position_table)) {}

const std::vector<float>& ReferenceDistilBert::Weight(const std::string& name) const {
  auto it = weights_.find(name);
  if (it == weights_.end()) throw std::out_of_range("reference model lacks tensor " + name);
  return it->second;
}

RowMatrixXd ReferenceDistilBert::Linear(const RowMatrixXd& input, const std::string& prefix) const {
  const std::vector<float>& weight = Weight(prefix + ".weight");
  const std::vector<float>& bias = Weight(prefix + ".bias");
  const int64_t in = input.cols();
  const int64_t out = static_cast<int64_t>(bias.size());
  RowMatrixXd result(input.rows(), out);
  for (int64_t row = 0; row < input.rows(); ++row) {
    for (int64_t o = 0; o < out; ++o) {
      double sum = bias[o];
      for (int64_t k = 0; k < in; ++k) sum += weight[o * in + k] * input(row, k);
      result(row, o) = sum;
    }
  }
  return result;
}

RowMatrixXd ReferenceDistilBert::LayerNorm(const RowMatrixXd& input,
                                           const std::string& prefix) const {
  const std::vector<float>& gamma = Weight(prefix + ".weight");
  const std::vector<float>& beta = Weight(prefix + ".bias");
  RowMatrixXd result(input.rows(), input.cols());
  for (int64_t row = 0; row < input.rows(); ++row) {
    const double mean = input.row(row).mean();
    double variance = 0;
    for (int64_t j = 0; j < input.cols(); ++j) variance += std::pow(input(row, j) - mean, 2);
    variance /= static_cast<double>(input.cols());
    for (int64_t j = 0; j < input.cols(); ++j) {
      result(row, j) = (input(row, j) - mean) / std::sqrt(variance + 1e-12) * gamma[j] + beta[j];
    }
  }
  return result;
}

RowMatrixXd ReferenceDistilBert::Attention(const RowMatrixXd& input,
                                           const std::string& prefix) const {
  const int64_t length = input.rows();
  const int64_t head_dim = config_.dim / config_.n_heads;
  const RowMatrixXd query = Linear(input, prefix + ".q_lin");
  const RowMatrixXd key = Linear(input, prefix + ".k_lin");
  const RowMatrixXd value = Linear(input, prefix + ".v_lin");
  RowMatrixXd context = RowMatrixXd::Zero(length, config_.dim);

  for (int64_t head = 0; head < config_.n_heads; ++head) {
    const int64_t offset = head * head_dim;
    for (int64_t i = 0; i < length; ++i) {
      std::vector<double> scores(static_cast<size_t>(length));
      double max_score = -INFINITY;
      for (int64_t j = 0; j < length; ++j) {
        double dot = 0;
        for (int64_t d = 0; d < head_dim; ++d) dot += query(i, offset + d) * key(j, offset + d);
        scores[j] = dot / std::sqrt(static_cast<double>(head_dim));
        max_score = std::max(max_score, scores[j]);
      }
      double total = 0;
      for (double& score : scores) {
        score = std::exp(score - max_score);
        total += score;
      }
      for (int64_t j = 0; j < length; ++j) {
        for (int64_t d = 0; d < head_dim; ++d) {
          context(i, offset + d) += scores[j] / total * value(j, offset + d);
        }
      }
    }
  }
  return Linear(context, prefix + ".out_lin");
}

RowMatrixXd ReferenceDistilBert::Embed(const std::vector<int32_t>& ids) const {
  const int64_t length = static_cast<int64_t>(ids.size());
  const std::vector<float>& words = Weight("embeddings.word_embeddings.weight");
  RowMatrixXd sum(length, config_.dim);
  for (int64_t i = 0; i < length; ++i) {
    for (int64_t j = 0; j < config_.dim; ++j) {
      const double position = position_table_.empty()
                                  ? Weight("embeddings.position_embeddings.weight")[i * config_.dim + j]
                                  : position_table_[i * config_.dim + j];
      sum(i, j) = words[ids[i] * config_.dim + j] + position;
    }
  }
  return LayerNorm(sum, "embeddings.LayerNorm");
}

RowMatrixXd ReferenceDistilBert::Forward(const std::vector<int32_t>& ids) const {
  RowMatrixXd hidden = Embed(ids);
  for (int64_t layer = 0; layer < config_.n_layers; ++layer) {
    const std::string prefix = "transformer.layer." + std::to_string(layer);
    RowMatrixXd attended =
        LayerNorm(Attention(hidden, prefix + ".attention") + hidden, prefix + ".sa_layer_norm");
    RowMatrixXd inner = Linear(attended, prefix + ".ffn.lin1");
    for (int64_t i = 0; i < inner.size(); ++i) {
      double& x = inner.data()[i];
      x = config_.activation == Activation::kGelu ? 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)))
                                                  : std::max(x, 0.0);
    }
    hidden = LayerNorm(Linear(inner, prefix + ".ffn.lin2") + attended,
                       prefix + ".output_layer_norm");
  }
  return hidden;
}

std::vector<double> SinusoidalTableForTest(int64_t positions, int64_t dim) {
  std::vector<double> table(static_cast<size_t>(positions * dim));
  for (int64_t pos = 0; pos < positions; ++pos) {
    for (int64_t j = 0; j < dim; ++j) {
      // transformers: pos / 10000^(2 * (j // 2) / dim), sin on even columns,
      // cos on odd ones.
      const double angle = pos / std::pow(10000.0, 2.0 * static_cast<double>(j / 2) / dim);
      table[pos * dim + j] = j % 2 == 0 ? std::sin(angle) : std::cos(angle);
    }
  }
  return table;
}

}  // namespace synesthesia::model::testing
