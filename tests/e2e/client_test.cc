// The C++ client library (synesthesia::client) against a spawned
// synesthesia-server, plus in-process fake servers where the behaviour under
// test (retries, load balancing) needs a server that fails on purpose.
#include <atomic>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/synchronization/notification.h"
#include "gmock/gmock.h"
#include "grpcpp/grpcpp.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "synesthesia/client.h"
#include "tests/e2e/e2e_testing.h"
#include "tests/testing/model_fixtures.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using testing::IsOk;
using testing::StatusIs;

std::vector<std::string> Texts(const google::protobuf::RepeatedPtrField<v1::Span>& spans) {
  std::vector<std::string> texts;
  for (const v1::Span& span : spans) texts.push_back(span.text());
  return texts;
}

v1::ColorizeRequest Request(const std::string& text) {
  v1::ColorizeRequest request;
  request.set_text(text);
  return request;
}

// One server with every projection, shared by the tests of this suite.
class ClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::string> model = testing::MakeTinyModelWithProjections("client-model");
    ASSERT_TRUE(model.ok()) << model.status();
    absl::StatusOr<std::unique_ptr<testing::ServerProcess>> server =
        testing::ServerProcess::Start(*model);
    ASSERT_TRUE(server.ok()) << server.status();
    server_ = server->release();
  }
  static void TearDownTestSuite() {
    delete server_;
    server_ = nullptr;
  }

  void SetUp() override {
    ASSERT_NE(server_, nullptr);
    ASSERT_OK_AND_ASSIGN(client_, Client::Create(server_->address()));
  }

  static testing::ServerProcess* server_;
  std::unique_ptr<Client> client_;
};

testing::ServerProcess* ClientTest::server_ = nullptr;

TEST_F(ClientTest, ColorizeReturnsSpansWithOffsets) {
  v1::ColorizeRequest request = Request("Héllo, wörld!");
  request.mutable_options()->set_projection(v1::PROJECTION_BASIS);
  ASSERT_OK_AND_ASSIGN(v1::ColorizeResponse response, client_->Colorize(request));
  EXPECT_THAT(Texts(response.spans()), ElementsAre("Héllo", ",", "wörld", "!"));
  EXPECT_EQ(response.spans(2).start(), 7);
  EXPECT_EQ(response.spans(2).byte_start(), 8);
  EXPECT_EQ(response.spans(2).byte_end(), 14);
  EXPECT_EQ(response.projection(), v1::PROJECTION_BASIS);
  EXPECT_EQ(response.model(), "tiny-with-projections");
  EXPECT_EQ(response.token_count(), 4);
  for (const v1::Span& span : response.spans()) {
    EXPECT_EQ(span.hex().size(), 7u);
    EXPECT_EQ(span.token_ids_size(), 1);
  }
}

TEST_F(ClientTest, ColorizeReportsInvalidArgument) {
  EXPECT_THAT(client_->Colorize(Request("bad \xff")),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("byte 4")));
}

TEST_F(ClientTest, ColorizeBatchKeepsRequestOrder) {
  v1::ColorizeBatchRequest request;
  for (const char* text : {"red", "deep blue sea", "", "green!"}) request.add_texts(text);
  ASSERT_OK_AND_ASSIGN(v1::ColorizeBatchResponse response, client_->ColorizeBatch(request));
  ASSERT_EQ(response.results_size(), 4);
  EXPECT_THAT(Texts(response.results(0).spans()), ElementsAre("red"));
  EXPECT_THAT(Texts(response.results(1).spans()), ElementsAre("deep", "blue", "sea"));
  EXPECT_EQ(response.results(2).spans_size(), 0);
  EXPECT_THAT(Texts(response.results(3).spans()), ElementsAre("green", "!"));
}

TEST_F(ClientTest, AsyncCallsRunTheirCallbacks) {
  const std::vector<std::string> words = {"red",  "green", "blue",  "sea",   "sky",   "sun",
                                          "moon", "fire",  "snow",  "grass", "coal",  "gold",
                                          "rose", "lime",  "plum",  "ink"};
  const int kCalls = static_cast<int>(words.size());
  absl::Mutex mutex;
  std::atomic<int> done = 0;
  absl::Notification all_done;
  std::vector<std::string> first_words(kCalls);
  for (int i = 0; i < kCalls; ++i) {
    client_->ColorizeAsync(Request(words[i] + " tail"),
                           [&, i](absl::StatusOr<v1::ColorizeResponse> response) {
                             {
                               absl::MutexLock lock(&mutex);
                               if (response.ok() && response->spans_size() > 0) {
                                 first_words[i] = response->spans(0).text();
                               }
                             }
                             if (done.fetch_add(1) + 1 == kCalls) all_done.Notify();
                           });
  }
  v1::ColorizeBatchRequest batch;
  batch.add_texts("ocean");
  absl::Notification batch_done;
  absl::Status batch_status;
  client_->ColorizeBatchAsync(batch, [&](absl::StatusOr<v1::ColorizeBatchResponse> response) {
    batch_status = response.status();
    batch_done.Notify();
  });

  ASSERT_TRUE(all_done.WaitForNotificationWithTimeout(absl::Minutes(1)));
  absl::MutexLock lock(&mutex);
  for (int i = 0; i < kCalls; ++i) EXPECT_EQ(first_words[i], words[i]);
  ASSERT_TRUE(batch_done.WaitForNotificationWithTimeout(absl::Minutes(1)));
  EXPECT_OK(batch_status);
}

TEST_F(ClientTest, DestructorWaitsForAsyncCalls) {
  absl::Notification done;
  absl::Status status;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Client> client, Client::Create(server_->address()));
    client->ColorizeAsync(Request("sea"), [&](absl::StatusOr<v1::ColorizeResponse> response) {
      status = response.status();
      done.Notify();
    });
  }
  EXPECT_TRUE(done.HasBeenNotified());
  EXPECT_OK(status);
}

TEST_F(ClientTest, StreamSessionOutlivesTheClient) {
  std::unique_ptr<StreamSession> session;
  {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<Client> client, Client::Create(server_->address()));
    ASSERT_OK_AND_ASSIGN(session, client->OpenStream());
  }
  ASSERT_OK(session->WriteDelta("m", "deep sea", true));
  session->WritesDone();
  std::vector<std::string> words;
  while (std::optional<v1::ColorizeStreamResponse> response = session->Read()) {
    for (const v1::Span& span : response->spans()) words.push_back(span.text());
  }
  EXPECT_OK(session->Finish());
  EXPECT_THAT(words, ElementsAre("deep", "sea"));
}

TEST_F(ClientTest, ModelInfoAndHealth) {
  ASSERT_OK_AND_ASSIGN(v1::ModelInfo info, client_->GetModelInfo());
  EXPECT_EQ(info.name(), "tiny-with-projections");
  EXPECT_EQ(info.dim(), 32);
  EXPECT_EQ(info.projections_size(), 3);
  EXPECT_EQ(info.default_projection(), v1::PROJECTION_SEMANTIC);
  EXPECT_EQ(info.default_stream_projection(), v1::PROJECTION_BASIS);

  ASSERT_OK_AND_ASSIGN(grpc::health::v1::HealthCheckResponse whole, client_->Health());
  EXPECT_EQ(whole.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  ASSERT_OK_AND_ASSIGN(grpc::health::v1::HealthCheckResponse service,
                       client_->Health("synesthesia.v1.Synesthesia"));
  EXPECT_EQ(service.status(), grpc::health::v1::HealthCheckResponse::SERVING);
  EXPECT_THAT(client_->Health("unknown.Service"), StatusIs(absl::StatusCode::kNotFound));
}

TEST_F(ClientTest, StreamReadReturnsWordsInOrder) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<StreamSession> session, client_->OpenStream());
  ASSERT_OK(session->WriteDelta("m", "Hel"));
  ASSERT_OK(session->WriteDelta("m", "lo wor"));
  ASSERT_OK(session->WriteDelta("m", "ld, café", /*final=*/false));
  ASSERT_OK(session->WriteDelta("m", "!", /*final=*/true));
  session->WritesDone();
  EXPECT_THAT(session->WriteDelta("m", "late"),
              StatusIs(absl::StatusCode::kFailedPrecondition));

  std::vector<std::string> words;
  std::vector<int64_t> starts;
  bool final = false;
  while (std::optional<v1::ColorizeStreamResponse> response = session->Read()) {
    EXPECT_EQ(response->message_id(), "m");
    EXPECT_FALSE(final) << "a response after the final one";
    for (const v1::Span& span : response->spans()) {
      words.push_back(span.text());
      starts.push_back(span.start());
    }
    final = response->final();
  }
  EXPECT_OK(session->Finish());
  EXPECT_TRUE(final);
  EXPECT_THAT(words, ElementsAre("Hello", "world", ",", "café", "!"));
  EXPECT_THAT(starts, ElementsAre(0, 6, 11, 13, 17));
}

TEST_F(ClientTest, StreamCallbacksReceiveEveryResponse) {
  absl::Mutex mutex;
  std::vector<std::string> words;
  std::vector<std::string> finished;
  absl::Notification done;
  absl::Status done_status = absl::UnknownError("on_done did not run");
  StreamCallbacks callbacks;
  callbacks.on_response = [&](v1::ColorizeStreamResponse response) {
    absl::MutexLock lock(&mutex);
    for (const v1::Span& span : response.spans()) words.push_back(span.text());
    if (response.final()) finished.push_back(response.message_id());
  };
  callbacks.on_done = [&](absl::Status status) {
    done_status = status;
    done.Notify();
  };
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<StreamSession> session,
                       client_->OpenStream(std::move(callbacks)));
  EXPECT_EQ(session->Read(), std::nullopt);
  ASSERT_OK(session->WriteDelta("a", "red ", true));
  ASSERT_OK(session->WriteDelta("b", "green ", true));
  ASSERT_OK(session->WriteDelta("c", "blue", true));
  EXPECT_OK(session->Finish());
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Minutes(1)));
  EXPECT_OK(done_status);
  absl::MutexLock lock(&mutex);
  EXPECT_THAT(words, ElementsAre("red", "green", "blue"));
  EXPECT_THAT(finished, ElementsAre("a", "b", "c"));
}

TEST_F(ClientTest, StreamSmallReadBufferStillDeliversEverything) {
  StreamOptions options;
  options.max_buffered_responses = 1;
  options.max_queued_writes = 1;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<StreamSession> session, client_->OpenStream(options));
  constexpr int kMessages = 40;
  std::thread writer([&] {
    for (int i = 0; i < kMessages; ++i) {
      EXPECT_OK(session->WriteDelta(absl::StrCat("m", i), absl::StrCat("word", i), true));
    }
    session->WritesDone();
  });
  std::vector<std::string> finished;
  while (std::optional<v1::ColorizeStreamResponse> response = session->Read()) {
    if (response->final()) finished.push_back(response->message_id());
  }
  writer.join();
  EXPECT_OK(session->Finish());
  ASSERT_EQ(finished.size(), static_cast<size_t>(kMessages));
  for (int i = 0; i < kMessages; ++i) EXPECT_EQ(finished[i], absl::StrCat("m", i));
}

TEST_F(ClientTest, StreamErrorEndsTheSession) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<StreamSession> session, client_->OpenStream());
  ASSERT_OK(session->WriteDelta("bad", "ok \xff"));
  // The server ends the stream, so Read returns std::nullopt without WritesDone.
  while (session->Read().has_value()) {
  }
  EXPECT_THAT(session->Finish(),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("bad")));
  EXPECT_THAT(session->WriteDelta("bad", "more"), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(ClientTest, StreamCallbacksSeeServerErrorWithoutWritesDone) {
  absl::Notification done;
  absl::Status done_status;
  StreamCallbacks callbacks;
  callbacks.on_response = [](v1::ColorizeStreamResponse) {};
  callbacks.on_done = [&](absl::Status status) {
    done_status = status;
    done.Notify();
  };
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<StreamSession> session,
                       client_->OpenStream(std::move(callbacks)));
  ASSERT_OK(session->WriteDelta("bad", "\xc3\x28"));
  ASSERT_TRUE(done.WaitForNotificationWithTimeout(absl::Minutes(1)));
  EXPECT_THAT(done_status, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(session->WriteDelta("bad", "x"), StatusIs(absl::StatusCode::kAborted));
}

TEST_F(ClientTest, DestroyingAnOpenSessionCancelsIt) {
  for (int i = 0; i < 5; ++i) {
    ASSERT_OK_AND_ASSIGN(std::unique_ptr<StreamSession> session, client_->OpenStream());
    ASSERT_OK(session->WriteDelta("m", "unfinished message "));
    if (i % 2 == 0) {
      ASSERT_TRUE(session->Read().has_value());
    }
  }
  // The server is still fine afterwards.
  EXPECT_OK(client_->Colorize(Request("sea")).status());
}

TEST_F(ClientTest, CancelEndsTheStreamWithCancelled) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<StreamSession> session, client_->OpenStream());
  ASSERT_OK(session->WriteDelta("m", "open "));
  session->Cancel();
  EXPECT_THAT(session->WriteDelta("m", "more"), StatusIs(absl::StatusCode::kAborted));
  const absl::Status finished = session->Finish();
  EXPECT_THAT(finished, StatusIs(absl::StatusCode::kCancelled));
  EXPECT_THAT(finished.message(), HasSubstr("cancelled by this client"));
}

TEST_F(ClientTest, LargeResponseNeedsTheReceiveLimit) {
  // One span per "!" token: the response is far larger than gRPC's default
  // 4 MiB receive limit.
  const std::string text(150000, '!');
  // Encoding 150,000 tokens can take longer than the default deadline on a
  // busy machine.
  CallOptions call;
  call.deadline = absl::Minutes(10);
  ASSERT_OK_AND_ASSIGN(v1::ColorizeResponse response, client_->Colorize(Request(text), call));
  EXPECT_EQ(response.spans_size(), 150000);
  EXPECT_GT(response.ByteSizeLong(), size_t{4} << 20);

  ClientOptions small;
  small.max_receive_message_bytes = 1 << 20;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Client> limited,
                       Client::Create(server_->address(), small));
  EXPECT_THAT(limited->Colorize(Request(text), call),
              StatusIs(absl::StatusCode::kResourceExhausted));
}

// With wait_for_ready, a call to a server that never comes up waits for the
// connection until its deadline passes.
TEST(ClientDeadlineTest, WaitForReadyEndsAtTheDeadline) {
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Client> client,
      Client::Create(absl::StrCat("127.0.0.1:", testing::UnusedLoopbackPort())));
  CallOptions call;
  call.wait_for_ready = true;
  call.deadline = absl::Milliseconds(300);
  EXPECT_THAT(client->Colorize(Request("sea"), call),
              StatusIs(absl::StatusCode::kDeadlineExceeded));
  EXPECT_THAT(client->Health("", call), StatusIs(absl::StatusCode::kDeadlineExceeded));
}

TEST(ClientOptionsTest, InvalidOptionsAreRejected) {
  struct Case {
    std::string name;
    std::string target;
    ClientOptions options;
  };
  std::vector<Case> cases;
  cases.push_back({"empty target", "", {}});

  Case key_only{"key without certificate", "127.0.0.1:1", {}};
  key_only.options.tls_client_key_pem = "key";
  cases.push_back(key_only);

  Case token{"token with newline", "127.0.0.1:1", {}};
  token.options.bearer_token = "a\nb";
  cases.push_back(token);

  Case attempts{"zero attempts", "127.0.0.1:1", {}};
  attempts.options.max_attempts = 0;
  cases.push_back(attempts);

  Case backoff{"max below initial backoff", "127.0.0.1:1", {}};
  backoff.options.max_backoff = absl::Milliseconds(1);
  cases.push_back(backoff);

  Case multiplier{"multiplier below one", "127.0.0.1:1", {}};
  multiplier.options.backoff_multiplier = 0.5;
  cases.push_back(multiplier);

  Case policy{"unknown policy", "127.0.0.1:1", {}};
  policy.options.load_balancing_policy = "random";
  cases.push_back(policy);

  Case receive{"receive limit zero", "127.0.0.1:1", {}};
  receive.options.max_receive_message_bytes = 0;
  cases.push_back(receive);

  Case deadline{"negative deadline", "127.0.0.1:1", {}};
  deadline.options.default_deadline = absl::Seconds(-1);
  cases.push_back(deadline);

  for (const Case& test_case : cases) {
    EXPECT_THAT(Client::Create(test_case.target, test_case.options),
                StatusIs(absl::StatusCode::kInvalidArgument))
        << test_case.name;
  }
}

TEST(ClientOptionsTest, ServiceConfigCarriesRetryAndBalancing) {
  const nlohmann::json config = nlohmann::json::parse(ServiceConfigJson(ClientOptions()));
  EXPECT_EQ(config["loadBalancingConfig"], nlohmann::json::parse(R"([{"round_robin":{}}])"));
  const nlohmann::json& method = config["methodConfig"][0];
  EXPECT_EQ(method["name"], nlohmann::json::parse(R"([{"service":"synesthesia.v1.Synesthesia"}])"));
  EXPECT_EQ(method["retryPolicy"]["maxAttempts"], 4);
  EXPECT_EQ(method["retryPolicy"]["initialBackoff"], "0.100000s");
  EXPECT_EQ(method["retryPolicy"]["maxBackoff"], "2.000000s");
  EXPECT_EQ(method["retryPolicy"]["backoffMultiplier"], 2);
  EXPECT_EQ(method["retryPolicy"]["retryableStatusCodes"],
            nlohmann::json::array({"UNAVAILABLE"}));

  ClientOptions no_retries;
  no_retries.max_attempts = 1;
  no_retries.load_balancing_policy = "pick_first";
  const nlohmann::json plain = nlohmann::json::parse(ServiceConfigJson(no_retries));
  EXPECT_FALSE(plain["methodConfig"][0].contains("retryPolicy"));
  EXPECT_EQ(plain["loadBalancingConfig"], nlohmann::json::parse(R"([{"pick_first":{}}])"));
}

TEST(ClientUnavailableTest, UnreachableServerFailsWithUnavailable) {
  ClientOptions options;
  options.initial_backoff = absl::Milliseconds(10);
  options.max_backoff = absl::Milliseconds(20);
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<Client> client,
      Client::Create(absl::StrCat("127.0.0.1:", testing::UnusedLoopbackPort()), options));
  EXPECT_THAT(client->Colorize(Request("sea")), StatusIs(absl::StatusCode::kUnavailable));
  EXPECT_THAT(client->Health(), StatusIs(absl::StatusCode::kUnavailable));
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<StreamSession> session, client->OpenStream());
  EXPECT_EQ(session->Read(), std::nullopt);
  EXPECT_THAT(session->Finish(), StatusIs(absl::StatusCode::kUnavailable));
}

// A fake Synesthesia service whose GetModelInfo fails with UNAVAILABLE a
// given number of times before it succeeds. It counts the calls it
// receives, so a test can observe retries and load balancing.
class FlakyService final : public v1::Synesthesia::Service {
 public:
  explicit FlakyService(int failures) : failures_left_(failures) {}

  grpc::Status GetModelInfo(grpc::ServerContext* /*context*/,
                            const v1::GetModelInfoRequest* /*request*/,
                            v1::ModelInfo* response) override {
    calls_.fetch_add(1);
    if (failures_left_.fetch_sub(1) > 0) {
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, "warming up");
    }
    response->set_name("flaky");
    return grpc::Status::OK;
  }

  int calls() const { return calls_.load(); }

 private:
  std::atomic<int> failures_left_;
  std::atomic<int> calls_ = 0;
};

struct FakeServer {
  std::unique_ptr<FlakyService> service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
};

FakeServer StartFakeServer(int failures) {
  FakeServer fake;
  fake.service = std::make_unique<FlakyService>(failures);
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &fake.port);
  builder.RegisterService(fake.service.get());
  fake.server = builder.BuildAndStart();
  return fake;
}

TEST(ClientRetryTest, UnavailableIsRetriedWithBackoff) {
  FakeServer fake = StartFakeServer(/*failures=*/2);
  ASSERT_NE(fake.port, 0);
  ClientOptions options;
  options.initial_backoff = absl::Milliseconds(10);
  options.max_backoff = absl::Milliseconds(50);
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Client> client,
                       Client::Create(absl::StrCat("127.0.0.1:", fake.port), options));
  ASSERT_OK_AND_ASSIGN(v1::ModelInfo info, client->GetModelInfo());
  EXPECT_EQ(info.name(), "flaky");
  EXPECT_EQ(fake.service->calls(), 3);
  fake.server->Shutdown();
}

TEST(ClientRetryTest, OneAttemptDisablesRetries) {
  FakeServer fake = StartFakeServer(/*failures=*/2);
  ASSERT_NE(fake.port, 0);
  ClientOptions options;
  options.max_attempts = 1;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Client> client,
                       Client::Create(absl::StrCat("127.0.0.1:", fake.port), options));
  EXPECT_THAT(client->GetModelInfo(),
              StatusIs(absl::StatusCode::kUnavailable, HasSubstr("warming up")));
  EXPECT_EQ(fake.service->calls(), 1);
  fake.server->Shutdown();
}

TEST(ClientBalancingTest, RoundRobinSpreadsCallsOverAddresses) {
  FakeServer first = StartFakeServer(0);
  FakeServer second = StartFakeServer(0);
  ASSERT_NE(first.port, 0);
  ASSERT_NE(second.port, 0);
  // The ipv4: scheme resolves to several addresses, as DNS does for a
  // headless Service.
  const std::string target =
      absl::StrCat("ipv4:127.0.0.1:", first.port, ",127.0.0.1:", second.port);

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Client> balanced, Client::Create(target));
  CallOptions call;
  call.wait_for_ready = true;
  // round_robin uses an address once its connection is ready, so the first
  // calls may all go to one of them. Both must be used well before 200.
  int calls = 0;
  while (calls < 200 && (first.service->calls() == 0 || second.service->calls() == 0)) {
    ASSERT_OK(balanced->GetModelInfo(call).status());
    ++calls;
  }
  EXPECT_GT(first.service->calls(), 0);
  EXPECT_GT(second.service->calls(), 0);
  EXPECT_EQ(first.service->calls() + second.service->calls(), calls);

  ClientOptions pick_first;
  pick_first.load_balancing_policy = "pick_first";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Client> single, Client::Create(target, pick_first));
  const int before_first = first.service->calls();
  const int before_second = second.service->calls();
  for (int i = 0; i < 10; ++i) ASSERT_OK(single->GetModelInfo(call).status());
  const int to_first = first.service->calls() - before_first;
  const int to_second = second.service->calls() - before_second;
  EXPECT_TRUE(to_first == 10 || to_second == 10) << to_first << " and " << to_second;

  first.server->Shutdown();
  second.server->Shutdown();
}

TEST(ClientAuthTest, BearerTokenIsSentWithEveryCall) {
  const std::string scratch = testing::ScratchDirectory("client-token");
  std::ofstream(scratch + "/token") << "letmein\n";
  ASSERT_OK_AND_ASSIGN(
      std::unique_ptr<testing::ServerProcess> server,
      testing::ServerProcess::Start(testing::TestDataPath("distilbert-tiny"),
                                    {"--auth_token_file=" + scratch + "/token"}));

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Client> anonymous, Client::Create(server->address()));
  EXPECT_THAT(anonymous->Colorize(Request("sea")),
              StatusIs(absl::StatusCode::kUnauthenticated));
  // Health stays open without a token.
  EXPECT_OK(anonymous->Health().status());

  ClientOptions options;
  options.bearer_token = "letmein";
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Client> client, Client::Create(server->address(), options));
  EXPECT_OK(client->Colorize(Request("sea")).status());
  EXPECT_OK(client->GetModelInfo().status());
  v1::ColorizeBatchRequest batch;
  batch.add_texts("sea");
  EXPECT_OK(client->ColorizeBatch(batch).status());
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<StreamSession> session, client->OpenStream());
  ASSERT_OK(session->WriteDelta("m", "deep sea", true));
  EXPECT_OK(session->Finish());
}

}  // namespace
}  // namespace synesthesia
