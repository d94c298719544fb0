// Scoring a model's semantic colours on held-out colour names (the XKCD
// survey list): CIEDE2000 against the true colours and basic-category hits,
// next to a constant mean-colour baseline.
#ifndef SYNESTHESIA_MODELS_TRAINING_EVALUATION_H_
#define SYNESTHESIA_MODELS_TRAINING_EVALUATION_H_

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/colour/colour.h"
#include "models/training/colour_names.h"

namespace synesthesia::training {

// The 11 basic colour terms (Berlin and Kay), named as in the XKCD list.
inline constexpr std::array<std::string_view, 11> kBasicColourTerms = {
    "red", "orange", "yellow", "green", "blue", "purple",
    "pink", "brown", "black", "white", "grey"};

// The basic terms' colours, looked up by name in a held-out list.
struct BasicCategories {
  std::array<colour::Lab, kBasicColourTerms.size()> lab;

  // INVALID_ARGUMENT naming the first basic term that NAMES lacks.
  static absl::StatusOr<BasicCategories> FromNames(const std::vector<ColourName>& names);

  // Index into kBasicColourTerms of the term nearest to COLOUR by
  // CIEDE2000 (the first on a tie).
  size_t Nearest(const colour::Rgb8& colour) const;
};

struct Scores {
  double mean_ciede2000 = 0;
  double median_ciede2000 = 0;
  // Share of names whose predicted colour falls in the category of their
  // true colour, in [0, 1].
  double category_accuracy = 0;
};

// How one basic colour word itself is coloured.
struct BasicWordResult {
  std::string word;
  colour::Rgb8 predicted;
  std::string predicted_category;
};

// One held-out name, its true colour and the colour the model shows for it.
struct NameResult {
  std::string name;
  colour::Rgb8 truth;
  colour::Rgb8 predicted;
  double ciede2000 = 0;
};

struct EvaluationReport {
  std::string model_name;
  std::string model_directory;
  int64_t names = 0;
  Scores model;
  // Every name predicted as the mean OKLab colour of the held-out names.
  Scores baseline;
  colour::Rgb8 baseline_colour;
  std::vector<BasicWordResult> basic_words;
  // Every held-out name, in the order of the list.
  std::vector<NameResult> per_name;

  // True when every basic word lands in its own category.
  bool AllBasicWordsInOwnCategory() const;
};

// Scores PREDICTED (the colours shown for each name) against the true
// colours of NAMES. Precondition: equal sizes, at least one name.
Scores ScoreColours(const std::vector<colour::Rgb8>& predicted,
                    const std::vector<ColourName>& names, const BasicCategories& categories);

// Loads the model at MODEL_DIRECTORY and scores its semantic colours on
// HELD_OUT. A name's colour is the OKLab mean of its tokens' semantic
// colours, gamut-mapped to 8-bit sRGB, as the colouring pipeline shows a
// word. FAILED_PRECONDITION when the model has no semantic head,
// INVALID_ARGUMENT when HELD_OUT is empty or lacks a basic term.
absl::StatusOr<EvaluationReport> Evaluate(const std::string& model_directory,
                                          const std::vector<ColourName>& held_out);

// The report as aligned text, model and baseline side by side.
std::string FormatReportText(const EvaluationReport& report);
// The report as a JSON object (two-space indented, with a final newline).
std::string FormatReportJson(const EvaluationReport& report);
// Every name of the report as CSV (name,truth,predicted,ciede2000), worst
// first, for looking at where a model goes wrong.
std::string FormatPerNameCsv(const EvaluationReport& report);

}  // namespace synesthesia::training

#endif  // SYNESTHESIA_MODELS_TRAINING_EVALUATION_H_
