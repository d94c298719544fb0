// The Synesthesia server: a gRPC server with the Synesthesia service, health
// checking and reflection, a Prometheus exposer, and the engine behind them.
//
// Lifecycle:
//   1. Create binds the listening port and starts serving with health
//      NOT_SERVING; Synesthesia calls fail with UNAVAILABLE.
//   2. LoadModel loads the model, runs a warm-up batch and reports SERVING.
//   3. Shutdown reports NOT_SERVING and rejects new Synesthesia calls with
//      UNAVAILABLE while in-flight calls finish within the grace period.
//      Then gRPC stops, cancelling calls still running, and so does the
//      engine.
#ifndef SYNESTHESIA_SERVER_SERVER_H_
#define SYNESTHESIA_SERVER_SERVER_H_

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "core/engine/engine.h"
#include "grpcpp/grpcpp.h"
#include "prometheus/registry.h"
#include "server/metrics.h"
#include "server/metrics_endpoint.h"
#include "server/service.h"

namespace synesthesia::server {

struct TlsOptions {
  // PEM files of the server's certificate chain and private key. Both empty
  // means plaintext.
  std::string certificate_file;
  std::string private_key_file;
  // PEM file of the CA that signs client certificates; when set, clients
  // must present a certificate it signed (mutual TLS).
  std::string client_ca_file;
};

struct ServerOptions {
  // host:port to listen on; port 0 picks a free port (see Server::port).
  // Default: 127.0.0.1:50051.
  std::string listen_address = "127.0.0.1:50051";
  engine::EngineOptions engine;
  ServiceOptions service;
  // Projection for unary and batch calls that leave it unspecified; unset
  // means semantic when the model has it, else basis, else pca.
  std::optional<projection::Kind> default_projection;
  // The same for streams; unset means basis when the model has it, else pca.
  std::optional<projection::Kind> default_stream_projection;
  // host:port of the Prometheus metrics endpoint (/metrics); empty disables
  // it. Default: empty.
  std::string metrics_address;
  // Largest request message accepted, in bytes. Default: 4 MiB.
  int64_t max_message_bytes = int64_t{4} << 20;
  TlsOptions tls;
  // Age after which a client connection is closed (gracefully, with the same
  // time again for its calls), so that clients balancing with round_robin
  // reconnect and spread over replicas added since. Default: 0 (never).
  absl::Duration max_connection_age = absl::ZeroDuration();
  // How long in-flight calls may run on after Shutdown starts. Default: 10 s.
  absl::Duration shutdown_grace_period = absl::Seconds(10);
  // Reported in ModelInfo and synesthesia_build_info.
  std::string version;
};

// Thread-safe: Shutdown may be called from any thread, once.
class Server {
 public:
  // Starts listening with health NOT_SERVING. Fails with INVALID_ARGUMENT for
  // bad options or unreadable TLS files, UNAVAILABLE when the address cannot
  // be bound.
  static absl::StatusOr<std::unique_ptr<Server>> Create(ServerOptions options);

  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Loads the model, warms it up and reports SERVING. Returns the loader's
  // error (calls keep failing with UNAVAILABLE) or FAILED_PRECONDITION for
  // a default projection the model lacks.
  absl::Status LoadModel();

  // NOT_SERVING, then a graceful stop as described above. Idempotent.
  void Shutdown();

  // The port the server listens on.
  int port() const { return port_; }
  // The port of the metrics endpoint, or 0 without one.
  int metrics_port() const;
  const engine::Engine* engine() const { return engine_.get(); }
  Metrics& metrics() { return *metrics_; }

 private:
  explicit Server(ServerOptions options);
  void SetServing(bool serving);

  const ServerOptions options_;
  std::shared_ptr<prometheus::Registry> registry_;
  std::unique_ptr<Metrics> metrics_;
  std::unique_ptr<MetricsEndpoint> metrics_endpoint_;
  std::unique_ptr<SynesthesiaService> service_;
  std::unique_ptr<grpc::Server> grpc_server_;
  std::unique_ptr<engine::Engine> engine_;
  int port_ = 0;
  std::once_flag shutdown_once_;
};

}  // namespace synesthesia::server

#endif  // SYNESTHESIA_SERVER_SERVER_H_
