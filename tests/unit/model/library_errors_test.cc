// Conversion of library exceptions to INTERNAL statuses: a real libtorch
// error, a long multi-line message, std::bad_alloc and other exceptions.
#include "core/model/library_errors.h"

#include <torch/torch.h>

#include <new>
#include <stdexcept>
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia::model {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;
using ::synesthesia::testing::StatusIs;

TEST(LibraryErrors, RealTorchErrorBecomesInternal) {
  absl::Status status;
  try {
    // [2, 3] x [4, 5] cannot be multiplied, so libtorch throws c10::Error.
    torch::mm(torch::ones({2, 3}), torch::ones({4, 5}));
    FAIL() << "torch::mm accepted mismatched shapes";
  } catch (const c10::Error& error) {
    status = TorchErrorToStatus(error, "a test product");
  }

  EXPECT_THAT(status, StatusIs(absl::StatusCode::kInternal,
                               StartsWith("libtorch error in a test product: ")));
  EXPECT_THAT(std::string(status.message()), HasSubstr("2x3"));
}

TEST(LibraryErrors, MessageKeepsFirstLineAndIsCapped) {
  absl::Status multi_line;
  absl::Status long_line;
  try {
    TORCH_CHECK(false, "first line\nsecond line");
  } catch (const c10::Error& error) {
    multi_line = TorchErrorToStatus(error, "op");
  }
  try {
    TORCH_CHECK(false, std::string(5000, 'x'));
  } catch (const c10::Error& error) {
    long_line = TorchErrorToStatus(error, "op");
  }

  EXPECT_THAT(std::string(multi_line.message()), HasSubstr("first line"));
  EXPECT_THAT(std::string(multi_line.message()), Not(HasSubstr("second line")));
  EXPECT_LE(long_line.message().size(),
            std::string("libtorch error in op: ").size() + kMaxLibraryErrorLength);
}

TEST(LibraryErrors, OtherExceptionsBecomeInternal) {
  EXPECT_THAT(ExceptionToStatus(std::bad_alloc(), "op"),
              StatusIs(absl::StatusCode::kInternal, StartsWith("out of memory in op: ")));
  EXPECT_THAT(ExceptionToStatus(std::runtime_error("could not create a primitive"), "op"),
              StatusIs(absl::StatusCode::kInternal,
                       "error in op: could not create a primitive"));
}

}  // namespace
}  // namespace synesthesia::model
