#include <cmath>
#include <numbers>
#include <vector>

#include "core/projection/projection.h"
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

}  // namespace synesthesia::projection
