// Continuous batching for the encoder.
//
// Every call submits its token sequences to one queue. A single worker
// thread forms a batch whenever the encoder is free. It starts from the
// oldest waiting sequence and adds the waiting sequences closest to it in
// length while the padded batch (longest length x count) stays within
// max_batch_tokens and max_batch_sequences, then runs one forward pass. A
// call's sequences may be spread over several passes; its callback runs once
// all of them are done. Calls that were cancelled or whose deadline passed
// leave the queue before compute.
//
// Overload is explicit: Submit with Admission::kRejectWhenFull fails at once
// with RESOURCE_EXHAUSTED when the queue would exceed max_queued_tokens.
// Streams use Admission::kAlwaysAdmit and bound themselves (a per-stream
// limit on pending deltas), so the queue stays bounded by the number of
// streams.
#ifndef SYNESTHESIA_CORE_ENGINE_SCHEDULER_H_
#define SYNESTHESIA_CORE_ENGINE_SCHEDULER_H_

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/model/encoder.h"
#include "core/util/matrix.h"

namespace synesthesia::engine {

struct SchedulerOptions {
  // Maximum tokens in one forward pass, counted with padding. A single sequence
  // longer than this still runs, alone. Default: 2048.
  int64_t max_batch_tokens = 2048;
  // Maximum sequences in one forward pass. Default: 128.
  int64_t max_batch_sequences = 128;
  // How long the worker may wait for more work when the queue has less
  // than a full batch. Default: 0 (start as soon as the encoder is free).
  absl::Duration max_batch_delay = absl::ZeroDuration();
  // Maximum tokens (without padding) waiting in the queue before
  // kRejectWhenFull submissions fail. Default: 65536.
  int64_t max_queued_tokens = 65536;
  // Threads that run the callbacks, so that projection and response work
  // overlaps the next forward pass. Default: 1.
  int completion_threads = 1;
};

// Statistics of one forward pass, for metrics.
struct BatchStats {
  int64_t sequences = 0;
  // Tokens in the padded batch: sequences x longest length.
  int64_t padded_tokens = 0;
  // Real tokens in the batch.
  int64_t real_tokens = 0;
  absl::Duration inference_time;
};

// Receives scheduler events; every method may be called from the worker
// thread and must not block. Implementations must be thread-safe.
class SchedulerObserver {
 public:
  virtual ~SchedulerObserver() = default;
  virtual void OnBatch(const BatchStats& stats) { (void)stats; }
  // Queue wait of one sequence before its forward pass started.
  virtual void OnQueueWait(absl::Duration wait) { (void)wait; }
  // Queue depth after every change.
  virtual void OnQueueDepth(int64_t queued_tokens, int64_t pending_calls) {
    (void)queued_tokens;
    (void)pending_calls;
  }
  // A kRejectWhenFull submission that did not fit.
  virtual void OnRejected() {}
};

// Lets a caller withdraw queued work.
struct WorkControl {
  // Work still queued at this time fails with DEADLINE_EXCEEDED.
  absl::Time deadline = absl::InfiniteFuture();
  // Set by the caller (for example when the RPC is cancelled); queued work
  // fails with CANCELLED. Optional.
  std::shared_ptr<std::atomic<bool>> cancelled;
};

// The outcome of one Submit.
struct EncodeResult {
  // One [length, dim] matrix per submitted sequence, in order.
  std::vector<RowMatrixXf> states;
  // From Submit to the start of the first forward pass that carried one of
  // the sequences.
  absl::Duration queue_time;
  // Sum of the forward passes that carried the sequences.
  absl::Duration inference_time;
};

enum class Admission {
  // Fail with RESOURCE_EXHAUSTED when the queue is full.
  kRejectWhenFull,
  // Queue regardless; the caller bounds its own submissions.
  kAlwaysAdmit,
};

// Thread-safe: Submit may be called from any thread.
class Scheduler {
 public:
  using Callback = absl::AnyInvocable<void(absl::StatusOr<EncodeResult>) &&>;

  // Starts the worker and completion threads over ENCODER, which must
  // outlive the scheduler. OBSERVER may be null; when set it must outlive the
  // scheduler. INVALID_ARGUMENT for non-positive limits.
  static absl::StatusOr<std::unique_ptr<Scheduler>> Create(const model::DistilBertEncoder& encoder,
                                                           SchedulerOptions options,
                                                           SchedulerObserver* observer = nullptr);

  // Stops as Shutdown does.
  ~Scheduler();
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Queues SEQUENCES (each non-empty, [CLS] and [SEP] included). On OK,
  // CALLBACK runs exactly once on a completion thread with the hidden states
  // or with CANCELLED, DEADLINE_EXCEEDED, UNAVAILABLE (shut down) or the
  // encoder's error. On a non-OK return (RESOURCE_EXHAUSTED when full,
  // UNAVAILABLE after Shutdown, INVALID_ARGUMENT for no sequences) CALLBACK
  // is not called.
  absl::Status Submit(std::vector<std::vector<int32_t>> sequences, WorkControl control,
                      Admission admission, Callback callback);

  // Wakes the worker to drop cancelled work at once; call it after setting
  // a WorkControl's cancelled flag. Without it, cancelled work leaves the
  // queue when the next batch forms.
  void NotifyCancelled();

  // Rejects new work with UNAVAILABLE, fails queued work with UNAVAILABLE,
  // lets the running forward pass finish, runs every callback and joins the
  // threads. Idempotent.
  void Shutdown();

  // Waits until the queue is empty and no forward pass runs, or TIMEOUT
  // passes; returns whether it drained. For graceful shutdown.
  bool WaitUntilIdle(absl::Duration timeout);

  int64_t queued_tokens() const;
  const SchedulerOptions& options() const { return options_; }

 private:
  struct Call;
  struct Sequence;

  Scheduler(const model::DistilBertEncoder& encoder, SchedulerOptions options,
            SchedulerObserver* observer);
  void RunWorker();
  void RunCompletions();
  // Removes cancelled and expired calls from the queue and completes them.
  void DropWithdrawnLocked(absl::Time now) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  // Picks the sequences of the next forward pass and removes them from the queue.
  std::vector<Sequence> FormBatchLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  bool BatchReadyLocked(absl::Time now) const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  absl::Time EarliestDeadlineLocked() const ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void RunBatch(std::vector<Sequence> batch);
  void CompleteLocked(const std::shared_ptr<Call>& call, absl::StatusOr<EncodeResult> result)
      ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);
  void ReportDepthLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_);

  const model::DistilBertEncoder& encoder_;
  const SchedulerOptions options_;
  SchedulerObserver* const observer_;

  mutable absl::Mutex mutex_;
  bool stopping_ ABSL_GUARDED_BY(mutex_) = false;
  bool batch_running_ ABSL_GUARDED_BY(mutex_) = false;
  std::deque<Sequence> queue_ ABSL_GUARDED_BY(mutex_);
  int64_t queued_tokens_ ABSL_GUARDED_BY(mutex_) = 0;
  int64_t pending_calls_ ABSL_GUARDED_BY(mutex_) = 0;
  // Counts NotifyCancelled calls, so that a waiting worker can detect a new one.
  int64_t pokes_ ABSL_GUARDED_BY(mutex_) = 0;
  // Finished calls waiting for a completion thread.
  std::deque<absl::AnyInvocable<void() &&>> completions_ ABSL_GUARDED_BY(mutex_);
  int64_t running_completions_ ABSL_GUARDED_BY(mutex_) = 0;
  bool completions_stopping_ ABSL_GUARDED_BY(mutex_) = false;
  std::once_flag shutdown_once_;

  std::thread worker_;
  std::vector<std::thread> completion_threads_;
};

}  // namespace synesthesia::engine

#endif  // SYNESTHESIA_CORE_ENGINE_SCHEDULER_H_
