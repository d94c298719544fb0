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

}  // namespace synesthesia::server

#endif  // SYNESTHESIA_SERVER_CALL_UTIL_H_
