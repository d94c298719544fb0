#include "core/model/threads.h"

#include <omp.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "gtest/gtest.h"

namespace synesthesia::model {
namespace {

// Counts the threads of this process in /proc/self/task.
int ProcessThreads() {
  int threads = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator("/proc/self/task")) {
    ++threads;
  }
  return threads;
}

// Waits until the process has at most LIMIT threads, since a thread leaves
// /proc a little after it ends. Gives up after a minute.
int ThreadsOnceAtMost(int limit) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::minutes(1);
  int threads = ProcessThreads();
  while (threads > limit && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    threads = ProcessThreads();
  }
  return threads;
}

TEST(ReleaseOpenMpThreadsTest, EndsTheCallingThreadsIdlePool) {
  // A thread of its own, so that no other test's OpenMP pool is involved.
  // Each region writes only a variable of its own thread, because
  // ThreadSanitizer cannot see libgomp's barriers. GCC drops empty regions.
  std::thread([] {
    const int before = ProcessThreads();
#pragma omp parallel num_threads(3)
    {
      [[maybe_unused]] volatile int thread = omp_get_thread_num();
    }
    // The two other threads of that team now wait in this thread's pool.
    ASSERT_EQ(ProcessThreads(), before + 2);

    ReleaseOpenMpThreads();
    EXPECT_EQ(ThreadsOnceAtMost(before), before);

    // Parallel work afterwards gets a new pool.
#pragma omp parallel num_threads(2)
    {
      [[maybe_unused]] volatile int thread = omp_get_thread_num();
    }
    EXPECT_EQ(ProcessThreads(), before + 1);
  }).join();
}

}  // namespace
}  // namespace synesthesia::model
