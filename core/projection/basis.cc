#include <algorithm>
#include <cmath>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/projection/principal_axes.h"
#include "core/projection/projection.h"
#include "glog/logging.h"

namespace synesthesia::projection {
namespace {

// The PERCENTILE (0..100) of VALUES with linear interpolation between the two
// nearest ranks, as numpy.percentile does by default.
double Percentile(std::vector<double> values, double percentile) {
  std::sort(values.begin(), values.end());
  const double position = percentile / 100.0 * static_cast<double>(values.size() - 1);
  const auto below = static_cast<size_t>(std::floor(position));
  const size_t above = std::min(below + 1, values.size() - 1);
  const double fraction = position - static_cast<double>(below);
  return values[below] + fraction * (values[above] - values[below]);
}

}  // namespace

absl::StatusOr<Basis> Basis::Fit(const RowMatrixXf& corpus, double low_percentile,
                                 double high_percentile) {
  if (corpus.rows() < 4) {
    return absl::InvalidArgumentError(absl::StrCat(
        "a basis needs a corpus of at least 4 rows (tokens), got ", corpus.rows()));
  }
  if (!(low_percentile >= 0 && low_percentile < high_percentile && high_percentile <= 100)) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid percentiles ", low_percentile, " and ", high_percentile,
                     ": expected 0 <= low < high <= 100"));
  }
  if (!corpus.allFinite()) {
    return absl::InvalidArgumentError("the corpus contains NaN or infinite values");
  }

  const internal::PrincipalAxes principal = internal::ComputePrincipalAxes(corpus, 3);
  if (principal.axes.rows() < 3) {
    return absl::InvalidArgumentError(absl::StrCat(
        "the corpus spans only ", principal.axes.rows(),
        " dimension(s) after centring, and a basis needs 3: add more varied text"));
  }
  const RowMatrixXd projections = internal::Project(corpus, principal.mean, principal.axes);

  Basis basis;
  basis.mean = principal.mean.cast<float>();
  basis.axes = principal.axes.cast<float>();
  for (int channel = 0; channel < 3; ++channel) {
    const auto column = projections.col(channel);
    const std::vector<double> values(column.begin(), column.end());
    basis.low[channel] = static_cast<float>(Percentile(values, low_percentile));
    basis.high[channel] = static_cast<float>(Percentile(values, high_percentile));
    if (!(basis.high[channel] > basis.low[channel])) {
      return absl::InvalidArgumentError(absl::StrCat(
          "channel ", channel, " has an empty range between the ", low_percentile, "th and ",
          high_percentile, "th percentiles: widen the percentiles or add more varied text"));
    }
  }
  return basis;
}

std::vector<colour::Rgb8> Basis::Apply(const RowMatrixXf& hidden) const {
  CHECK_EQ(hidden.cols(), dim()) << "hidden states and basis differ in width";

  const Eigen::VectorXd mean_double = mean.cast<double>();
  const RowMatrixXd axes_double = axes.cast<double>();
  const RowMatrixXd projections = internal::Project(hidden, mean_double, axes_double);

  std::vector<colour::Rgb8> colours(static_cast<size_t>(hidden.rows()));
  for (Eigen::Index row = 0; row < projections.rows(); ++row) {
    uint8_t levels[3] = {0, 0, 0};
    for (int channel = 0; channel < 3; ++channel) {
      const double range = static_cast<double>(high[channel]) - low[channel];
      const double position = (projections(row, channel) - low[channel]) / range;
      // A NaN hidden state or an empty range gives 0 rather than undefined
      // behaviour in the conversion.
      if (!std::isfinite(position)) continue;
      levels[channel] = static_cast<uint8_t>(std::floor(255.0 * std::clamp(position, 0.0, 1.0)));
    }
    colours[static_cast<size_t>(row)] = {levels[0], levels[1], levels[2]};
  }
  return colours;
}

}  // namespace synesthesia::projection
