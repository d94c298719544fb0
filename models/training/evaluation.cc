#include "models/training/evaluation.h"

#include <algorithm>
#include <memory>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_replace.h"
#include "core/model/model.h"
#include "core/projection/projection.h"
#include "core/util/status_macros.h"
#include "models/training/name_colours.h"
#include "nlohmann/json.hpp"

namespace synesthesia::training {
namespace {

double Median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t middle = values.size() / 2;
  return values.size() % 2 == 1 ? values[middle] : 0.5 * (values[middle - 1] + values[middle]);
}

nlohmann::json ScoresJson(const Scores& scores) {
  return {{"mean_ciede2000", scores.mean_ciede2000},
          {"median_ciede2000", scores.median_ciede2000},
          {"category_accuracy", scores.category_accuracy}};
}

}  // namespace

absl::StatusOr<BasicCategories> BasicCategories::FromNames(const std::vector<ColourName>& names) {
  BasicCategories categories;
  for (size_t i = 0; i < kBasicColourTerms.size(); ++i) {
    auto found = std::find_if(names.begin(), names.end(), [&](const ColourName& name) {
      return NormaliseName(name.name) == kBasicColourTerms[i];
    });
    if (found == names.end()) {
      return absl::InvalidArgumentError(absl::StrCat(
          "the held-out names lack the basic colour term '", std::string(kBasicColourTerms[i]), "'"));
    }
    categories.lab[i] = colour::Rgb8ToLab(found->rgb);
  }
  return categories;
}

size_t BasicCategories::Nearest(const colour::Rgb8& colour) const {
  const colour::Lab lab = colour::Rgb8ToLab(colour);
  size_t best = 0;
  double best_distance = colour::Ciede2000(lab, this->lab[0]);
  for (size_t i = 1; i < this->lab.size(); ++i) {
    const double distance = colour::Ciede2000(lab, this->lab[i]);
    if (distance < best_distance) {
      best = i;
      best_distance = distance;
    }
  }
  return best;
}

bool EvaluationReport::AllBasicWordsInOwnCategory() const {
  if (basic_words.empty()) return false;
  return std::all_of(basic_words.begin(), basic_words.end(), [](const BasicWordResult& result) {
    return result.word == result.predicted_category;
  });
}

Scores ScoreColours(const std::vector<colour::Rgb8>& predicted,
                    const std::vector<ColourName>& names, const BasicCategories& categories) {
  std::vector<double> distances;
  distances.reserve(names.size());
  int64_t hits = 0;
  for (size_t i = 0; i < names.size(); ++i) {
    distances.push_back(
        colour::Ciede2000(colour::Rgb8ToLab(predicted[i]), colour::Rgb8ToLab(names[i].rgb)));
    if (categories.Nearest(predicted[i]) == categories.Nearest(names[i].rgb)) ++hits;
  }

  Scores scores;
  double total = 0;
  for (double distance : distances) total += distance;
  scores.mean_ciede2000 = total / static_cast<double>(distances.size());
  scores.median_ciede2000 = Median(distances);
  scores.category_accuracy = static_cast<double>(hits) / static_cast<double>(names.size());
  return scores;
}

absl::StatusOr<EvaluationReport> Evaluate(const std::string& model_directory,
                                          const std::vector<ColourName>& held_out) {
  if (held_out.empty()) return absl::InvalidArgumentError("no held-out names to evaluate on");
  ASSIGN_OR_RETURN(BasicCategories categories, BasicCategories::FromNames(held_out));
  ASSIGN_OR_RETURN(std::unique_ptr<model::Model> model, model::Model::Load(model_directory));
  ASSIGN_OR_RETURN(projection::Projections projections,
                   projection::LoadProjections(model_directory, model->config().dim));
  if (!projections.semantic) {
    return absl::FailedPreconditionError(
        absl::StrCat("model ", model_directory,
                     " has no semantic head; fit one with synesthesia-train fit"));
  }

  std::vector<std::string> texts;
  for (const ColourName& name : held_out) texts.push_back(name.name);
  ASSIGN_OR_RETURN(std::vector<colour::OkLab> oklab,
                   PredictTextColours(*model, *projections.semantic, texts));

  EvaluationReport report;
  report.model_name = model->name();
  report.model_directory = model_directory;
  report.names = static_cast<int64_t>(held_out.size());

  std::vector<colour::Rgb8> predicted;
  for (const colour::OkLab& c : oklab) predicted.push_back(colour::OkLabToRgb8(c));
  report.model = ScoreColours(predicted, held_out, categories);
  for (size_t i = 0; i < held_out.size(); ++i) {
    report.per_name.push_back(
        {held_out[i].name, held_out[i].rgb, predicted[i],
         colour::Ciede2000(colour::Rgb8ToLab(predicted[i]), colour::Rgb8ToLab(held_out[i].rgb))});
  }

  std::vector<colour::OkLab> truths;
  for (const ColourName& name : held_out) truths.push_back(name.oklab);
  report.baseline_colour = colour::OkLabToRgb8(MeanOkLab(truths));
  report.baseline = ScoreColours(std::vector<colour::Rgb8>(held_out.size(), report.baseline_colour),
                                 held_out, categories);

  std::vector<std::string> words(kBasicColourTerms.begin(), kBasicColourTerms.end());
  ASSIGN_OR_RETURN(std::vector<colour::OkLab> word_colours,
                   PredictTextColours(*model, *projections.semantic, words));
  for (size_t i = 0; i < words.size(); ++i) {
    const colour::Rgb8 shown = colour::OkLabToRgb8(word_colours[i]);
    report.basic_words.push_back(
        {words[i], shown, std::string(kBasicColourTerms[categories.Nearest(shown)])});
  }
  return report;
}

std::string FormatReportText(const EvaluationReport& report) {
  std::string text = absl::StrCat("model: ", report.model_name, " (", report.model_directory,
                                  ")\nheld-out names: ", report.names, "\n\n");
  absl::StrAppendFormat(&text, "%-24s %10s %10s\n", "", "model",
                        absl::StrCat("baseline ", colour::ToHex(report.baseline_colour)));
  absl::StrAppendFormat(&text, "%-24s %10.2f %10.2f\n", "mean CIEDE2000",
                        report.model.mean_ciede2000, report.baseline.mean_ciede2000);
  absl::StrAppendFormat(&text, "%-24s %10.2f %10.2f\n", "median CIEDE2000",
                        report.model.median_ciede2000, report.baseline.median_ciede2000);
  absl::StrAppendFormat(&text, "%-24s %9.1f%% %9.1f%%\n", "basic category accuracy",
                        100 * report.model.category_accuracy,
                        100 * report.baseline.category_accuracy);
  absl::StrAppend(&text, "\nbasic colour words:\n");
  for (const BasicWordResult& word : report.basic_words) {
    absl::StrAppendFormat(&text, "  %-8s %s  %-8s %s\n", word.word, colour::ToHex(word.predicted),
                          word.predicted_category, word.word == word.predicted_category ? "ok" : "WRONG");
  }
  absl::StrAppend(&text, "all basic words in their own category: ",
                  report.AllBasicWordsInOwnCategory() ? "yes" : "no", "\n");
  return text;
}

std::string FormatReportJson(const EvaluationReport& report) {
  nlohmann::json words = nlohmann::json::array();
  for (const BasicWordResult& word : report.basic_words) {
    words.push_back({{"word", word.word},
                     {"predicted", colour::ToHex(word.predicted)},
                     {"predicted_category", word.predicted_category}});
  }
  const nlohmann::json root = {
      {"model", report.model_name},
      {"model_directory", report.model_directory},
      {"names", report.names},
      {"model_scores", ScoresJson(report.model)},
      {"baseline_scores", ScoresJson(report.baseline)},
      {"baseline_colour", colour::ToHex(report.baseline_colour)},
      {"basic_words", words},
      {"all_basic_words_in_own_category", report.AllBasicWordsInOwnCategory()},
  };
  return root.dump(2) + "\n";
}

std::string FormatPerNameCsv(const EvaluationReport& report) {
  std::vector<const NameResult*> order;
  for (const NameResult& result : report.per_name) order.push_back(&result);
  std::stable_sort(order.begin(), order.end(), [](const NameResult* a, const NameResult* b) {
    return a->ciede2000 > b->ciede2000;
  });
  std::string csv = "name,truth,predicted,ciede2000\n";
  for (const NameResult* result : order) {
    // Held-out names may contain commas or quotes; CSV quotes them.
    std::string name = result->name;
    if (name.find_first_of(",\"\n") != std::string::npos) {
      name = absl::StrCat("\"", absl::StrReplaceAll(name, {{"\"", "\"\""}}), "\"");
    }
    absl::StrAppendFormat(&csv, "%s,%s,%s,%.2f\n", name, colour::ToHex(result->truth),
                          colour::ToHex(result->predicted), result->ciede2000);
  }
  return csv;
}

}  // namespace synesthesia::training
