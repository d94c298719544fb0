#include "core/engine/windows.h"

#include <algorithm>

#include "gtest/gtest.h"

namespace synesthesia::engine {
namespace {

TEST(PlanWindows, ShortTextIsOneWindow) {
  const WindowPlan plan = PlanWindows(10, 510, 128);
  ASSERT_EQ(plan.windows.size(), 1u);
  EXPECT_EQ(plan.windows[0].begin, 0);
  EXPECT_EQ(plan.windows[0].end, 10);
  EXPECT_EQ(plan.window_of_token, std::vector<int32_t>(10, 0));
}

TEST(PlanWindows, NoTokensGiveOneEmptyWindow) {
  const WindowPlan plan = PlanWindows(0, 510, 128);
  ASSERT_EQ(plan.windows.size(), 1u);
  EXPECT_EQ(plan.windows[0].end, 0);
  EXPECT_TRUE(plan.window_of_token.empty());
}

TEST(PlanWindows, ExactlyOneCapacityIsOneWindow) {
  EXPECT_EQ(PlanWindows(510, 510, 128).windows.size(), 1u);
}

// Checks the invariants of a plan for every size up to a few windows.
TEST(PlanWindows, EveryTokenSitsInsideItsWindowWithContext) {
  for (int64_t capacity : {4, 7, 14, 510}) {
    for (int64_t overlap : {int64_t{0}, int64_t{1}, capacity / 2}) {
      for (int64_t count = 1; count <= 4 * capacity; count += std::max<int64_t>(1, capacity / 5)) {
        const WindowPlan plan = PlanWindows(count, capacity, overlap);
        SCOPED_TRACE(testing::Message() << "capacity " << capacity << " overlap " << overlap
                                        << " count " << count);
        ASSERT_EQ(plan.window_of_token.size(), static_cast<size_t>(count));
        EXPECT_EQ(plan.windows.front().begin, 0);
        EXPECT_EQ(plan.windows.back().end, count);
        for (size_t w = 0; w < plan.windows.size(); ++w) {
          EXPECT_LE(plan.windows[w].end - plan.windows[w].begin, capacity);
          if (w > 0) {
            // Consecutive windows share at least OVERLAP tokens.
            EXPECT_GE(plan.windows[w - 1].end - plan.windows[w].begin, overlap);
          }
        }
        for (int64_t token = 0; token < count; ++token) {
          const WindowPlan::Window& window =
              plan.windows[static_cast<size_t>(plan.window_of_token[static_cast<size_t>(token)])];
          EXPECT_GE(token, window.begin);
          EXPECT_LT(token, window.end);
          // A token is never closer to a window edge than overlap / 2 unless
          // the text itself ends there.
          const int64_t left = std::min(token - window.begin, token);
          const int64_t right = std::min(window.end - 1 - token, count - 1 - token);
          EXPECT_GE(left, std::min(token, overlap / 2));
          EXPECT_GE(right, std::min(count - 1 - token, overlap / 2));
        }
      }
    }
  }
}

}  // namespace
}  // namespace synesthesia::engine
