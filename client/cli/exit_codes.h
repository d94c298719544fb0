// The exit codes of the synesthesia tool, shared by every subcommand.
#ifndef SYNESTHESIA_CLIENT_CLI_EXIT_CODES_H_
#define SYNESTHESIA_CLIENT_CLI_EXIT_CODES_H_

#include "absl/status/status.h"

namespace synesthesia::cli {

enum ExitCode : int {
  kExitSuccess = 0,
  // A local failure: a model that does not load, an unreadable file, a
  // failed write to standard output.
  kExitLocalError = 1,
  // Invalid command line.
  kExitUsage = 2,
  // The server cannot be reached or did not respond in time: UNAVAILABLE or
  // DEADLINE_EXCEEDED. Retrying later may succeed.
  kExitUnavailable = 3,
  // The input was rejected: INVALID_ARGUMENT, OUT_OF_RANGE or
  // RESOURCE_EXHAUSTED (a message over a size limit, or the server's queue
  // is full).
  kExitRejected = 4,
  // Any other RPC error, for example UNAUTHENTICATED or INTERNAL.
  kExitRpcError = 5,
};

// The exit code for a failed RPC with STATUS.
ExitCode ExitCodeForRpc(const absl::Status& status);

// The exit code for a failed local colouring, tokenization or encoding:
// kExitRejected for INVALID_ARGUMENT (the input), else kExitLocalError.
ExitCode ExitCodeForLocal(const absl::Status& status);

// The "Exit codes:" section of every help text.
extern const char kExitCodeHelp[];

}  // namespace synesthesia::cli

#endif  // SYNESTHESIA_CLIENT_CLI_EXIT_CODES_H_
