#include "server/call_util.h"

#include <chrono>
#include <limits>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "grpcpp/support/proto_buffer_reader.h"
#include "grpcpp/support/proto_buffer_writer.h"

namespace synesthesia::server {

absl::Status ParseRequest(const grpc::ByteBuffer& buffer, google::protobuf::Message& message) {
  // ProtoBufferReader needs a mutable buffer; copying a ByteBuffer only adds
  // references to its slices.
  grpc::ByteBuffer copy(buffer);
  grpc::ProtoBufferReader reader(&copy);
  if (!reader.status().ok() || !message.ParseFromZeroCopyStream(&reader)) {
    return absl::InvalidArgumentError(absl::StrCat("the request is not a valid ",
                                                   message.GetDescriptor()->full_name(),
                                                   "; generate the client from synesthesia.proto"));
  }
  return absl::OkStatus();
}

absl::Status SerializeResponse(const google::protobuf::Message& message, grpc::ByteBuffer& buffer) {
  const size_t size = message.ByteSizeLong();
  if (size > static_cast<size_t>(std::numeric_limits<int>::max())) {
    return absl::InternalError(absl::StrCat(message.GetDescriptor()->full_name(), " is ", size,
                                            " bytes, over protobuf's 2 GiB limit"));
  }
  buffer.Clear();
  grpc::ProtoBufferWriter writer(&buffer, grpc::kProtoBufferWriterMaxBufferLength,
                                 static_cast<int>(size));
  if (!message.SerializeToZeroCopyStream(&writer)) {
    return absl::InternalError(
        absl::StrCat("serializing ", message.GetDescriptor()->full_name(), " failed"));
  }
  return absl::OkStatus();
}

bool CancelledByDeadline(absl::Time deadline) {
  constexpr absl::Duration kTransportSlack = absl::Seconds(1);
  return absl::Now() + kTransportSlack >= deadline;
}

absl::Time Deadline(const grpc::CallbackServerContext& context) {
  const std::chrono::system_clock::time_point deadline = context.deadline();
  if (deadline == std::chrono::system_clock::time_point::max()) return absl::InfiniteFuture();
  return absl::FromChrono(deadline);
}

}  // namespace synesthesia::server
