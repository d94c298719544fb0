// The gRPC callback reactor behind StreamSession. Private to the library.
#ifndef SYNESTHESIA_CLIENT_SRC_STREAM_REACTOR_H_
#define SYNESTHESIA_CLIENT_SRC_STREAM_REACTOR_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>

#include "absl/status/status.h"
#include "grpcpp/client_context.h"
#include "grpcpp/support/client_callback.h"
#include "synesthesia/client.h"
#include "synesthesia/v1/synesthesia.grpc.pb.h"

namespace synesthesia::internal {

// Drives one ColorizeStream call with the callback API, so that no thread
// waits on the call unless the user calls a blocking method.
//
// gRPC may run a reaction (OnWriteDone, OnDone, ...) on the thread that
// starts an operation, so every Start*, AddHold and RemoveHold happens with
// mutex_ released. A hold, taken before StartCall, keeps OnDone from running
// while the writer may still start operations. It is removed right after
// StartWritesDone. That follows WritesDone or the end of the responses,
// whichever comes first, once no write is in flight. A second hold covers
// a read paused because the Read buffer is full.
class StreamReactor final
    : public grpc::ClientBidiReactor<v1::ColorizeStreamRequest, v1::ColorizeStreamResponse> {
 public:
  // CALLBACKS.on_response empty means responses are buffered for Read.
  // CHANNEL is kept open for as long as this object lives.
  StreamReactor(StreamCallbacks callbacks, const StreamOptions& options,
                std::shared_ptr<grpc::Channel> channel);

  // The context to configure before Start.
  grpc::ClientContext& context() { return context_; }
  // Starts the call on STUB. Call once.
  void Start(v1::Synesthesia::Stub& stub);

  // The operations of StreamSession; see synesthesia/client.h.
  absl::Status Write(v1::ColorizeStreamRequest request);
  void WritesDone();
  std::optional<v1::ColorizeStreamResponse> Read();
  absl::Status Finish();
  void Cancel();
  // Cancels the call unless it has ended, and waits for OnDone.
  void Abandon();

  void OnWriteDone(bool ok) override;
  void OnWritesDoneDone(bool ok) override;
  void OnReadDone(bool ok) override;
  void OnDone(const grpc::Status& status) override;

 private:
  // Under mutex_: whether the writing side should close now, that is, no
  // write is in flight and either WritesDone was called or the server has
  // ended the call. Marks it closed.
  bool TakeWriterCloseLocked();
  // Starts the half-close and drops the writer's hold, outside mutex_.
  void StartWritesDoneAndRelease();
  // Restarts a read paused by a full buffer, outside mutex_.
  void ResumeRead();
  // Under mutex_: whether a paused read should be resumed (and marks it so).
  bool TakePausedReadLocked();

  const std::shared_ptr<grpc::Channel> channel_;
  grpc::ClientContext context_;
  StreamCallbacks callbacks_;
  const size_t max_queued_writes_;
  const size_t max_buffered_responses_;
  // The read in flight fills this; only one read is ever in flight.
  v1::ColorizeStreamResponse incoming_;

  std::mutex mutex_;
  std::condition_variable changed_;
  // Requests not yet confirmed written; the front one is in flight while
  // writing_ is true. A deque keeps the front's address stable.
  std::deque<v1::ColorizeStreamRequest> outgoing_;
  bool writing_ = false;
  bool writes_done_requested_ = false;
  bool writes_done_started_ = false;
  // A write failed or the call was cancelled: no further write is accepted.
  bool write_failed_ = false;
  // Cancel was called, so a CANCELLED result names this client as the cause.
  bool cancelled_by_caller_ = false;
  std::deque<v1::ColorizeStreamResponse> buffered_;
  bool read_paused_ = false;
  bool discard_responses_ = false;
  bool reads_done_ = false;
  bool done_ = false;
  absl::Status status_;
};

}  // namespace synesthesia::internal

#endif  // SYNESTHESIA_CLIENT_SRC_STREAM_REACTOR_H_
