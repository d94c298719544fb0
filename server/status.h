// The one place where a core status becomes a gRPC status.
#ifndef SYNESTHESIA_SERVER_STATUS_H_
#define SYNESTHESIA_SERVER_STATUS_H_

#include <cstddef>

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace synesthesia::server {

// Longest status message sent to a client, in bytes; longer ones are cut at
// a UTF-8 boundary and end in "...".
inline constexpr size_t kMaxStatusMessageBytes = 512;

// Converts STATUS with the same code. INTERNAL and UNKNOWN errors are logged
// (rate-limited) with their full message and reach the client as a short
// generic message, since their details are ours to read, not the caller's.
grpc::Status ToGrpcStatus(const absl::Status& status);

}  // namespace synesthesia::server

#endif  // SYNESTHESIA_SERVER_STATUS_H_
