#include "core/projection/tensor_files.h"

#include <cmath>
#include <memory>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "core/model/safetensors.h"
#include "core/util/status_macros.h"

namespace synesthesia::projection::internal {
namespace {

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

// A tensor copied to float32 with its shape checked against EXPECTED and its
// values checked to be finite. A missing tensor is INVALID_ARGUMENT because
// the file, not the caller, is at fault.
absl::StatusOr<std::vector<float>> ReadTensor(const model::SafetensorsFile& file,
                                              const std::string& name,
                                              const std::vector<int64_t>& expected) {
  if (!file.Contains(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat(file.source(), ": missing tensor '", name, "'"));
  }
  ASSIGN_OR_RETURN(const model::TensorView view, file.Get(name));
  if (view.shape != expected) {
    return absl::InvalidArgumentError(absl::StrCat(file.source(), ": tensor '", name,
                                                   "' has shape ", ShapeString(view.shape),
                                                   ", expected ", ShapeString(expected)));
  }
  ASSIGN_OR_RETURN(std::vector<float> values, file.ReadFloat32(name, expected));
  for (const float value : values) {
    if (!std::isfinite(value)) {
      return absl::InvalidArgumentError(
          absl::StrCat(file.source(), ": tensor '", name, "' contains NaN or infinity"));
    }
  }
  return values;
}

// The shape of tensor NAME, or INVALID_ARGUMENT when it is missing.
absl::StatusOr<std::vector<int64_t>> TensorShape(const model::SafetensorsFile& file,
                                                 const std::string& name) {
  if (!file.Contains(name)) {
    return absl::InvalidArgumentError(
        absl::StrCat(file.source(), ": missing tensor '", name, "'"));
  }
  ASSIGN_OR_RETURN(const model::TensorView view, file.Get(name));
  return view.shape;
}

Eigen::VectorXf ToVector(const std::vector<float>& values) {
  return Eigen::Map<const Eigen::VectorXf>(values.data(), static_cast<Eigen::Index>(values.size()));
}

RowMatrixXf ToMatrix(const std::vector<float>& values, int64_t rows, int64_t cols) {
  return Eigen::Map<const RowMatrixXf>(values.data(), rows, cols);
}

std::vector<float> ToValues(const Eigen::VectorXf& vector) {
  return {vector.data(), vector.data() + vector.size()};
}

std::vector<float> ToValues(const RowMatrixXf& matrix) {
  return {matrix.data(), matrix.data() + matrix.size()};
}

}  // namespace

absl::StatusOr<Basis> ReadBasisFile(const std::string& path, int64_t dim) {
  ASSIGN_OR_RETURN(const auto file, model::SafetensorsFile::Open(path));

  Basis basis;
  ASSIGN_OR_RETURN(const auto mean, ReadTensor(*file, "basis.mean", {dim}));
  ASSIGN_OR_RETURN(const auto axes, ReadTensor(*file, "basis.axes", {3, dim}));
  ASSIGN_OR_RETURN(const auto low, ReadTensor(*file, "basis.low", {3}));
  ASSIGN_OR_RETURN(const auto high, ReadTensor(*file, "basis.high", {3}));
  basis.mean = ToVector(mean);
  basis.axes = ToMatrix(axes, 3, dim);
  for (int channel = 0; channel < 3; ++channel) {
    basis.low[channel] = low[channel];
    basis.high[channel] = high[channel];
    if (!(basis.high[channel] > basis.low[channel])) {
      return absl::InvalidArgumentError(absl::StrCat(
          path, ": basis.high[", channel, "] = ", basis.high[channel],
          " must be greater than basis.low[", channel, "] = ", basis.low[channel]));
    }
  }
  return basis;
}

absl::StatusOr<SemanticHead> ReadSemanticFile(const std::string& path, int64_t dim) {
  ASSIGN_OR_RETURN(const auto file, model::SafetensorsFile::Open(path));

  SemanticHead head;
  const bool has_hidden_weight = file->Contains("semantic.hidden.weight");
  const bool has_hidden_bias = file->Contains("semantic.hidden.bias");
  if (has_hidden_weight != has_hidden_bias) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": semantic.hidden.weight and semantic.hidden.bias must both be present or both "
              "absent"));
  }

  int64_t output_width = dim;
  if (has_hidden_weight) {
    ASSIGN_OR_RETURN(const auto shape, TensorShape(*file, "semantic.hidden.weight"));
    if (shape.size() != 2 || shape[0] < 1) {
      return absl::InvalidArgumentError(absl::StrCat(path,
                                                     ": tensor 'semantic.hidden.weight' has shape ",
                                                     ShapeString(shape), ", expected [H, ", dim,
                                                     "] with H >= 1"));
    }
    const int64_t hidden_size = shape[0];
    ASSIGN_OR_RETURN(const auto weight,
                     ReadTensor(*file, "semantic.hidden.weight", {hidden_size, dim}));
    ASSIGN_OR_RETURN(const auto bias, ReadTensor(*file, "semantic.hidden.bias", {hidden_size}));
    head.hidden_weight = ToMatrix(weight, hidden_size, dim);
    head.hidden_bias = ToVector(bias);
    output_width = hidden_size;
  }

  ASSIGN_OR_RETURN(const auto weight,
                   ReadTensor(*file, "semantic.output.weight", {3, output_width}));
  ASSIGN_OR_RETURN(const auto bias, ReadTensor(*file, "semantic.output.bias", {3}));
  head.output_weight = ToMatrix(weight, 3, output_width);
  head.output_bias = ToVector(bias);
  return head;
}

absl::Status CheckBasisShapes(const Basis& basis) {
  if (basis.mean.size() < 1 || basis.axes.rows() != 3 || basis.axes.cols() != basis.mean.size()) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot save a basis with mean [", basis.mean.size(), "] and axes [",
                     basis.axes.rows(), ", ", basis.axes.cols(), "]: expected [dim] and [3, dim]"));
  }
  return absl::OkStatus();
}

absl::Status CheckSemanticShapes(const SemanticHead& head) {
  const bool hidden = head.hidden_weight.size() > 0;
  const int64_t width = hidden ? head.hidden_weight.rows() : head.output_weight.cols();
  const bool consistent =
      head.dim() >= 1 && head.output_weight.rows() == 3 && head.output_weight.cols() == width &&
      head.output_bias.size() == 3 && (!hidden || head.hidden_bias.size() == width) &&
      (hidden || head.hidden_bias.size() == 0);
  if (!consistent) {
    return absl::InvalidArgumentError(absl::StrCat(
        "cannot save a semantic head with hidden weight [", head.hidden_weight.rows(), ", ",
        head.hidden_weight.cols(), "], hidden bias [", head.hidden_bias.size(),
        "], output weight [", head.output_weight.rows(), ", ", head.output_weight.cols(),
        "] and output bias [", head.output_bias.size(), "]: the shapes do not chain"));
  }
  return absl::OkStatus();
}

absl::Status WriteBasisFile(const std::string& path, const Basis& basis) {
  const int64_t dim = basis.dim();
  const std::vector<model::Float32Tensor> tensors = {
      {"basis.mean", {dim}, ToValues(basis.mean)},
      {"basis.axes", {3, dim}, ToValues(basis.axes)},
      {"basis.low", {3}, {basis.low.begin(), basis.low.end()}},
      {"basis.high", {3}, {basis.high.begin(), basis.high.end()}},
  };
  return model::WriteSafetensors(path, tensors, {{"format", "pt"}});
}

absl::Status WriteSemanticFile(const std::string& path, const SemanticHead& head) {
  std::vector<model::Float32Tensor> tensors = {
      {"semantic.output.weight",
       {head.output_weight.rows(), head.output_weight.cols()},
       ToValues(head.output_weight)},
      {"semantic.output.bias", {3}, ToValues(head.output_bias)},
  };
  if (head.hidden_weight.size() > 0) {
    tensors.push_back({"semantic.hidden.weight",
                       {head.hidden_weight.rows(), head.hidden_weight.cols()},
                       ToValues(head.hidden_weight)});
    tensors.push_back(
        {"semantic.hidden.bias", {head.hidden_bias.size()}, ToValues(head.hidden_bias)});
  }
  return model::WriteSafetensors(path, tensors, {{"format", "pt"}});
}

}  // namespace synesthesia::projection::internal
