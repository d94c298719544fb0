// synesthesia-eval: scores a model's semantic colours on the held-out XKCD
// colour names, next to a constant mean-colour baseline.
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "glog/logging.h"
#include "models/training/colour_names.h"
#include "models/training/evaluation.h"
#include "models/training/flags_help.h"

ABSL_FLAG(std::string, model, "", "the model directory to evaluate");
ABSL_FLAG(std::string, held_out, SYNESTHESIA_SOURCE_DIR "/models/data/xkcd.csv",
          "held-out colour names, CSV with the header name,hex; must contain the 11 basic terms");
ABSL_FLAG(bool, json, false, "print the report as JSON instead of text");
ABSL_FLAG(std::string, per_name_csv, "",
          "also write every held-out name with its true and predicted colour and their "
          "CIEDE2000 to this CSV file, worst first");

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "scores a model's semantic colours on held-out colour names.\n"
      "  synesthesia-eval --model DIR [--held_out CSV] [--json] [--per_name_csv FILE]");
  synesthesia::training::ConfigureFlagsHelp("eval_main.cc", "synesthesia-eval " SYNESTHESIA_VERSION);
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
  const std::string per_name_csv = absl::GetFlag(FLAGS_per_name_csv);
  if (!per_name_csv.empty()) {
    std::ofstream out(per_name_csv, std::ios::binary | std::ios::trunc);
    out << synesthesia::training::FormatPerNameCsv(*report);
    out.close();
    if (!out) {
      LOG(ERROR) << "writing " << per_name_csv
                 << " failed; check that its folder exists and is writable";
      return 1;
    }
  }
  std::cout << (absl::GetFlag(FLAGS_json) ? synesthesia::training::FormatReportJson(*report)
                                          : synesthesia::training::FormatReportText(*report));
  return 0;
}
