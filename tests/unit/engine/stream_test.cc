#include "core/engine/stream.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/model_fixtures.h"

namespace synesthesia::engine {
namespace {

using ::synesthesia::testing::StatusIs;
using ::testing::HasSubstr;

class StreamMessageTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    absl::StatusOr<std::string> directory =
        synesthesia::testing::MakeTinyModelWithProjections("stream");
    ASSERT_TRUE(directory.ok()) << directory.status();
    ColorizerOptions options;
    options.model_directory = *directory;
    options.max_text_bytes = 4096;
    colorizer_ = Colorizer::Create(options).value().release();
  }
  static void TearDownTestSuite() { delete colorizer_; }

  static StreamMessage NewMessage(int64_t context_tokens = 64) {
    ColorizeOptions options;
    options.projection = projection::Kind::kBasis;
    return StreamMessage(*colorizer_, options, StreamOptions{context_tokens});
  }

  // Appends DELTA and returns the texts of the tokens it completed.
  static std::vector<std::string> Complete(StreamMessage& message, std::string_view delta,
                                           bool final = false) {
    absl::StatusOr<std::optional<PreparedText>> prepared = message.Append(delta, final);
    EXPECT_TRUE(prepared.ok()) << prepared.status();
    std::vector<std::string> texts;
    if (!prepared.ok() || !prepared->has_value()) return texts;
    const PreparedText& work = **prepared;
    for (size_t i = static_cast<size_t>(work.first_coloured_token); i < work.tokens.size(); ++i) {
      const text::Token& token = work.tokens[i];
      texts.push_back(work.text.substr(static_cast<size_t>(token.byte_start),
                                       static_cast<size_t>(token.byte_end - token.byte_start)));
    }
    return texts;
  }

  static Colorizer* colorizer_;
};

Colorizer* StreamMessageTest::colorizer_ = nullptr;

using Words = std::vector<std::string>;

TEST_F(StreamMessageTest, WordsCompleteAtWhitespaceAndPunctuation) {
  StreamMessage message = NewMessage();
  EXPECT_EQ(Complete(message, "Hel"), (Words{}));
  EXPECT_EQ(Complete(message, "lo wor"), (Words{"Hello"}));
  EXPECT_EQ(Complete(message, "ld, how"), (Words{"world", ","}));
  EXPECT_EQ(Complete(message, " are"), (Words{"how"}));
  EXPECT_EQ(Complete(message, " you?"), (Words{"are", "you", "?"}));
  EXPECT_EQ(Complete(message, "", true), (Words{}));
  EXPECT_TRUE(message.final());
}

TEST_F(StreamMessageTest, FinalCompletesTheLastWord) {
  StreamMessage message = NewMessage();
  EXPECT_EQ(Complete(message, "deep blue"), (Words{"deep"}));
  EXPECT_EQ(Complete(message, " sea", true), (Words{"blue", "sea"}));
}

TEST_F(StreamMessageTest, CjkIdeographsCompleteAtOnce) {
  StreamMessage message = NewMessage();
  EXPECT_EQ(Complete(message, "红"), (Words{"红"}));
  EXPECT_EQ(Complete(message, "色"), (Words{"色"}));
}

TEST_F(StreamMessageTest, OffsetsCountFromTheStartOfTheMessage) {
  StreamMessage message = NewMessage();
  ASSERT_OK(message.Append("Ünïcode ", false).status());
  ASSERT_OK_AND_ASSIGN(std::optional<PreparedText> prepared, message.Append("café ", false));
  ASSERT_TRUE(prepared.has_value());
  ASSERT_OK_AND_ASSIGN(ColorizeResult result,
                       colorizer_->Colorize(std::string("Ünïcode café "), ColorizeOptions{}));
  // The last span of the whole text is "café": 4 code points and 5 bytes,
  // after "Ünïcode " (8 code points, 10 bytes).
  const text::Token& cafe = prepared->tokens.back();
  EXPECT_EQ(prepared->code_point_offset + cafe.start, 8);
  EXPECT_EQ(prepared->code_point_offset + cafe.end, 12);
  EXPECT_EQ(prepared->byte_offset + cafe.byte_start, 10);
  EXPECT_EQ(prepared->byte_offset + cafe.byte_end, 15);
  EXPECT_EQ(result.spans.back().start, 8);
}

TEST_F(StreamMessageTest, SplitUtf8SequenceWaitsForItsLastByte) {
  StreamMessage message = NewMessage();
  EXPECT_EQ(Complete(message, "caf\xc3"), (Words{}));
  EXPECT_EQ(Complete(message, "\xa9 "), (Words{"café"}));
  EXPECT_EQ(message.size_bytes(), 6);
}

TEST_F(StreamMessageTest, InvalidUtf8NamesTheOffsetInTheMessage) {
  StreamMessage message = NewMessage();
  ASSERT_OK(message.Append("hello ", false).status());
  EXPECT_THAT(message.Append("ab\xff", false),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("byte 8")));
}

TEST_F(StreamMessageTest, TruncatedSequenceAtTheEndIsInvalid) {
  StreamMessage message = NewMessage();
  ASSERT_OK(message.Append("caf\xc3", false).status());
  EXPECT_THAT(message.Append("", true),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("byte 3")));
}

TEST_F(StreamMessageTest, MessageOverTheByteLimitIsRejected) {
  StreamMessage message = NewMessage();
  const std::string chunk(1000, 'a');
  for (int i = 0; i < 4; ++i) ASSERT_OK(message.Append(chunk + " ", false).status());
  EXPECT_THAT(message.Append(chunk, false),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("over the limit")));
}

TEST_F(StreamMessageTest, AppendAfterFinalFails) {
  StreamMessage message = NewMessage();
  ASSERT_OK(message.Append("done", true).status());
  EXPECT_THAT(message.Append("more", false), StatusIs(absl::StatusCode::kFailedPrecondition));
}

TEST_F(StreamMessageTest, ContextStaysBoundedAsTheMessageGrows) {
  StreamMessage message = NewMessage(/*context_tokens=*/16);
  std::string whole;
  std::vector<std::string> streamed;
  for (int i = 0; i < 300; ++i) {
    const std::string word = (i % 3 == 0 ? "colour" : i % 3 == 1 ? "ocean" : "unbelievably");
    const std::string delta = word + (i % 7 == 6 ? ". " : " ");
    whole += delta;
    ASSERT_OK_AND_ASSIGN(std::optional<PreparedText> prepared, message.Append(delta, false));
    if (!prepared.has_value()) continue;
    // Context plus new words, never the whole message.
    EXPECT_LE(prepared->first_coloured_token, 16 + 4) << "delta " << i;
    for (size_t t = static_cast<size_t>(prepared->first_coloured_token); t < prepared->tokens.size();
         ++t) {
      const text::Token& token = prepared->tokens[t];
      streamed.push_back(whole.substr(static_cast<size_t>(prepared->byte_offset + token.byte_start),
                                      static_cast<size_t>(token.byte_end - token.byte_start)));
    }
  }
  // Every token of the message was handed out once, in order.
  ASSERT_OK_AND_ASSIGN(std::vector<text::Token> tokens, colorizer_->model().tokenizer().Tokenize(whole));
  std::vector<std::string> expected;
  for (const text::Token& token : tokens) {
    if (token.special) continue;
    expected.push_back(whole.substr(static_cast<size_t>(token.byte_start),
                                    static_cast<size_t>(token.byte_end - token.byte_start)));
  }
  EXPECT_EQ(streamed, expected);
}

}  // namespace
}  // namespace synesthesia::engine
