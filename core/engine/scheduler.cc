#include "core/engine/scheduler.h"

#include <algorithm>
#include <numeric>
#include <span>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/strings/str_cat.h"
#include "glog/logging.h"

namespace synesthesia::engine {

// One Submit: its sequences, the results gathered so far and its callback.
struct Scheduler::Call {
  std::vector<RowMatrixXf> states;
  int64_t remaining = 0;
  WorkControl control;
  Callback callback;
  absl::Time submitted;
  absl::Time first_pass_start = absl::InfiniteFuture();
  absl::Duration inference_time;
  bool done = false;
};

// One sequence of a call, waiting in the queue or in a forward pass.
struct Scheduler::Sequence {
  std::shared_ptr<Call> call;
  size_t index = 0;
  std::vector<int32_t> ids;
  absl::Time enqueued;
};

absl::StatusOr<std::unique_ptr<Scheduler>> Scheduler::Create(
    const model::DistilBertEncoder& encoder, SchedulerOptions options,
    SchedulerObserver* observer) {
  if (options.max_batch_tokens <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_batch_tokens must be positive, got ", options.max_batch_tokens));
  }
  if (options.max_batch_sequences <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_batch_sequences must be positive, got ", options.max_batch_sequences));
  }
  if (options.max_queued_tokens <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_queued_tokens must be positive, got ", options.max_queued_tokens));
  }
  if (options.max_batch_delay < absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(
        "max_batch_delay must not be negative, got ", absl::FormatDuration(options.max_batch_delay)));
  }
  if (options.completion_threads <= 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "completion_threads must be positive, got ", options.completion_threads));
  }
  return std::unique_ptr<Scheduler>(new Scheduler(encoder, options, observer));
}

Scheduler::Scheduler(const model::DistilBertEncoder& encoder, SchedulerOptions options,
                     SchedulerObserver* observer)
    : encoder_(encoder), options_(options), observer_(observer) {
  worker_ = std::thread([this] { RunWorker(); });
  for (int i = 0; i < options_.completion_threads; ++i) {
    completion_threads_.emplace_back([this] { RunCompletions(); });
  }
}

Scheduler::~Scheduler() { Shutdown(); }

absl::Status Scheduler::Submit(std::vector<std::vector<int32_t>> sequences, WorkControl control,
                               Admission admission, Callback callback) {
  if (sequences.empty()) {
    return absl::InvalidArgumentError("no sequences to encode");
  }
  int64_t tokens = 0;
  for (size_t i = 0; i < sequences.size(); ++i) {
    if (sequences[i].empty()) {
      return absl::InvalidArgumentError(absl::StrCat("sequence ", i, " is empty"));
    }
    tokens += static_cast<int64_t>(sequences[i].size());
  }

  const absl::Time now = absl::Now();
  absl::MutexLock lock(&mutex_);
  if (stopping_) {
    return absl::UnavailableError("the server is shutting down; retry on another replica");
  }
  // A call larger than the whole queue limit still runs when the queue is
  // empty; otherwise it could never run at all.
  if (admission == Admission::kRejectWhenFull && queued_tokens_ > 0 &&
      queued_tokens_ + tokens > options_.max_queued_tokens) {
    if (observer_ != nullptr) observer_->OnRejected();
    return absl::ResourceExhaustedError(
        absl::StrCat("the queue is full (", queued_tokens_, " tokens queued, limit ",
                     options_.max_queued_tokens, "; this call needs ", tokens,
                     "); retry with backoff"));
  }

  auto call = std::make_shared<Call>();
  call->states.resize(sequences.size());
  call->remaining = static_cast<int64_t>(sequences.size());
  call->control = std::move(control);
  call->callback = std::move(callback);
  call->submitted = now;
  for (size_t i = 0; i < sequences.size(); ++i) {
    queue_.push_back(Sequence{call, i, std::move(sequences[i]), now});
  }
  queued_tokens_ += tokens;
  ++pending_calls_;
  ReportDepthLocked();
  return absl::OkStatus();
}

void Scheduler::Shutdown() {
  std::call_once(shutdown_once_, [this] {
    {
      absl::MutexLock lock(&mutex_);
      stopping_ = true;
    }
    worker_.join();
    {
      absl::MutexLock lock(&mutex_);
      completions_stopping_ = true;
    }
    for (std::thread& thread : completion_threads_) thread.join();
  });
}

bool Scheduler::WaitUntilIdle(absl::Duration timeout) {
  absl::MutexLock lock(&mutex_);
  auto idle = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
    return pending_calls_ == 0 && queue_.empty() && !batch_running_ && completions_.empty() &&
           running_completions_ == 0;
  };
  return mutex_.AwaitWithTimeout(absl::Condition(&idle), timeout);
}

int64_t Scheduler::queued_tokens() const {
  absl::MutexLock lock(&mutex_);
  return queued_tokens_;
}

void Scheduler::RunWorker() {
  while (true) {
    std::vector<Sequence> batch;
    {
      absl::MutexLock lock(&mutex_);
      while (true) {
        auto has_work = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
          return stopping_ || !queue_.empty();
        };
        mutex_.Await(absl::Condition(&has_work));
        if (stopping_) break;

        const absl::Time now = absl::Now();
        DropWithdrawnLocked(now);
        if (queue_.empty()) continue;
        if (BatchReadyLocked(now)) break;
        // Not a full batch yet: wait for more work, a cancellation, the
        // earliest deadline or the end of the oldest sequence's delay.
        const absl::Time wake_at =
            std::min(queue_.front().enqueued + options_.max_batch_delay, EarliestDeadlineLocked());
        auto changed = [this, size = queue_.size(),
                        pokes = pokes_]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
          return stopping_ || queue_.size() != size || pokes_ != pokes;
        };
        mutex_.AwaitWithDeadline(absl::Condition(&changed), wake_at);
      }
      if (stopping_) {
        // Fail everything still queued; the running pass (none here, this
        // thread runs them) has finished.
        while (!queue_.empty()) {
          std::shared_ptr<Call> call = queue_.front().call;
          CompleteLocked(call, absl::UnavailableError(
                                   "the server shut down before this call ran; retry"));
        }
        ReportDepthLocked();
        return;
      }
      batch = FormBatchLocked();
      batch_running_ = true;
      ReportDepthLocked();
    }
    RunBatch(std::move(batch));
  }
}

void Scheduler::NotifyCancelled() {
  absl::MutexLock lock(&mutex_);
  ++pokes_;
}

absl::Time Scheduler::EarliestDeadlineLocked() const {
  absl::Time earliest = absl::InfiniteFuture();
  for (const Sequence& sequence : queue_) {
    earliest = std::min(earliest, sequence.call->control.deadline);
  }
  return earliest;
}

bool Scheduler::BatchReadyLocked(absl::Time now) const {
  if (options_.max_batch_delay <= absl::ZeroDuration()) return true;
  if (now - queue_.front().enqueued >= options_.max_batch_delay) return true;
  if (static_cast<int64_t>(queue_.size()) >= options_.max_batch_sequences) return true;
  return queued_tokens_ >= options_.max_batch_tokens;
}

void Scheduler::DropWithdrawnLocked(absl::Time now) {
  bool dropped = false;
  for (size_t i = 0; i < queue_.size();) {
    const std::shared_ptr<Call> call = queue_[i].call;
    const bool cancelled =
        call->control.cancelled != nullptr && call->control.cancelled->load(std::memory_order_relaxed);
    const bool expired = now >= call->control.deadline;
    if (!cancelled && !expired) {
      ++i;
      continue;
    }
    // CompleteLocked removes every queued sequence of the call, so the scan
    // restarts from the same index.
    CompleteLocked(call, cancelled ? absl::CancelledError("the call was cancelled while queued")
                                   : absl::DeadlineExceededError(
                                         "the deadline passed while the call was queued"));
    dropped = true;
  }
  if (dropped) ReportDepthLocked();
}

std::vector<Scheduler::Sequence> Scheduler::FormBatchLocked() {
  // Candidates ordered by closeness in length to the oldest sequence, then
  // by age, so that the oldest always runs and padding stays small.
  const int64_t anchor_length = static_cast<int64_t>(queue_.front().ids.size());
  std::vector<size_t> order(queue_.size());
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin() + 1, order.end(), [&](size_t a, size_t b) {
    const int64_t distance_a = std::abs(static_cast<int64_t>(queue_[a].ids.size()) - anchor_length);
    const int64_t distance_b = std::abs(static_cast<int64_t>(queue_[b].ids.size()) - anchor_length);
    return distance_a < distance_b;
  });

  std::vector<bool> chosen(queue_.size(), false);
  int64_t count = 0;
  int64_t longest = 0;
  for (size_t index : order) {
    if (count >= options_.max_batch_sequences) break;
    const int64_t length = static_cast<int64_t>(queue_[index].ids.size());
    const int64_t new_longest = std::max(longest, length);
    if (count > 0 && new_longest * (count + 1) > options_.max_batch_tokens) continue;
    chosen[index] = true;
    longest = new_longest;
    ++count;
  }

  std::vector<Sequence> batch;
  std::deque<Sequence> rest;
  for (size_t i = 0; i < queue_.size(); ++i) {
    if (chosen[i]) {
      queued_tokens_ -= static_cast<int64_t>(queue_[i].ids.size());
      batch.push_back(std::move(queue_[i]));
    } else {
      rest.push_back(std::move(queue_[i]));
    }
  }
  queue_ = std::move(rest);
  return batch;
}

void Scheduler::RunBatch(std::vector<Sequence> batch) {
  const absl::Time start = absl::Now();
  std::vector<std::span<const int32_t>> inputs;
  inputs.reserve(batch.size());
  int64_t longest = 0;
  int64_t real_tokens = 0;
  for (const Sequence& sequence : batch) {
    inputs.emplace_back(sequence.ids);
    longest = std::max(longest, static_cast<int64_t>(sequence.ids.size()));
    real_tokens += static_cast<int64_t>(sequence.ids.size());
    if (observer_ != nullptr) observer_->OnQueueWait(start - sequence.enqueued);
  }

  absl::StatusOr<std::vector<RowMatrixXf>> states = encoder_.Encode(inputs);
  const absl::Duration elapsed = absl::Now() - start;
  if (observer_ != nullptr) {
    observer_->OnBatch(BatchStats{static_cast<int64_t>(batch.size()),
                                  longest * static_cast<int64_t>(batch.size()), real_tokens,
                                  elapsed});
  }
  if (!states.ok()) {
    LOG(ERROR) << "forward pass of " << batch.size() << " sequences (" << real_tokens
               << " tokens) failed: " << states.status();
  }

  absl::MutexLock lock(&mutex_);
  batch_running_ = false;
  absl::flat_hash_set<const Call*> carried;
  for (size_t i = 0; i < batch.size(); ++i) {
    const std::shared_ptr<Call> call = batch[i].call;
    if (call->done) continue;
    if (!states.ok()) {
      CompleteLocked(call, states.status());
      continue;
    }
    // A pass counts once per call, however many of its sequences it carried.
    if (carried.insert(call.get()).second) {
      call->inference_time += elapsed;
      call->first_pass_start = std::min(call->first_pass_start, start);
    }
    call->states[batch[i].index] = std::move((*states)[i]);
    if (--call->remaining == 0) {
      EncodeResult result;
      result.states = std::move(call->states);
      result.queue_time = call->first_pass_start - call->submitted;
      result.inference_time = call->inference_time;
      CompleteLocked(call, std::move(result));
    }
  }
  ReportDepthLocked();
}

void Scheduler::CompleteLocked(const std::shared_ptr<Call>& call,
                               absl::StatusOr<EncodeResult> result) {
  if (call->done) return;
  call->done = true;
  --pending_calls_;

  // Remove the call's sequences that are still queued.
  for (auto it = queue_.begin(); it != queue_.end();) {
    if (it->call == call) {
      queued_tokens_ -= static_cast<int64_t>(it->ids.size());
      it = queue_.erase(it);
    } else {
      ++it;
    }
  }

  completions_.push_back([callback = std::move(call->callback), result = std::move(result)]() mutable {
    std::move(callback)(std::move(result));
  });
}

void Scheduler::RunCompletions() {
  while (true) {
    absl::AnyInvocable<void() &&> completion;
    {
      absl::MutexLock lock(&mutex_);
      auto ready = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mutex_) {
        return !completions_.empty() || completions_stopping_;
      };
      mutex_.Await(absl::Condition(&ready));
      if (completions_.empty()) return;
      completion = std::move(completions_.front());
      completions_.pop_front();
      ++running_completions_;
    }
    std::move(completion)();
    absl::MutexLock lock(&mutex_);
    --running_completions_;
  }
}

void Scheduler::ReportDepthLocked() {
  if (observer_ != nullptr) observer_->OnQueueDepth(queued_tokens_, pending_calls_);
}

}  // namespace synesthesia::engine
