// Conversion of gRPC statuses to absl::Status. Private to the library.
#ifndef SYNESTHESIA_CLIENT_SRC_GRPC_STATUS_H_
#define SYNESTHESIA_CLIENT_SRC_GRPC_STATUS_H_

#include "absl/status/status.h"
#include "grpcpp/support/status.h"

namespace synesthesia::internal {

// The same code and message. The numeric values of grpc::StatusCode and
// absl::StatusCode are identical by design of both libraries.
inline absl::Status FromGrpcStatus(const grpc::Status& status) {
  if (status.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(static_cast<int>(status.error_code())),
                      status.error_message());
}

}  // namespace synesthesia::internal

#endif  // SYNESTHESIA_CLIENT_SRC_GRPC_STATUS_H_
