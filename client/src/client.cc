#include "synesthesia/client.h"

#include <climits>
#include <functional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/time/clock.h"
#include "client/src/grpc_status.h"
#include "client/src/stream_reactor.h"
#include "grpcpp/create_channel.h"
#include "grpcpp/security/credentials.h"
#include "grpcpp/support/channel_arguments.h"

namespace synesthesia {
namespace {

constexpr char kServiceName[] = "synesthesia.v1.Synesthesia";

// A protobuf JSON duration ("0.100000s") as the service config expects it.
std::string JsonDuration(absl::Duration duration) {
  return absl::StrFormat("\"%.6fs\"", absl::ToDoubleSeconds(duration));
}

bool IsPrintableAscii(std::string_view text) {
  for (char c : text) {
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

absl::Status CheckMessageLimit(int64_t bytes, const char* name) {
  if (bytes == -1 || (bytes > 0 && bytes <= INT_MAX)) return absl::OkStatus();
  return absl::InvalidArgumentError(
      absl::StrCat(name, " must be -1 (no limit) or in [1, ", INT_MAX, "], got ", bytes));
}

absl::Status ValidateOptions(const std::string& target, const ClientOptions& options) {
  if (target.empty()) {
    return absl::InvalidArgumentError(
        "the target is empty; pass host:port, for example 127.0.0.1:50051");
  }
  if (options.tls_client_certificate_pem.empty() != options.tls_client_key_pem.empty()) {
    return absl::InvalidArgumentError(
        "tls_client_certificate_pem and tls_client_key_pem must be set together");
  }
  if (!IsPrintableAscii(options.bearer_token)) {
    return absl::InvalidArgumentError(
        "bearer_token contains characters other than printable ASCII");
  }
  if (options.default_deadline <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat("default_deadline must be positive or absl::InfiniteDuration(), got ",
                     absl::FormatDuration(options.default_deadline)));
  }
  if (options.max_attempts < 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_attempts must be at least 1, got ", options.max_attempts));
  }
  if (options.initial_backoff <= absl::ZeroDuration() ||
      options.max_backoff < options.initial_backoff ||
      options.max_backoff == absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "initial_backoff must be positive and max_backoff finite and at least initial_backoff, "
        "got ",
        absl::FormatDuration(options.initial_backoff), " and ",
        absl::FormatDuration(options.max_backoff)));
  }
  if (!(options.backoff_multiplier >= 1.0)) {
    return absl::InvalidArgumentError(
        absl::StrCat("backoff_multiplier must be at least 1, got ", options.backoff_multiplier));
  }
  if (options.load_balancing_policy != "round_robin" &&
      options.load_balancing_policy != "pick_first") {
    return absl::InvalidArgumentError(
        absl::StrCat("load_balancing_policy must be round_robin or pick_first, got '",
                     options.load_balancing_policy, "'"));
  }
  if (absl::Status status =
          CheckMessageLimit(options.max_receive_message_bytes, "max_receive_message_bytes");
      !status.ok()) {
    return status;
  }
  return CheckMessageLimit(options.max_send_message_bytes, "max_send_message_bytes");
}

std::shared_ptr<grpc::ChannelCredentials> MakeCredentials(const ClientOptions& options) {
  const bool tls = options.use_tls || !options.tls_root_certificates_pem.empty() ||
                   !options.tls_client_certificate_pem.empty();
  if (!tls) return grpc::InsecureChannelCredentials();
  grpc::SslCredentialsOptions ssl;
  ssl.pem_root_certs = options.tls_root_certificates_pem;
  ssl.pem_cert_chain = options.tls_client_certificate_pem;
  ssl.pem_private_key = options.tls_client_key_pem;
  return grpc::SslCredentials(ssl);
}

}  // namespace

namespace internal {

// The state of one asynchronous unary call; deleted when it completes.
template <typename Request, typename Response>
struct AsyncCall {
  grpc::ClientContext context;
  Request request;
  Response response;
  absl::AnyInvocable<void(absl::StatusOr<Response>)> done;
  // Waits in its destructor until this call is removed from its count.
  const Client* client = nullptr;

  // Returns the completion callback for the stub, which runs DONE and frees
  // the call.
  std::function<void(grpc::Status)> Completion() {
    return [this](grpc::Status status) {
      if (status.ok()) {
        done(std::move(response));
      } else {
        done(internal::FromGrpcStatus(status));
      }
      const Client* owner = client;
      delete this;
      owner->RemovePendingCall();
    };
  }
};

}  // namespace internal

std::string ServiceConfigJson(const ClientOptions& options) {
  std::string method_config = absl::StrCat("{\"name\":[{\"service\":\"", kServiceName, "\"}]");
  // gRPC rejects a retryPolicy with maxAttempts below 2, so one attempt
  // means no policy at all.
  if (options.max_attempts > 1) {
    absl::StrAppend(&method_config, ",\"retryPolicy\":{\"maxAttempts\":", options.max_attempts,
                    ",\"initialBackoff\":", JsonDuration(options.initial_backoff),
                    ",\"maxBackoff\":", JsonDuration(options.max_backoff),
                    ",\"backoffMultiplier\":", options.backoff_multiplier,
                    ",\"retryableStatusCodes\":[\"UNAVAILABLE\"]}");
  }
  absl::StrAppend(&method_config, "}");
  return absl::StrCat("{\"loadBalancingConfig\":[{\"", options.load_balancing_policy,
                      "\":{}}],\"methodConfig\":[", method_config, "]}");
}

absl::StatusOr<std::unique_ptr<Client>> Client::Create(std::string target,
                                                       ClientOptions options) {
  if (absl::Status status = ValidateOptions(target, options); !status.ok()) return status;

  grpc::ChannelArguments arguments;
  arguments.SetServiceConfigJSON(ServiceConfigJson(options));
  // Use only the config above, never one published through DNS.
  arguments.SetInt(GRPC_ARG_SERVICE_CONFIG_DISABLE_RESOLUTION, 1);
  arguments.SetInt(GRPC_ARG_ENABLE_RETRIES, 1);
  arguments.SetMaxReceiveMessageSize(static_cast<int>(options.max_receive_message_bytes));
  arguments.SetMaxSendMessageSize(static_cast<int>(options.max_send_message_bytes));
  if (!options.tls_server_name.empty()) {
    arguments.SetSslTargetNameOverride(options.tls_server_name);
  }
  std::shared_ptr<grpc::Channel> channel =
      grpc::CreateCustomChannel(target, MakeCredentials(options), arguments);
  return std::unique_ptr<Client>(new Client(std::move(target), std::move(options), channel));
}

Client::Client(std::string target, ClientOptions options, std::shared_ptr<grpc::Channel> channel)
    : target_(std::move(target)),
      options_(std::move(options)),
      channel_(std::move(channel)),
      stub_(v1::Synesthesia::NewStub(channel_)),
      health_stub_(grpc::health::v1::Health::NewStub(channel_)) {}

Client::~Client() {
  std::unique_lock lock(pending_mutex_);
  pending_changed_.wait(lock, [this] { return pending_calls_ == 0; });
}

void Client::AddPendingCall() const {
  std::lock_guard lock(pending_mutex_);
  ++pending_calls_;
}

void Client::RemovePendingCall() const {
  std::lock_guard lock(pending_mutex_);
  --pending_calls_;
  pending_changed_.notify_all();
}

namespace {

void ConfigureContext(const ClientOptions& options, absl::Duration deadline, bool wait_for_ready,
                      grpc::ClientContext& context) {
  if (deadline != absl::InfiniteDuration()) {
    context.set_deadline(absl::ToChronoTime(absl::Now() + deadline));
  }
  if (wait_for_ready) context.set_wait_for_ready(true);
  if (!options.bearer_token.empty()) {
    context.AddMetadata("authorization", absl::StrCat("Bearer ", options.bearer_token));
  }
}

void ConfigureUnary(const ClientOptions& options, const CallOptions& call,
                    grpc::ClientContext& context) {
  const absl::Duration deadline =
      call.deadline == absl::ZeroDuration() ? options.default_deadline : call.deadline;
  ConfigureContext(options, deadline, call.wait_for_ready, context);
}

}  // namespace

absl::StatusOr<v1::ColorizeResponse> Client::Colorize(const v1::ColorizeRequest& request,
                                                      const CallOptions& call) const {
  grpc::ClientContext context;
  ConfigureUnary(options_, call, context);
  v1::ColorizeResponse response;
  const grpc::Status status = stub_->Colorize(&context, request, &response);
  if (!status.ok()) return internal::FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::ColorizeBatchResponse> Client::ColorizeBatch(
    const v1::ColorizeBatchRequest& request, const CallOptions& call) const {
  grpc::ClientContext context;
  ConfigureUnary(options_, call, context);
  v1::ColorizeBatchResponse response;
  const grpc::Status status = stub_->ColorizeBatch(&context, request, &response);
  if (!status.ok()) return internal::FromGrpcStatus(status);
  return response;
}

absl::StatusOr<v1::ModelInfo> Client::GetModelInfo(const CallOptions& call) const {
  grpc::ClientContext context;
  ConfigureUnary(options_, call, context);
  v1::ModelInfo response;
  const grpc::Status status = stub_->GetModelInfo(&context, v1::GetModelInfoRequest(), &response);
  if (!status.ok()) return internal::FromGrpcStatus(status);
  return response;
}

absl::StatusOr<grpc::health::v1::HealthCheckResponse> Client::Health(
    std::string_view service, const CallOptions& call) const {
  grpc::ClientContext context;
  ConfigureUnary(options_, call, context);
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(std::string(service));
  grpc::health::v1::HealthCheckResponse response;
  const grpc::Status status = health_stub_->Check(&context, request, &response);
  if (!status.ok()) return internal::FromGrpcStatus(status);
  return response;
}

void Client::ColorizeAsync(
    v1::ColorizeRequest request,
    absl::AnyInvocable<void(absl::StatusOr<v1::ColorizeResponse>)> done,
    const CallOptions& call) const {
  auto* state = new internal::AsyncCall<v1::ColorizeRequest, v1::ColorizeResponse>();
  state->request = std::move(request);
  state->done = std::move(done);
  state->client = this;
  ConfigureUnary(options_, call, state->context);
  AddPendingCall();
  stub_->async()->Colorize(&state->context, &state->request, &state->response,
                           state->Completion());
}

void Client::ColorizeBatchAsync(
    v1::ColorizeBatchRequest request,
    absl::AnyInvocable<void(absl::StatusOr<v1::ColorizeBatchResponse>)> done,
    const CallOptions& call) const {
  auto* state = new internal::AsyncCall<v1::ColorizeBatchRequest, v1::ColorizeBatchResponse>();
  state->request = std::move(request);
  state->done = std::move(done);
  state->client = this;
  ConfigureUnary(options_, call, state->context);
  AddPendingCall();
  stub_->async()->ColorizeBatch(&state->context, &state->request, &state->response,
                                state->Completion());
}

absl::StatusOr<std::unique_ptr<StreamSession>> Client::OpenStream(
    const StreamOptions& options) const {
  return StartStream(StreamCallbacks(), options);
}

absl::StatusOr<std::unique_ptr<StreamSession>> Client::OpenStream(
    StreamCallbacks callbacks, const StreamOptions& options) const {
  if (!callbacks.on_response) {
    return absl::InvalidArgumentError("StreamCallbacks::on_response is required");
  }
  return StartStream(std::move(callbacks), options);
}

absl::StatusOr<std::unique_ptr<StreamSession>> Client::StartStream(
    StreamCallbacks callbacks, const StreamOptions& options) const {
  if (options.max_queued_writes == 0 || options.max_buffered_responses == 0) {
    return absl::InvalidArgumentError(
        "StreamOptions::max_queued_writes and max_buffered_responses must be positive");
  }
  if (options.deadline <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(
        "StreamOptions::deadline must be positive or absl::InfiniteDuration()");
  }
  auto* reactor = new internal::StreamReactor(std::move(callbacks), options, channel_);
  ConfigureContext(options_, options.deadline, options.wait_for_ready, reactor->context());
  reactor->Start(*stub_);
  return std::unique_ptr<StreamSession>(new StreamSession(reactor));
}

StreamSession::StreamSession(internal::StreamReactor* reactor) : reactor_(reactor) {}

StreamSession::~StreamSession() {
  reactor_->Abandon();
  delete reactor_;
}

absl::Status StreamSession::Write(v1::ColorizeStreamRequest request) {
  return reactor_->Write(std::move(request));
}

absl::Status StreamSession::WriteDelta(std::string_view message_id, std::string_view delta,
                                       bool final) {
  v1::ColorizeStreamRequest request;
  request.set_message_id(std::string(message_id));
  request.set_delta(std::string(delta));
  request.set_final(final);
  return reactor_->Write(std::move(request));
}

void StreamSession::WritesDone() { reactor_->WritesDone(); }

std::optional<v1::ColorizeStreamResponse> StreamSession::Read() { return reactor_->Read(); }

absl::Status StreamSession::Finish() { return reactor_->Finish(); }

void StreamSession::Cancel() { reactor_->Cancel(); }

}  // namespace synesthesia
