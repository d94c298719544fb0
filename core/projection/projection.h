// Projections from token hidden states to colours.
//
// - pca: the seed notebook's method, per request. See PcaColours.
// - basis: a fixed three-axis basis with fixed channel ranges fitted once on
//   a corpus, so a token's colour depends only on its own hidden state.
// - semantic: a learned head from hidden state to OKLab, trained on colour
//   names, so that "banana" comes out yellow.
//
// Hidden states arrive as a RowMatrixXf with one row per token. Every
// function here is pure or const, and thread-safe.
#ifndef SYNESTHESIA_CORE_PROJECTION_PROJECTION_H_
#define SYNESTHESIA_CORE_PROJECTION_PROJECTION_H_

#include <array>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/colour/colour.h"
#include "core/util/matrix.h"

namespace synesthesia::projection {

enum class Kind { kPca, kBasis, kSemantic };

// "pca", "basis" or "semantic".
std::string_view KindName(Kind kind);
// Parses a name from KindName; INVALID_ARGUMENT naming NAME and the choices.
absl::StatusOr<Kind> ParseKind(std::string_view name);

// The notebook's colours: centre HIDDEN (rows are the real tokens, [CLS] and
// [SEP] already dropped), take the top three principal components by an
// exact eigendecomposition in double precision, flip each component's sign so
// that its largest-magnitude loading is positive, project, and scale each
// channel min-max to 0..255 with floor (the maximum maps to 255). A channel
// with zero range (one token, identical tokens, or fewer than four tokens
// leaving a component undefined) is 0 for every token. A component counts as
// undefined when its eigenvalue is at most 1e-10 times the largest. Never NaN:
// HIDDEN with a NaN or infinite value gives black for every token, and no
// rows give no colours.
//
// Two tokens give one component: the token on its positive side gets red
// 255 and the other red 0, with green and blue 0.
std::vector<colour::Rgb8> PcaColours(const RowMatrixXf& hidden);

// PcaColours for HIDDEN, plus colours for the rows of OTHERS (for example
// [CLS] and [SEP]) from the components and channel ranges fitted to HIDDEN,
// clamped to 0..255. OTHERS never change the colours of HIDDEN. Rows of
// OTHERS that are not finite or of another width are black.
struct PcaResult {
  std::vector<colour::Rgb8> colours;
  std::vector<colour::Rgb8> others;
};
PcaResult PcaColoursWithOthers(const RowMatrixXf& hidden, const RowMatrixXf& others);

// A fixed projection: colour channel k of a token with hidden state x is
// floor(255 * clamp((axes[k] . (x - mean) - low[k]) / (high[k] - low[k]), 0, 1)).
struct Basis {
  Eigen::VectorXf mean;  // [dim]
  RowMatrixXf axes;      // [3, dim], orthonormal rows
  std::array<float, 3> low{};
  std::array<float, 3> high{};

  // Fits the basis to CORPUS (one row per token of a text corpus): the mean,
  // the top three principal axes with the sign rule of PcaColours, and per
  // channel the LOW_PERCENTILE and HIGH_PERCENTILE of the projections (robust
  // to outliers, unlike min/max), interpolated linearly between ranks as
  // numpy.percentile does. INVALID_ARGUMENT when the corpus has fewer than 4
  // rows, contains NaN or infinity, spans fewer than three dimensions, or
  // leaves a channel with high == low, or when the percentiles are not
  // 0 <= low < high <= 100.
  static absl::StatusOr<Basis> Fit(const RowMatrixXf& corpus, double low_percentile = 1.0,
                                   double high_percentile = 99.0);

  int64_t dim() const { return mean.size(); }
  // One colour per row of HIDDEN, which must have dim() columns (checked).
  // A row with NaN or infinity, or a channel with high <= low, gives 0.
  std::vector<colour::Rgb8> Apply(const RowMatrixXf& hidden) const;
};

// A learned map from a hidden state to an OKLab colour:
//   h = gelu(hidden_weight x + hidden_bias)   when the hidden layer exists
//   oklab = output_weight h + output_bias     (h = x without it)
struct SemanticHead {
  RowMatrixXf hidden_weight;     // [H, dim], or empty for a linear head
  Eigen::VectorXf hidden_bias;   // [H], or empty
  RowMatrixXf output_weight;     // [3, H] or [3, dim]
  Eigen::VectorXf output_bias;   // [3]

  // The input width: hidden_weight's columns, or output_weight's without a
  // hidden layer.
  int64_t dim() const;
  // OKLab per row of HIDDEN, before gamut mapping. HIDDEN must have dim()
  // columns and the shapes above must agree (checked). GELU is the exact
  // x * Phi(x), as in PyTorch's default, computed in float.
  std::vector<colour::OkLab> Apply(const RowMatrixXf& hidden) const;
};

// SemanticHead prepared for serving: its weights laid out once for
// products that run on the widest vector instructions of the CPU
// (semantic_kernels.h). Colours match SemanticHead::Apply to float
// rounding, with an approximate erf in GELU. A 768-wide head took 31 µs for
// 16 tokens, against 107 µs for the Eigen products of SemanticHead::Apply,
// which the default build compiles for SSE2 only. Thread-safe.
class PreparedSemanticHead {
 public:
  explicit PreparedSemanticHead(const SemanticHead& head);

  int64_t dim() const { return dim_; }
  // OKLab per row of HIDDEN, which must have dim() columns (checked).
  std::vector<colour::OkLab> Apply(const RowMatrixXf& hidden) const;

 private:
  int64_t dim_ = 0;
  int64_t hidden_size_ = 0;                // 0 when the head has no hidden layer
  std::vector<float> hidden_weight_t_;     // [dim, hidden_size]
  std::vector<float> hidden_bias_;         // [hidden_size]
  std::vector<float> output_weight_;       // [3, hidden_size or dim]
  std::array<float, 3> output_bias_{};
};

// Synesthesia's additions to a model directory.
struct Projections {
  std::optional<Basis> basis;
  std::optional<SemanticHead> semantic;
  // The manifest's "name" (empty when absent) and free-form provenance
  // strings ("basis.corpus", "semantic.trained_on", ...).
  std::string name;
  std::vector<std::pair<std::string, std::string>> provenance;

  bool Has(Kind kind) const;
};

// Loads the additions of the model directory DIRECTORY: synesthesia.json (the
// manifest) and the safetensors files it names. A directory without
// synesthesia.json gives empty Projections (pca only). Fails with
// INVALID_ARGUMENT naming the file and tensor when the manifest is malformed
// or a tensor is missing, misshapen, not finite or of a width other than DIM.
// A missing DIRECTORY or a missing file that the manifest names is NOT_FOUND. Provenance comes back in manifest order: top-level entries
// first, then "basis.*", then "semantic.*".
absl::StatusOr<Projections> LoadProjections(const std::string& directory, int64_t dim);

// Writes PROJECTIONS into DIRECTORY (created if missing): synesthesia.json,
// basis.safetensors and semantic.safetensors (only those present), each
// replaced atomically. A projection file left from an earlier save is removed
// when its projection is absent. Fails with INVALID_ARGUMENT for shapes that
// do not fit together or a provenance key that is empty, repeated or taken by
// the manifest itself ("name", "basis.file", ...), and with the OS error for
// I/O failures.
absl::Status SaveProjections(const std::string& directory, const Projections& projections);

}  // namespace synesthesia::projection

#endif  // SYNESTHESIA_CORE_PROJECTION_PROJECTION_H_
