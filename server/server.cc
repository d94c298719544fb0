#include "server/server.h"

#include <fstream>
#include <sstream>
#include <utility>

#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"
#include "glog/logging.h"
#include "grpcpp/ext/proto_server_reflection_plugin.h"
#include "grpcpp/health_check_service_interface.h"
#include "server/address.h"

namespace synesthesia::server {
namespace {

// The service name health checks ask about, besides the empty name for the
// whole server.
constexpr char kServiceName[] = "synesthesia.v1.Synesthesia";

absl::StatusOr<std::string> ReadFile(const std::string& path, const std::string& what) {
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    return absl::InvalidArgumentError(absl::StrCat("cannot read the ", what, " file ", path));
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> MakeCredentials(const TlsOptions& tls) {
  if (tls.certificate_file.empty() && tls.private_key_file.empty()) {
    if (!tls.client_ca_file.empty()) {
      return absl::InvalidArgumentError(
          "a client CA needs TLS; set the certificate and private key files too");
    }
    return grpc::InsecureServerCredentials();
  }
  if (tls.certificate_file.empty() || tls.private_key_file.empty()) {
    return absl::InvalidArgumentError("TLS needs both a certificate file and a private key file");
  }
  ASSIGN_OR_RETURN(std::string certificate, ReadFile(tls.certificate_file, "TLS certificate"));
  ASSIGN_OR_RETURN(std::string key, ReadFile(tls.private_key_file, "TLS private key"));
  grpc::SslServerCredentialsOptions ssl(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
  ssl.pem_key_cert_pairs.push_back({key, certificate});
  if (!tls.client_ca_file.empty()) {
    ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadFile(tls.client_ca_file, "client CA"));
    ssl.client_certificate_request = GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY;
  }
  return grpc::SslServerCredentials(ssl);
}

// The configured default, or the best projection the model has.
absl::StatusOr<projection::Kind> ResolveDefault(const engine::Colorizer& colorizer,
                                                std::optional<projection::Kind> configured,
                                                std::initializer_list<projection::Kind> preference,
                                                const char* flag) {
  if (configured.has_value()) {
    if (!colorizer.HasProjection(*configured)) {
      return absl::FailedPreconditionError(absl::StrCat(
          "--", flag, "=", std::string(projection::KindName(*configured)), " but model '",
          colorizer.model().name(), "' has no such projection; fit it or choose another"));
    }
    return *configured;
  }
  for (projection::Kind kind : preference) {
    if (colorizer.HasProjection(kind)) return kind;
  }
  return projection::Kind::kPca;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Server>> Server::Create(ServerOptions options) {
  if (options.max_message_bytes <= 0 || options.max_message_bytes > (int64_t{1} << 31) - 1) {
    return absl::InvalidArgumentError(absl::StrCat("max_message_bytes must be in [1, 2^31 - 1], got ",
                                                   options.max_message_bytes));
  }
  if (options.shutdown_grace_period < absl::ZeroDuration()) {
    return absl::InvalidArgumentError("shutdown_grace_period must not be negative");
  }
  if (options.service.max_pending_deltas <= 0 || options.service.max_stream_messages <= 0) {
    return absl::InvalidArgumentError(
        "max_pending_deltas and max_stream_messages must be positive");
  }
  if (absl::Status address = ValidateListenAddress(options.listen_address); !address.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("listen address ", address.message()));
  }
  ASSIGN_OR_RETURN(std::shared_ptr<grpc::ServerCredentials> credentials,
                   MakeCredentials(options.tls));

  std::unique_ptr<Server> server(new Server(std::move(options)));
  const ServerOptions& opts = server->options_;
  server->metrics_->SetBuildInfo(opts.version);
  server->metrics_->SetMaxQueuedTokens(opts.engine.scheduler.max_queued_tokens);

  if (!opts.metrics_address.empty()) {
    ASSIGN_OR_RETURN(server->metrics_endpoint_,
                     MetricsEndpoint::Start(opts.metrics_address,
                                            {server->registry_, server->metrics_->process_collector()}));
  }

  grpc::EnableDefaultHealthCheckService(true);
  grpc::reflection::InitProtoReflectionServerBuilderPlugin();
  grpc::ServerBuilder builder;
  builder.AddListeningPort(opts.listen_address, credentials, &server->port_);
  // gRPC sets SO_REUSEPORT by default, so a second server on a port that
  // is in use would start and take part of the first one's connections.
  builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
  builder.RegisterService(server->service_.get());
  builder.SetMaxReceiveMessageSize(static_cast<int>(opts.max_message_bytes));
  // Responses carry a span per token and may be several times the request.
  builder.SetMaxSendMessageSize(-1);
  if (opts.max_connection_age > absl::ZeroDuration()) {
    const int age_ms = static_cast<int>(
        std::min<int64_t>(absl::ToInt64Milliseconds(opts.max_connection_age), INT32_MAX));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_MS, age_ms);
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_AGE_GRACE_MS, age_ms);
  }
  server->grpc_server_ = builder.BuildAndStart();
  if (server->grpc_server_ == nullptr || server->port_ == 0) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", opts.listen_address,
                     "; is the address valid and the port free? (see the log for gRPC's reason)"));
  }
  server->SetServing(false);
  LOG(INFO) << "listening on " << WithPort(opts.listen_address, server->port_)
            << (opts.tls.certificate_file.empty() ? ", plaintext" : ", TLS")
            << (opts.tls.client_ca_file.empty() ? "" : " with client certificates")
            << (opts.service.bearer_token.empty() ? "" : ", bearer token required")
            << "; health NOT_SERVING until the model is loaded";
  if (server->metrics_endpoint_ != nullptr) {
    LOG(INFO) << "metrics on http://"
              << WithPort(opts.metrics_address, server->metrics_endpoint_->port()) << "/metrics";
  }
  return server;
}

Server::Server(ServerOptions options)
    : options_(std::move(options)),
      registry_(std::make_shared<prometheus::Registry>()),
      metrics_(std::make_unique<Metrics>(*registry_)),
      service_(std::make_unique<SynesthesiaService>(options_.service, *metrics_)) {}

Server::~Server() { Shutdown(); }

absl::Status Server::LoadModel() {
  const absl::Time start = absl::Now();
  LOG(INFO) << "loading model " << options_.engine.colorizer.model_directory;
  ASSIGN_OR_RETURN(engine_, engine::Engine::Create(options_.engine, metrics_.get()));
  const engine::Colorizer& colorizer = engine_->colorizer();

  SynesthesiaService::Defaults defaults;
  ASSIGN_OR_RETURN(defaults.unary,
                   ResolveDefault(colorizer, options_.default_projection,
                                  {projection::Kind::kSemantic, projection::Kind::kBasis},
                                  "default_projection"));
  ASSIGN_OR_RETURN(defaults.stream,
                   ResolveDefault(colorizer, options_.default_stream_projection,
                                  {projection::Kind::kBasis}, "default_stream_projection"));
  RETURN_IF_ERROR(engine_->Warmup());

  const model::DistilBertConfig& config = colorizer.model().config();
  const engine::EngineOptions& engine_options = engine_->options();
  LOG(INFO) << "model '" << colorizer.model().name() << "' loaded and warmed up in "
            << absl::FormatDuration(absl::Now() - start) << ": dim " << config.dim << ", "
            << config.n_layers << " layers, " << config.n_heads << " heads, vocabulary "
            << config.vocab_size << ", " << config.max_position_embeddings << " positions";
  LOG(INFO) << "serving with default projection " << projection::KindName(defaults.unary)
            << ", stream projection " << projection::KindName(defaults.stream)
            << "; max_batch_tokens " << engine_options.scheduler.max_batch_tokens
            << ", max_batch_sequences " << engine_options.scheduler.max_batch_sequences
            << ", max_batch_delay " << absl::FormatDuration(engine_options.scheduler.max_batch_delay)
            << ", max_queued_tokens " << engine_options.scheduler.max_queued_tokens
            << ", max_text_bytes " << engine_options.colorizer.max_text_bytes
            << ", max_batch_texts " << engine_options.max_batch_texts
            << ", stream_context_tokens " << engine_options.stream.context_tokens
            << ", max_pending_deltas " << options_.service.max_pending_deltas
            << ", max_stream_messages " << options_.service.max_stream_messages
            << ", max_message_bytes " << options_.max_message_bytes;

  metrics_->SetModelInfo(colorizer.model().name(), "distilbert",
                         std::string(projection::KindName(defaults.unary)));
  service_->SetEngine(engine_.get(), defaults);
  SetServing(true);
  LOG(INFO) << "health SERVING";
  return absl::OkStatus();
}

void Server::SetServing(bool serving) {
  grpc::HealthCheckServiceInterface* health = grpc_server_->GetHealthCheckService();
  if (health == nullptr) return;
  health->SetServingStatus(serving);
  health->SetServingStatus(kServiceName, serving);
}

void Server::Shutdown() {
  std::call_once(shutdown_once_, [this] {
    if (grpc_server_ == nullptr) return;
    LOG(INFO) << "shutting down: health NOT_SERVING, draining in-flight calls for up to "
              << absl::FormatDuration(options_.shutdown_grace_period);
    SetServing(false);
    const absl::Time deadline = absl::Now() + options_.shutdown_grace_period;
    // New calls get UNAVAILABLE from the service while admitted ones finish.
    // gRPC's own Shutdown would refuse them with CANCELLED, which clients do
    // not retry, so it comes only once the calls are done or the grace
    // period is over.
    service_->call_tracker().StartDraining();
    if (!service_->call_tracker().WaitForCalls(deadline)) {
      LOG(WARNING) << "calls still in flight at the end of the grace period; cancelling them";
    }
    // Calls still running at the deadline are cancelled, and their queued
    // work leaves the scheduler.
    grpc_server_->Shutdown(absl::ToChronoTime(deadline));
    if (engine_ != nullptr) engine_->Shutdown();
    LOG(INFO) << "shut down";
  });
}

int Server::metrics_port() const {
  return metrics_endpoint_ == nullptr ? 0 : metrics_endpoint_->port();
}

}  // namespace synesthesia::server
