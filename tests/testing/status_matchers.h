// GoogleTest matchers for absl::Status and absl::StatusOr, which Abseil
// 20220623 does not ship.
//
//   EXPECT_THAT(Parse("x"), IsOk());
//   EXPECT_THAT(Parse("x"), StatusIs(absl::StatusCode::kInvalidArgument,
//                                    HasSubstr("byte 3")));
//   ASSERT_OK_AND_ASSIGN(auto tokens, tokenizer->Tokenize("hello"));
#ifndef SYNESTHESIA_TESTS_TESTING_STATUS_MATCHERS_H_
#define SYNESTHESIA_TESTS_TESTING_STATUS_MATCHERS_H_

#include <ostream>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace synesthesia::testing {

inline const absl::Status& GetStatus(const absl::Status& status) { return status; }
template <typename T>
const absl::Status& GetStatus(const absl::StatusOr<T>& status_or) {
  return status_or.status();
}

MATCHER(IsOk, "is OK") {
  const absl::Status& status = GetStatus(arg);
  if (!status.ok()) *result_listener << "status is " << status;
  return status.ok();
}

MATCHER_P2(StatusIs, code, message_matcher,
           "has code " + ::testing::PrintToString(code) + " and a matching message") {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code &&
         ::testing::ExplainMatchResult(message_matcher, std::string(status.message()),
                                       result_listener);
}

MATCHER_P(StatusIs, code, "has code " + ::testing::PrintToString(code)) {
  const absl::Status& status = GetStatus(arg);
  *result_listener << "status is " << status;
  return status.code() == code;
}

}  // namespace synesthesia::testing

#define SYNESTHESIA_TEST_CONCAT_INNER_(a, b) a##b
#define SYNESTHESIA_TEST_CONCAT_(a, b) SYNESTHESIA_TEST_CONCAT_INNER_(a, b)

// Asserts that EXPR (an absl::StatusOr) is OK and moves its value into LHS.
#define ASSERT_OK_AND_ASSIGN(lhs, expr) \
  ASSERT_OK_AND_ASSIGN_IMPL_(SYNESTHESIA_TEST_CONCAT_(status_or_, __LINE__), lhs, expr)
#define ASSERT_OK_AND_ASSIGN_IMPL_(status_or, lhs, expr)              \
  auto status_or = (expr);                                           \
  ASSERT_TRUE(status_or.ok()) << "status is " << status_or.status(); \
  lhs = std::move(status_or).value()

#define ASSERT_OK(expr) ASSERT_THAT((expr), ::synesthesia::testing::IsOk())
#define EXPECT_OK(expr) EXPECT_THAT((expr), ::synesthesia::testing::IsOk())

#endif  // SYNESTHESIA_TESTS_TESTING_STATUS_MATCHERS_H_
