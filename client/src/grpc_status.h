// Conversion of gRPC statuses to absl::Status. Private to the library.
#ifndef SYNESTHESIA_CLIENT_SRC_GRPC_STATUS_H_
#define SYNESTHESIA_CLIENT_SRC_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace synesthesia::internal {

// Returns a status with the same code and message. absl::StatusCode follows
// the gRPC codes value for value (absl/status/status.h names the gRPC code
// of each), so the code converts by number.
inline absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(static_cast<int>(status.error_code())),
                      status.error_message());
}

}  // namespace synesthesia::internal

#endif  // SYNESTHESIA_CLIENT_SRC_GRPC_STATUS_H_
