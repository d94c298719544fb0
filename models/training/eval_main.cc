// synesthesia-eval: scores a model's semantic colours on the held-out XKCD
// colour names, next to a constant mean-colour baseline.
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "glog/logging.h"
#include "models/training/colour_names.h"
#include "models/training/evaluation.h"

ABSL_FLAG(std::string, model, "", "the model directory to evaluate");
ABSL_FLAG(std::string, held_out, SYNESTHESIA_SOURCE_DIR "/models/data/xkcd.csv",
          "held-out colour names, CSV with the header name,hex; must contain the 11 basic terms");
ABSL_FLAG(bool, json, false, "print the report as JSON instead of text");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "scores a model's semantic colours on held-out colour names.\n"
      "  synesthesia-eval --model DIR [--held_out CSV] [--json]");
  std::vector<char*> arguments = absl::ParseCommandLine(argc, argv);
  google::InitGoogleLogging(argv[0]);
  FLAGS_logtostderr = true;
  const std::string model = absl::GetFlag(FLAGS_model);
  if (arguments.size() != 1 || model.empty()) {
    std::cerr << absl::ProgramUsageMessage() << "\n";
    return 2;
  }

  absl::StatusOr<std::vector<synesthesia::training::ColourName>> held_out =
      synesthesia::training::LoadColourNames(absl::GetFlag(FLAGS_held_out));
  if (!held_out.ok()) {
    LOG(ERROR) << "loading the held-out names failed: " << held_out.status();
    return 1;
  }
  absl::StatusOr<synesthesia::training::EvaluationReport> report =
      synesthesia::training::Evaluate(model, *held_out);
  if (!report.ok()) {
    LOG(ERROR) << "evaluating " << model << " failed: " << report.status();
    return 1;
  }
  std::cout << (absl::GetFlag(FLAGS_json) ? synesthesia::training::FormatReportJson(*report)
                                          : synesthesia::training::FormatReportText(*report));
  return 0;
}
