// --help and --version for the training programs' Abseil flags.
#ifndef SYNESTHESIA_MODELS_TRAINING_FLAGS_HELP_H_
#define SYNESTHESIA_MODELS_TRAINING_FLAGS_HELP_H_

#include <string>

#include "absl/flags/usage_config.h"
#include "absl/strings/match.h"
#include "absl/strings/string_view.h"

namespace synesthesia::training {

// Makes --help list the flags defined in MAIN_FILE ("train_main.cc"), and
// --version print VERSION_LINE ("synesthesia-train 0.1.0"). Abseil's
// defaults look for flags in a file named after the binary, which lists
// none here, and print Abseil's own build mode as the version.
inline void ConfigureFlagsHelp(const char* main_file, const std::string& version_line) {
  absl::FlagsUsageConfig usage;
  const std::string file = std::string("models/training/") + main_file;
  usage.contains_help_flags = [file](absl::string_view path) { return absl::EndsWith(path, file); };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  usage.normalize_filename = [file](absl::string_view path) {
    return absl::EndsWith(path, file) ? file : std::string(path);
  };
  const std::string version = version_line + "\n";
  usage.version_string = [version] { return version; };
  absl::SetFlagsUsageConfig(usage);
}

}  // namespace synesthesia::training

#endif  // SYNESTHESIA_MODELS_TRAINING_FLAGS_HELP_H_
