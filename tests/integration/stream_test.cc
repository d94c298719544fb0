// ColorizeStream semantics against an in-process server.
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "server/wire/request_wire.pb.h"
#include "tests/integration/server_testing.h"
#include "tests/testing/model_fixtures.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia {
namespace {

using ::testing::HasSubstr;

using Stream = grpc::ClientReaderWriter<v1::ColorizeStreamRequest, v1::ColorizeStreamResponse>;

v1::ColorizeStreamRequest Delta(const std::string& id, const std::string& delta, bool final = false) {
  v1::ColorizeStreamRequest request;
  request.set_message_id(id);
  request.set_delta(delta);
  request.set_final(final);
  return request;
}

class StreamTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::string> directory = testing::MakeTinyModelWithProjections("stream-server");
    ASSERT_TRUE(directory.ok()) << directory.status();
    absl::StatusOr<testing::TestServer> started =
        testing::StartServer(testing::LoopbackServerOptions(*directory));
    ASSERT_TRUE(started.ok()) << started.status();
    server_ = new testing::TestServer(std::move(started).value());
  }
  static void TearDownTestSuite() { delete server_; }

  // Writes DELTA and reads the response it must produce.
  static v1::ColorizeStreamResponse WriteAndRead(Stream& stream,
                                                 const v1::ColorizeStreamRequest& request) {
    EXPECT_TRUE(stream.Write(request));
    v1::ColorizeStreamResponse response;
    EXPECT_TRUE(stream.Read(&response));
    return response;
  }

  static std::vector<std::string> Texts(const v1::ColorizeStreamResponse& response) {
    std::vector<std::string> texts;
    for (const v1::Span& span : response.spans()) texts.push_back(span.text());
    return texts;
  }

  static testing::TestServer* server_;
};

testing::TestServer* StreamTest::server_ = nullptr;

using Words = std::vector<std::string>;

TEST_F(StreamTest, WordsArriveAsTheyComplete) {
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream = server_->stub->ColorizeStream(&context);
  // "Hel" completes nothing, so no response is expected for it.
  ASSERT_TRUE(stream->Write(Delta("m1", "Hel")));
  v1::ColorizeStreamResponse response = WriteAndRead(*stream, Delta("m1", "lo wor"));
  EXPECT_EQ(Texts(response), Words{"Hello"});
  EXPECT_EQ(response.message_id(), "m1");
  EXPECT_FALSE(response.final());
  EXPECT_EQ(response.projection(), v1::PROJECTION_BASIS);

  response = WriteAndRead(*stream, Delta("m1", "ld, café"));
  EXPECT_EQ(Texts(response), (Words{"world", ","}));
  EXPECT_EQ(response.spans(0).start(), 6);
  EXPECT_EQ(response.spans(0).end(), 11);
  EXPECT_EQ(response.spans(1).byte_start(), 11);

  response = WriteAndRead(*stream, Delta("m1", "!", true));
  EXPECT_EQ(Texts(response), (Words{"café", "!"}));
  EXPECT_EQ(response.spans(0).start(), 13);
  EXPECT_EQ(response.spans(0).byte_end(), 18);
  EXPECT_TRUE(response.final());

  ASSERT_TRUE(stream->WritesDone());
  EXPECT_FALSE(stream->Read(&response));
  const grpc::Status status = stream->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST_F(StreamTest, InterleavedMessagesKeepTheirOwnOffsets) {
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream = server_->stub->ColorizeStream(&context);
  v1::ColorizeStreamResponse a = WriteAndRead(*stream, Delta("a", "red "));
  v1::ColorizeStreamResponse b = WriteAndRead(*stream, Delta("b", "deep blue "));
  v1::ColorizeStreamResponse a2 = WriteAndRead(*stream, Delta("a", "green ", true));
  EXPECT_EQ(a.message_id(), "a");
  EXPECT_EQ(Texts(a), Words{"red"});
  EXPECT_EQ(b.message_id(), "b");
  EXPECT_EQ(Texts(b), (Words{"deep", "blue"}));
  EXPECT_EQ(a2.message_id(), "a");
  EXPECT_EQ(a2.spans(0).start(), 4);
  EXPECT_TRUE(a2.final());

  // Half-closing ends the open message "b", whose last word was complete.
  ASSERT_TRUE(stream->WritesDone());
  v1::ColorizeStreamResponse last;
  ASSERT_TRUE(stream->Read(&last));
  EXPECT_EQ(last.message_id(), "b");
  EXPECT_TRUE(last.final());
  EXPECT_EQ(last.spans_size(), 0);
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(StreamTest, HalfCloseCompletesTheLastWord) {
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream = server_->stub->ColorizeStream(&context);
  ASSERT_TRUE(stream->Write(Delta("m", "deep oce")));
  ASSERT_TRUE(stream->Write(Delta("m", "an")));
  ASSERT_TRUE(stream->WritesDone());
  std::vector<std::string> words;
  bool final = false;
  for (v1::ColorizeStreamResponse response; stream->Read(&response);) {
    for (const v1::Span& span : response.spans()) words.push_back(span.text());
    final = response.final();
  }
  EXPECT_TRUE(stream->Finish().ok());
  EXPECT_EQ(words, (Words{"deep", "ocean"}));
  EXPECT_TRUE(final);
}

TEST_F(StreamTest, ReusedIdAfterFinalStartsANewMessage) {
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream = server_->stub->ColorizeStream(&context);
  WriteAndRead(*stream, Delta("m", "first", true));
  v1::ColorizeStreamResponse second = WriteAndRead(*stream, Delta("m", "second", true));
  EXPECT_EQ(second.spans(0).start(), 0);
  EXPECT_EQ(second.spans(0).text(), "second");
  stream->WritesDone();
  EXPECT_TRUE(stream->Finish().ok());
}

TEST_F(StreamTest, StreamedSpansCoverTheWholeMessageInOrder) {
  const std::string message =
      "The lighthouse throws a yellow beam across the green water, towards the red harbour "
      "lights; gulls circle, grey and white, over the coal-black rocks.";
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream = server_->stub->ColorizeStream(&context);
  // Deltas of 3 bytes, as a language model might emit them.
  for (size_t i = 0; i < message.size(); i += 3) {
    ASSERT_TRUE(stream->Write(Delta("m", message.substr(i, 3))));
  }
  ASSERT_TRUE(stream->Write(Delta("m", "", true)));
  ASSERT_TRUE(stream->WritesDone());
  std::vector<v1::Span> spans;
  for (v1::ColorizeStreamResponse response; stream->Read(&response);) {
    spans.insert(spans.end(), response.spans().begin(), response.spans().end());
  }
  ASSERT_TRUE(stream->Finish().ok());

  v1::ColorizeRequest request;
  request.set_text(message);
  v1::ColorizeResponse unary;
  grpc::ClientContext unary_context;
  ASSERT_TRUE(server_->stub->Colorize(&unary_context, request, &unary).ok());
  ASSERT_EQ(static_cast<int>(spans.size()), unary.spans_size());
  for (size_t i = 0; i < spans.size(); ++i) {
    EXPECT_EQ(spans[i].text(), unary.spans(static_cast<int>(i)).text());
    EXPECT_EQ(spans[i].start(), unary.spans(static_cast<int>(i)).start());
    EXPECT_EQ(spans[i].byte_start(), unary.spans(static_cast<int>(i)).byte_start());
    EXPECT_EQ(spans[i].text(), message.substr(static_cast<size_t>(spans[i].byte_start()),
                                              static_cast<size_t>(spans[i].byte_end() -
                                                                  spans[i].byte_start())));
  }
}

TEST_F(StreamTest, InvalidUtf8EndsTheStreamNamingTheMessage) {
  auto channel = server_->channel;
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  grpc::CompletionQueue queue;
  // The synchronous generic API is enough here: one write, then read the status.
  auto call = stub.PrepareCall(&context, "/synesthesia.v1.Synesthesia/ColorizeStream", &queue);
  call->StartCall(reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  ASSERT_TRUE(queue.Next(&tag, &ok));

  v1::wire::ColorizeStreamRequest request;
  request.set_message_id("chat-7");
  request.set_delta(std::string("hi \xed\xa0\x80", 6));  // a UTF-16 surrogate
  grpc::Slice slice(request.SerializeAsString());
  grpc::ByteBuffer buffer(&slice, 1);
  call->Write(buffer, reinterpret_cast<void*>(2));
  ASSERT_TRUE(queue.Next(&tag, &ok));
  call->WritesDone(reinterpret_cast<void*>(3));
  ASSERT_TRUE(queue.Next(&tag, &ok));
  grpc::Status status;
  call->Finish(&status, reinterpret_cast<void*>(4));
  ASSERT_TRUE(queue.Next(&tag, &ok));
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("\"chat-7\""));
  EXPECT_THAT(status.error_message(), HasSubstr("byte 3"));
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
}

TEST_F(StreamTest, MissingProjectionEndsTheStream) {
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream = server_->stub->ColorizeStream(&context);
  v1::ColorizeStreamRequest request = Delta("m", "red ");
  request.mutable_options()->set_projection(static_cast<v1::Projection>(9));
  stream->Write(request);
  stream->WritesDone();
  v1::ColorizeStreamResponse response;
  EXPECT_FALSE(stream->Read(&response));
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("unknown projection 9"));
}

TEST_F(StreamTest, TooManyOpenMessagesIsInvalidArgument) {
  grpc::ClientContext context;
  std::unique_ptr<Stream> stream = server_->stub->ColorizeStream(&context);
  for (int i = 0; i <= 16; ++i) stream->Write(Delta(absl::StrCat("m", i), "x"));
  stream->WritesDone();
  v1::ColorizeStreamResponse response;
  while (stream->Read(&response)) {
  }
  const grpc::Status status = stream->Finish();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("over the limit of 16"));
}

TEST_F(StreamTest, CancelledStreamsLeaveNoActiveStreams) {
  for (int i = 0; i < 20; ++i) {
    grpc::ClientContext context;
    std::unique_ptr<Stream> stream = server_->stub->ColorizeStream(&context);
    stream->Write(Delta("m", "The ocean at midnight is deep and quiet, "));
    context.TryCancel();
    stream->Finish();
  }
  // The server learns of each cancellation asynchronously; wait for the
  // gauge to settle rather than for a fixed time.
  double active = -1;
  for (int attempt = 0; attempt < 600; ++attempt) {
    active = testing::MetricValue(server_->ScrapeMetrics(), "synesthesia_active_streams");
    if (active == 0) break;
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_EQ(active, 0);
}

}  // namespace
}  // namespace synesthesia
