#include "core/engine/engine.h"

#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "core/model/threads.h"
#include "core/util/status_macros.h"

namespace synesthesia::engine {
namespace {

// Fills in the stages the scheduler measured and the total since START.
void AddSchedulerTiming(const EncodeResult& encoded, absl::Time start, Timing& timing) {
  timing.queue = encoded.queue_time;
  timing.inference = encoded.inference_time;
  timing.total = absl::Now() - start;
}

}  // namespace

absl::StatusOr<std::unique_ptr<Engine>> Engine::Create(EngineOptions options,
                                                       SchedulerObserver* observer) {
  if (options.max_batch_texts <= 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("max_batch_texts must be positive, got ", options.max_batch_texts));
  }
  if (options.stream.context_tokens < 0) {
    return absl::InvalidArgumentError(absl::StrCat(
        "stream context_tokens must not be negative, got ", options.stream.context_tokens));
  }
  ASSIGN_OR_RETURN(std::unique_ptr<Colorizer> colorizer, Colorizer::Create(options.colorizer));
  std::unique_ptr<Engine> engine(new Engine(std::move(options), std::move(colorizer)));
  ASSIGN_OR_RETURN(engine->scheduler_,
                   Scheduler::Create(engine->colorizer_->model().encoder(),
                                     engine->options_.scheduler, observer));
  // The scheduler's worker thread runs every forward pass from here on.
  // Loading ran parallel work on this thread; its idle OpenMP threads would
  // make the worker's threads sleep between parallel regions (threads.h).
  model::ReleaseOpenMpThreads();
  return engine;
}

Engine::Engine(EngineOptions options, std::unique_ptr<Colorizer> colorizer)
    : options_(std::move(options)), colorizer_(std::move(colorizer)) {}

absl::Status Engine::Colorize(std::string_view text, const ColorizeOptions& options,
                              WorkControl control, ResultCallback done) {
  const absl::Time start = absl::Now();
  ASSIGN_OR_RETURN(PreparedText prepared, colorizer_->Prepare(text, options));
  if (prepared.window_ids.empty()) {
    // Nothing to encode (empty or whitespace-only text): respond at once.
    ASSIGN_OR_RETURN(ColorizeResult result, colorizer_->Finish(prepared, {}));
    result.timing.total = absl::Now() - start;
    std::move(done)(std::move(result));
    return absl::OkStatus();
  }

  std::vector<std::vector<int32_t>> sequences = prepared.window_ids;
  auto on_encoded = [this, start, prepared = std::move(prepared),
                     done = std::move(done)](absl::StatusOr<EncodeResult> encoded) mutable {
    if (!encoded.ok()) {
      std::move(done)(encoded.status());
      return;
    }
    absl::StatusOr<ColorizeResult> result = colorizer_->Finish(prepared, encoded->states);
    if (result.ok()) AddSchedulerTiming(*encoded, start, result->timing);
    std::move(done)(std::move(result));
  };
  return scheduler_->Submit(std::move(sequences), std::move(control), Admission::kRejectWhenFull,
                            std::move(on_encoded));
}

absl::Status Engine::ColorizeBatch(const std::vector<std::string_view>& texts,
                                   const ColorizeOptions& options, WorkControl control,
                                   BatchCallback done) {
  const absl::Time start = absl::Now();
  if (static_cast<int64_t>(texts.size()) > options_.max_batch_texts) {
    return absl::InvalidArgumentError(absl::StrCat("the batch has ", texts.size(),
                                                   " texts, over the limit of ",
                                                   options_.max_batch_texts,
                                                   "; split it into several calls"));
  }

  // Prepare every text first so that one bad text fails the call before any
  // work is queued.
  std::vector<PreparedText> prepared;
  prepared.reserve(texts.size());
  std::vector<std::vector<int32_t>> sequences;
  for (size_t i = 0; i < texts.size(); ++i) {
    absl::StatusOr<PreparedText> one = colorizer_->Prepare(texts[i], options);
    if (!one.ok()) {
      return absl::Status(one.status().code(),
                          absl::StrCat("text ", i, ": ", one.status().message()));
    }
    sequences.insert(sequences.end(), one->window_ids.begin(), one->window_ids.end());
    prepared.push_back(std::move(one).value());
  }

  auto finish_all = [this, start, prepared = std::move(prepared)](
                        const EncodeResult* encoded) -> absl::StatusOr<std::vector<ColorizeResult>> {
    std::vector<ColorizeResult> results;
    results.reserve(prepared.size());
    size_t next_window = 0;
    for (const PreparedText& text : prepared) {
      const size_t windows = text.window_ids.size();
      std::vector<RowMatrixXf> states;
      if (windows > 0) {
        states.assign(std::make_move_iterator(encoded->states.begin() + next_window),
                      std::make_move_iterator(encoded->states.begin() + next_window + windows));
      }
      next_window += windows;
      ASSIGN_OR_RETURN(ColorizeResult result, colorizer_->Finish(text, states));
      if (encoded != nullptr) AddSchedulerTiming(*encoded, start, result.timing);
      results.push_back(std::move(result));
    }
    return results;
  };

  if (sequences.empty()) {
    std::move(done)(finish_all(nullptr));
    return absl::OkStatus();
  }
  auto on_encoded = [finish_all = std::move(finish_all),
                     done = std::move(done)](absl::StatusOr<EncodeResult> encoded) mutable {
    if (!encoded.ok()) {
      std::move(done)(encoded.status());
      return;
    }
    std::move(done)(finish_all(&*encoded));
  };
  return scheduler_->Submit(std::move(sequences), std::move(control), Admission::kRejectWhenFull,
                            std::move(on_encoded));
}

absl::Status Engine::ColorizePrepared(PreparedText prepared, WorkControl control,
                                      ResultCallback done) {
  const absl::Time start = absl::Now();
  std::vector<std::vector<int32_t>> sequences = prepared.window_ids;
  auto on_encoded = [this, start, prepared = std::move(prepared),
                     done = std::move(done)](absl::StatusOr<EncodeResult> encoded) mutable {
    if (!encoded.ok()) {
      std::move(done)(encoded.status());
      return;
    }
    absl::StatusOr<ColorizeResult> result = colorizer_->Finish(prepared, encoded->states);
    if (result.ok()) {
      AddSchedulerTiming(*encoded, start, result->timing);
      result->timing.total += prepared.tokenize_time;
    }
    std::move(done)(std::move(result));
  };
  return scheduler_->Submit(std::move(sequences), std::move(control), Admission::kAlwaysAdmit,
                            std::move(on_encoded));
}

absl::Status Engine::Warmup() {
  // Two passes: libtorch and oneDNN set up their thread pools and buffers
  // lazily, and the second pass confirms the steady state works too. The
  // passes run on this thread, not through the scheduler, so that a batch
  // delay does not hold up start-up. This thread's OpenMP threads are then
  // ended, as after loading (see Create).
  for (int pass = 0; pass < 2; ++pass) {
    absl::StatusOr<ColorizeResult> result =
        colorizer_->Colorize("Synesthesia warms up: red, green and blue.", ColorizeOptions{});
    if (!result.ok()) {
      return absl::Status(result.status().code(),
                          absl::StrCat("warm-up failed: ", result.status().message()));
    }
  }
  model::ReleaseOpenMpThreads();
  return absl::OkStatus();
}

void Engine::NotifyCancelled() { scheduler_->NotifyCancelled(); }

bool Engine::WaitUntilIdle(absl::Duration timeout) { return scheduler_->WaitUntilIdle(timeout); }

void Engine::Shutdown() { scheduler_->Shutdown(); }

}  // namespace synesthesia::engine
