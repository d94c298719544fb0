// Start-up, health, batching, overload, deadlines and shutdown of an
// in-process server.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "gtest/gtest.h"
#include "tests/integration/server_testing.h"
#include "tests/testing/model_fixtures.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia {
namespace {

using ::testing::HasSubstr;
using HealthStatus = grpc::health::v1::HealthCheckResponse;

HealthStatus::ServingStatus Health(grpc::Channel& channel, const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(
      std::shared_ptr<grpc::Channel>(&channel, [](grpc::Channel*) {}));
  grpc::health::v1::HealthCheckRequest request;
  request.set_service(service);
  HealthStatus response;
  grpc::ClientContext context;
  const grpc::Status status = stub->Check(&context, request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response.status();
}

v1::ColorizeRequest Request(const std::string& text) {
  v1::ColorizeRequest request;
  request.set_text(text);
  request.mutable_options()->set_projection(v1::PROJECTION_BASIS);
  return request;
}

class LifecycleTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::string> directory = testing::MakeTinyModelWithProjections("lifecycle");
    ASSERT_TRUE(directory.ok()) << directory.status();
    directory_ = new std::string(*directory);
  }
  static void TearDownTestSuite() { delete directory_; }

  static server::ServerOptions Options() { return testing::LoopbackServerOptions(*directory_); }

  static std::string* directory_;
};

std::string* LifecycleTest::directory_ = nullptr;

TEST_F(LifecycleTest, UnavailableAndNotServingUntilTheModelLoads) {
  ASSERT_OK_AND_ASSIGN(testing::TestServer server, testing::StartServer(Options(), /*load=*/false));
  EXPECT_EQ(Health(*server.channel, ""), HealthStatus::NOT_SERVING);
  EXPECT_EQ(Health(*server.channel, "synesthesia.v1.Synesthesia"), HealthStatus::NOT_SERVING);
  v1::ColorizeResponse response;
  grpc::ClientContext context;
  const grpc::Status status = server.stub->Colorize(&context, Request("red"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("loading"));

  ASSERT_OK(server.server->LoadModel());
  EXPECT_EQ(Health(*server.channel, ""), HealthStatus::SERVING);
  EXPECT_EQ(Health(*server.channel, "synesthesia.v1.Synesthesia"), HealthStatus::SERVING);
  grpc::ClientContext again;
  EXPECT_TRUE(server.stub->Colorize(&again, Request("red"), &response).ok());
}

TEST_F(LifecycleTest, ConcurrentCallsShareOneForwardPass) {
  // With a long batch delay and a cap of 6 sequences, the first forward pass
  // starts exactly when 6 calls are queued.
  server::ServerOptions options = Options();
  options.engine.scheduler.max_batch_delay = absl::Seconds(60);
  options.engine.scheduler.max_batch_sequences = 6;
  ASSERT_OK_AND_ASSIGN(testing::TestServer server, testing::StartServer(options));
  const std::string before = server.ScrapeMetrics();
  const double batches_before = testing::MetricValue(before, "synesthesia_batches_total");

  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&, i] {
      v1::ColorizeResponse response;
      grpc::ClientContext context;
      const grpc::Status status =
          server.stub->Colorize(&context, Request("call number " + std::to_string(i)), &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::string after = server.ScrapeMetrics();
  EXPECT_EQ(testing::MetricValue(after, "synesthesia_batches_total") - batches_before, 1);
  // The batch-size histogram saw one pass of 6 sequences: it is counted in
  // the bucket le="8" but not in le="4".
  EXPECT_EQ(testing::MetricValue(after, "synesthesia_batch_size_bucket{le=\"8\"}") -
                testing::MetricValue(after, "synesthesia_batch_size_bucket{le=\"4\"}"),
            1);
}

TEST_F(LifecycleTest, FullQueueRejectsWithResourceExhausted) {
  server::ServerOptions options = Options();
  options.engine.scheduler.max_batch_delay = absl::Seconds(60);
  options.engine.scheduler.max_queued_tokens = 30;
  ASSERT_OK_AND_ASSIGN(testing::TestServer server, testing::StartServer(options));

  // The first call (22 tokens) waits in the queue for the batch delay.
  const v1::ColorizeRequest waiting_request = Request(
      "one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
      "fifteen sixteen seventeen eighteen nineteen twenty");
  grpc::ClientContext waiting_context;
  v1::ColorizeResponse waiting_response;
  absl::Notification waiting_done;
  grpc::Status waiting_status;
  server.stub->async()->Colorize(&waiting_context, &waiting_request, &waiting_response,
                                 [&](grpc::Status status) {
                                   waiting_status = status;
                                   waiting_done.Notify();
                                 });
  // Wait until the server has queued it.
  for (int attempt = 0; attempt < 600; ++attempt) {
    if (testing::MetricValue(server.ScrapeMetrics(), "synesthesia_queued_tokens") > 0) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  v1::ColorizeResponse response;
  grpc::ClientContext context;
  const grpc::Status status =
      server.stub->Colorize(&context, Request("a b c d e f g h i j k l"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("retry with backoff"));
  EXPECT_EQ(testing::MetricValue(server.ScrapeMetrics(), "synesthesia_rejected_requests_total"), 1);

  // The queued call can still be cancelled; it leaves the queue at once.
  waiting_context.TryCancel();
  waiting_done.WaitForNotification();
  EXPECT_EQ(waiting_status.error_code(), grpc::StatusCode::CANCELLED);
  for (int attempt = 0; attempt < 600; ++attempt) {
    if (testing::MetricValue(server.ScrapeMetrics(), "synesthesia_queued_tokens") == 0) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(testing::MetricValue(server.ScrapeMetrics(), "synesthesia_queued_tokens"), 0);
}

TEST_F(LifecycleTest, DeadlineExpiringInTheQueueSkipsCompute) {
  server::ServerOptions options = Options();
  options.engine.scheduler.max_batch_delay = absl::Seconds(60);
  options.engine.scheduler.max_batch_sequences = 2;
  ASSERT_OK_AND_ASSIGN(testing::TestServer server, testing::StartServer(options));
  const std::string before = server.ScrapeMetrics();
  const double batches_before = testing::MetricValue(before, "synesthesia_batches_total");
  const double sequences_before = testing::MetricValue(before, "synesthesia_batch_size_sum");

  v1::ColorizeResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(300));
  const grpc::Status status = server.stub->Colorize(&context, Request("expired"), &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);

  // Two fresh calls fill a batch; the expired one must not be in it.
  std::vector<std::thread> threads;
  for (int i = 0; i < 2; ++i) {
    threads.emplace_back([&] {
      v1::ColorizeResponse fresh;
      grpc::ClientContext fresh_context;
      EXPECT_TRUE(server.stub->Colorize(&fresh_context, Request("fresh"), &fresh).ok());
    });
  }
  for (std::thread& thread : threads) thread.join();
  const std::string metrics = server.ScrapeMetrics();
  EXPECT_EQ(testing::MetricValue(metrics, "synesthesia_batches_total") - batches_before, 1);
  EXPECT_EQ(testing::MetricValue(metrics, "synesthesia_batch_size_sum") - sequences_before, 2);
}

// Scrapes SERVER every 20 ms for up to 30 s until SAMPLE reaches TARGET,
// and returns its last value. The server records a call once its work has
// stopped, which may be a little after the client gave up.
double AwaitMetricAtLeast(const testing::TestServer& server, const std::string& sample,
                          double target) {
  const absl::Time give_up = absl::Now() + absl::Seconds(30);
  double value = testing::MetricValue(server.ScrapeMetrics(), sample);
  while (value < target && absl::Now() < give_up) {
    absl::SleepFor(absl::Milliseconds(20));
    value = testing::MetricValue(server.ScrapeMetrics(), sample);
  }
  return value;
}

// gRPC cancels a call at its deadline. The metrics must count what the
// client saw, DEADLINE_EXCEEDED, whether the call was queued, running or
// finished too late, and never CANCELLED, which the alerts treat as the
// client's choice.
TEST_F(LifecycleTest, DeadlineDuringWorkIsCountedAsDeadlineExceeded) {
  ASSERT_OK_AND_ASSIGN(testing::TestServer server, testing::StartServer(Options()));
  const std::string exceeded_sample =
      "synesthesia_requests_total{code=\"DEADLINE_EXCEEDED\",method=\"Colorize\"}";
  const std::string cancelled_sample =
      "synesthesia_requests_total{code=\"CANCELLED\",method=\"Colorize\"}";
  const double cancelled_before = testing::MetricValue(server.ScrapeMetrics(), cancelled_sample);

  // About 100 KB of words, which take longer to tokenize and encode than
  // the deadlines below.
  std::string text;
  while (text.size() < 100000) text += "the deep blue sea under a grey sky ";
  for (const int milliseconds : {10, 40, 80}) {
    SCOPED_TRACE(absl::StrCat("deadline ", milliseconds, " ms"));
    const double exceeded_before = testing::MetricValue(server.ScrapeMetrics(), exceeded_sample);
    v1::ColorizeResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() +
                         std::chrono::milliseconds(milliseconds));
    const grpc::Status status = server.stub->Colorize(&context, Request(text), &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << status.error_message();

    EXPECT_EQ(AwaitMetricAtLeast(server, exceeded_sample, exceeded_before + 1) - exceeded_before,
              1);
  }
  EXPECT_EQ(testing::MetricValue(server.ScrapeMetrics(), cancelled_sample), cancelled_before);
}

TEST_F(LifecycleTest, StreamDeadlineIsCountedAsDeadlineExceeded) {
  ASSERT_OK_AND_ASSIGN(testing::TestServer server, testing::StartServer(Options()));
  const std::string sample =
      "synesthesia_requests_total{code=\"DEADLINE_EXCEEDED\",method=\"ColorizeStream\"}";
  const double before = testing::MetricValue(server.ScrapeMetrics(), sample);

  // A stream left open past its deadline, with one message half written.
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(200));
  auto stream = server.stub->ColorizeStream(&context);
  v1::ColorizeStreamRequest request;
  request.set_message_id("m");
  request.set_delta("Hello wor");
  ASSERT_TRUE(stream->Write(request));
  v1::ColorizeStreamResponse response;
  while (stream->Read(&response)) {
  }
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::DEADLINE_EXCEEDED);

  EXPECT_EQ(AwaitMetricAtLeast(server, sample, before + 1) - before, 1);
}

TEST_F(LifecycleTest, ShutdownDrainsInFlightCalls) {
  server::ServerOptions options = Options();
  // Calls wait 2 s in the queue, so they are in flight when shutdown starts.
  options.engine.scheduler.max_batch_delay = absl::Seconds(2);
  options.shutdown_grace_period = absl::Seconds(60);
  ASSERT_OK_AND_ASSIGN(testing::TestServer server, testing::StartServer(options));

  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) {
    threads.emplace_back([&, i] {
      v1::ColorizeResponse response;
      grpc::ClientContext context;
      const grpc::Status status =
          server.stub->Colorize(&context, Request("in flight " + std::to_string(i)), &response);
      EXPECT_TRUE(status.ok()) << status.error_message();
      if (status.ok() && response.spans_size() == 3) ok.fetch_add(1);
    });
  }
  for (int attempt = 0; attempt < 600; ++attempt) {
    if (testing::MetricValue(server.ScrapeMetrics(), "synesthesia_in_flight_requests") == 4) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  server.server->Shutdown();
  for (std::thread& thread : threads) thread.join();
  EXPECT_EQ(ok.load(), 4);

  // New calls are refused once shut down.
  v1::ColorizeResponse response;
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  EXPECT_FALSE(server.stub->Colorize(&context, Request("late"), &response).ok());
}

TEST_F(LifecycleTest, ShutdownGracePeriodCancelsStragglers) {
  server::ServerOptions options = Options();
  options.engine.scheduler.max_batch_delay = absl::Seconds(600);
  options.shutdown_grace_period = absl::Milliseconds(200);
  ASSERT_OK_AND_ASSIGN(testing::TestServer server, testing::StartServer(options));
  grpc::Status status;
  std::thread caller([&] {
    v1::ColorizeResponse response;
    grpc::ClientContext context;
    status = server.stub->Colorize(&context, Request("stuck behind a long batch delay"), &response);
  });
  for (int attempt = 0; attempt < 600; ++attempt) {
    if (testing::MetricValue(server.ScrapeMetrics(), "synesthesia_in_flight_requests") == 1) break;
    absl::SleepFor(absl::Milliseconds(20));
  }
  server.server->Shutdown();
  caller.join();
  EXPECT_FALSE(status.ok());
  EXPECT_THAT(status.error_code(), ::testing::AnyOf(grpc::StatusCode::CANCELLED,
                                                    grpc::StatusCode::UNAVAILABLE));
}

TEST_F(LifecycleTest, ReflectionListsTheService) {
  ASSERT_OK_AND_ASSIGN(testing::TestServer server, testing::StartServer(Options()));
  // ServerReflectionRequest{list_services: ""} encoded by hand: field 7,
  // wire type 2, length 0.
  grpc::GenericStub stub(server.channel);
  grpc::ClientContext context;
  grpc::CompletionQueue queue;
  auto call = stub.PrepareCall(&context, "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
                               &queue);
  void* tag = nullptr;
  bool ok = false;
  call->StartCall(reinterpret_cast<void*>(1));
  ASSERT_TRUE(queue.Next(&tag, &ok) && ok);
  grpc::Slice slice(std::string("\x3a\x00", 2));
  grpc::ByteBuffer request(&slice, 1);
  call->Write(request, reinterpret_cast<void*>(2));
  ASSERT_TRUE(queue.Next(&tag, &ok) && ok);
  grpc::ByteBuffer response;
  call->Read(&response, reinterpret_cast<void*>(3));
  ASSERT_TRUE(queue.Next(&tag, &ok) && ok);
  std::vector<grpc::Slice> slices;
  ASSERT_TRUE(response.Dump(&slices).ok());
  std::string bytes;
  for (const grpc::Slice& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  EXPECT_THAT(bytes, HasSubstr("synesthesia.v1.Synesthesia"));
  EXPECT_THAT(bytes, HasSubstr("grpc.health.v1.Health"));
  context.TryCancel();
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  queue.Next(&tag, &ok);
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
}

}  // namespace
}  // namespace synesthesia
