// Fitting Synesthesia's projections on a frozen encoder: the basis on a text
// corpus and a linear semantic head on colour names.
#ifndef SYNESTHESIA_MODELS_TRAINING_FIT_H_
#define SYNESTHESIA_MODELS_TRAINING_FIT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/model/model.h"
#include "core/projection/projection.h"
#include "core/util/matrix.h"
#include "models/training/colour_names.h"

namespace synesthesia::training {

// Solves weighted ridge regression from FEATURES [n, dim] to TARGETS [n, 3]
// (OKLab) with per-row WEIGHTS [n] and an unpenalised intercept, and returns
// it as a linear semantic head. The penalty is LAMBDA times the mean diagonal
// of the weighted, centred Gram matrix, so the same LAMBDA suits features of
// any scale. INVALID_ARGUMENT for mismatched shapes, no rows, a negative
// weight, a zero total weight, a LAMBDA <= 0 or a non-finite value.
absl::StatusOr<projection::SemanticHead> FitLinearHead(const RowMatrixXf& features,
                                                       const RowMatrixXf& targets,
                                                       const Eigen::VectorXf& weights,
                                                       double lambda);

// The grey that tokens without a colour association are trained towards:
// chroma 0 at the mean OKLab lightness of NAMES (0.6 for none).
colour::OkLab NeutralTarget(const std::vector<ColourName>& names);

// Fits a Basis (robust percentiles LOW_PERCENTILE..HIGH_PERCENTILE) on the
// hidden states of every token of CORPUS and NAMES under MODEL.
absl::StatusOr<projection::Basis> FitBasisOnTexts(const model::Model& model,
                                                  const std::vector<std::string>& corpus,
                                                  const std::vector<ColourName>& names,
                                                  double low_percentile, double high_percentile);

// A correction of a semantic head's output for the shrinkage of regression:
// a head trained on noisy targets predicts colours greyer and closer to the
// mean lightness than the names it sees later. With L0 the centre,
//   L' = L0 + lightness_gain * (L - L0),  a' = chroma_gain * a,  b' = chroma_gain * b.
struct HeadCalibration {
  double lightness_centre = 0;
  double lightness_gain = 1;
  double chroma_gain = 1;
  // Mean CIEDE2000 on the calibration names before and after.
  double mean_ciede2000_before = 0;
  double mean_ciede2000_after = 0;
};

// Chooses the gains (lightness 1 to 1.5, chroma 1 to 2, in steps of 0.05)
// that minimise the mean CIEDE2000 of NAMES as the pipeline shows them,
// with the centre at the mean predicted lightness, and folds them into
// HEAD's output layer. NAMES must be names the head was not trained on.
// INVALID_ARGUMENT for no names; the encoder's errors otherwise.
absl::StatusOr<HeadCalibration> CalibrateHead(const model::Model& model,
                                              projection::SemanticHead& head,
                                              const std::vector<ColourName>& names);

struct FitOptions {
  // The model directory whose projections are fitted and written. Required.
  std::string model_directory;
  // Ordinary sentences, one per line: the basis corpus, and neutral examples
  // for the head. Required.
  std::string corpus_path;
  // Training colour names, CSV "name,hex". Required.
  std::string names_path;
  // Names removed from training (the held-out test set), CSV "name,hex".
  // Default: none.
  std::string held_out_path;
  // Uses only the first MAX_NAMES training names; 0 uses all. Default: 0.
  int64_t max_names = 0;
  // Relative ridge penalty of FitLinearHead. Default: 1e-3.
  double ridge_lambda = 1e-3;
  // Total weight of the corpus's tokens (each a neutral-grey example) as a
  // share of the names' total weight. Default: 0.25.
  double neutral_weight = 0.25;
  // Basis channel range, in percent. Defaults: 1 and 99.
  double low_percentile = 1.0;
  double high_percentile = 99.0;
};

// What FitProjections did, for the log.
struct FitSummary {
  int64_t names = 0;
  int64_t corpus_tokens = 0;
  // Mean CIEDE2000 between fitted and true colours on the training names.
  double training_mean_ciede2000 = 0;
};

// Loads the model at options.model_directory, fits the basis on the corpus
// and colour names and a linear semantic head (each name's mean token state
// regressed on its OKLab colour, each corpus token on NeutralTarget), and
// writes both with SaveProjections, keeping the manifest's name. Fails with
// the loader's status or INVALID_ARGUMENT for unusable data.
absl::StatusOr<FitSummary> FitProjections(const FitOptions& options);

}  // namespace synesthesia::training

#endif  // SYNESTHESIA_MODELS_TRAINING_FIT_H_
