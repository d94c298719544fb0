// Helpers shared by the RPC handlers: reading lenient requests, writing
// responses, deadlines.
#ifndef SYNESTHESIA_SERVER_CALL_UTIL_H_
#define SYNESTHESIA_SERVER_CALL_UTIL_H_

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "google/protobuf/message.h"
#include "grpcpp/grpcpp.h"

namespace synesthesia::server {

// Parses BUFFER into MESSAGE. INVALID_ARGUMENT naming the message type when
// the bytes are not a valid encoding.
absl::Status ParseRequest(const grpc::ByteBuffer& buffer, google::protobuf::Message& message);

// Serializes MESSAGE into BUFFER. INTERNAL when serialization fails.
absl::Status SerializeResponse(const google::protobuf::Message& message, grpc::ByteBuffer& buffer);

// The call's deadline as absl::Time; InfiniteFuture when it has none.
absl::Time Deadline(const grpc::CallbackServerContext& context);

// Whether a call with DEADLINE that gRPC cancels now was cancelled for its
// deadline, so that its client received DEADLINE_EXCEEDED. The server
// computes the deadline from the client's timeout when the call arrives,
// so it lies one transport delay after the client's, and the client's
// cancellation at its own deadline can arrive just before the server's.
// So a cancellation within a second of the deadline counts as the
// deadline. A client that cancels on purpose that close to it is counted
// the same way.
bool CancelledByDeadline(absl::Time deadline);

}  // namespace synesthesia::server

#endif  // SYNESTHESIA_SERVER_CALL_UTIL_H_
