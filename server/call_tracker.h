// Counts the calls in flight so that a draining server can reject new calls
// and wait for admitted ones before gRPC stops.
#ifndef SYNESTHESIA_SERVER_CALL_TRACKER_H_
#define SYNESTHESIA_SERVER_CALL_TRACKER_H_

#include <atomic>
#include <cstdint>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace synesthesia::server {

// Thread-safe.
class CallTracker {
 public:
  // A call in flight, counted from construction until destruction. The
  // tracker must outlive it.
  class Token {
   public:
    explicit Token(CallTracker& tracker);
    ~Token();
    Token(const Token&) = delete;
    Token& operator=(const Token&) = delete;

   private:
    CallTracker& tracker_;
  };

  // Starts the lame-duck period, after which draining() is true.
  void StartDraining() { draining_.store(true, std::memory_order_release); }
  bool draining() const { return draining_.load(std::memory_order_acquire); }

  // Waits until no call is in flight or DEADLINE passes; returns whether no
  // call is in flight.
  bool WaitForCalls(absl::Time deadline);

 private:
  std::atomic<bool> draining_{false};
  absl::Mutex mutex_;
  int64_t calls_in_flight_ ABSL_GUARDED_BY(mutex_) = 0;
};

}  // namespace synesthesia::server

#endif  // SYNESTHESIA_SERVER_CALL_TRACKER_H_
