// Principal component analysis shared by PcaColours and Basis::Fit. Private
// to synesthesia::projection.
#ifndef SYNESTHESIA_CORE_PROJECTION_PRINCIPAL_AXES_H_
#define SYNESTHESIA_CORE_PROJECTION_PRINCIPAL_AXES_H_

#include <Eigen/Core>

#include "core/util/matrix.h"

namespace synesthesia::projection::internal {

// A component whose eigenvalue is at most this fraction of the largest one
// counts as undefined. Rounding leaves the zero eigenvalues of a
// rank-deficient matrix near 1e-16 times the matrix size times the largest
// eigenvalue, far below this threshold for any realistic size.
inline constexpr double kUndefinedComponentRatio = 1e-10;

struct PrincipalAxes {
  Eigen::VectorXd mean;  // [dim]
  // [k, dim] with k <= the requested count: orthonormal rows in order of
  // decreasing variance, each with its largest-magnitude entry positive.
  // Components beyond the rank of the data are left out.
  RowMatrixXd axes;
};

// Computes the top COUNT principal axes of the rows of DATA (one sample per
// row) by an exact symmetric eigendecomposition in double precision: of the
// Gram matrix when there are no more rows than columns, otherwise of the
// scatter matrix. DATA must be finite. Without rows or columns the axes are
// empty (and the mean is zero).
PrincipalAxes ComputePrincipalAxes(const RowMatrixXf& data, int count);

// The projections of the rows of DATA on AXES after subtracting MEAN:
// [rows, axes.rows()].
RowMatrixXd Project(const RowMatrixXf& data, const Eigen::VectorXd& mean, const RowMatrixXd& axes);

}  // namespace synesthesia::projection::internal

#endif  // SYNESTHESIA_CORE_PROJECTION_PRINCIPAL_AXES_H_
