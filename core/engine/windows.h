// Splitting a token sequence into encoder windows.
//
// A text longer than one encoder window is encoded in overlapping windows.
// Each token takes its hidden state from the window in which it sits
// furthest from an edge, so every token is encoded with at least
// overlap / 2 tokens of context on both sides wherever the text has them.
// The projection then sees one hidden state per token, as if the text had
// been encoded at once, which keeps colours consistent across windows: pca
// fits one set of components to the whole text, basis and semantic are per
// token anyway.
#ifndef SYNESTHESIA_CORE_ENGINE_WINDOWS_H_
#define SYNESTHESIA_CORE_ENGINE_WINDOWS_H_

#include <cstdint>
#include <vector>

namespace synesthesia::engine {

struct WindowPlan {
  // [begin, end) token ranges of the windows, in order.
  struct Window {
    int64_t begin = 0;
    int64_t end = 0;
  };
  std::vector<Window> windows;
  // For each token, the index of the window whose hidden state it takes.
  std::vector<int32_t> window_of_token;
};

// Plans windows of at most CAPACITY tokens (the model's positions minus
// [CLS] and [SEP]) over TOKEN_COUNT tokens, consecutive windows sharing at
// least OVERLAP tokens. Preconditions: capacity >= 1, 0 <= overlap < capacity.
// Zero tokens give one empty window.
WindowPlan PlanWindows(int64_t token_count, int64_t capacity, int64_t overlap);

}  // namespace synesthesia::engine

#endif  // SYNESTHESIA_CORE_ENGINE_WINDOWS_H_
