// The serving engine: one Colorizer and one Scheduler, so that every call,
// unary, batch or stream, is tokenized on the caller's thread and encoded in
// batches shared with every other call.
#ifndef SYNESTHESIA_CORE_ENGINE_ENGINE_H_
#define SYNESTHESIA_CORE_ENGINE_ENGINE_H_

#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

#include "absl/functional/any_invocable.h"
#include "absl/status/statusor.h"
#include "core/engine/colorize_types.h"
#include "core/engine/colorizer.h"
#include "core/engine/scheduler.h"
#include "core/engine/stream.h"

namespace synesthesia::engine {

struct EngineOptions {
  ColorizerOptions colorizer;
  SchedulerOptions scheduler;
  StreamOptions stream;
  // Maximum texts in one ColorizeBatch. Default: 256.
  int64_t max_batch_texts = 256;
};

// Thread-safe: every method may be called from any thread.
class Engine {
 public:
  using ResultCallback = absl::AnyInvocable<void(absl::StatusOr<ColorizeResult>) &&>;
  using BatchCallback = absl::AnyInvocable<void(absl::StatusOr<std::vector<ColorizeResult>>) &&>;

  // Loads the model and starts the scheduler. OBSERVER may be null; when set
  // it must outlive the engine.
  static absl::StatusOr<std::unique_ptr<Engine>> Create(EngineOptions options,
                                                        SchedulerObserver* observer = nullptr);

  // Colours TEXT. Errors found before queueing are returned, and then DONE
  // is not called: invalid input, RESOURCE_EXHAUSTED when the queue is full,
  // UNAVAILABLE after Shutdown. Otherwise DONE runs exactly once on a
  // completion thread.
  absl::Status Colorize(std::string_view text, const ColorizeOptions& options,
                        WorkControl control, ResultCallback done);

  // Colours every text of TEXTS with OPTIONS as one scheduler submission;
  // results come in the order of TEXTS. Same error contract as Colorize, and
  // INVALID_ARGUMENT naming the index of the first bad text or when there are
  // more than max_batch_texts texts.
  absl::Status ColorizeBatch(const std::vector<std::string_view>& texts,
                             const ColorizeOptions& options, WorkControl control,
                             BatchCallback done);

  // Encodes the words in PREPARED (from StreamMessage::Append). Admitted
  // even when the queue is full: streams bound themselves by their pending
  // deltas. Same callback contract as Colorize.
  absl::Status ColorizePrepared(PreparedText prepared, WorkControl control, ResultCallback done);

  // Wakes the scheduler to drop cancelled work at once (see
  // Scheduler::NotifyCancelled).
  void NotifyCancelled();

  // Colours a short text twice on the calling thread so that the first real
  // call does not pay for lazy initialization, then ends the calling
  // thread's idle OpenMP threads (model::ReleaseOpenMpThreads).
  absl::Status Warmup();

  // Waits until no work is queued or running, or TIMEOUT passes; returns
  // whether it drained.
  bool WaitUntilIdle(absl::Duration timeout);

  // Stops the scheduler: queued work fails with UNAVAILABLE. Idempotent.
  void Shutdown();

  const Colorizer& colorizer() const { return *colorizer_; }
  const EngineOptions& options() const { return options_; }

 private:
  Engine(EngineOptions options, std::unique_ptr<Colorizer> colorizer);

  const EngineOptions options_;
  std::unique_ptr<Colorizer> colorizer_;
  std::unique_ptr<Scheduler> scheduler_;
};

}  // namespace synesthesia::engine

#endif  // SYNESTHESIA_CORE_ENGINE_ENGINE_H_
