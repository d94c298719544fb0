// The gRPC handlers of synesthesia.v1.Synesthesia. Each handler converts the
// request, calls the engine, converts the status and records metrics; no
// colouring logic lives here.
//
// The request messages are read through the server's lenient wire types
// (wire/request_wire.proto) so that invalid UTF-8 in a text field becomes
// INVALID_ARGUMENT naming the byte offset, not a bare transport error.
#ifndef SYNESTHESIA_SERVER_SERVICE_H_
#define SYNESTHESIA_SERVER_SERVICE_H_

#include <atomic>
#include <cstdint>
#include <string>

#include "core/engine/engine.h"
#include "core/projection/projection.h"
#include "grpcpp/grpcpp.h"
#include "server/call_tracker.h"
#include "server/metrics.h"
#include "synesthesia/v1/synesthesia.grpc.pb.h"

namespace synesthesia::server {

struct ServiceOptions {
  // Responses a stream may have waiting (being coloured or not yet written)
  // before the server stops reading its requests. Default: 8.
  int64_t max_pending_deltas = 8;
  // Messages open at once on one stream. Default: 16.
  int64_t max_stream_messages = 16;
  // When not empty, every Synesthesia call must carry the metadata
  // "authorization: Bearer <token>"; health and reflection stay open.
  std::string bearer_token;
  // Reported in ModelInfo.limits.
  int64_t max_message_bytes = 0;
  // Reported in ModelInfo.server_version.
  std::string version;
};

using ServiceBase = v1::Synesthesia::WithRawCallbackMethod_Colorize<
    v1::Synesthesia::WithRawCallbackMethod_ColorizeBatch<
        v1::Synesthesia::WithRawCallbackMethod_ColorizeStream<
            v1::Synesthesia::WithCallbackMethod_GetModelInfo<v1::Synesthesia::Service>>>>;

// Thread-safe: gRPC calls the handlers from its threads.
class SynesthesiaService final : public ServiceBase {
 public:
  // METRICS must outlive the service.
  SynesthesiaService(ServiceOptions options, Metrics& metrics);

  // Projections for requests that leave the projection unspecified.
  struct Defaults {
    projection::Kind unary = projection::Kind::kPca;
    projection::Kind stream = projection::Kind::kPca;
  };

  // Makes ENGINE serve calls with DEFAULTS; until then every call fails with
  // UNAVAILABLE. ENGINE must outlive every call (shut the gRPC server down
  // first). Call once.
  void SetEngine(engine::Engine* engine, Defaults defaults);

  grpc::ServerUnaryReactor* Colorize(grpc::CallbackServerContext* context,
                                     const grpc::ByteBuffer* request,
                                     grpc::ByteBuffer* response) override;
  grpc::ServerUnaryReactor* ColorizeBatch(grpc::CallbackServerContext* context,
                                          const grpc::ByteBuffer* request,
                                          grpc::ByteBuffer* response) override;
  grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer>* ColorizeStream(
      grpc::CallbackServerContext* context) override;
  grpc::ServerUnaryReactor* GetModelInfo(grpc::CallbackServerContext* context,
                                         const v1::GetModelInfoRequest* request,
                                         v1::ModelInfo* response) override;

  const ServiceOptions& options() const { return options_; }
  // Valid once Admit has returned an engine.
  const Defaults& defaults() const { return defaults_; }
  Metrics& metrics() { return metrics_; }

  // The engine, or UNAVAILABLE while the model loads or the server drains;
  // UNAUTHENTICATED when a bearer token is configured and CONTEXT lacks it.
  absl::StatusOr<engine::Engine*> Admit(const grpc::CallbackServerContext& context) const;

  // The tracker that counts this service's calls: every call object owns
  // one of its tokens. Server::Shutdown starts draining it, so that Admit
  // rejects new calls with UNAVAILABLE, and then waits for admitted calls.
  CallTracker& call_tracker() { return call_tracker_; }

 private:
  const ServiceOptions options_;
  Metrics& metrics_;
  // Written once before engine_ is published, read only after.
  Defaults defaults_;
  std::atomic<engine::Engine*> engine_{nullptr};
  CallTracker call_tracker_;
};

}  // namespace synesthesia::server

#endif  // SYNESTHESIA_SERVER_SERVICE_H_
