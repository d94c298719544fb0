#include <cmath>
#include <numbers>
#include <vector>

#include "core/projection/projection.h"
#include "core/projection/semantic_kernels.h"
#include "glog/logging.h"

namespace synesthesia::projection {
namespace {

// GELU with the exact Gaussian CDF, x * Phi(x) (PyTorch's default, not the
// tanh approximation).
float Gelu(float x) {
  constexpr float kInverseSqrt2 = static_cast<float>(1.0 / std::numbers::sqrt2);
  return 0.5f * x * (1.0f + std::erf(x * kInverseSqrt2));
}

}  // namespace

int64_t SemanticHead::dim() const {
  return hidden_weight.size() > 0 ? hidden_weight.cols() : output_weight.cols();
}

std::vector<colour::OkLab> SemanticHead::Apply(const RowMatrixXf& hidden) const {
  CHECK_EQ(hidden.cols(), dim()) << "hidden states and semantic head differ in width";
  CHECK_EQ(output_weight.rows(), 3);
  CHECK_EQ(output_bias.size(), 3);

  RowMatrixXf features;
  if (hidden_weight.size() > 0) {
    CHECK_EQ(hidden_bias.size(), hidden_weight.rows());
    CHECK_EQ(output_weight.cols(), hidden_weight.rows());
    features = (hidden * hidden_weight.transpose()).rowwise() + hidden_bias.transpose();
    features = features.unaryExpr(&Gelu);
  } else {
    features = hidden;
  }
  const RowMatrixXf output =
      (features * output_weight.transpose()).rowwise() + output_bias.transpose();

  std::vector<colour::OkLab> colours(static_cast<size_t>(output.rows()));
  for (Eigen::Index row = 0; row < output.rows(); ++row) {
    colours[static_cast<size_t>(row)] = {output(row, 0), output(row, 1), output(row, 2)};
  }
  return colours;
}

PreparedSemanticHead::PreparedSemanticHead(const SemanticHead& head) : dim_(head.dim()) {
  CHECK_EQ(head.output_weight.rows(), 3);
  CHECK_EQ(head.output_bias.size(), 3);
  if (head.hidden_weight.size() > 0) {
    hidden_size_ = head.hidden_weight.rows();
    CHECK_EQ(head.hidden_bias.size(), hidden_size_);
    CHECK_EQ(head.output_weight.cols(), hidden_size_);
    const RowMatrixXf transposed = head.hidden_weight.transpose();
    hidden_weight_t_.assign(transposed.data(), transposed.data() + transposed.size());
    hidden_bias_.assign(head.hidden_bias.data(), head.hidden_bias.data() + hidden_size_);
  } else {
    CHECK_EQ(head.output_weight.cols(), dim_);
  }
  output_weight_.assign(head.output_weight.data(),
                        head.output_weight.data() + head.output_weight.size());
  for (int c = 0; c < 3; ++c) output_bias_[static_cast<size_t>(c)] = head.output_bias(c);
}

std::vector<colour::OkLab> PreparedSemanticHead::Apply(const RowMatrixXf& hidden) const {
  CHECK_EQ(hidden.cols(), dim_) << "hidden states and semantic head differ in width";
  const int64_t rows = hidden.rows();
  std::vector<float> features;
  const float* input = hidden.data();
  int64_t width = dim_;
  if (hidden_size_ > 0) {
    features.resize(static_cast<size_t>(rows * hidden_size_));
    kernels::LinearGelu(hidden.data(), rows, dim_, hidden_weight_t_.data(), hidden_bias_.data(),
                        hidden_size_, features.data());
    input = features.data();
    width = hidden_size_;
  }
  std::vector<float> output(static_cast<size_t>(rows * 3));
  kernels::LinearToThree(input, rows, width, output_weight_.data(), output_bias_.data(),
                         output.data());
  std::vector<colour::OkLab> colours(static_cast<size_t>(rows));
  for (int64_t row = 0; row < rows; ++row) {
    const float* values = output.data() + row * 3;
    colours[static_cast<size_t>(row)] = {values[0], values[1], values[2]};
  }
  return colours;
}

}  // namespace synesthesia::projection
