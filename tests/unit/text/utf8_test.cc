#include "core/text/utf8.h"

#include <utf8proc.h>

#include <random>
#include <string>
#include <vector>

#include "absl/strings/escaping.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia::text {
namespace {

using ::synesthesia::testing::IsOk;
using ::synesthesia::testing::StatusIs;
using ::testing::AllOf;
using ::testing::HasSubstr;

// The offset of the first sequence that utf8proc_iterate rejects, or -1.
// utf8proc is an independent implementation of the same rules.
int64_t FirstInvalidOffsetByUtf8proc(const std::string& text) {
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(text.data());
  const auto size = static_cast<utf8proc_ssize_t>(text.size());
  utf8proc_ssize_t offset = 0;
  while (offset < size) {
    utf8proc_int32_t value = 0;
    const utf8proc_ssize_t length = utf8proc_iterate(bytes + offset, size - offset, &value);
    if (length <= 0) return offset;
    offset += length;
  }
  return -1;
}

TEST(ValidateUtf8, AcceptsWellFormedText) {
  const std::vector<std::string> texts = {
      "",
      "plain ASCII that is longer than eight bytes",
      std::string("embedded\0NUL", 12),
      "\xC2\x80",          // U+0080, smallest 2-byte
      "\xDF\xBF",          // U+07FF
      "\xE0\xA0\x80",      // U+0800, smallest 3-byte
      "\xED\x9F\xBF",      // U+D7FF, below the surrogates
      "\xEE\x80\x80",      // U+E000, above the surrogates
      "\xEF\xBF\xBF",      // U+FFFF
      "\xF0\x90\x80\x80",  // U+10000, smallest 4-byte
      "\xF4\x8F\xBF\xBF",  // U+10FFFF, the largest code point
      "Héllo, 世界! 😀 👨‍👩‍👧",
  };
  for (const std::string& text : texts) {
    EXPECT_THAT(ValidateUtf8(text), IsOk()) << absl::CEscape(text);
  }
}

struct InvalidCase {
  std::string text;
  int64_t offset;
  std::string reason;
};

TEST(ValidateUtf8, RejectsMalformedTextWithOffset) {
  const std::vector<InvalidCase> cases = {
      {"\x80", 0, "unexpected continuation byte 0x80"},
      {"ab\xBF", 2, "unexpected continuation byte 0xBF"},
      {"0123456789abcdef\x80", 16, "unexpected continuation byte"},
      {"\xC0\xAF", 0, "overlong 2-byte"},
      {"\xC1\xBF", 0, "overlong 2-byte"},
      {"\xE0\x80\xAF", 0, "overlong 3-byte"},
      {"\xE0\x9F\xBF", 0, "overlong 3-byte"},
      {"\xF0\x80\x80\xAF", 0, "overlong 4-byte"},
      {"\xF0\x8F\xBF\xBF", 0, "overlong 4-byte"},
      {"x\xED\xA0\x80", 1, "surrogate"},
      {"\xED\xBF\xBF", 0, "surrogate"},
      {"\xF4\x90\x80\x80", 0, "above U+10FFFF"},
      {"\xF5\x80\x80\x80", 0, "byte 0xF5 never appears"},
      {"\xFF", 0, "byte 0xFF never appears"},
      {"\xE2\x82", 0, "truncated 3-byte sequence at end of input"},
      {"abc\xF0\x9F\x98", 3, "truncated 4-byte sequence at end of input"},
      {"x\xC3", 1, "truncated 2-byte sequence at end of input"},
      {"\xE2\x82" "A", 0, "byte 0x41 at byte 2 is not a continuation byte"},
      {"\xC3\xA9\x80", 2, "unexpected continuation byte"},
      {"\xF0\x9F\x98\x80\xF0\x9F", 4, "truncated 4-byte"},
  };
  for (const InvalidCase& test : cases) {
    EXPECT_THAT(ValidateUtf8(test.text),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         AllOf(HasSubstr("invalid UTF-8 at byte " + std::to_string(test.offset) + ":"),
                               HasSubstr(test.reason))))
        << absl::CEscape(test.text);
  }
}

TEST(ValidateUtf8, AgreesWithUtf8procOnRandomBytes) {
  std::mt19937 random(1234);
  // Bytes near the edges of the UTF-8 ranges, so that many strings are valid
  // or nearly valid.
  const std::vector<unsigned char> interesting = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0,
                                                  0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xE1, 0xED,
                                                  0xEE, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF};
  int valid = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string text(random() % 12, '\0');
    for (char& byte : text) {
      byte = static_cast<char>(random() % 2 ? interesting[random() % interesting.size()]
                                            : random() % 256);
    }
    const int64_t expected = FirstInvalidOffsetByUtf8proc(text);
    const absl::Status status = ValidateUtf8(text);
    if (expected < 0) {
      ++valid;
      EXPECT_THAT(status, IsOk()) << absl::CEscape(text);
    } else {
      EXPECT_THAT(status, StatusIs(absl::StatusCode::kInvalidArgument,
                                   HasSubstr("at byte " + std::to_string(expected) + ":")))
          << absl::CEscape(text);
    }
  }
  // The generator must exercise both outcomes.
  EXPECT_GT(valid, 1000);
  EXPECT_LT(valid, 19000);
}

TEST(DecodeUtf8, ReturnsCodePointsAndByteOffsets) {
  const std::vector<CodePoint> decoded = DecodeUtf8("a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80!");
  ASSERT_EQ(decoded.size(), 5u);
  EXPECT_EQ(decoded[0].value, U'a');
  EXPECT_EQ(decoded[0].byte_offset, 0);
  EXPECT_EQ(decoded[1].value, U'\u00E9');
  EXPECT_EQ(decoded[1].byte_offset, 1);
  EXPECT_EQ(decoded[2].value, U'\u4E2D');
  EXPECT_EQ(decoded[2].byte_offset, 3);
  EXPECT_EQ(decoded[3].value, U'\U0001F600');
  EXPECT_EQ(decoded[3].byte_offset, 6);
  EXPECT_EQ(decoded[4].value, U'!');
  EXPECT_EQ(decoded[4].byte_offset, 10);
}

TEST(DecodeUtf8, EmptyTextGivesNothing) { EXPECT_TRUE(DecodeUtf8("").empty()); }

TEST(CompleteUtf8Prefix, HoldsBackUnfinishedSequences) {
  struct Case {
    std::string text;
    size_t expected;
  };
  const std::vector<Case> cases = {
      {"", 0},
      {"abc", 3},
      {"a\xC3", 1},
      {"a\xC3\xA9", 3},
      {"\xE2\x82", 0},
      {"\xE2", 0},
      {"\xE2\x82\xAC", 3},
      {"ab\xF0", 2},
      {"ab\xF0\x9F", 2},
      {"ab\xF0\x9F\x98", 2},
      {"ab\xF0\x9F\x98\x80", 6},
      // Tails that no further byte can make valid are returned whole, so
      // that validation reports them.
      {"ab\xE0\x80", 4},
      {"\xED\xA0", 2},
      {"\xF4\x90", 2},
      {"\xF5", 1},
      {"x\x80", 2},
      {"\x80\x80\x80\x80", 4},
  };
  for (const Case& test : cases) {
    EXPECT_EQ(CompleteUtf8Prefix(test.text), test.expected) << absl::CEscape(test.text);
  }
}

TEST(CompleteUtf8Prefix, EverySplitOfValidTextEndsOnBoundary) {
  const std::string text = "a\xC3\xA9\xE4\xB8\xAD\xF0\x9F\x98\x80!";
  const std::vector<size_t> boundaries = {0, 1, 3, 6, 10, 11};
  for (size_t split = 0; split <= text.size(); ++split) {
    size_t expected = 0;
    for (size_t boundary : boundaries) {
      if (boundary <= split) expected = boundary;
    }
    EXPECT_EQ(CompleteUtf8Prefix(std::string_view(text).substr(0, split)), expected)
        << "split at " << split;
  }
}

}  // namespace
}  // namespace synesthesia::text
