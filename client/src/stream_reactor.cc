#include "client/src/stream_reactor.h"

#include <utility>

#include "client/src/grpc_status.h"

namespace synesthesia::internal {

StreamReactor::StreamReactor(StreamCallbacks callbacks, const StreamOptions& options,
                             std::shared_ptr<grpc::Channel> channel)
    : channel_(std::move(channel)),
      callbacks_(std::move(callbacks)),
      max_queued_writes_(options.max_queued_writes),
      max_buffered_responses_(options.max_buffered_responses) {}

void StreamReactor::Start(v1::Synesthesia::Stub& stub) {
  stub.async()->ColorizeStream(&context_, this);
  StartRead(&incoming_);
  AddHold();
  StartCall();
}

absl::Status StreamReactor::Write(v1::ColorizeStreamRequest request) {
  v1::ColorizeStreamRequest* to_start = nullptr;
  {
    std::unique_lock lock(mutex_);
    if (writes_done_requested_) {
      return absl::FailedPreconditionError("the stream is half-closed; no more writes");
    }
    changed_.wait(lock, [this] { return outgoing_.size() < max_queued_writes_ || write_failed_; });
    if (write_failed_) {
      return absl::AbortedError("the stream has ended; Finish returns its status");
    }
    outgoing_.push_back(std::move(request));
    if (!writing_) {
      writing_ = true;
      to_start = &outgoing_.front();
    }
  }
  if (to_start != nullptr) StartWrite(to_start);
  return absl::OkStatus();
}

void StreamReactor::WritesDone() {
  bool close = false;
  {
    std::lock_guard lock(mutex_);
    writes_done_requested_ = true;
    close = TakeWriterCloseLocked();
  }
  if (close) StartWritesDoneAndRelease();
}

bool StreamReactor::TakeWriterCloseLocked() {
  if (writing_ || writes_done_started_ || !(writes_done_requested_ || reads_done_)) return false;
  writes_done_started_ = true;
  // After this no write may start: the call may end at any moment.
  write_failed_ = true;
  changed_.notify_all();
  return true;
}

void StreamReactor::StartWritesDoneAndRelease() {
  StartWritesDone();
  RemoveHold();
}

void StreamReactor::OnWriteDone(bool ok) {
  v1::ColorizeStreamRequest* next = nullptr;
  bool start_writes_done = false;
  {
    std::lock_guard lock(mutex_);
    outgoing_.pop_front();
    if (!ok) {
      // The call is broken; its status comes with OnDone.
      write_failed_ = true;
      outgoing_.clear();
    }
    if (!outgoing_.empty()) {
      next = &outgoing_.front();
    } else {
      writing_ = false;
      start_writes_done = TakeWriterCloseLocked();
    }
    changed_.notify_all();
  }
  if (next != nullptr) StartWrite(next);
  if (start_writes_done) StartWritesDoneAndRelease();
}

void StreamReactor::OnWritesDoneDone(bool /*ok*/) {}

void StreamReactor::OnReadDone(bool ok) {
  if (!ok) {
    // The server has ended the call (or it failed). Close the writing side
    // too, so that OnDone can run even if the writer never calls WritesDone.
    bool close = false;
    {
      std::lock_guard lock(mutex_);
      reads_done_ = true;
      changed_.notify_all();
      close = TakeWriterCloseLocked();
    }
    if (close) StartWritesDoneAndRelease();
    return;
  }

  if (callbacks_.on_response) {
    callbacks_.on_response(std::move(incoming_));
    incoming_.Clear();
    StartRead(&incoming_);
    return;
  }

  bool pause = false;
  {
    std::lock_guard lock(mutex_);
    if (!discard_responses_) {
      buffered_.push_back(std::move(incoming_));
      changed_.notify_all();
    }
    // Under the lock: once read_paused_ is visible, Read may start the next
    // read into incoming_ on its own thread.
    incoming_.Clear();
    if (buffered_.size() >= max_buffered_responses_) {
      // Stop reading until Read makes room. The hold keeps the call alive
      // for the StartRead that Read will issue, so it is taken before Read
      // can see read_paused_ and release it.
      AddHold();
      read_paused_ = true;
      pause = true;
    }
  }
  if (!pause) StartRead(&incoming_);
}

bool StreamReactor::TakePausedReadLocked() {
  if (!read_paused_) return false;
  read_paused_ = false;
  return true;
}

void StreamReactor::ResumeRead() {
  StartRead(&incoming_);
  RemoveHold();
}

std::optional<v1::ColorizeStreamResponse> StreamReactor::Read() {
  if (callbacks_.on_response) return std::nullopt;
  std::optional<v1::ColorizeStreamResponse> response;
  bool resume = false;
  {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [this] { return !buffered_.empty() || reads_done_ || done_; });
    if (buffered_.empty()) return std::nullopt;
    response = std::move(buffered_.front());
    buffered_.pop_front();
    resume = TakePausedReadLocked();
  }
  if (resume) ResumeRead();
  return response;
}

absl::Status StreamReactor::Finish() {
  WritesDone();
  bool resume = false;
  {
    std::lock_guard lock(mutex_);
    discard_responses_ = true;
    buffered_.clear();
    resume = TakePausedReadLocked();
  }
  if (resume) ResumeRead();

  std::unique_lock lock(mutex_);
  changed_.wait(lock, [this] { return done_; });
  return status_;
}

void StreamReactor::Cancel() {
  {
    std::lock_guard lock(mutex_);
    if (done_) return;
    write_failed_ = true;
    cancelled_by_caller_ = true;
    changed_.notify_all();
  }
  context_.TryCancel();
}

void StreamReactor::Abandon() {
  Cancel();
  Finish().IgnoreError();
}

void StreamReactor::OnDone(const grpc::Status& status) {
  absl::Status result = FromGrpcStatus(status);
  bool cancelled_by_caller = false;
  {
    std::lock_guard lock(mutex_);
    cancelled_by_caller = cancelled_by_caller_;
  }
  // gRPC's own message for a cancelled call is just "CANCELLED".
  if (cancelled_by_caller && absl::IsCancelled(result)) {
    result = absl::CancelledError("the stream was cancelled by this client (Cancel)");
  }
  // Runs before done_ is set: once it is, the session may delete this object.
  if (callbacks_.on_done) callbacks_.on_done(result);
  std::lock_guard lock(mutex_);
  status_ = result;
  done_ = true;
  reads_done_ = true;
  write_failed_ = true;
  changed_.notify_all();
}

}  // namespace synesthesia::internal
