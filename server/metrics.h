// Prometheus metrics of the server. Names follow Prometheus conventions:
// base units (seconds, bytes), `_total` for counters, low-cardinality labels.
// docs/metrics.md lists every metric with its meaning.
#ifndef SYNESTHESIA_SERVER_METRICS_H_
#define SYNESTHESIA_SERVER_METRICS_H_

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "absl/time/time.h"
#include "core/engine/colorize_types.h"
#include "core/engine/scheduler.h"
#include "grpcpp/support/status.h"
#include "prometheus/collectable.h"
#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace synesthesia::server {

// The RPC methods, as the `method` label spells them.
enum class Method { kColorize, kColorizeBatch, kColorizeStream, kGetModelInfo };
inline constexpr int kMethodCount = static_cast<int>(Method::kGetModelInfo) + 1;
std::string_view MethodName(Method method);

// Thread-safe: every method may be called from any thread.
class Metrics : public engine::SchedulerObserver {
 public:
  // Registers every metric in REGISTRY, which must outlive this object.
  explicit Metrics(prometheus::Registry& registry);

  // The standard process_* metrics (CPU, memory, file descriptors, start
  // time) read from /proc on each scrape; expose it beside the registry.
  std::shared_ptr<prometheus::Collectable> process_collector() const { return process_collector_; }

  // Sets synesthesia_model_info and synesthesia_build_info to 1.
  void SetModelInfo(const std::string& model, const std::string& architecture,
                    const std::string& default_projection);
  void SetBuildInfo(const std::string& version);
  // Sets synesthesia_max_queued_tokens, the scheduler's queue limit, so that
  // queue saturation can be computed as queued / max.
  void SetMaxQueuedTokens(int64_t max_queued_tokens);

  // One finished RPC: its status code and duration. Takes no lock other than
  // the duration histogram's: every method and code series exists from the
  // constructor on.
  void RecordRequest(Method method, grpc::StatusCode code, absl::Duration duration);
  // The stages and size of one colouring (a unary call, one batch text or
  // one stream delta).
  void RecordColouring(const engine::Timing& timing, int64_t tokens);

  void RequestStarted() { in_flight_requests_->Increment(); }
  void RequestFinished() { in_flight_requests_->Decrement(); }
  void StreamOpened() { active_streams_->Increment(); }
  void StreamClosed() { active_streams_->Decrement(); }
  void StreamMessageStarted() { stream_messages_->Increment(); }

  // engine::SchedulerObserver
  void OnBatch(const engine::BatchStats& stats) override;
  void OnQueueWait(absl::Duration wait) override;
  void OnQueueDepth(int64_t queued_tokens, int64_t pending_calls) override;
  void OnRejected() override;

 private:
  // The 17 canonical gRPC status codes, OK (0) to UNAUTHENTICATED (16).
  static constexpr int kCodeCount = 17;

  // synesthesia_requests_total by method and code, and
  // synesthesia_request_duration_seconds by method.
  std::array<std::array<prometheus::Counter*, kCodeCount>, kMethodCount> requests_{};
  std::array<prometheus::Histogram*, kMethodCount> request_duration_{};
  prometheus::Histogram* tokenize_duration_;
  prometheus::Histogram* queue_wait_;
  prometheus::Histogram* inference_duration_;
  prometheus::Histogram* batch_size_;
  prometheus::Histogram* batch_tokens_;
  prometheus::Counter* inference_real_tokens_;
  prometheus::Counter* inference_padding_tokens_;
  prometheus::Counter* batches_;
  prometheus::Histogram* request_tokens_;
  prometheus::Counter* tokens_;
  prometheus::Gauge* queued_tokens_;
  prometheus::Gauge* max_queued_tokens_;
  prometheus::Gauge* pending_calls_;
  prometheus::Gauge* in_flight_requests_;
  prometheus::Gauge* active_streams_;
  prometheus::Counter* stream_messages_;
  prometheus::Counter* rejected_;
  prometheus::Family<prometheus::Gauge>& model_info_;
  prometheus::Family<prometheus::Gauge>& build_info_;
  std::shared_ptr<prometheus::Collectable> process_collector_;
};

// Tracks one in-flight request in METRICS for its lifetime.
class InFlightRequest {
 public:
  explicit InFlightRequest(Metrics& metrics) : metrics_(metrics) { metrics_.RequestStarted(); }
  ~InFlightRequest() { metrics_.RequestFinished(); }
  InFlightRequest(const InFlightRequest&) = delete;
  InFlightRequest& operator=(const InFlightRequest&) = delete;

 private:
  Metrics& metrics_;
};

}  // namespace synesthesia::server

#endif  // SYNESTHESIA_SERVER_METRICS_H_
