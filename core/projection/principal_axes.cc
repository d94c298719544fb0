#include "core/projection/principal_axes.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <Eigen/Dense>

namespace synesthesia::projection::internal {
namespace {

// Rows converted to double at a time, so that a large corpus never needs a
// full double-precision copy.
constexpr Eigen::Index kBlockRows = 4096;

RowMatrixXd CentredRows(const RowMatrixXf& data, const Eigen::VectorXd& mean, Eigen::Index begin,
                        Eigen::Index count) {
  return data.middleRows(begin, count).cast<double>().rowwise() - mean.transpose();
}

Eigen::VectorXd ColumnMean(const RowMatrixXf& data) {
  Eigen::VectorXd sum = Eigen::VectorXd::Zero(data.cols());
  for (Eigen::Index begin = 0; begin < data.rows(); begin += kBlockRows) {
    const Eigen::Index count = std::min(kBlockRows, data.rows() - begin);
    sum += data.middleRows(begin, count).cast<double>().colwise().sum().transpose();
  }
  return sum / static_cast<double>(data.rows());
}

// Flips AXIS so that its entry of largest magnitude (the first one on ties)
// is positive, which fixes the sign that the eigensolver leaves open.
void ApplySignRule(Eigen::Ref<Eigen::VectorXd> axis) {
  Eigen::Index largest = 0;
  axis.cwiseAbs().maxCoeff(&largest);
  if (axis[largest] < 0) axis = -axis;
}

}  // namespace

PrincipalAxes ComputePrincipalAxes(const RowMatrixXf& data, int count) {
  const Eigen::Index rows = data.rows();
  const Eigen::Index dim = data.cols();

  PrincipalAxes result;
  result.axes.resize(0, dim);
  if (rows == 0 || dim == 0) {
    result.mean = Eigen::VectorXd::Zero(dim);
    return result;
  }
  result.mean = ColumnMean(data);

  // Both matrices share their nonzero eigenvalues: Gram G = X X^T [rows,
  // rows] and scatter S = X^T X [dim, dim]. An eigenvector u of G gives the
  // axis X^T u, so the smaller of the two is decomposed.
  const bool use_gram = rows <= dim;
  RowMatrixXd centred;
  Eigen::MatrixXd symmetric;
  if (use_gram) {
    centred = CentredRows(data, result.mean, 0, rows);
    symmetric = centred * centred.transpose();
  } else {
    symmetric = Eigen::MatrixXd::Zero(dim, dim);
    for (Eigen::Index begin = 0; begin < rows; begin += kBlockRows) {
      const RowMatrixXd block =
          CentredRows(data, result.mean, begin, std::min(kBlockRows, rows - begin));
      symmetric.noalias() += block.transpose() * block;
    }
  }
  const Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> solver(symmetric);

  // Eigenvalues come in increasing order, so the top components are last.
  const Eigen::Index size = symmetric.rows();
  const double largest = solver.eigenvalues()[size - 1];
  const Eigen::Index available = std::min<Eigen::Index>(count, size);
  std::vector<Eigen::VectorXd> axes;
  for (Eigen::Index k = 0; k < available; ++k) {
    const double eigenvalue = solver.eigenvalues()[size - 1 - k];
    if (!(largest > 0) || eigenvalue <= kUndefinedComponentRatio * largest) break;

    Eigen::VectorXd axis = solver.eigenvectors().col(size - 1 - k);
    if (use_gram) axis = centred.transpose() * axis;
    axis.normalize();
    ApplySignRule(axis);
    axes.push_back(std::move(axis));
  }

  result.axes.resize(static_cast<Eigen::Index>(axes.size()), dim);
  for (size_t k = 0; k < axes.size(); ++k) {
    result.axes.row(static_cast<Eigen::Index>(k)) = axes[k].transpose();
  }
  return result;
}

RowMatrixXd Project(const RowMatrixXf& data, const Eigen::VectorXd& mean, const RowMatrixXd& axes) {
  RowMatrixXd projections(data.rows(), axes.rows());
  for (Eigen::Index begin = 0; begin < data.rows(); begin += kBlockRows) {
    const Eigen::Index count = std::min(kBlockRows, data.rows() - begin);
    projections.middleRows(begin, count) =
        CentredRows(data, mean, begin, count) * axes.transpose();
  }
  return projections;
}

}  // namespace synesthesia::projection::internal
