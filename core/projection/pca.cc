#include <algorithm>
#include <cmath>
#include <vector>

#include "core/projection/principal_axes.h"
#include "core/projection/projection.h"

namespace synesthesia::projection {
namespace {

constexpr uint8_t colour::Rgb8::*kChannels[3] = {&colour::Rgb8::r, &colour::Rgb8::g,
                                                 &colour::Rgb8::b};

// Writes channel CHANNEL of COLOURS from VALUES scaled by LOW and RANGE,
// floored and clamped to 0..255.
void ScaleChannel(const Eigen::Ref<const Eigen::VectorXd>& values, double low, double range,
                  Eigen::Index channel, std::vector<colour::Rgb8>& colours) {
  for (Eigen::Index row = 0; row < values.size(); ++row) {
    // Dividing first makes the maximum exactly 1, so it maps to 255. The
    // product 255 * (max - low) divided by range can round to 254.999....
    const double scaled = std::floor(255.0 * ((values[row] - low) / range));
    colours[static_cast<size_t>(row)].*kChannels[channel] =
        static_cast<uint8_t>(std::clamp(scaled, 0.0, 255.0));
  }
}

}  // namespace

PcaResult PcaColoursWithOthers(const RowMatrixXf& hidden, const RowMatrixXf& others) {
  PcaResult result;
  result.colours.resize(static_cast<size_t>(hidden.rows()));
  result.others.resize(static_cast<size_t>(others.rows()));
  if (hidden.rows() == 0 || !hidden.allFinite()) return result;

  const internal::PrincipalAxes principal = internal::ComputePrincipalAxes(hidden, 3);
  const RowMatrixXd projections = internal::Project(hidden, principal.mean, principal.axes);
  const bool others_usable = others.rows() > 0 && others.cols() == hidden.cols() && others.allFinite();
  const RowMatrixXd other_projections =
      others_usable ? internal::Project(others, principal.mean, principal.axes) : RowMatrixXd();

  // Channels without a defined component stay 0.
  for (Eigen::Index channel = 0; channel < projections.cols(); ++channel) {
    const auto values = projections.col(channel);
    const double low = values.minCoeff();
    const double range = values.maxCoeff() - low;
    if (!(range > 0)) continue;
    ScaleChannel(values, low, range, channel, result.colours);
    if (others_usable) ScaleChannel(other_projections.col(channel), low, range, channel, result.others);
  }
  return result;
}

std::vector<colour::Rgb8> PcaColours(const RowMatrixXf& hidden) {
  return PcaColoursWithOthers(hidden, RowMatrixXf()).colours;
}

}  // namespace synesthesia::projection
