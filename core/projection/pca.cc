#include <algorithm>
#include <cmath>
#include <vector>

#include "core/projection/principal_axes.h"
#include "core/projection/projection.h"

namespace synesthesia::projection {
namespace {

constexpr uint8_t colour::Rgb8::*kChannels[3] = {&colour::Rgb8::r, &colour::Rgb8::g,
                                                 &colour::Rgb8::b};

}  // namespace

std::vector<colour::Rgb8> PcaColours(const RowMatrixXf& hidden) {
  const Eigen::Index rows = hidden.rows();
  std::vector<colour::Rgb8> colours(static_cast<size_t>(rows));
  if (rows == 0 || !hidden.allFinite()) return colours;

  const internal::PrincipalAxes principal = internal::ComputePrincipalAxes(hidden, 3);
  const RowMatrixXd projections = internal::Project(hidden, principal.mean, principal.axes);

  // Channels without a defined component stay 0.
  for (Eigen::Index channel = 0; channel < projections.cols(); ++channel) {
    const auto values = projections.col(channel);
    const double low = values.minCoeff();
    const double range = values.maxCoeff() - low;
    if (!(range > 0)) continue;

    for (Eigen::Index row = 0; row < rows; ++row) {
      // Dividing first makes the maximum exactly 1, so it maps to 255. The
      // product 255 * (max - low) divided by range can round to 254.999....
      const double scaled = std::floor(255.0 * ((values[row] - low) / range));
      colours[static_cast<size_t>(row)].*kChannels[channel] =
          static_cast<uint8_t>(std::clamp(scaled, 0.0, 255.0));
    }
  }
  return colours;
}

}  // namespace synesthesia::projection
