// Command-line parsing for the synesthesia subcommands. Each subcommand
// declares its options; Abseil flags are process-global and cannot give each
// subcommand its own set and its own --help.
#ifndef SYNESTHESIA_CLIENT_CLI_ARGUMENTS_H_
#define SYNESTHESIA_CLIENT_CLI_ARGUMENTS_H_

#include <map>
#include <optional>
#include <span>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace synesthesia::cli {

struct OptionSpec {
  // The long name without dashes, for example "projection".
  std::string name;
  // The placeholder of the value in help ("NAME"); empty for a boolean flag.
  std::string value_name;
  std::string help;
};

// The options and positional arguments of one subcommand.
//
// Accepted forms: --name=value, --name value, --flag, --flag=true|false,
// and "--" to end the options. "-" alone is a positional argument (standard
// input). -h and --help set help(). An option given twice keeps its last
// value.
class Arguments {
 public:
  // Parses ARGS against SPECS. INVALID_ARGUMENT names an unknown option, a
  // missing value or a boolean that is neither true nor false.
  static absl::StatusOr<Arguments> Parse(std::span<const std::string> args,
                                         std::span<const OptionSpec> specs);

  bool help() const { return help_; }
  bool Has(absl::string_view name) const;
  // The value of option NAME, if given.
  std::optional<std::string> Value(absl::string_view name) const;
  std::string ValueOr(absl::string_view name, absl::string_view fallback) const;
  // Whether boolean flag NAME is set.
  bool Flag(absl::string_view name) const;
  const std::vector<std::string>& positional() const { return positional_; }

  // Typed values; INVALID_ARGUMENT names the option and the value.
  absl::StatusOr<std::optional<double>> Double(absl::string_view name) const;
  absl::StatusOr<std::optional<int64_t>> Int(absl::string_view name) const;
  // A duration such as "10s", "250ms" or "1m30s".
  absl::StatusOr<std::optional<absl::Duration>> Duration(absl::string_view name) const;

 private:
  bool help_ = false;
  std::map<std::string, std::string, std::less<>> values_;
  std::vector<std::string> positional_;
};

// Wraps the lines of TEXT that do not start with a space at 80 columns;
// indented lines (examples, tables) are kept as they are.
std::string WrapProse(absl::string_view text);

// Formats SPECS as the "Options:" section of a help text, wrapped at 80
// columns.
std::string FormatOptions(std::span<const OptionSpec> specs);

}  // namespace synesthesia::cli

#endif  // SYNESTHESIA_CLIENT_CLI_ARGUMENTS_H_
