// ThreadSanitizer annotations for Debian's prebuilt Abseil, linked into
// every executable of the ThreadSanitizer build (SYNESTHESIA_SANITIZE=thread).
//
// libabsl_synchronization.so is not instrumented, so ThreadSanitizer cannot
// see absl::Mutex, absl::CondVar or absl::Notification synchronize, and it
// reports every access guarded by them as a data race. The definitions
// below take the place of the library's (an executable's symbols come first
// in dynamic symbol lookup), call the library's own code through
// dlsym(RTLD_NEXT) and tell ThreadSanitizer where a lock is acquired and
// released. The symbol names are those of Abseil 20220623 as Debian 12
// builds it (inline namespace "debian3").
#include <dlfcn.h>

#include <cstdio>
#include <cstdlib>

#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "absl/time/time.h"

extern "C" {
void __tsan_acquire(void* address);
void __tsan_release(void* address);
}

namespace {

// The library's definition of the function whose mangled name is NAME.
template <typename Function>
Function Real(const char* name) {
  void* symbol = dlsym(RTLD_NEXT, name);
  if (symbol == nullptr) {
    std::fprintf(stderr,
                 "tsan_absl_annotations: %s not found in libabsl_synchronization; this file "
                 "matches Abseil 20220623 as Debian 12 builds it\n",
                 name);
    std::abort();
  }
  return reinterpret_cast<Function>(symbol);
}

}  // namespace

// Every wrapper looks up its real function once, on first use.
#define SYNESTHESIA_REAL(type, name)                 \
  static const auto real = Real<type>(name)

namespace absl {
ABSL_NAMESPACE_BEGIN

void Mutex::Lock() {
  SYNESTHESIA_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex4LockEv");
  real(this);
  __tsan_acquire(this);
}

void Mutex::ReaderLock() {
  SYNESTHESIA_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex10ReaderLockEv");
  real(this);
  __tsan_acquire(this);
}

bool Mutex::TryLock() {
  SYNESTHESIA_REAL(bool (*)(Mutex*), "_ZN4absl7debian35Mutex7TryLockEv");
  const bool locked = real(this);
  if (locked) __tsan_acquire(this);
  return locked;
}

bool Mutex::ReaderTryLock() {
  SYNESTHESIA_REAL(bool (*)(Mutex*), "_ZN4absl7debian35Mutex13ReaderTryLockEv");
  const bool locked = real(this);
  if (locked) __tsan_acquire(this);
  return locked;
}

void Mutex::Unlock() {
  SYNESTHESIA_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex6UnlockEv");
  __tsan_release(this);
  real(this);
}

void Mutex::ReaderUnlock() {
  SYNESTHESIA_REAL(void (*)(Mutex*), "_ZN4absl7debian35Mutex12ReaderUnlockEv");
  __tsan_release(this);
  real(this);
}

void Mutex::LockWhen(const Condition& condition) {
  SYNESTHESIA_REAL(void (*)(Mutex*, const Condition&),
                   "_ZN4absl7debian35Mutex8LockWhenERKNS0_9ConditionE");
  real(this, condition);
  __tsan_acquire(this);
}

void Mutex::ReaderLockWhen(const Condition& condition) {
  SYNESTHESIA_REAL(void (*)(Mutex*, const Condition&),
                   "_ZN4absl7debian35Mutex14ReaderLockWhenERKNS0_9ConditionE");
  real(this, condition);
  __tsan_acquire(this);
}

// The timed forms return with the lock held whether or not the condition
// became true.
bool Mutex::LockWhenWithTimeout(const Condition& condition, absl::Duration timeout) {
  SYNESTHESIA_REAL(bool (*)(Mutex*, const Condition&, absl::Duration),
                   "_ZN4absl7debian35Mutex19LockWhenWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  const bool result = real(this, condition, timeout);
  __tsan_acquire(this);
  return result;
}

bool Mutex::LockWhenWithDeadline(const Condition& condition, absl::Time deadline) {
  SYNESTHESIA_REAL(bool (*)(Mutex*, const Condition&, absl::Time),
                   "_ZN4absl7debian35Mutex20LockWhenWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  const bool result = real(this, condition, deadline);
  __tsan_acquire(this);
  return result;
}

void Mutex::Await(const Condition& condition) {
  SYNESTHESIA_REAL(void (*)(Mutex*, const Condition&),
                   "_ZN4absl7debian35Mutex5AwaitERKNS0_9ConditionE");
  __tsan_release(this);
  real(this, condition);
  __tsan_acquire(this);
}

bool Mutex::AwaitWithTimeout(const Condition& condition, absl::Duration timeout) {
  SYNESTHESIA_REAL(bool (*)(Mutex*, const Condition&, absl::Duration),
                   "_ZN4absl7debian35Mutex16AwaitWithTimeoutERKNS0_9ConditionENS0_8DurationE");
  __tsan_release(this);
  const bool result = real(this, condition, timeout);
  __tsan_acquire(this);
  return result;
}

bool Mutex::AwaitWithDeadline(const Condition& condition, absl::Time deadline) {
  SYNESTHESIA_REAL(bool (*)(Mutex*, const Condition&, absl::Time),
                   "_ZN4absl7debian35Mutex17AwaitWithDeadlineERKNS0_9ConditionENS0_4TimeE");
  __tsan_release(this);
  const bool result = real(this, condition, deadline);
  __tsan_acquire(this);
  return result;
}

void CondVar::Wait(Mutex* mutex) {
  SYNESTHESIA_REAL(void (*)(CondVar*, Mutex*), "_ZN4absl7debian37CondVar4WaitEPNS0_5MutexE");
  __tsan_release(mutex);
  real(this, mutex);
  __tsan_acquire(mutex);
}

bool CondVar::WaitWithTimeout(Mutex* mutex, absl::Duration timeout) {
  SYNESTHESIA_REAL(bool (*)(CondVar*, Mutex*, absl::Duration),
                   "_ZN4absl7debian37CondVar15WaitWithTimeoutEPNS0_5MutexENS0_8DurationE");
  __tsan_release(mutex);
  const bool result = real(this, mutex, timeout);
  __tsan_acquire(mutex);
  return result;
}

bool CondVar::WaitWithDeadline(Mutex* mutex, absl::Time deadline) {
  SYNESTHESIA_REAL(bool (*)(CondVar*, Mutex*, absl::Time),
                   "_ZN4absl7debian37CondVar16WaitWithDeadlineEPNS0_5MutexENS0_4TimeE");
  __tsan_release(mutex);
  const bool result = real(this, mutex, deadline);
  __tsan_acquire(mutex);
  return result;
}

void Notification::Notify() {
  SYNESTHESIA_REAL(void (*)(Notification*), "_ZN4absl7debian312Notification6NotifyEv");
  __tsan_release(this);
  real(this);
}

void Notification::WaitForNotification() const {
  SYNESTHESIA_REAL(void (*)(const Notification*),
                   "_ZNK4absl7debian312Notification19WaitForNotificationEv");
  real(this);
  __tsan_acquire(const_cast<Notification*>(this));
}

bool Notification::WaitForNotificationWithTimeout(absl::Duration timeout) const {
  SYNESTHESIA_REAL(bool (*)(const Notification*, absl::Duration),
                   "_ZNK4absl7debian312Notification30WaitForNotificationWithTimeoutENS0_8DurationE");
  const bool notified = real(this, timeout);
  if (notified) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

bool Notification::WaitForNotificationWithDeadline(absl::Time deadline) const {
  SYNESTHESIA_REAL(bool (*)(const Notification*, absl::Time),
                   "_ZNK4absl7debian312Notification31WaitForNotificationWithDeadlineENS0_4TimeE");
  const bool notified = real(this, deadline);
  if (notified) __tsan_acquire(const_cast<Notification*>(this));
  return notified;
}

ABSL_NAMESPACE_END
}  // namespace absl
