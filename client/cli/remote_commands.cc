// Remote mode: colorize, info and health through the client library.
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/time/clock.h"
#include "client/cli/commands.h"
#include "client/cli/common.h"
#include "client/cli/from_proto.h"
#include "google/protobuf/util/json_util.h"

namespace synesthesia::cli {
namespace {

std::string RpcContext(absl::string_view method, const Client& client) {
  return absl::StrCat(method, " on ", client.target(), " failed");
}

std::string InfoText(const v1::ModelInfo& info) {
  std::vector<std::string> projections;
  for (int projection : info.projections()) {
    std::string name = ProjectionName(static_cast<v1::Projection>(projection));
    std::vector<std::string> roles;
    if (projection == info.default_projection()) roles.push_back("default");
    if (projection == info.default_stream_projection()) roles.push_back("stream default");
    if (!roles.empty()) absl::StrAppend(&name, " (", absl::StrJoin(roles, ", "), ")");
    projections.push_back(std::move(name));
  }
  const v1::Limits& limits = info.limits();
  return absl::StrCat(
      "model            ", info.name(), "\n",
      "architecture     ", info.architecture(), ": dim ", info.dim(), ", ", info.layers(),
      " layers, ", info.heads(), " heads, hidden_dim ", info.hidden_dim(), "\n",
      "vocabulary       ", info.vocab_size(), " tokens, ", info.max_positions(),
      " positions per window\n",
      "projections      ", absl::StrJoin(projections, ", "), "\n",
      "precision        ", info.precision(), "\n",
      "server version   ", info.server_version(), "\n",
      "limits           max_text_bytes ", limits.max_text_bytes(), ", max_batch_texts ",
      limits.max_batch_texts(), ", max_batch_tokens ", limits.max_batch_tokens(), ",\n",
      "                 max_queued_tokens ", limits.max_queued_tokens(),
      ", stream_context_tokens ", limits.stream_context_tokens(), ", max_pending_deltas ",
      limits.max_pending_deltas(), ",\n",
      "                 max_message_bytes ", limits.max_message_bytes(),
      ", max_stream_messages ", limits.max_stream_messages(), "\n");
}

}  // namespace

int RunRemoteColorize(const Command& command, const Arguments& arguments,
                      const ColourRequest& request, const OutputSettings& output) {
  absl::StatusOr<std::string> text = ReadInputText(arguments);
  if (!text.ok()) return FailSetup(command, text.status());
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(arguments);
  if (!client.ok()) return FailSetup(command, client.status());

  v1::ColorizeRequest rpc_request;
  rpc_request.set_text(*text);
  *rpc_request.mutable_options() = ToProtoOptions(request);
  absl::StatusOr<v1::ColorizeResponse> response = (*client)->Colorize(rpc_request);
  if (!response.ok()) {
    absl::Status status = response.status();
    // gRPC rejects a request over the server's --max_message_bytes before
    // the handler runs, with a message that gives sizes but no remedy.
    if (status.code() == absl::StatusCode::kResourceExhausted &&
        absl::StrContains(status.message(), "Received message larger than max")) {
      status = absl::ResourceExhaustedError(absl::StrCat(
          status.message(), "; the text is over the server's request size limit, so split it "
                            "into smaller texts or use stream"));
    }
    return Fail(command, RpcContext("Colorize", **client), status, ExitCodeForRpc(status));
  }

  std::string out;
  AppendFormatted(FromProtoResponse(*response, *text), output.format, output.colour,
                  HtmlOptions{request.background}, out);
  return WriteStdout(out) ? kExitSuccess : kExitLocalError;
}

int RunInfo(const Command& command, const Arguments& arguments) {
  if (!arguments.positional().empty()) return UsageError(command, "info takes no arguments");
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(arguments);
  if (!client.ok()) return FailSetup(command, client.status());

  absl::StatusOr<v1::ModelInfo> info = (*client)->GetModelInfo();
  if (!info.ok()) {
    return Fail(command, RpcContext("GetModelInfo", **client), info.status(),
                ExitCodeForRpc(info.status()));
  }

  std::string out;
  if (arguments.Flag("json")) {
    google::protobuf::util::JsonPrintOptions options;
    options.add_whitespace = true;
    options.always_print_primitive_fields = true;
    options.preserve_proto_field_names = true;
    const google::protobuf::util::Status status =
        google::protobuf::util::MessageToJsonString(*info, &out, options);
    if (!status.ok()) {
      return Fail(command, "cannot print the model information as JSON",
                  absl::InternalError(std::string(status.message())), kExitLocalError);
    }
  } else {
    out = InfoText(*info);
  }
  return WriteStdout(out) ? kExitSuccess : kExitLocalError;
}

int RunHealth(const Command& command, const Arguments& arguments) {
  if (!arguments.positional().empty()) return UsageError(command, "health takes no arguments");
  absl::StatusOr<std::optional<absl::Duration>> wait = arguments.Duration("wait");
  if (!wait.ok()) return UsageError(command, wait.status().message());
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(arguments);
  if (!client.ok()) return FailSetup(command, client.status());

  const std::string service = arguments.ValueOr("service", "");
  const absl::Time give_up = absl::Now() + wait->value_or(absl::ZeroDuration());
  // Time between checks while --wait waits for SERVING.
  const absl::Duration poll_interval = absl::Milliseconds(100);
  while (true) {
    CallOptions call;
    const absl::Duration remaining = give_up - absl::Now();
    if (remaining > absl::ZeroDuration()) {
      // Waits for the connection too, so a server that is still starting
      // does not count as a failure.
      call.wait_for_ready = true;
      call.deadline = std::min(remaining, (*client)->options().default_deadline);
    }
    absl::StatusOr<grpc::health::v1::HealthCheckResponse> response =
        (*client)->Health(service, call);
    const bool serving =
        response.ok() && response->status() == grpc::health::v1::HealthCheckResponse::SERVING;
    if (serving || absl::Now() + poll_interval >= give_up) {
      if (!response.ok() && call.wait_for_ready &&
          response.status().code() == absl::StatusCode::kDeadlineExceeded) {
        // Waiting for a connection ends in DEADLINE_EXCEEDED, which hides
        // why none came up ("Connection refused"); one call without
        // waiting reports that.
        CallOptions once;
        once.deadline = (*client)->options().default_deadline;
        response = (*client)->Health(service, once);
      }
      if (!response.ok()) {
        return Fail(command, RpcContext("Health/Check", **client), response.status(),
                    ExitCodeForRpc(response.status()));
      }
      const std::string name =
          grpc::health::v1::HealthCheckResponse::ServingStatus_Name(response->status());
      if (!WriteStdout(absl::StrCat(name, "\n"))) return kExitLocalError;
      return serving ? kExitSuccess : kExitUnavailable;
    }
    absl::SleepFor(poll_interval);
  }
}

}  // namespace synesthesia::cli
