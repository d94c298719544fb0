#include "core/engine/scheduler.h"

#include <atomic>
#include <span>
#include <thread>
#include <vector>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "core/model/model.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia::engine {
namespace {

using ::synesthesia::testing::StatusIs;
using ::testing::HasSubstr;

// Records the scheduler's events.
class RecordingObserver : public SchedulerObserver {
 public:
  void OnBatch(const BatchStats& stats) override {
    absl::MutexLock lock(&mutex_);
    batches_.push_back(stats);
  }
  void OnRejected() override { rejected_.fetch_add(1); }
  std::vector<BatchStats> batches() {
    absl::MutexLock lock(&mutex_);
    return batches_;
  }
  int rejected() const { return rejected_.load(); }

 private:
  absl::Mutex mutex_;
  std::vector<BatchStats> batches_ ABSL_GUARDED_BY(mutex_);
  std::atomic<int> rejected_{0};
};

// The outcome of one Submit, waited for by the test.
struct Outcome {
  absl::Notification done;
  absl::StatusOr<EncodeResult> result = absl::UnknownError("not run");

  Scheduler::Callback Callback() {
    return [this](absl::StatusOr<EncodeResult> r) {
      result = std::move(r);
      done.Notify();
    };
  }
};

class SchedulerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::unique_ptr<model::Model>> loaded =
        model::Model::Load(synesthesia::testing::TestDataPath("distilbert-tiny"));
    ASSERT_TRUE(loaded.ok()) << loaded.status();
    model_ = std::move(loaded).value().release();
  }
  static void TearDownTestSuite() { delete model_; }

  static std::vector<int32_t> Ids(const std::string& text) {
    absl::StatusOr<std::vector<text::Token>> tokens = model_->tokenizer().Tokenize(text);
    EXPECT_TRUE(tokens.ok()) << tokens.status();
    std::vector<int32_t> ids;
    if (!tokens.ok()) return ids;
    for (const text::Token& token : *tokens) ids.push_back(token.id);
    return ids;
  }

  static RowMatrixXf EncodeAlone(const std::vector<int32_t>& ids) {
    return (*model_->encoder().Encode({std::span<const int32_t>(ids)}))[0];
  }

  static model::Model* model_;
};

model::Model* SchedulerTest::model_ = nullptr;

TEST_F(SchedulerTest, SingleCallMatchesDirectEncoding) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Scheduler> scheduler,
                       Scheduler::Create(model_->encoder(), SchedulerOptions{}));
  const std::vector<int32_t> ids = Ids("The ocean at midnight is deep and quiet.");
  Outcome outcome;
  ASSERT_OK(scheduler->Submit({ids}, WorkControl{}, Admission::kRejectWhenFull, outcome.Callback()));
  outcome.done.WaitForNotification();
  ASSERT_OK(outcome.result);
  ASSERT_EQ(outcome.result->states.size(), 1u);
  EXPECT_TRUE(outcome.result->states[0].isApprox(EncodeAlone(ids), 1e-5f));
}

TEST_F(SchedulerTest, ConcurrentCallsShareForwardPassesAndKeepTheirResults) {
  // A long delay and a cap of 8 sequences: the worker starts the first pass
  // exactly when 8 sequences are queued, whatever the machine's speed.
  RecordingObserver observer;
  SchedulerOptions options;
  options.max_batch_delay = absl::Seconds(60);
  options.max_batch_sequences = 8;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Scheduler> scheduler,
                       Scheduler::Create(model_->encoder(), options, &observer));

  const std::vector<std::string> texts = {
      "red", "green and blue", "The ocean at midnight is deep and quiet.", "banana",
      "Snow fell on the coal-black road.", "a", "purple prose", "Héllo, wörld!"};
  std::vector<Outcome> outcomes(texts.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < texts.size(); ++i) {
    threads.emplace_back([&, i] {
      ASSERT_OK(scheduler->Submit({Ids(texts[i])}, WorkControl{}, Admission::kRejectWhenFull,
                                  outcomes[i].Callback()));
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (size_t i = 0; i < texts.size(); ++i) {
    outcomes[i].done.WaitForNotification();
    ASSERT_OK(outcomes[i].result);
    EXPECT_TRUE(outcomes[i].result->states[0].isApprox(EncodeAlone(Ids(texts[i])), 1e-4f))
        << texts[i];
  }
  const std::vector<BatchStats> batches = observer.batches();
  ASSERT_EQ(batches.size(), 1u);
  EXPECT_EQ(batches[0].sequences, 8);
  EXPECT_GT(batches[0].padded_tokens, batches[0].real_tokens);
}

TEST_F(SchedulerTest, BatchesStayWithinTheTokenBudget) {
  RecordingObserver observer;
  SchedulerOptions options;
  options.max_batch_tokens = 40;
  // Long enough for the six submissions below to queue before the first
  // pass; the leftovers of that pass then wait out the delay once.
  options.max_batch_delay = absl::Seconds(1);
  options.max_batch_sequences = 6;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Scheduler> scheduler,
                       Scheduler::Create(model_->encoder(), options, &observer));
  // Six sequences of 3 to 12 tokens fill the sequence cap; the budget then
  // splits them over several passes.
  std::vector<Outcome> outcomes(6);
  const std::vector<std::string> texts = {"red", "green blue", "a b c d e f g h i j",
                                          "x", "one two three four five", "a b c d e f g"};
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_OK(scheduler->Submit({Ids(texts[i])}, WorkControl{}, Admission::kRejectWhenFull,
                                outcomes[i].Callback()));
  }
  for (Outcome& outcome : outcomes) {
    outcome.done.WaitForNotification();
    ASSERT_OK(outcome.result);
  }
  int64_t sequences = 0;
  for (const BatchStats& batch : observer.batches()) {
    if (batch.sequences > 1) {
      EXPECT_LE(batch.padded_tokens, 40);
    }
    sequences += batch.sequences;
  }
  EXPECT_EQ(sequences, 6);
  EXPECT_GT(observer.batches().size(), 1u);
}

TEST_F(SchedulerTest, FullQueueRejectsUnaryWork) {
  RecordingObserver observer;
  SchedulerOptions options;
  options.max_batch_delay = absl::Seconds(60);
  options.max_queued_tokens = 20;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Scheduler> scheduler,
                       Scheduler::Create(model_->encoder(), options, &observer));
  const std::vector<int32_t> twelve = Ids("a b c d e f g h i j");  // 12 with [CLS], [SEP]
  Outcome first;
  ASSERT_OK(scheduler->Submit({twelve}, WorkControl{}, Admission::kRejectWhenFull, first.Callback()));
  Outcome second;
  EXPECT_THAT(scheduler->Submit({twelve}, WorkControl{}, Admission::kRejectWhenFull, second.Callback()),
              StatusIs(absl::StatusCode::kResourceExhausted, HasSubstr("queue is full")));
  EXPECT_EQ(observer.rejected(), 1);
  // Streams bound themselves and are admitted regardless.
  Outcome stream;
  EXPECT_OK(scheduler->Submit({twelve}, WorkControl{}, Admission::kAlwaysAdmit, stream.Callback()));
  EXPECT_EQ(scheduler->queued_tokens(), 24);
  scheduler->Shutdown();
  EXPECT_THAT(first.result, StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shut down")));
  EXPECT_FALSE(second.done.HasBeenNotified());
}

TEST_F(SchedulerTest, OversizedCallRunsWhenTheQueueIsEmpty) {
  SchedulerOptions options;
  options.max_queued_tokens = 4;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Scheduler> scheduler,
                       Scheduler::Create(model_->encoder(), options));
  Outcome outcome;
  ASSERT_OK(scheduler->Submit({Ids("a b c d e f g h")}, WorkControl{}, Admission::kRejectWhenFull,
                              outcome.Callback()));
  outcome.done.WaitForNotification();
  EXPECT_OK(outcome.result);
}

TEST_F(SchedulerTest, CancelledCallLeavesTheQueueBeforeCompute) {
  RecordingObserver observer;
  SchedulerOptions options;
  options.max_batch_delay = absl::Seconds(60);
  options.max_batch_sequences = 2;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Scheduler> scheduler,
                       Scheduler::Create(model_->encoder(), options, &observer));
  auto cancelled = std::make_shared<std::atomic<bool>>(false);
  Outcome withdrawn;
  ASSERT_OK(scheduler->Submit({Ids("red")}, WorkControl{absl::InfiniteFuture(), cancelled},
                              Admission::kRejectWhenFull, withdrawn.Callback()));
  cancelled->store(true);
  // Two more sequences fill a batch and wake the worker, which drops the
  // cancelled call first.
  Outcome kept;
  ASSERT_OK(scheduler->Submit({Ids("green"), Ids("blue")}, WorkControl{}, Admission::kRejectWhenFull,
                              kept.Callback()));
  withdrawn.done.WaitForNotification();
  kept.done.WaitForNotification();
  EXPECT_THAT(withdrawn.result, StatusIs(absl::StatusCode::kCancelled, HasSubstr("cancelled")));
  ASSERT_OK(kept.result);
  int64_t sequences = 0;
  for (const BatchStats& batch : observer.batches()) sequences += batch.sequences;
  EXPECT_EQ(sequences, 2);
}

TEST_F(SchedulerTest, ExpiredDeadlineLeavesTheQueueBeforeCompute) {
  RecordingObserver observer;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Scheduler> scheduler,
                       Scheduler::Create(model_->encoder(), SchedulerOptions{}, &observer));
  Outcome outcome;
  ASSERT_OK(scheduler->Submit({Ids("red")}, WorkControl{absl::Now() - absl::Seconds(1), nullptr},
                              Admission::kRejectWhenFull, outcome.Callback()));
  outcome.done.WaitForNotification();
  EXPECT_THAT(outcome.result, StatusIs(absl::StatusCode::kDeadlineExceeded, HasSubstr("deadline")));
  EXPECT_TRUE(observer.batches().empty());
}

TEST_F(SchedulerTest, SubmitAfterShutdownIsUnavailable) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Scheduler> scheduler,
                       Scheduler::Create(model_->encoder(), SchedulerOptions{}));
  scheduler->Shutdown();
  scheduler->Shutdown();
  Outcome outcome;
  EXPECT_THAT(scheduler->Submit({Ids("red")}, WorkControl{}, Admission::kRejectWhenFull,
                                outcome.Callback()),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("shutting down")));
}

TEST_F(SchedulerTest, WaitUntilIdleReturnsOnceCallbacksRan) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Scheduler> scheduler,
                       Scheduler::Create(model_->encoder(), SchedulerOptions{}));
  std::atomic<int> finished{0};
  for (int i = 0; i < 20; ++i) {
    ASSERT_OK(scheduler->Submit({Ids("The ocean at midnight is deep and quiet.")}, WorkControl{},
                                Admission::kAlwaysAdmit,
                                [&](absl::StatusOr<EncodeResult>) { finished.fetch_add(1); }));
  }
  EXPECT_TRUE(scheduler->WaitUntilIdle(absl::Minutes(5)));
  EXPECT_EQ(finished.load(), 20);
}

TEST_F(SchedulerTest, InvalidSubmissionsAreRejected) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Scheduler> scheduler,
                       Scheduler::Create(model_->encoder(), SchedulerOptions{}));
  EXPECT_THAT(scheduler->Submit({}, WorkControl{}, Admission::kRejectWhenFull,
                                [](absl::StatusOr<EncodeResult>) {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("no sequences")));
  EXPECT_THAT(scheduler->Submit({{}}, WorkControl{}, Admission::kRejectWhenFull,
                                [](absl::StatusOr<EncodeResult>) {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty")));
  SchedulerOptions bad;
  bad.max_batch_tokens = 0;
  EXPECT_THAT(Scheduler::Create(model_->encoder(), bad),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("max_batch_tokens")));
}

TEST_F(SchedulerTest, EncoderErrorsReachTheCaller) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Scheduler> scheduler,
                       Scheduler::Create(model_->encoder(), SchedulerOptions{}));
  Outcome outcome;
  // Id 40000 is outside the 30,522-entry vocabulary.
  ASSERT_OK(scheduler->Submit({{101, 40000, 102}}, WorkControl{}, Admission::kRejectWhenFull,
                              outcome.Callback()));
  outcome.done.WaitForNotification();
  EXPECT_THAT(outcome.result, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("40000")));
}

}  // namespace
}  // namespace synesthesia::engine
