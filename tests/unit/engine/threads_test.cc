#include "core/engine/threads.h"

#include <ATen/Parallel.h>
#include <dlfcn.h>

#include "gtest/gtest.h"

namespace synesthesia::engine {
namespace {

// The thread count is process-wide, so one test sets it and checks both
// libraries, then checks that 0 leaves the count as it is.
TEST(EncoderThreads, SetsLibtorchAndOpenBlas) {
  EXPECT_EQ(ConfigureEncoderThreads(1), 1);
  EXPECT_EQ(at::get_num_threads(), 1);

  using GetThreads = int (*)();
  auto* get_blas_threads =
      reinterpret_cast<GetThreads>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
  if (get_blas_threads != nullptr) {
    EXPECT_EQ(get_blas_threads(), 1);
  }

  EXPECT_EQ(ConfigureEncoderThreads(0), 1);
  EXPECT_EQ(at::get_num_threads(), 1);
}

}  // namespace
}  // namespace synesthesia::engine
