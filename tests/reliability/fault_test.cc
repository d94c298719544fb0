// Faults against a spawned synesthesia-server: dropped and cancelled
// streams, floods beyond the queue, SIGTERM under load, malformed requests
// and broken model directories. What the in-process integration tests
// already cover (queue deadlines, drain and grace period, invalid UTF-8 in
// texts and deltas, unknown enums, the text byte limit) is not repeated.
#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/wire/request_wire.pb.h"
#include "tests/reliability/reliability_testing.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/paths.h"
#include "tests/testing/subprocess.h"

namespace synesthesia {
namespace {

using ::testing::HasSubstr;
using Stream = grpc::ClientReaderWriter<v1::ColorizeStreamRequest, v1::ColorizeStreamResponse>;

constexpr char kText[] = "The quick brown fox jumps over the lazy dog by the deep blue sea";

v1::ColorizeRequest Request(const std::string& text) {
  v1::ColorizeRequest request;
  request.set_text(text);
  return request;
}

v1::ColorizeStreamRequest Delta(const std::string& id, const std::string& delta, bool final) {
  v1::ColorizeStreamRequest request;
  request.set_message_id(id);
  request.set_delta(delta);
  request.set_final(final);
  return request;
}

// The spans of RESPONSE as "text@start:#rrggbb" strings, to compare results.
std::vector<std::string> Spans(const v1::ColorizeResponse& response) {
  std::vector<std::string> spans;
  for (const v1::Span& span : response.spans()) {
    spans.push_back(absl::StrCat(span.text(), "@", span.start(), ":", span.hex()));
  }
  return spans;
}

void SetDeadline(grpc::ClientContext& context, absl::Duration timeout) {
  context.set_deadline(absl::ToChronoTime(absl::Now() + timeout));
}

TEST(Faults, CancelMidStreamKeepsServing) {
  ASSERT_OK_AND_ASSIGN(testing::SpawnedServer server, testing::SpawnServer());
  auto stub = server.NewStub();

  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(60));
  std::unique_ptr<Stream> stream = stub->ColorizeStream(&context);
  ASSERT_TRUE(stream->Write(Delta("m", "Red sky at night, ", false)));
  v1::ColorizeStreamResponse response;
  ASSERT_TRUE(stream->Read(&response));
  ASSERT_TRUE(stream->Write(Delta("m", "sailors delight and more words ", false)));
  context.TryCancel();
  EXPECT_EQ(stream->Finish().error_code(), grpc::StatusCode::CANCELLED);

  EXPECT_EQ(server.AwaitMetric("synesthesia_active_streams", 0, absl::Seconds(30)), 0);
  grpc::ClientContext unary_context;
  SetDeadline(unary_context, absl::Seconds(60));
  v1::ColorizeResponse unary;
  EXPECT_TRUE(stub->Colorize(&unary_context, Request(kText), &unary).ok());
  EXPECT_GT(unary.spans_size(), 0);
}

TEST(Faults, DroppedStreamsReturnGaugesToZero) {
  ASSERT_OK_AND_ASSIGN(testing::SpawnedServer server, testing::SpawnServer());
  constexpr int kThreads = 4;
  constexpr int kStreamsPerThread = 500;

  std::vector<std::thread> threads;
  std::atomic<int> opened{0};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto stub = server.NewStub();
      for (int i = 0; i < kStreamsPerThread; ++i) {
        grpc::ClientContext context;
        SetDeadline(context, absl::Seconds(60));
        std::unique_ptr<Stream> stream = stub->ColorizeStream(&context);
        // Half the streams leave a word open, half have finished words in
        // flight when they are dropped.
        stream->Write(Delta(absl::StrCat("m", t, "-", i),
                            i % 2 == 0 ? "unfinished" : "The ocean at midnight is deep, ",
                            false));
        context.TryCancel();
        stream->Finish();
        opened.fetch_add(1);
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  ASSERT_EQ(opened.load(), kThreads * kStreamsPerThread);

  EXPECT_EQ(server.AwaitMetric("synesthesia_active_streams", 0, absl::Seconds(60)), 0);
  EXPECT_EQ(server.AwaitMetric("synesthesia_queued_tokens", 0, absl::Seconds(60)), 0);
  EXPECT_EQ(server.AwaitMetric("synesthesia_in_flight_requests", 0, absl::Seconds(60)), 0);
}

TEST(Faults, FloodGetsOnlyResourceExhausted) {
  // A long batch delay keeps the first calls queued while the rest arrive.
  ASSERT_OK_AND_ASSIGN(testing::SpawnedServer server,
                       testing::SpawnServer({"--max_queued_tokens=64", "--max_batch_delay=200ms"}));
  auto stub = server.NewStub();

  grpc::ClientContext reference_context;
  SetDeadline(reference_context, absl::Seconds(60));
  v1::ColorizeResponse reference;
  ASSERT_TRUE(stub->Colorize(&reference_context, Request(kText), &reference).ok());

  constexpr int kCalls = 300;
  std::vector<grpc::ClientContext> contexts(kCalls);
  std::vector<v1::ColorizeResponse> responses(kCalls);
  std::vector<grpc::Status> statuses(kCalls);
  const v1::ColorizeRequest request = Request(kText);
  std::atomic<int> pending{kCalls};
  absl::Notification all_done;
  for (int i = 0; i < kCalls; ++i) {
    SetDeadline(contexts[i], absl::Seconds(120));
    stub->async()->Colorize(&contexts[i], &request, &responses[i], [&, i](grpc::Status status) {
      statuses[i] = std::move(status);
      if (pending.fetch_sub(1) == 1) all_done.Notify();
    });
  }
  if (!all_done.WaitForNotificationWithTimeout(absl::Seconds(180))) {
    // The callbacks refer to this frame, so they must run before it ends.
    for (grpc::ClientContext& context : contexts) context.TryCancel();
    all_done.WaitForNotification();
    FAIL() << "calls hung for three minutes until cancelled";
  }

  std::map<grpc::StatusCode, int> codes;
  for (int i = 0; i < kCalls; ++i) {
    ++codes[statuses[i].error_code()];
    if (statuses[i].ok()) {
      EXPECT_EQ(Spans(responses[i]), Spans(reference)) << "call " << i;
    } else {
      EXPECT_EQ(statuses[i].error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED)
          << "call " << i << ": " << statuses[i].error_message();
    }
  }
  EXPECT_GT(codes[grpc::StatusCode::RESOURCE_EXHAUSTED], 0);
  EXPECT_GT(codes[grpc::StatusCode::OK], 0);

  // The server serves normally afterwards.
  EXPECT_EQ(server.AwaitMetric("synesthesia_queued_tokens", 0, absl::Seconds(60)), 0);
  grpc::ClientContext after_context;
  SetDeadline(after_context, absl::Seconds(60));
  v1::ColorizeResponse after;
  ASSERT_TRUE(stub->Colorize(&after_context, Request(kText), &after).ok());
  EXPECT_EQ(Spans(after), Spans(reference));
}

TEST(Faults, SigtermUnderLoadEndsEveryCallCleanly) {
  ASSERT_OK_AND_ASSIGN(testing::SpawnedServer server,
                       testing::SpawnServer({"--shutdown_grace_period=5s"}));
  auto stub = server.NewStub();
  grpc::ClientContext reference_context;
  SetDeadline(reference_context, absl::Seconds(60));
  v1::ColorizeResponse reference;
  ASSERT_TRUE(stub->Colorize(&reference_context, Request(kText), &reference).ok());

  constexpr int kThreads = 8;
  std::atomic<int> completed{0};
  std::atomic<int> wrong_results{0};
  std::vector<std::map<grpc::StatusCode, int>> codes(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto thread_stub = server.NewStub();
      // At most 2,000 calls per thread, so the test ends even if the server
      // never stops. Its exit ends the loop much sooner.
      for (int i = 0; i < 2000; ++i) {
        grpc::ClientContext context;
        SetDeadline(context, absl::Seconds(60));
        v1::ColorizeResponse response;
        const grpc::Status status = thread_stub->Colorize(&context, Request(kText), &response);
        ++codes[t][status.error_code()];
        if (status.ok()) {
          completed.fetch_add(1);
          if (Spans(response) != Spans(reference)) wrong_results.fetch_add(1);
        } else {
          break;
        }
      }
    });
  }
  // Let the load build up (bounded, in case every call fails), then stop
  // the server.
  const absl::Time give_up = absl::Now() + absl::Seconds(60);
  while (completed.load() < 50 && absl::Now() < give_up) absl::SleepFor(absl::Milliseconds(10));
  const int completed_before_sigterm = completed.load();
  server.process->process().Signal(SIGTERM);
  for (std::thread& thread : threads) thread.join();
  EXPECT_GE(completed_before_sigterm, 50) << "the server completed too few calls before SIGTERM";

  absl::StatusOr<int> exit_code = server.process->process().Wait(absl::Seconds(60));
  ASSERT_TRUE(exit_code.ok()) << "the server did not exit after SIGTERM";
  EXPECT_EQ(*exit_code, 0) << server.process->process().Stderr();
  EXPECT_EQ(wrong_results.load(), 0);
  for (int t = 0; t < kThreads; ++t) {
    for (const auto& [code, count] : codes[t]) {
      EXPECT_THAT(code, ::testing::AnyOf(grpc::StatusCode::OK, grpc::StatusCode::UNAVAILABLE,
                                         grpc::StatusCode::CANCELLED))
          << count << " calls of thread " << t << " ended with code " << code;
    }
  }
}

class MalformedRequestTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<testing::SpawnedServer> started = testing::SpawnServer();
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = new testing::SpawnedServer(*std::move(started));
  }
  static void TearDownTestSuite() { delete server_; }

  static testing::SpawnedServer* server_;
};

testing::SpawnedServer* MalformedRequestTest::server_ = nullptr;

TEST_F(MalformedRequestTest, InvalidUtf8MessageIdIsInvalidArgument) {
  v1::wire::ColorizeStreamRequest request;
  request.set_message_id(std::string("id-\xc3\x28", 5));
  request.set_delta("hello world ");
  request.set_final(true);

  const grpc::Status status = testing::StreamRaw(*server_->NewChannel(), {request.SerializeAsString()});
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("message_id"));
  EXPECT_THAT(status.error_message(), HasSubstr("byte 3"));
}

TEST_F(MalformedRequestTest, InvalidUtf8BackgroundIsInvalidArgument) {
  v1::wire::ColorizeRequest request;
  request.set_text("red");
  request.mutable_options()->set_background(std::string("#ff\xff\xfe", 5));
  request.mutable_options()->set_min_contrast(4.5);

  const grpc::Status status = testing::CallRaw(*server_->NewChannel(),
                                               "/synesthesia.v1.Synesthesia/Colorize",
                                               request.SerializeAsString());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("background"));
}

TEST_F(MalformedRequestTest, EmptyBatchGivesNoResults) {
  auto stub = server_->NewStub();
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(60));
  v1::ColorizeBatchRequest request;
  v1::ColorizeBatchResponse response;
  EXPECT_TRUE(stub->ColorizeBatch(&context, request, &response).ok());
  EXPECT_EQ(response.results_size(), 0);
}

TEST_F(MalformedRequestTest, BatchOverTheTextLimitIsInvalidArgument) {
  auto stub = server_->NewStub();
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(60));
  v1::ColorizeBatchRequest request;
  for (int i = 0; i < 257; ++i) request.add_texts("red");
  v1::ColorizeBatchResponse response;
  const grpc::Status status = stub->ColorizeBatch(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("256"));
}

TEST_F(MalformedRequestTest, MessageOverTheSizeLimitIsResourceExhausted) {
  // 5 MiB, over the default --max_message_bytes of 4 MiB.
  v1::wire::ColorizeRequest request;
  request.set_text(std::string(5 << 20, 'a'));
  const grpc::Status status = testing::CallRaw(*server_->NewChannel(),
                                               "/synesthesia.v1.Synesthesia/Colorize",
                                               request.SerializeAsString());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);

  // The connection's next call still works.
  auto stub = server_->NewStub();
  grpc::ClientContext context;
  SetDeadline(context, absl::Seconds(60));
  v1::ColorizeResponse response;
  EXPECT_TRUE(stub->Colorize(&context, Request("still serving"), &response).ok());
}

// Starts the server on DIRECTORY and returns its exit code and standard
// error; the server must exit by itself within two minutes.
struct StartUpFailure {
  int exit_code = 0;
  std::string stderr_text;
};

StartUpFailure StartOn(const std::string& directory) {
  testing::SubprocessOptions options;
  options.argv = {testing::ServerPath(), "--listen=127.0.0.1:0", "--metrics_address=127.0.0.1:0",
                  "--model=" + directory};
  absl::StatusOr<testing::CommandResult> result =
      testing::RunCommand(options, absl::Minutes(2));
  EXPECT_TRUE(result.ok()) << "the server did not exit: " << result.status();
  if (!result.ok()) return {};
  return {result->exit_code, result->stderr_text};
}

// A copy of distilbert-tiny in a scratch directory NAME.
std::string CopyTinyModel(const std::string& name) {
  const std::string directory = testing::ScratchDirectory(name);
  for (const char* file : {"config.json", "vocab.txt", "model.safetensors"}) {
    std::filesystem::copy_file(testing::TestDataPath(std::string("distilbert-tiny/") + file),
                               std::filesystem::path(directory) / file);
  }
  return directory;
}

TEST(BrokenModelDirectory, TruncatedWeightsFailStartUp) {
  const std::string directory = CopyTinyModel("truncated-weights");
  std::filesystem::resize_file(std::filesystem::path(directory) / "model.safetensors", 100000);

  const StartUpFailure failure = StartOn(directory);
  EXPECT_NE(failure.exit_code, 0);
  EXPECT_THAT(failure.stderr_text, HasSubstr("model.safetensors"));
}

TEST(BrokenModelDirectory, MissingVocabularyFailsStartUp) {
  const std::string directory = CopyTinyModel("missing-vocab");
  std::filesystem::remove(std::filesystem::path(directory) / "vocab.txt");

  const StartUpFailure failure = StartOn(directory);
  EXPECT_NE(failure.exit_code, 0);
  EXPECT_THAT(failure.stderr_text, HasSubstr("vocab.txt"));
}

TEST(BrokenModelDirectory, UnreadableConfigFailsStartUp) {
  // A directory in place of the file: unreadable even for root, unlike a
  // file without read permission.
  const std::string directory = CopyTinyModel("unreadable-config");
  std::filesystem::remove(std::filesystem::path(directory) / "config.json");
  std::filesystem::create_directory(std::filesystem::path(directory) / "config.json");

  const StartUpFailure failure = StartOn(directory);
  EXPECT_NE(failure.exit_code, 0);
  EXPECT_THAT(failure.stderr_text, HasSubstr("config.json: not a regular file"));
}

TEST(BrokenModelDirectory, InconsistentConfigFailsStartUp) {
  const std::string directory = CopyTinyModel("inconsistent-config");
  std::ofstream(std::filesystem::path(directory) / "config.json")
      << R"({"model_type": "distilbert", "vocab_size": 30522, "dim": 4096, "n_heads": 4,
            "hidden_dim": 16384, "n_layers": 64, "max_position_embeddings": 512})";

  const StartUpFailure failure = StartOn(directory);
  EXPECT_NE(failure.exit_code, 0);
  EXPECT_THAT(failure.stderr_text, HasSubstr("model.safetensors"));
  EXPECT_THAT(failure.stderr_text, HasSubstr("embeddings.word_embeddings.weight"));
}

}  // namespace
}  // namespace synesthesia
