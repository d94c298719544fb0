#include "models/training/fit.h"

#include <cmath>
#include <filesystem>
#include <utility>

#include "Eigen/Cholesky"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"
#include "models/training/name_colours.h"

namespace synesthesia::training {
namespace {

absl::Status CheckFinite(const RowMatrixXf& matrix, absl::string_view what) {
  if (!matrix.allFinite()) {
    return absl::InvalidArgumentError(absl::StrCat(what, " contain a NaN or infinite value"));
  }
  return absl::OkStatus();
}

// Stacks the rows of MATRICES into one matrix with COLUMNS columns.
RowMatrixXf StackRows(const std::vector<RowMatrixXf>& matrices, Eigen::Index columns) {
  Eigen::Index rows = 0;
  for (const RowMatrixXf& matrix : matrices) rows += matrix.rows();
  RowMatrixXf stacked(rows, columns);
  Eigen::Index row = 0;
  for (const RowMatrixXf& matrix : matrices) {
    stacked.middleRows(row, matrix.rows()) = matrix;
    row += matrix.rows();
  }
  return stacked;
}

std::vector<std::string> NamesOf(const std::vector<ColourName>& names) {
  std::vector<std::string> texts;
  texts.reserve(names.size());
  for (const ColourName& name : names) texts.push_back(name.name);
  return texts;
}

}  // namespace

absl::StatusOr<projection::SemanticHead> FitLinearHead(const RowMatrixXf& features,
                                                       const RowMatrixXf& targets,
                                                       const Eigen::VectorXf& weights,
                                                       double lambda) {
  const Eigen::Index n = features.rows();
  if (n == 0) return absl::InvalidArgumentError("no rows to fit the semantic head on");
  if (targets.rows() != n || targets.cols() != 3 || weights.size() != n) {
    return absl::InvalidArgumentError(absl::StrCat(
        "features have ", n, " rows but targets are ", targets.rows(), "x", targets.cols(),
        " and weights have ", weights.size(), " entries; expected ", n, "x3 and ", n));
  }
  if (!(lambda > 0) || !std::isfinite(lambda)) {
    return absl::InvalidArgumentError(absl::StrCat("ridge lambda must be positive, got ", lambda));
  }
  RETURN_IF_ERROR(CheckFinite(features, "features"));
  RETURN_IF_ERROR(CheckFinite(targets, "targets"));
  if (!weights.allFinite() || (weights.array() < 0).any() || weights.sum() <= 0) {
    return absl::InvalidArgumentError("weights must be finite, non-negative and not all zero");
  }

  const Eigen::MatrixXd x = features.cast<double>();
  const Eigen::MatrixXd y = targets.cast<double>();
  const Eigen::VectorXd w = weights.cast<double>() / weights.cast<double>().sum();

  // Centring on the weighted means leaves the intercept out of the penalty.
  const Eigen::RowVectorXd x_mean = w.transpose() * x;
  const Eigen::RowVectorXd y_mean = w.transpose() * y;
  const Eigen::MatrixXd xc = x.rowwise() - x_mean;
  const Eigen::MatrixXd yc = y.rowwise() - y_mean;

  Eigen::MatrixXd gram = xc.transpose() * w.asDiagonal() * xc;
  const double penalty = lambda * std::max(gram.diagonal().mean(), 1e-12);
  gram.diagonal().array() += penalty;
  const Eigen::MatrixXd coefficients = gram.ldlt().solve(xc.transpose() * w.asDiagonal() * yc);
  if (!coefficients.allFinite()) {
    return absl::InvalidArgumentError("ridge regression gave a non-finite solution");
  }

  projection::SemanticHead head;
  head.output_weight = coefficients.transpose().cast<float>();
  head.output_bias = (y_mean - x_mean * coefficients).transpose().cast<float>();
  return head;
}

colour::OkLab NeutralTarget(const std::vector<ColourName>& names) {
  double lightness = 0;
  for (const ColourName& name : names) lightness += name.oklab.l;
  if (names.empty()) return {0.6, 0, 0};
  return {lightness / static_cast<double>(names.size()), 0, 0};
}

absl::StatusOr<projection::Basis> FitBasisOnTexts(const model::Model& model,
                                                  const std::vector<std::string>& corpus,
                                                  const std::vector<ColourName>& names,
                                                  double low_percentile, double high_percentile) {
  std::vector<std::string> texts = corpus;
  for (const ColourName& name : names) texts.push_back(name.name);
  ASSIGN_OR_RETURN(std::vector<RowMatrixXf> states, EncodeTexts(model, texts));
  return projection::Basis::Fit(StackRows(states, model.config().dim), low_percentile,
                                high_percentile);
}

absl::StatusOr<HeadCalibration> CalibrateHead(const model::Model& model,
                                              projection::SemanticHead& head,
                                              const std::vector<ColourName>& names) {
  if (names.empty()) return absl::InvalidArgumentError("no names to calibrate the head on");
  ASSIGN_OR_RETURN(std::vector<colour::OkLab> raw,
                   PredictTextColours(model, head, NamesOf(names)));
  std::vector<colour::Lab> truths;
  for (const ColourName& name : names) truths.push_back(colour::Rgb8ToLab(name.rgb));

  HeadCalibration calibration;
  for (const colour::OkLab& c : raw) calibration.lightness_centre += c.l;
  calibration.lightness_centre /= static_cast<double>(raw.size());

  auto mean_difference = [&](double lightness_gain, double chroma_gain) {
    double total = 0;
    for (size_t i = 0; i < raw.size(); ++i) {
      const colour::OkLab adjusted = {
          calibration.lightness_centre + lightness_gain * (raw[i].l - calibration.lightness_centre),
          chroma_gain * raw[i].a, chroma_gain * raw[i].b};
      total += colour::Ciede2000(colour::Rgb8ToLab(colour::OkLabToRgb8(adjusted)), truths[i]);
    }
    return total / static_cast<double>(raw.size());
  };

  calibration.mean_ciede2000_before = mean_difference(1.0, 1.0);
  calibration.mean_ciede2000_after = calibration.mean_ciede2000_before;
  for (int l = 0; l <= 10; ++l) {
    for (int c = 0; c <= 20; ++c) {
      const double lightness_gain = 1.0 + 0.05 * l;
      const double chroma_gain = 1.0 + 0.05 * c;
      const double score = mean_difference(lightness_gain, chroma_gain);
      if (score < calibration.mean_ciede2000_after) {
        calibration.mean_ciede2000_after = score;
        calibration.lightness_gain = lightness_gain;
        calibration.chroma_gain = chroma_gain;
      }
    }
  }

  const float centre = static_cast<float>(calibration.lightness_centre);
  const float lightness_gain = static_cast<float>(calibration.lightness_gain);
  const float chroma_gain = static_cast<float>(calibration.chroma_gain);
  head.output_weight.row(0) *= lightness_gain;
  head.output_bias(0) = centre + lightness_gain * (head.output_bias(0) - centre);
  head.output_weight.bottomRows(2) *= chroma_gain;
  head.output_bias.tail(2) *= chroma_gain;
  return calibration;
}

absl::StatusOr<FitSummary> FitProjections(const FitOptions& options) {
  if (!(options.neutral_weight >= 0)) {
    return absl::InvalidArgumentError("neutral_weight must not be negative");
  }
  if (options.max_names < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_names must not be negative (0 uses every name), got ", options.max_names));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<model::Model> model, model::Model::Load(options.model_directory));
  ASSIGN_OR_RETURN(std::vector<std::string> corpus, LoadCorpus(options.corpus_path));
  ASSIGN_OR_RETURN(std::vector<ColourName> names, LoadColourNames(options.names_path));
  if (!options.held_out_path.empty()) {
    ASSIGN_OR_RETURN(std::vector<ColourName> held_out, LoadColourNames(options.held_out_path));
    names = RemoveHeldOut(names, held_out);
  }
  if (options.max_names > 0 && static_cast<int64_t>(names.size()) > options.max_names) {
    names.resize(static_cast<size_t>(options.max_names));
  }
  if (names.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no training colour names left in ",
                                                   options.names_path,
                                                   " after removing the held-out names"));
  }

  const int64_t dim = model->config().dim;
  ASSIGN_OR_RETURN(std::vector<RowMatrixXf> name_states, EncodeTexts(*model, NamesOf(names)));
  ASSIGN_OR_RETURN(std::vector<RowMatrixXf> corpus_states, EncodeTexts(*model, corpus));
  const RowMatrixXf corpus_rows = StackRows(corpus_states, dim);

  // Rows: one mean token state per name (a linear head maps the mean of the
  // states to the mean of the colours), then one row per corpus token.
  const Eigen::Index name_count = static_cast<Eigen::Index>(names.size());
  const Eigen::Index rows = name_count + corpus_rows.rows();
  RowMatrixXf features(rows, dim);
  RowMatrixXf targets(rows, 3);
  Eigen::VectorXf weights(rows);
  for (Eigen::Index i = 0; i < name_count; ++i) {
    const RowMatrixXf& states = name_states[static_cast<size_t>(i)];
    features.row(i) = states.rows() > 0 ? RowMatrixXf(states.colwise().mean())
                                        : RowMatrixXf::Zero(1, dim);
    const colour::OkLab& target = names[static_cast<size_t>(i)].oklab;
    targets.row(i) << static_cast<float>(target.l), static_cast<float>(target.a),
        static_cast<float>(target.b);
    weights(i) = states.rows() > 0 ? 1.0f : 0.0f;
  }
  const colour::OkLab neutral = NeutralTarget(names);
  const float corpus_weight =
      corpus_rows.rows() > 0 ? static_cast<float>(options.neutral_weight * static_cast<double>(name_count) /
                                                   static_cast<double>(corpus_rows.rows()))
                             : 0.0f;
  features.bottomRows(corpus_rows.rows()) = corpus_rows;
  for (Eigen::Index i = name_count; i < rows; ++i) {
    targets.row(i) << static_cast<float>(neutral.l), 0.0f, 0.0f;
    weights(i) = corpus_weight;
  }

  ASSIGN_OR_RETURN(projection::SemanticHead head,
                   FitLinearHead(features, targets, weights, options.ridge_lambda));
  ASSIGN_OR_RETURN(projection::Basis basis,
                   FitBasisOnTexts(*model, corpus, names, options.low_percentile,
                                   options.high_percentile));

  ASSIGN_OR_RETURN(projection::Projections projections,
                   projection::LoadProjections(options.model_directory, dim));
  projections.basis = std::move(basis);
  projections.semantic = head;
  // An empty "name" in the manifest is invalid; use the model's own name,
  // which is the directory's base name when no manifest existed.
  if (projections.name.empty()) projections.name = model->name();
  std::vector<std::pair<std::string, std::string>> provenance;
  for (auto& entry : projections.provenance) {
    if (!entry.first.starts_with("basis.") && !entry.first.starts_with("semantic.")) {
      provenance.push_back(std::move(entry));
    }
  }
  auto file_name = [](const std::string& path) {
    return std::filesystem::path(path).filename().string();
  };
  provenance.emplace_back("basis.corpus", absl::StrCat(file_name(options.corpus_path), " and ",
                                                       names.size(), " colour names"));
  provenance.emplace_back("semantic.trained_on",
                          absl::StrCat(names.size(), " colour names from ",
                                       file_name(options.names_path),
                                       ", linear ridge head on a frozen encoder"));
  projections.provenance = std::move(provenance);
  RETURN_IF_ERROR(projection::SaveProjections(options.model_directory, projections));

  FitSummary summary;
  summary.names = name_count;
  summary.corpus_tokens = corpus_rows.rows();
  double total = 0;
  for (Eigen::Index i = 0; i < name_count; ++i) {
    const std::vector<colour::OkLab> fitted = head.Apply(features.row(i));
    const colour::Rgb8 shown = colour::OkLabToRgb8(fitted[0]);
    total += colour::Ciede2000(colour::Rgb8ToLab(shown),
                               colour::Rgb8ToLab(names[static_cast<size_t>(i)].rgb));
  }
  summary.training_mean_ciede2000 = total / static_cast<double>(name_count);
  return summary;
}

}  // namespace synesthesia::training
