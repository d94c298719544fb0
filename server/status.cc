#include "server/status.h"

#include <string>

#include "absl/strings/str_cat.h"
#include "core/text/utf8.h"
#include "glog/logging.h"

namespace synesthesia::server {
namespace {

std::string CapMessage(absl::string_view message) {
  if (message.size() <= kMaxStatusMessageBytes) return std::string(message);
  const size_t keep = kMaxStatusMessageBytes - 3;
  const std::string_view head(message.data(), keep);
  return absl::StrCat(absl::string_view(head.data(), text::CompleteUtf8Prefix(head)), "...");
}

}  // namespace

grpc::Status ToGrpcStatus(const absl::Status& status) {
  if (status.ok()) return grpc::Status::OK;
  const auto code = static_cast<grpc::StatusCode>(static_cast<int>(status.code()));
  if (status.code() == absl::StatusCode::kInternal || status.code() == absl::StatusCode::kUnknown) {
    LOG_EVERY_T(ERROR, 1.0) << "internal error returned to a client: " << status;
    return grpc::Status(code, "internal error in the server; see its log");
  }
  return grpc::Status(code, CapMessage(status.message()));
}

}  // namespace synesthesia::server
