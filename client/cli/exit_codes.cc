#include "client/cli/exit_codes.h"

namespace synesthesia::cli {

ExitCode ExitCodeForRpc(const absl::Status& status) {
  switch (status.code()) {
    case absl::StatusCode::kOk:
      return kExitSuccess;
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
      return kExitUnavailable;
    case absl::StatusCode::kInvalidArgument:
    case absl::StatusCode::kOutOfRange:
    case absl::StatusCode::kResourceExhausted:
      return kExitRejected;
    default:
      return kExitRpcError;
  }
}

ExitCode ExitCodeForLocal(const absl::Status& status) {
  if (status.ok()) return kExitSuccess;
  return status.code() == absl::StatusCode::kInvalidArgument ? kExitRejected : kExitLocalError;
}

const char kExitCodeHelp[] =
    "Exit codes:\n"
    "  0  success\n"
    "  1  local error (the model does not load, a file cannot be read)\n"
    "  2  usage error (unknown option, missing or invalid value)\n"
    "  3  server unavailable: UNAVAILABLE, or DEADLINE_EXCEEDED (no answer within\n"
    "     --deadline); retrying later may succeed\n"
    "  4  input rejected: INVALID_ARGUMENT (for example invalid UTF-8, a text over\n"
    "     max_text_bytes or a projection the model lacks), OUT_OF_RANGE,\n"
    "     RESOURCE_EXHAUSTED (a request over the server's gRPC message limit, or\n"
    "     the server's queue is full)\n"
    "  5  any other RPC error, for example UNAUTHENTICATED or INTERNAL\n";

}  // namespace synesthesia::cli
