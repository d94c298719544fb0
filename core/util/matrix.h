// Dense matrix types shared by the encoder's output and the projections.
#ifndef SYNESTHESIA_CORE_UTIL_MATRIX_H_
#define SYNESTHESIA_CORE_UTIL_MATRIX_H_

#include <Eigen/Core>

namespace synesthesia {

// Row-major float matrix: one row per token, one column per hidden unit. The
// layout matches a contiguous libtorch tensor of shape [rows, cols].
using RowMatrixXf = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using RowMatrixXd = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

}  // namespace synesthesia

#endif  // SYNESTHESIA_CORE_UTIL_MATRIX_H_
