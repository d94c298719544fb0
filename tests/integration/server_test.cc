// Unary, batch and model-info calls against an in-process server, and every
// kind of bad request.
#include <string>
#include <thread>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/wire/request_wire.pb.h"
#include "tests/integration/server_testing.h"
#include "tests/testing/model_fixtures.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia {
namespace {

using ::testing::HasSubstr;
using ::testing::SizeIs;

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::string> directory = testing::MakeTinyModelWithProjections("server");
    ASSERT_TRUE(directory.ok()) << directory.status();
    model_directory_ = new std::string(*directory);
    absl::StatusOr<testing::TestServer> started =
        testing::StartServer(testing::LoopbackServerOptions(*directory));
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = new testing::TestServer(std::move(started).value());
  }
  static void TearDownTestSuite() {
    delete server_;
    delete model_directory_;
  }

  static grpc::Status Colorize(const v1::ColorizeRequest& request, v1::ColorizeResponse& response) {
    grpc::ClientContext context;
    return server_->stub->Colorize(&context, request, &response);
  }

  static v1::ColorizeRequest Request(const std::string& text,
                                     v1::Projection projection = v1::PROJECTION_UNSPECIFIED) {
    v1::ColorizeRequest request;
    request.set_text(text);
    request.mutable_options()->set_projection(projection);
    return request;
  }

  static std::string* model_directory_;
  static testing::TestServer* server_;
};

std::string* ServerTest::model_directory_ = nullptr;
testing::TestServer* ServerTest::server_ = nullptr;

TEST_F(ServerTest, ColorizeReturnsSpansWithOffsetsAndHex) {
  v1::ColorizeResponse response;
  ASSERT_TRUE(Colorize(Request("Héllo, wörld!", v1::PROJECTION_PCA), response).ok());
  ASSERT_THAT(response.spans(), SizeIs(4));
  EXPECT_EQ(response.spans(0).text(), "Héllo");
  EXPECT_EQ(response.spans(0).start(), 0);
  EXPECT_EQ(response.spans(0).end(), 5);
  EXPECT_EQ(response.spans(0).byte_end(), 6);
  EXPECT_EQ(response.spans(2).text(), "wörld");
  EXPECT_EQ(response.spans(2).byte_start(), 8);
  EXPECT_EQ(response.spans(0).token_ids(0), 7592);
  for (const v1::Span& span : response.spans()) {
    EXPECT_THAT(span.hex(), ::testing::MatchesRegex("#[0-9a-f]{6}"));
    char expected[8];
    std::snprintf(expected, sizeof(expected), "#%02x%02x%02x", span.rgb().r(), span.rgb().g(),
                  span.rgb().b());
    EXPECT_EQ(span.hex(), expected);
  }
  EXPECT_EQ(response.model(), "tiny-with-projections");
  EXPECT_EQ(response.projection(), v1::PROJECTION_PCA);
  EXPECT_EQ(response.token_count(), 4);
  EXPECT_GT(response.timing().total_us(), 0);
  EXPECT_GE(response.timing().total_us(), response.timing().inference_us());
}

TEST_F(ServerTest, UnspecifiedProjectionUsesTheServerDefault) {
  v1::ColorizeResponse response;
  ASSERT_TRUE(Colorize(Request("banana"), response).ok());
  // The fixture model has a semantic head, the preferred default.
  EXPECT_EQ(response.projection(), v1::PROJECTION_SEMANTIC);
}

TEST_F(ServerTest, WordGranularityAndSpecialTokens) {
  v1::ColorizeRequest request = Request("unbelievable colourfulness", v1::PROJECTION_BASIS);
  request.mutable_options()->set_granularity(v1::GRANULARITY_WORD);
  request.mutable_options()->set_include_special_tokens(true);
  v1::ColorizeResponse response;
  ASSERT_TRUE(Colorize(request, response).ok());
  ASSERT_THAT(response.spans(), SizeIs(4));
  EXPECT_TRUE(response.spans(0).special());
  EXPECT_EQ(response.spans(1).text(), "unbelievable");
  EXPECT_EQ(response.spans(2).text(), "colourfulness");
  EXPECT_GT(response.spans(2).token_ids_size(), 1);
  EXPECT_TRUE(response.spans(3).special());
}

TEST_F(ServerTest, ContrastAgainstABackgroundHolds) {
  v1::ColorizeRequest request = Request("Red green brown blue orange white black purple",
                                        v1::PROJECTION_PCA);
  request.mutable_options()->set_background("#ffffff");
  request.mutable_options()->set_min_contrast(4.5);
  v1::ColorizeResponse response;
  ASSERT_TRUE(Colorize(request, response).ok());
  for (const v1::Span& span : response.spans()) {
    const auto luminance = [](double channel) {
      channel /= 255.0;
      return channel <= 0.04045 ? channel / 12.92 : std::pow((channel + 0.055) / 1.055, 2.4);
    };
    const double l = 0.2126 * luminance(span.rgb().r()) + 0.7152 * luminance(span.rgb().g()) +
                     0.0722 * luminance(span.rgb().b());
    EXPECT_GE(1.05 / (l + 0.05), 4.5) << span.text() << " " << span.hex();
  }
}

TEST_F(ServerTest, EmptyTextIsOkWithNoSpans) {
  v1::ColorizeResponse response;
  ASSERT_TRUE(Colorize(Request(""), response).ok());
  EXPECT_THAT(response.spans(), SizeIs(0));
  EXPECT_EQ(response.token_count(), 0);
}

TEST_F(ServerTest, BatchReturnsOneResultPerTextInOrder) {
  v1::ColorizeBatchRequest request;
  for (const char* text : {"red", "", "deep blue sea", "snow"}) request.add_texts(text);
  request.mutable_options()->set_projection(v1::PROJECTION_BASIS);
  v1::ColorizeBatchResponse response;
  grpc::ClientContext context;
  ASSERT_TRUE(server_->stub->ColorizeBatch(&context, request, &response).ok());
  ASSERT_THAT(response.results(), SizeIs(4));
  EXPECT_THAT(response.results(0).spans(), SizeIs(1));
  EXPECT_THAT(response.results(1).spans(), SizeIs(0));
  EXPECT_THAT(response.results(2).spans(), SizeIs(3));
  EXPECT_EQ(response.results(3).spans(0).text(), "snow");

  // Each text gets the colours it gets alone.
  v1::ColorizeResponse alone;
  ASSERT_TRUE(Colorize(Request("deep blue sea", v1::PROJECTION_BASIS), alone).ok());
  for (int i = 0; i < alone.spans_size(); ++i) {
    EXPECT_EQ(response.results(2).spans(i).hex(), alone.spans(i).hex());
  }
}

TEST_F(ServerTest, ModelInfoDescribesModelAndLimits) {
  v1::ModelInfo info;
  grpc::ClientContext context;
  ASSERT_TRUE(server_->stub->GetModelInfo(&context, v1::GetModelInfoRequest(), &info).ok());
  EXPECT_EQ(info.name(), "tiny-with-projections");
  EXPECT_EQ(info.architecture(), "distilbert");
  EXPECT_EQ(info.dim(), 32);
  EXPECT_EQ(info.layers(), 2);
  EXPECT_EQ(info.heads(), 4);
  EXPECT_EQ(info.hidden_dim(), 64);
  EXPECT_EQ(info.vocab_size(), 30522);
  EXPECT_EQ(info.max_positions(), 512);
  EXPECT_THAT(info.projections(), ::testing::ElementsAre(v1::PROJECTION_PCA, v1::PROJECTION_BASIS,
                                                         v1::PROJECTION_SEMANTIC));
  EXPECT_EQ(info.default_projection(), v1::PROJECTION_SEMANTIC);
  EXPECT_EQ(info.default_stream_projection(), v1::PROJECTION_BASIS);
  EXPECT_EQ(info.precision(), "float32");
  EXPECT_EQ(info.limits().max_text_bytes(), 1 << 20);
  EXPECT_EQ(info.limits().max_batch_texts(), 256);
  EXPECT_GT(info.limits().max_queued_tokens(), 0);
  EXPECT_EQ(info.limits().max_stream_messages(), 16);
  EXPECT_EQ(info.server_version(), "test");
}

TEST_F(ServerTest, InvalidUtf8IsInvalidArgumentNamingTheOffset) {
  v1::wire::ColorizeRequest request;
  request.set_text(std::string("colour \xc0\xaf", 9));
  const grpc::Status status =
      testing::CallRaw(*server_->channel, "/synesthesia.v1.Synesthesia/Colorize",
                       request.SerializeAsString());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("byte 7"));
}

TEST_F(ServerTest, InvalidUtf8InABatchNamesTheText) {
  v1::wire::ColorizeBatchRequest request;
  request.add_texts("fine");
  request.add_texts(std::string("bad \xff", 5));
  const grpc::Status status = testing::CallRaw(
      *server_->channel, "/synesthesia.v1.Synesthesia/ColorizeBatch", request.SerializeAsString());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("text 1"));
  EXPECT_THAT(status.error_message(), HasSubstr("byte 4"));
}

TEST_F(ServerTest, InvalidBackgroundIsInvalidArgument) {
  for (const std::string& background : {std::string("white"), std::string("#12345"),
                                       std::string("\xff\xfe", 2)}) {
    v1::wire::ColorizeRequest request;
    request.set_text("red");
    request.mutable_options()->set_background(background);
    request.mutable_options()->set_min_contrast(3);
    const grpc::Status status = testing::CallRaw(
        *server_->channel, "/synesthesia.v1.Synesthesia/Colorize", request.SerializeAsString());
    EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_THAT(status.error_message(), HasSubstr("#rrggbb"));
  }
}

TEST_F(ServerTest, GarbageBytesAreInvalidArgument) {
  const grpc::Status status = testing::CallRaw(
      *server_->channel, "/synesthesia.v1.Synesthesia/Colorize", std::string("\xff\xff\xff\xff", 4));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("not a valid"));
}

TEST_F(ServerTest, UnknownEnumValuesAreInvalidArgument) {
  v1::ColorizeRequest request = Request("red");
  request.mutable_options()->set_projection(static_cast<v1::Projection>(42));
  v1::ColorizeResponse response;
  grpc::Status status = Colorize(request, response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("unknown projection 42"));

  request = Request("red");
  request.mutable_options()->set_granularity(static_cast<v1::Granularity>(7));
  status = Colorize(request, response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("unknown granularity 7"));
}

TEST_F(ServerTest, TextOverTheByteLimitIsInvalidArgument) {
  v1::ColorizeResponse response;
  const grpc::Status status = Colorize(Request(std::string((1 << 20) + 1, 'a')), response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("over the limit of 1048576 bytes"));
}

TEST_F(ServerTest, StatusMessagesAreCapped) {
  v1::wire::ColorizeRequest request;
  request.set_text("red");
  request.mutable_options()->set_background(std::string(4000, 'x'));
  request.mutable_options()->set_min_contrast(3);
  const grpc::Status status = testing::CallRaw(
      *server_->channel, "/synesthesia.v1.Synesthesia/Colorize", request.SerializeAsString());
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_LE(status.error_message().size(), 512u);
}

TEST_F(ServerTest, ConcurrentCallsGiveTheSequentialResults) {
  const std::vector<std::string> texts = {
      "red", "The ocean at midnight is deep and quiet.", "banana lemon lime", "Héllo, wörld!",
      "coal snow blood grass", "a", "purple prose and golden hours", "日本語のテキスト"};
  std::vector<v1::ColorizeResponse> sequential(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    ASSERT_TRUE(Colorize(Request(texts[i], v1::PROJECTION_BASIS), sequential[i]).ok());
  }
  std::vector<std::thread> threads;
  std::vector<std::vector<v1::ColorizeResponse>> concurrent(8);
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 3; ++round) {
        for (size_t i = 0; i < texts.size(); ++i) {
          v1::ColorizeResponse response;
          grpc::ClientContext context;
          grpc::Status status = server_->stub->Colorize(
              &context, Request(texts[(i + t) % texts.size()], v1::PROJECTION_BASIS), &response);
          EXPECT_TRUE(status.ok()) << status.error_message();
          concurrent[t].push_back(response);
        }
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (int t = 0; t < 8; ++t) {
    for (size_t k = 0; k < concurrent[t].size(); ++k) {
      const v1::ColorizeResponse& expected = sequential[(k % texts.size() + t) % texts.size()];
      const v1::ColorizeResponse& actual = concurrent[t][k];
      ASSERT_EQ(actual.spans_size(), expected.spans_size());
      for (int s = 0; s < actual.spans_size(); ++s) {
        EXPECT_EQ(actual.spans(s).hex(), expected.spans(s).hex()) << actual.spans(s).text();
      }
    }
  }
}

TEST_F(ServerTest, MetricsCountRequestsByMethodAndCode) {
  v1::ColorizeResponse response;
  ASSERT_TRUE(Colorize(Request("red"), response).ok());
  const std::string metrics = server_->ScrapeMetrics();
  EXPECT_GE(testing::MetricValue(
                metrics, "synesthesia_requests_total{code=\"OK\",method=\"Colorize\"}"),
            1);
  EXPECT_GE(testing::MetricValue(metrics, "synesthesia_batches_total"), 1);
  EXPECT_THAT(metrics, HasSubstr("synesthesia_model_info{architecture=\"distilbert\""));
  EXPECT_THAT(metrics, HasSubstr("process_resident_memory_bytes"));
}

// A server whose model has no projections beyond pca.
TEST(ServerWithoutProjections, MissingProjectionIsInvalidArgument) {
  ASSERT_OK_AND_ASSIGN(testing::TestServer server,
                       testing::StartServer(testing::LoopbackServerOptions(
                           testing::TestDataPath("distilbert-tiny"))));
  v1::ColorizeRequest request;
  request.set_text("red");
  request.mutable_options()->set_projection(v1::PROJECTION_SEMANTIC);
  v1::ColorizeResponse response;
  grpc::ClientContext context;
  const grpc::Status status = server.stub->Colorize(&context, request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("'semantic' is not available"));

  grpc::ClientContext default_context;
  request.mutable_options()->set_projection(v1::PROJECTION_UNSPECIFIED);
  ASSERT_TRUE(server.stub->Colorize(&default_context, request, &response).ok());
  EXPECT_EQ(response.projection(), v1::PROJECTION_PCA);
}

TEST(ServerWithoutProjections, ConfiguredDefaultMustExist) {
  server::ServerOptions options = testing::LoopbackServerOptions(testing::TestDataPath("distilbert-tiny"));
  options.default_projection = projection::Kind::kBasis;
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<server::Server> server, server::Server::Create(options));
  EXPECT_THAT(server->LoadModel(),
              testing::StatusIs(absl::StatusCode::kFailedPrecondition,
                                HasSubstr("--default_projection=basis")));
}

}  // namespace
}  // namespace synesthesia
