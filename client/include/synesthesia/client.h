// The C++ client of the Synesthesia gRPC service (synesthesia.v1).
//
// A Client owns one gRPC channel to a target and offers every RPC of the
// service as a blocking call returning absl::StatusOr, an asynchronous
// variant that invokes a callback, and streaming sessions for
// ColorizeStream. Failed calls return an absl::Status with the gRPC status
// code and message; the service's codes are listed in
// synesthesia/v1/synesthesia.proto.
//
// Example:
//   ASSIGN_OR_RETURN(std::unique_ptr<synesthesia::Client> client,
//                    synesthesia::Client::Create("127.0.0.1:50051"));
//   synesthesia::v1::ColorizeRequest request;
//   request.set_text("A yellow banana");
//   ASSIGN_OR_RETURN(synesthesia::v1::ColorizeResponse response,
//                    client->Colorize(request));
//   for (const synesthesia::v1::Span& span : response.spans()) {
//     std::cout << span.text() << " " << span.hex() << "\n";
//   }
//
// Thread safety: Client is thread-safe; any number of threads may call it at
// once. A StreamSession is used by at most one writing thread (Write,
// WritesDone, Finish) and one reading thread (Read) at a time; Cancel may be
// called from any thread.
#ifndef SYNESTHESIA_CLIENT_H_
#define SYNESTHESIA_CLIENT_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "absl/functional/any_invocable.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "grpcpp/channel.h"
#include "synesthesia/v1/synesthesia.grpc.pb.h"

namespace synesthesia {

struct ClientOptions {
  // Connects with TLS. Also implied by any of the PEM fields below. Default:
  // false (plaintext, for loopback and trusted networks only).
  bool use_tls = false;
  // PEM root certificates that sign the server's certificate; empty uses
  // gRPC's default roots (GRPC_DEFAULT_SSL_ROOTS_FILE_PATH or the bundled
  // set).
  std::string tls_root_certificates_pem;
  // PEM client certificate chain and private key for mutual TLS; set both or
  // neither.
  std::string tls_client_certificate_pem;
  std::string tls_client_key_pem;
  // Host name checked against the server's certificate instead of the
  // target's host, for example "localhost" when the target is 127.0.0.1.
  // Empty: the target's host.
  std::string tls_server_name;

  // Sent with every call as the metadata "authorization: Bearer <token>";
  // empty sends none. Printable ASCII only. Without TLS the token crosses
  // the network in clear text.
  std::string bearer_token;

  // Deadline of unary calls (Colorize, ColorizeBatch, GetModelInfo, Health)
  // that set none in CallOptions. absl::InfiniteDuration() means no
  // deadline. Default: 30 s.
  absl::Duration default_deadline = absl::Seconds(30);

  // Calls that fail with UNAVAILABLE before the server committed a response
  // are retried by gRPC itself, through a retryPolicy in the channel's
  // service config. The waits grow from initial_backoff by
  // backoff_multiplier up to max_backoff, and gRPC randomizes each of them.
  // max_attempts counts the first attempt; 1 disables retries, and gRPC
  // caps it at 5. Default: 4 attempts, 100 ms, x2, 2 s.
  int max_attempts = 4;
  absl::Duration initial_backoff = absl::Milliseconds(100);
  absl::Duration max_backoff = absl::Seconds(2);
  double backoff_multiplier = 2.0;

  // Load-balancing policy of the channel's service config. "round_robin"
  // spreads calls over every address the resolver returns, for example all
  // replicas behind a Kubernetes headless Service with a "dns:///" target.
  // "pick_first" uses one address at a time. Default: "round_robin".
  std::string load_balancing_policy = "round_robin";

  // Largest response accepted, in bytes. A response carries one span per
  // token, so it may be many times the request: a 1 MiB text of punctuation
  // has about a million spans. Default: 256 MiB.
  int64_t max_receive_message_bytes = int64_t{256} << 20;
  // Largest request sent, in bytes; -1 leaves it to the server's limit.
  // Default: -1.
  int64_t max_send_message_bytes = -1;
};

// Per-call settings.
struct CallOptions {
  // The call's deadline, measured from the start of the call. Zero (the
  // default) uses ClientOptions::default_deadline; absl::InfiniteDuration()
  // sets none.
  absl::Duration deadline = absl::ZeroDuration();
  // Waits for the channel to connect (until the deadline) instead of failing
  // at once with UNAVAILABLE while the server cannot be reached. Default:
  // false.
  bool wait_for_ready = false;
};

struct StreamOptions {
  // Deadline of the whole stream. Default: none.
  absl::Duration deadline = absl::InfiniteDuration();
  // Waits for the channel to connect instead of failing at once. Default:
  // false.
  bool wait_for_ready = false;
  // Requests queued for sending before Write blocks, which passes gRPC flow
  // control back to the writer. Must be positive. Default: 16.
  size_t max_queued_writes = 16;
  // Responses held for Read before the session stops reading from the
  // network (the server then slows down in turn). Unused with callbacks.
  // Must be positive. Default: 64.
  size_t max_buffered_responses = 64;
};

// Callbacks of a callback-driven stream. Both run on a gRPC thread and must
// not block for long: while on_response runs, no further response is read.
struct StreamCallbacks {
  // Called with each response, in order. Required.
  absl::AnyInvocable<void(synesthesia::v1::ColorizeStreamResponse)> on_response;
  // Called once with the call's status, after the last on_response.
  // Optional.
  absl::AnyInvocable<void(absl::Status)> on_done;
};

namespace internal {
class StreamReactor;
template <typename Request, typename Response>
struct AsyncCall;
}  // namespace internal

// One ColorizeStream call. Requests go out in order through a bounded queue;
// responses arrive either through Read (a bounded buffer) or through
// StreamCallbacks::on_response. Destroying an unfinished session cancels the
// call and waits until gRPC has released it. A session holds its own
// reference to the channel, so it may outlive its Client.
class StreamSession {
 public:
  ~StreamSession();
  StreamSession(const StreamSession&) = delete;
  StreamSession& operator=(const StreamSession&) = delete;

  // Queues REQUEST for sending, blocking while max_queued_writes requests
  // are queued. Fails with FAILED_PRECONDITION after WritesDone or Finish,
  // and with ABORTED once the call has ended (Finish returns why).
  absl::Status Write(synesthesia::v1::ColorizeStreamRequest request);
  // Writes a request with MESSAGE_ID, DELTA and FINAL and no options.
  absl::Status WriteDelta(std::string_view message_id, std::string_view delta,
                          bool final = false);

  // Half-closes the stream once the queued requests are sent: the server
  // finishes every open message and then ends the call. Idempotent.
  void WritesDone();

  // Returns the next response, blocking until one arrives, or std::nullopt
  // once the server has sent its last one (then call Finish). Always
  // std::nullopt for a session with callbacks.
  std::optional<synesthesia::v1::ColorizeStreamResponse> Read();

  // Half-closes the stream if WritesDone has not been called, discards the
  // responses that Read has not returned, waits until the call has ended and
  // returns its status. Later calls return the same status.
  absl::Status Finish();

  // Cancels the call; pending and later operations fail and Finish returns
  // CANCELLED (unless the call had already ended). Thread-safe.
  void Cancel();

 private:
  friend class Client;
  explicit StreamSession(internal::StreamReactor* reactor);

  // Deleted by the destructor, after gRPC is done with it.
  internal::StreamReactor* reactor_;
};

class Client {
 public:
  // Creates a client of the server at TARGET, a gRPC target such as
  // "127.0.0.1:50051", "dns:///synesthesia.example.svc:50051" or
  // "unix:///run/synesthesia.sock". Connecting is lazy: an unreachable
  // server fails the first call, not Create. Fails with INVALID_ARGUMENT for
  // an empty target or invalid options (naming the option).
  static absl::StatusOr<std::unique_ptr<Client>> Create(std::string target,
                                                        ClientOptions options = {});

  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // The blocking RPCs. Each returns the response or the call's status.
  absl::StatusOr<synesthesia::v1::ColorizeResponse> Colorize(
      const synesthesia::v1::ColorizeRequest& request, const CallOptions& call = {}) const;
  absl::StatusOr<synesthesia::v1::ColorizeBatchResponse> ColorizeBatch(
      const synesthesia::v1::ColorizeBatchRequest& request, const CallOptions& call = {}) const;
  absl::StatusOr<synesthesia::v1::ModelInfo> GetModelInfo(const CallOptions& call = {}) const;

  // Asks grpc.health.v1.Health/Check about SERVICE: "" for the whole server,
  // "synesthesia.v1.Synesthesia" for the colouring service. The server
  // reports SERVING only once its model is loaded and warmed up. NOT_FOUND
  // means it does not know SERVICE.
  absl::StatusOr<grpc::health::v1::HealthCheckResponse> Health(
      std::string_view service = "", const CallOptions& call = {}) const;

  // Asynchronous Colorize and ColorizeBatch: start the call and return at
  // once. DONE runs exactly once, on a gRPC thread, with the response or the
  // status; it must not block for long. The Client's destructor waits until
  // every pending DONE has returned, so DONE must not destroy the Client.
  void ColorizeAsync(
      synesthesia::v1::ColorizeRequest request,
      absl::AnyInvocable<void(absl::StatusOr<synesthesia::v1::ColorizeResponse>)> done,
      const CallOptions& call = {}) const;
  void ColorizeBatchAsync(
      synesthesia::v1::ColorizeBatchRequest request,
      absl::AnyInvocable<void(absl::StatusOr<synesthesia::v1::ColorizeBatchResponse>)> done,
      const CallOptions& call = {}) const;

  // Opens a ColorizeStream call whose responses are read with
  // StreamSession::Read. INVALID_ARGUMENT for invalid OPTIONS; a server
  // that cannot be reached shows up as the status of Finish.
  absl::StatusOr<std::unique_ptr<StreamSession>> OpenStream(
      const StreamOptions& options = {}) const;
  // Opens a ColorizeStream call whose responses go to CALLBACKS, without a
  // thread waiting on the session. INVALID_ARGUMENT without on_response.
  absl::StatusOr<std::unique_ptr<StreamSession>> OpenStream(
      StreamCallbacks callbacks, const StreamOptions& options = {}) const;

  const std::string& target() const { return target_; }
  const ClientOptions& options() const { return options_; }
  // The underlying channel, for example to wait for it to connect.
  const std::shared_ptr<grpc::Channel>& channel() const { return channel_; }

 private:
  template <typename Request, typename Response>
  friend struct internal::AsyncCall;

  Client(std::string target, ClientOptions options, std::shared_ptr<grpc::Channel> channel);

  absl::StatusOr<std::unique_ptr<StreamSession>> StartStream(StreamCallbacks callbacks,
                                                             const StreamOptions& options) const;

  // Count the asynchronous calls in flight, which the destructor waits for.
  // gRPC must not destroy the channel from one of its own callbacks.
  void AddPendingCall() const;
  void RemovePendingCall() const;

  const std::string target_;
  const ClientOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<synesthesia::v1::Synesthesia::Stub> stub_;
  std::unique_ptr<grpc::health::v1::Health::Stub> health_stub_;

  mutable std::mutex pending_mutex_;
  mutable std::condition_variable pending_changed_;
  // Asynchronous calls started and not yet completed; guarded by
  // pending_mutex_.
  mutable int pending_calls_ = 0;
};

// The service config that Create gives the channel: the load-balancing
// policy and the retry policy of OPTIONS, as gRPC service config JSON.
std::string ServiceConfigJson(const ClientOptions& options);

}  // namespace synesthesia

#endif  // SYNESTHESIA_CLIENT_H_
