// Pieces shared by the synesthesia subcommands: the command table entry,
// error reporting, input, output and the options common to several
// subcommands.
//
// Setup helpers here return INVALID_ARGUMENT for a bad command line (exit
// code 2) and other codes for local failures such as an unreadable file
// (exit code 1); ExitCodeForSetup maps them.
#ifndef SYNESTHESIA_CLIENT_CLI_COMMON_H_
#define SYNESTHESIA_CLIENT_CLI_COMMON_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include "absl/strings/string_view.h"
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "client/cli/arguments.h"
#include "client/cli/exit_codes.h"
#include "client/cli/output.h"
#include "synesthesia/client.h"
#include "synesthesia/v1/synesthesia.pb.h"

namespace synesthesia::cli {

struct Command {
  std::string name;
  // One line for the command list of `synesthesia --help`.
  std::string summary;
  // The usage line after "Usage: ".
  std::string usage;
  // Paragraphs between the usage line and the options.
  std::string description;
  std::vector<OptionSpec> options;
  std::function<int(const Command& command, const Arguments& arguments)> run;
};

// The full --help text of COMMAND.
std::string HelpText(const Command& command);

// Prints "synesthesia NAME: MESSAGE" and a pointer to --help to standard
// error; returns kExitUsage.
int UsageError(const Command& command, absl::string_view message);
// Prints "synesthesia NAME: CONTEXT: CODE: MESSAGE" to standard error and
// returns EXIT_CODE.
int Fail(const Command& command, absl::string_view context, const absl::Status& status,
         int exit_code);
// kExitUsage for INVALID_ARGUMENT, kExitLocalError otherwise.
int ExitCodeForSetup(const absl::Status& status);
// Reports a setup error with the exit code of ExitCodeForSetup.
int FailSetup(const Command& command, const absl::Status& status);

// Writes TEXT to standard output and flushes it; false when the write fails
// (for example a closed pipe).
bool WriteStdout(absl::string_view text);

// Reads the whole input named by the command line: one positional TEXT, "-"
// for standard input, or --file PATH.
absl::StatusOr<std::string> ReadInputText(const Arguments& arguments);

// Reads the whole file PATH. NOT_FOUND or PERMISSION_DENIED naming it when
// it cannot be opened, FAILED_PRECONDITION for a directory.
absl::StatusOr<std::string> ReadFile(const std::string& path);

// --model: the model directory for local mode.
OptionSpec ModelOption();

// The options of remote mode: --server, --tls, --tls-ca, --tls-cert,
// --tls-key, --tls-server-name, --token-file, --deadline.
std::vector<OptionSpec> ConnectionOptions();

// Checks a --server target: HOST:PORT with a port from 1 to 65535, or a
// target with a gRPC scheme ("dns:///", "ipv4:", "unix:"), which gRPC
// checks. gRPC alone would read port 99999 modulo 65536 and connect to
// another port. INVALID_ARGUMENT naming TARGET.
absl::Status ValidateServerTarget(absl::string_view target);

// Creates a client from the connection options; --server is required.
absl::StatusOr<std::unique_ptr<Client>> Connect(const Arguments& arguments);

// The colouring options shared by local and remote colorize, stream and
// bench: --projection, --granularity, --special, --background,
// --min-contrast.
std::vector<OptionSpec> ColourOptions();

// The colouring options of stream: those of ColourOptions without
// --special, because a stream's spans never include [CLS] and [SEP], and
// with the stream's default projection.
std::vector<OptionSpec> StreamColourOptions();

// The parsed colouring options. Values are checked for syntax here; the
// engine or the server checks them against the model.
struct ColourRequest {
  // "pca", "basis" or "semantic"; unset leaves the choice to the server (or,
  // locally, picks semantic, else basis, else pca, as the server does).
  std::optional<std::string> projection;
  bool word_granularity = false;
  bool include_special_tokens = false;
  // "#rrggbb".
  std::optional<std::string> background;
  double min_contrast = 0;
};

absl::StatusOr<ColourRequest> ParseColourRequest(const Arguments& arguments);
v1::ColorOptions ToProtoOptions(const ColourRequest& request);

// --format and --color, with the formats in ALLOWED.
std::vector<OptionSpec> OutputOptions(absl::string_view allowed_formats,
                                      absl::string_view default_format);

struct OutputSettings {
  Format format = Format::kAnsi;
  // Whether ANSI output carries colour codes (see ShouldColour).
  bool colour = false;
};

// Parses --format (one of ALLOWED, default DEFAULT_FORMAT) and --color
// against standard output and the NO_COLOR environment variable.
absl::StatusOr<OutputSettings> ParseOutputSettings(const Arguments& arguments,
                                                   std::span<const Format> allowed,
                                                   Format default_format);

}  // namespace synesthesia::cli

#endif  // SYNESTHESIA_CLIENT_CLI_COMMON_H_
