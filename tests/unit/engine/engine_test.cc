#include "core/engine/engine.h"

#include <string>
#include <vector>

#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/model_fixtures.h"

namespace synesthesia::engine {
namespace {

using ::synesthesia::testing::StatusIs;
using ::testing::HasSubstr;

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_OK_AND_ASSIGN(std::string directory,
                         synesthesia::testing::MakeTinyModelWithProjections("engine"));
    EngineOptions options;
    options.colorizer.model_directory = directory;
    options.max_batch_texts = 4;
    ASSERT_OK_AND_ASSIGN(engine_, Engine::Create(options));
  }

  absl::StatusOr<ColorizeResult> ColorizeNow(std::string_view text, const ColorizeOptions& options) {
    absl::Notification done;
    absl::StatusOr<ColorizeResult> outcome = absl::UnknownError("not run");
    absl::Status submitted = engine_->Colorize(text, options, WorkControl{},
                                               [&](absl::StatusOr<ColorizeResult> result) {
                                                 outcome = std::move(result);
                                                 done.Notify();
                                               });
    if (!submitted.ok()) return submitted;
    done.WaitForNotification();
    return outcome;
  }

  std::unique_ptr<Engine> engine_;
};

TEST_F(EngineTest, ColorizeMatchesTheColorizerAlone) {
  ColorizeOptions options;
  options.projection = projection::Kind::kSemantic;
  const std::string text = "A banana, a lemon and a lime sat in a yellow bowl.";
  ASSERT_OK_AND_ASSIGN(ColorizeResult served, ColorizeNow(text, options));
  ASSERT_OK_AND_ASSIGN(ColorizeResult direct, engine_->colorizer().Colorize(text, options));
  ASSERT_EQ(served.spans.size(), direct.spans.size());
  for (size_t i = 0; i < served.spans.size(); ++i) {
    EXPECT_EQ(served.spans[i].rgb, direct.spans[i].rgb) << served.spans[i].text;
    EXPECT_EQ(served.spans[i].start, direct.spans[i].start);
  }
  EXPECT_GT(served.timing.total, absl::ZeroDuration());
}

TEST_F(EngineTest, BatchResultsComeInRequestOrder) {
  const std::vector<std::string> texts = {"red", "", "The ocean at midnight.", "snow"};
  std::vector<std::string_view> views(texts.begin(), texts.end());
  absl::Notification done;
  absl::StatusOr<std::vector<ColorizeResult>> outcome = absl::UnknownError("not run");
  ColorizeOptions options;
  options.projection = projection::Kind::kBasis;
  ASSERT_OK(engine_->ColorizeBatch(views, options, WorkControl{},
                                   [&](absl::StatusOr<std::vector<ColorizeResult>> results) {
                                     outcome = std::move(results);
                                     done.Notify();
                                   }));
  done.WaitForNotification();
  ASSERT_OK(outcome);
  ASSERT_EQ(outcome->size(), 4u);
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_OK_AND_ASSIGN(ColorizeResult alone, engine_->colorizer().Colorize(texts[i], options));
    ASSERT_EQ((*outcome)[i].spans.size(), alone.spans.size()) << texts[i];
    for (size_t s = 0; s < alone.spans.size(); ++s) {
      EXPECT_EQ((*outcome)[i].spans[s].rgb, alone.spans[s].rgb);
      EXPECT_EQ((*outcome)[i].spans[s].text, alone.spans[s].text);
    }
  }
}

TEST_F(EngineTest, BatchErrorsNameTheText) {
  std::vector<std::string_view> views = {"fine", std::string_view("bad\xff", 4)};
  EXPECT_THAT(engine_->ColorizeBatch(views, ColorizeOptions{}, WorkControl{},
                                     [](absl::StatusOr<std::vector<ColorizeResult>>) {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("text 1: invalid UTF-8")));
  std::vector<std::string_view> too_many(5, "red");
  EXPECT_THAT(engine_->ColorizeBatch(too_many, ColorizeOptions{}, WorkControl{},
                                     [](absl::StatusOr<std::vector<ColorizeResult>>) {}),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("over the limit of 4")));
}

TEST_F(EngineTest, EmptyTextAnswersWithoutTheEncoder) {
  ASSERT_OK_AND_ASSIGN(ColorizeResult result, ColorizeNow("", ColorizeOptions{}));
  EXPECT_TRUE(result.spans.empty());
}

TEST_F(EngineTest, WarmupRunsAndShutdownRejectsWork) {
  ASSERT_OK(engine_->Warmup());
  EXPECT_TRUE(engine_->WaitUntilIdle(absl::Minutes(1)));
  engine_->Shutdown();
  EXPECT_THAT(ColorizeNow("red", ColorizeOptions{}), StatusIs(absl::StatusCode::kUnavailable));
}

}  // namespace
}  // namespace synesthesia::engine
