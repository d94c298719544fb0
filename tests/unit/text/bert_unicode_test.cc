// Checks the character rules of bert_unicode.h for every Unicode scalar value
// against tests/data/tokenizer/codepoints.json, which records what the real
// Hugging Face BertNormalizer and BertPreTokenizer do with each one.
#include "core/text/bert_unicode.h"
#include "core/text/char_class.h"

#include <utf8proc.h>

#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/str_format.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/paths.h"

namespace synesthesia::text::internal {
namespace {

constexpr char32_t kMaxCodePoint = 0x10FFFF;

bool IsSurrogate(char32_t c) { return c >= 0xD800 && c <= 0xDFFF; }

std::u32string DecodeForTest(const std::string& utf8) {
  std::u32string result;
  const auto* bytes = reinterpret_cast<const utf8proc_uint8_t*>(utf8.data());
  utf8proc_ssize_t offset = 0;
  while (offset < static_cast<utf8proc_ssize_t>(utf8.size())) {
    utf8proc_int32_t value = 0;
    const utf8proc_ssize_t length =
        utf8proc_iterate(bytes + offset, static_cast<utf8proc_ssize_t>(utf8.size()) - offset, &value);
    EXPECT_GT(length, 0);
    if (length <= 0) break;
    result.push_back(static_cast<char32_t>(value));
    offset += length;
  }
  return result;
}

// What the fixture expects for each code point: the normalized text as it
// appears in Hugging Face's output (CJK ideographs between spaces), and the
// pre-tokenizer's classes.
struct Expected {
  std::vector<std::u32string> normalized;
  std::vector<bool> whitespace;
  std::vector<bool> punctuation;
  std::vector<bool> known;
};

const Expected& LoadExpected() {
  static const Expected* expected = [] {
    auto* result = new Expected;
    result->normalized.resize(kMaxCodePoint + 1);
    result->whitespace.resize(kMaxCodePoint + 1);
    result->punctuation.resize(kMaxCodePoint + 1);
    result->known.resize(kMaxCodePoint + 1);

    std::ifstream file(synesthesia::testing::TestDataPath("tokenizer/codepoints.json"));
    EXPECT_TRUE(file.good());
    const nlohmann::json json = nlohmann::json::parse(file);
    for (const nlohmann::json& run : json["runs"]) {
      const auto first = run[0].get<char32_t>();
      const auto last = run[1].get<char32_t>();
      const std::string kind = run[2].get<std::string>();
      for (char32_t c = first; c <= last; ++c) {
        std::u32string& text = result->normalized[c];
        if (kind == "same") text.push_back(c);
        if (kind == "space") text.push_back(U' ');
        if (kind == "cjk") {
          text.push_back(U' ');
          text.push_back(c);
          text.push_back(U' ');
        }
        result->known[c] = true;
      }
    }
    for (const nlohmann::json& entry : json["mapped"]) {
      const auto c = entry[0].get<char32_t>();
      result->normalized[c] = DecodeForTest(entry[1].get<std::string>());
      result->known[c] = true;
    }
    for (const nlohmann::json& run : json["whitespace"]) {
      for (auto c = run[0].get<char32_t>(); c <= run[1].get<char32_t>(); ++c) {
        result->whitespace[c] = true;
      }
    }
    for (const nlohmann::json& run : json["punctuation"]) {
      for (auto c = run[0].get<char32_t>(); c <= run[1].get<char32_t>(); ++c) {
        result->punctuation[c] = true;
      }
    }
    return result;
  }();
  return *expected;
}

// Renders NormalizeCodePoint's result the way Hugging Face's normalized
// string shows it.
std::u32string Render(const NormalizedCodePoint& normalized) {
  std::u32string text;
  if (normalized.cjk) text.push_back(U' ');
  for (int i = 0; i < normalized.length; ++i) {
    if (!normalized.chars[i].removed) text.push_back(normalized.chars[i].value);
  }
  if (normalized.cjk) text.push_back(U' ');
  return text;
}

std::string Hex(const std::u32string& text) {
  std::string result;
  for (char32_t c : text) absl::StrAppendFormat(&result, "%sU+%04X", result.empty() ? "" : " ", c);
  return result;
}

TEST(BertUnicode, FixtureCoversEveryScalarValue) {
  const Expected& expected = LoadExpected();
  int missing = 0;
  for (char32_t c = 0; c <= kMaxCodePoint; ++c) {
    if (!IsSurrogate(c) && !expected.known[c]) ++missing;
  }
  EXPECT_EQ(missing, 0);
}

TEST(BertUnicode, NormalizationMatchesHuggingFaceForEveryCodePoint) {
  const Expected& expected = LoadExpected();
  int mismatches = 0;
  for (char32_t c = 0; c <= kMaxCodePoint; ++c) {
    if (IsSurrogate(c)) continue;
    const std::u32string actual = Render(NormalizeCodePoint(c, /*lowercase=*/true));
    if (actual != expected.normalized[c] && ++mismatches <= 20) {
      ADD_FAILURE() << absl::StrFormat("U+%04X normalizes to [%s], Hugging Face gives [%s]", c,
                                       Hex(actual), Hex(expected.normalized[c]));
    }
  }
  EXPECT_EQ(mismatches, 0);
}

TEST(BertUnicode, WhitespaceMatchesHuggingFaceForEveryCodePoint) {
  const Expected& expected = LoadExpected();
  for (char32_t c = 0; c <= kMaxCodePoint; ++c) {
    if (IsSurrogate(c)) continue;
    ASSERT_EQ(IsWhitespace(c), expected.whitespace[c]) << absl::StrFormat("U+%04X", c);
  }
}

TEST(BertUnicode, PunctuationMatchesHuggingFaceForEveryCodePoint) {
  const Expected& expected = LoadExpected();
  for (char32_t c = 0; c <= kMaxCodePoint; ++c) {
    if (IsSurrogate(c)) continue;
    ASSERT_EQ(IsPunctuation(c), expected.punctuation[c]) << absl::StrFormat("U+%04X", c);
  }
}

TEST(BertUnicode, WithoutLowercaseKeepsCase) {
  const NormalizedCodePoint upper = NormalizeCodePoint(U'\u00C9', /*lowercase=*/false);
  ASSERT_EQ(upper.length, 1);
  EXPECT_EQ(upper.chars[0].value, U'\u00C9');

  EXPECT_EQ(NormalizeCodePoint(U'\u200B', /*lowercase=*/false).length, 0);
  EXPECT_TRUE(NormalizeCodePoint(U'\u4E2D', /*lowercase=*/false).cjk);
}

TEST(BertUnicode, CombiningClassesFeedCanonicalOrdering) {
  // U+1D165 (class 216) and U+1D16D (class 226) are kept marks.
  const NormalizedCodePoint stem = NormalizeCodePoint(U'\U0001D165', /*lowercase=*/true);
  ASSERT_EQ(stem.length, 1);
  EXPECT_EQ(stem.chars[0].combining_class, 216);
  EXPECT_FALSE(stem.chars[0].removed);

  // U+0301 is removed but keeps its class; U+08D4 is newer than Hugging
  // Face's tables and so has class 0 there.
  const NormalizedCodePoint acute = NormalizeCodePoint(U'\u0301', /*lowercase=*/true);
  ASSERT_EQ(acute.length, 1);
  EXPECT_TRUE(acute.chars[0].removed);
  EXPECT_EQ(acute.chars[0].combining_class, 230);
  EXPECT_EQ(NormalizeCodePoint(U'\u08D4', /*lowercase=*/true).chars[0].combining_class, 0);
}

// The kept characters of NORMALIZED, rendered without CJK spaces.
std::u32string KeptChars(const NormalizedCodePoint& normalized) {
  std::u32string kept;
  for (int i = 0; i < normalized.length; ++i) {
    if (!normalized.chars[i].removed) kept.push_back(normalized.chars[i].value);
  }
  return kept;
}

// Checks that SUMMARY, which comes from the table for code points below
// U+10000, agrees with NORMALIZED.
void ExpectSummaryAgrees(char32_t c, const CharSummary& summary,
                         const NormalizedCodePoint& normalized) {
  SCOPED_TRACE(absl::StrFormat("U+%04X", c));
  const std::u32string kept = KeptChars(normalized);
  switch (summary.kind) {
    case CharKind::kDropped:
      EXPECT_EQ(normalized.length, 0);
      break;
    case CharKind::kRemovedMark:
    case CharKind::kRemovedStarter:
      ASSERT_EQ(normalized.length, 1);
      EXPECT_TRUE(normalized.chars[0].removed);
      EXPECT_EQ(normalized.chars[0].combining_class == 0,
                summary.kind == CharKind::kRemovedStarter);
      break;
    case CharKind::kWhitespace:
      EXPECT_EQ(kept, U" ");
      break;
    case CharKind::kPunctuation:
      ASSERT_EQ(kept.size(), 1u);
      EXPECT_EQ(summary.value, kept[0]);
      EXPECT_TRUE(IsPunctuation(kept[0]));
      break;
    case CharKind::kCjk:
    case CharKind::kWord:
      ASSERT_EQ(kept.size(), 1u);
      EXPECT_EQ(summary.value, kept[0]);
      EXPECT_EQ(summary.combining_class, normalized.chars[0].combining_class);
      EXPECT_EQ(normalized.cjk, summary.kind == CharKind::kCjk);
      EXPECT_FALSE(IsPunctuation(kept[0]));
      EXPECT_FALSE(IsWhitespace(kept[0]));
      break;
    case CharKind::kComplex:
      // More than one kept character, or a removed mark of class 0 after
      // the kept one.
      EXPECT_GE(normalized.length, 2);
      break;
  }
}

TEST(BertUnicode, SummariesAgreeWithNormalization) {
  int complex = 0;
  for (bool lowercase : {true, false}) {
    for (char32_t c = 0; c <= kMaxCodePoint; ++c) {
      if (IsSurrogate(c)) continue;
      const CharSummary summary = SummarizeCodePoint(c, lowercase);
      ExpectSummaryAgrees(c, summary, NormalizeCodePoint(c, lowercase));
      if (::testing::Test::HasFailure()) return;
      complex += summary.kind == CharKind::kComplex;
    }
  }
  // Hangul syllables alone are over 11,000; most other code points are simple.
  EXPECT_GT(complex, 11000);
  EXPECT_LT(complex, 20000);
}

// The stream's word-completion rule against Hugging Face: a text ending with
// C has no unfinished word exactly when C's normalized form ends with a
// space (whitespace and CJK padding) or punctuation.
TEST(BertUnicode, EndsPreTokenMatchesHuggingFace) {
  const Expected& expected = LoadExpected();
  for (char32_t c = 0; c <= kMaxCodePoint; ++c) {
    if (IsSurrogate(c) || !expected.known[c]) continue;
    const std::u32string& normalized = expected.normalized[c];
    const bool ends = !normalized.empty() &&
                      (normalized.back() == U' ' || expected.whitespace[normalized.back()] ||
                       expected.punctuation[normalized.back()]);
    ASSERT_EQ(EndsPreToken(c), ends) << "U+" << std::hex << static_cast<uint32_t>(c);
  }
}

TEST(BertUnicode, OverridesMatchLinkedUtf8proc) {
  EXPECT_STREQ(utf8proc_unicode_version(), OverridesUnicodeVersion())
      << "the override table was generated for another Unicode version; run "
         "core/text/generate_bert_unicode_overrides.py";
}

}  // namespace
}  // namespace synesthesia::text::internal
