#include "core/engine/windows.h"

#include <algorithm>

#include "glog/logging.h"

namespace synesthesia::engine {

WindowPlan PlanWindows(int64_t token_count, int64_t capacity, int64_t overlap) {
  CHECK_GE(capacity, 1);
  CHECK_GE(overlap, 0);
  CHECK_LT(overlap, capacity);

  WindowPlan plan;
  if (token_count <= capacity) {
    plan.windows.push_back({0, token_count});
    plan.window_of_token.assign(static_cast<size_t>(token_count), 0);
    return plan;
  }

  // Windows advance by a fixed stride; the last one is aligned to the end
  // of the text so that no window is shorter than the others.
  const int64_t stride = capacity - overlap;
  for (int64_t begin = 0;; begin += stride) {
    if (begin + capacity >= token_count) {
      plan.windows.push_back({token_count - capacity, token_count});
      break;
    }
    plan.windows.push_back({begin, begin + capacity});
  }

  // Each token takes the window in which its distance to the nearer edge is
  // largest; the earlier window wins a tie.
  plan.window_of_token.resize(static_cast<size_t>(token_count));
  size_t first_candidate = 0;
  for (int64_t token = 0; token < token_count; ++token) {
    while (plan.windows[first_candidate].end <= token) ++first_candidate;
    int64_t best_margin = -1;
    int32_t best_window = 0;
    for (size_t w = first_candidate; w < plan.windows.size() && plan.windows[w].begin <= token;
         ++w) {
      const int64_t margin =
          std::min(token - plan.windows[w].begin, plan.windows[w].end - 1 - token);
      if (margin > best_margin) {
        best_margin = margin;
        best_window = static_cast<int32_t>(w);
      }
    }
    plan.window_of_token[static_cast<size_t>(token)] = best_window;
  }
  return plan;
}

}  // namespace synesthesia::engine
