#include "server/call_tracker.h"

namespace synesthesia::server {

CallTracker::Token::Token(CallTracker& tracker) : tracker_(tracker) {
  absl::MutexLock lock(&tracker_.mutex_);
  ++tracker_.calls_in_flight_;
}

CallTracker::Token::~Token() {
  absl::MutexLock lock(&tracker_.mutex_);
  --tracker_.calls_in_flight_;
}

bool CallTracker::WaitForCalls(absl::Time deadline) {
  absl::MutexLock lock(&mutex_);
  auto idle = [this]() ABSL_SHARED_LOCKS_REQUIRED(mutex_) { return calls_in_flight_ == 0; };
  return mutex_.AwaitWithDeadline(absl::Condition(&idle), deadline);
}

}  // namespace synesthesia::server
