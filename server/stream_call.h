// One ColorizeStream call: reads deltas, hands complete words to the engine,
// and writes the spans back in the order the deltas arrived.
#ifndef SYNESTHESIA_SERVER_STREAM_CALL_H_
#define SYNESTHESIA_SERVER_STREAM_CALL_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include "absl/base/thread_annotations.h"
#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/engine/engine.h"
#include "core/engine/stream.h"
#include "server/call_tracker.h"
#include "grpcpp/grpcpp.h"
#include "server/wire/request_wire.pb.h"

namespace synesthesia::server {

class SynesthesiaService;

// Lifetime: created by Start, deleted by itself in OnDone, which gRPC calls
// only after Finish; Finish waits until no engine callback is outstanding,
// so callbacks never see a deleted call.
class StreamCall final : public grpc::ServerBidiReactor<grpc::ByteBuffer, grpc::ByteBuffer> {
 public:
  static StreamCall* Start(SynesthesiaService& service, grpc::CallbackServerContext* context);

  void OnReadDone(bool ok) override;
  void OnWriteDone(bool ok) override;
  void OnCancel() override;
  void OnDone() override;

 private:
  // A response to send, in the order the deltas arrived.
  struct Slot {
    bool ready = false;
    grpc::ByteBuffer response;
  };
  // Operations chosen by AdvanceLocked, performed after the lock is released.
  struct Actions {
    bool read = false;
    grpc::ByteBuffer* write = nullptr;
    std::optional<grpc::Status> finish;
  };

  StreamCall(SynesthesiaService& service, grpc::CallbackServerContext* context);

  // Handles one request: finds or opens its message and queues its work.
  absl::Status HandleRequest(const v1::wire::ColorizeStreamRequest& request)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Queues the words in PREPARED, or a bare final response without any.
  absl::Status QueueWork(const std::string& message_id, std::optional<engine::PreparedText> prepared,
                         bool final, projection::Kind projection) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void OnColoured(const std::shared_ptr<Slot>& slot, const std::string& message_id, bool final,
                  absl::StatusOr<engine::ColorizeResult> result);
  // Ends every open message, as a half-close does.
  void FinishOpenMessages() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Fail(absl::Status status) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Decides the next reads, writes and the finish under the lock.
  Actions AdvanceLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void Perform(Actions actions);

  SynesthesiaService& service_;
  CallTracker::Token token_;
  grpc::CallbackServerContext* const context_;
  engine::Engine* engine_ = nullptr;
  const absl::Time start_;
  // The call's deadline; InfiniteFuture when it has none.
  const absl::Time deadline_;
  const std::shared_ptr<std::atomic<bool>> cancelled_ = std::make_shared<std::atomic<bool>>(false);

  grpc::ByteBuffer read_buffer_;
  grpc::ByteBuffer write_buffer_;

  absl::Mutex mutex_;
  absl::flat_hash_map<std::string, std::unique_ptr<engine::StreamMessage>> messages_
      ABSL_GUARDED_BY(mutex_);
  std::deque<std::shared_ptr<Slot>> slots_ ABSL_GUARDED_BY(mutex_);
  int64_t outstanding_ ABSL_GUARDED_BY(mutex_) = 0;
  bool read_in_flight_ ABSL_GUARDED_BY(mutex_) = false;
  bool write_in_flight_ ABSL_GUARDED_BY(mutex_) = false;
  bool reads_done_ ABSL_GUARDED_BY(mutex_) = false;
  bool finishing_ ABSL_GUARDED_BY(mutex_) = false;
  absl::Status error_ ABSL_GUARDED_BY(mutex_);
  grpc::StatusCode final_code_ ABSL_GUARDED_BY(mutex_) = grpc::StatusCode::OK;
};

}  // namespace synesthesia::server

#endif  // SYNESTHESIA_SERVER_STREAM_CALL_H_
