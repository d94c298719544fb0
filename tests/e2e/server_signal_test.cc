// synesthesia-server as a process under SIGTERM and SIGINT: health reports
// NOT_SERVING, new calls are rejected with UNAVAILABLE, a call already in
// flight finishes within the grace period or is cancelled at its end, and
// the process exits with code 0.
#include <signal.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "synesthesia/client.h"
#include "tests/e2e/e2e_testing.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

// Calls Colorize until the server rejects it, for at most TIMEOUT, and
// returns the rejection; OK when every call succeeded.
absl::Status ColorizeUntilRejected(const Client& client, absl::Duration timeout) {
  v1::ColorizeRequest request;
  request.set_text("still there?");
  CallOptions call;
  call.deadline = absl::Seconds(5);
  const absl::Time end = absl::Now() + timeout;
  while (absl::Now() < end) {
    absl::StatusOr<v1::ColorizeResponse> response = client.Colorize(request, call);
    if (!response.ok()) return response.status();
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::OkStatus();
}

class ServerSignalTest : public ::testing::TestWithParam<int> {};

TEST_P(ServerSignalTest, OpenStreamFinishesAndExitCodeIsZero) {
  const int signal_number = GetParam();
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<testing::ServerProcess> server,
                       testing::ServerProcess::Start(testing::TestDataPath("distilbert-tiny"),
                                                     {"--shutdown_grace_period=60s"}));
  ClientOptions options;
  options.max_attempts = 1;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Client> client,
                       Client::Create(server->address(), options));

  // A stream whose message is half written when the signal arrives.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<StreamSession> session, client->OpenStream());
  ASSERT_OK(session->WriteDelta("m", "Hello wor"));
  std::optional<v1::ColorizeStreamResponse> first = session->Read();
  ASSERT_TRUE(first.has_value());
  ASSERT_EQ(first->spans_size(), 1);
  EXPECT_EQ(first->spans(0).text(), "Hello");

  server->process().Signal(signal_number);

  // While the stream stays open, health reports NOT_SERVING for load
  // balancers and new calls are rejected with a code that clients retry.
  absl::StatusOr<grpc::health::v1::HealthCheckResponse> health;
  const absl::Time health_deadline = absl::Now() + absl::Seconds(30);
  do {
    health = client->Health();
  } while (health.ok() && health->status() == grpc::health::v1::HealthCheckResponse::SERVING &&
           absl::Now() < health_deadline);
  ASSERT_OK(health.status());
  EXPECT_EQ(health->status(), grpc::health::v1::HealthCheckResponse::NOT_SERVING);
  absl::Status rejection = ColorizeUntilRejected(*client, absl::Seconds(30));
  EXPECT_EQ(rejection.code(), absl::StatusCode::kUnavailable) << rejection;
  EXPECT_TRUE(server->process().Running()) << "the server exited before the stream ended";

  ASSERT_OK(session->WriteDelta("m", "ld", /*final=*/true));
  session->WritesDone();
  std::vector<std::string> words;
  bool final = false;
  while (std::optional<v1::ColorizeStreamResponse> response = session->Read()) {
    for (const v1::Span& span : response->spans()) words.push_back(span.text());
    final = response->final();
  }
  EXPECT_OK(session->Finish());
  EXPECT_TRUE(final);
  EXPECT_THAT(words, ElementsAre("world"));

  ASSERT_OK_AND_ASSIGN(int exit_code, server->process().Wait(absl::Seconds(60)));
  EXPECT_EQ(exit_code, 0) << server->process().Stderr();
  EXPECT_THAT(server->process().Stderr(),
              HasSubstr(signal_number == SIGTERM ? "received SIGTERM" : "received SIGINT"));
}

TEST(ServerSignal, GracePeriodEndsAnIdleStream) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<testing::ServerProcess> server,
                       testing::ServerProcess::Start(testing::TestDataPath("distilbert-tiny"),
                                                     {"--shutdown_grace_period=1s"}));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Client> client, Client::Create(server->address()));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<StreamSession> session, client->OpenStream());
  ASSERT_OK(session->WriteDelta("m", "never finished"));
  ASSERT_TRUE(session->Read().has_value());

  server->process().Signal(SIGTERM);

  // The client never half-closes, so the grace period decides.
  while (session->Read().has_value()) {
  }
  absl::Status status = session->Finish();
  EXPECT_FALSE(status.ok());
  ASSERT_OK_AND_ASSIGN(int exit_code, server->process().Wait(absl::Seconds(60)));
  EXPECT_EQ(exit_code, 0) << server->process().Stderr();
}

INSTANTIATE_TEST_SUITE_P(Signals, ServerSignalTest, ::testing::Values(SIGTERM, SIGINT),
                         [](const ::testing::TestParamInfo<int>& param_info) {
                           return std::string(param_info.param == SIGTERM ? "Sigterm" : "Sigint");
                         });

}  // namespace
}  // namespace synesthesia
