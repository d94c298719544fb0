// Behaviour of Tokenizer beyond the Hugging Face fixtures: construction
// errors, options on small vocabularies, invalid input and random input.
// Conformance with Hugging Face is in conformance_test.cc.
#include "core/text/tokenizer.h"

#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/escaping.h"
#include "core/text/utf8.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia::text {
namespace {

using ::synesthesia::testing::IsOk;
using ::synesthesia::testing::StatusIs;
using ::synesthesia::testing::TestDataPath;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::unique_ptr<Tokenizer> BertTokenizer(TokenizerOptions options = {}) {
  absl::StatusOr<Vocabulary> vocabulary =
      Vocabulary::Load(TestDataPath("vocab/bert-base-uncased-vocab.txt"));
  EXPECT_THAT(vocabulary, IsOk());
  absl::StatusOr<std::unique_ptr<Tokenizer>> tokenizer =
      Tokenizer::Create(*std::move(vocabulary), options);
  EXPECT_THAT(tokenizer, IsOk());
  return *std::move(tokenizer);
}

// A tokenizer over ENTRIES after the four required special tokens, which
// take ids 0 to 3.
std::unique_ptr<Tokenizer> SmallTokenizer(std::vector<std::string> entries,
                                          TokenizerOptions options = {}) {
  std::vector<std::string> all = {"[PAD]", "[UNK]", "[CLS]", "[SEP]"};
  all.insert(all.end(), entries.begin(), entries.end());
  absl::StatusOr<Vocabulary> vocabulary = Vocabulary::FromEntries(std::move(all));
  EXPECT_THAT(vocabulary, IsOk());
  absl::StatusOr<std::unique_ptr<Tokenizer>> tokenizer =
      Tokenizer::Create(*std::move(vocabulary), options);
  EXPECT_THAT(tokenizer, IsOk());
  return *std::move(tokenizer);
}

std::vector<std::string> Texts(const std::vector<Token>& tokens) {
  std::vector<std::string> texts;
  for (const Token& token : tokens) texts.push_back(token.text);
  return texts;
}

// Checks what holds for every tokenization of TEXT. [CLS] and [SEP] are at
// the ends with empty spans. Other spans lie inside the text, in order, and
// their byte spans fall on the code point boundaries that their code point
// spans give. Each token text is the vocabulary entry of its id.
void ExpectWellFormed(const Tokenizer& tokenizer, std::string_view text,
                      const std::vector<Token>& tokens) {
  SCOPED_TRACE(absl::CEscape(absl::string_view(text.data(), text.size())));
  std::vector<int64_t> byte_of_code_point;
  for (const CodePoint& code_point : DecodeUtf8(text)) {
    byte_of_code_point.push_back(code_point.byte_offset);
  }
  const auto code_points = static_cast<int64_t>(byte_of_code_point.size());
  byte_of_code_point.push_back(static_cast<int64_t>(text.size()));

  ASSERT_GE(tokens.size(), 2u);
  EXPECT_EQ(tokens.front().id, tokenizer.cls_id());
  EXPECT_EQ(tokens.back().id, tokenizer.sep_id());
  int64_t previous_start = 0;
  for (size_t i = 0; i < tokens.size(); ++i) {
    const Token& token = tokens[i];
    ASSERT_GE(token.id, 0);
    ASSERT_LT(token.id, tokenizer.vocabulary().size());
    EXPECT_EQ(token.text, tokenizer.vocabulary().Entry(token.id));
    const bool at_end = i == 0 || i + 1 == tokens.size();
    EXPECT_EQ(token.special, at_end);
    if (token.special) {
      EXPECT_EQ(token.start, 0);
      EXPECT_EQ(token.end, 0);
      EXPECT_EQ(token.byte_start, 0);
      EXPECT_EQ(token.byte_end, 0);
      continue;
    }
    ASSERT_LE(0, token.start);
    ASSERT_LT(token.start, token.end);
    ASSERT_LE(token.end, code_points);
    EXPECT_GE(token.start, previous_start);
    previous_start = token.start;
    EXPECT_EQ(token.byte_start, byte_of_code_point[token.start]);
    EXPECT_EQ(token.byte_end, byte_of_code_point[token.end]);
  }
}

TEST(Tokenizer, HeaderExample) {
  std::unique_ptr<Tokenizer> tokenizer = BertTokenizer();
  ASSERT_OK_AND_ASSIGN(std::vector<Token> tokens, tokenizer->Tokenize("Héllo!"));
  ASSERT_THAT(Texts(tokens), ElementsAre("[CLS]", "hello", "!", "[SEP]"));
  EXPECT_EQ(tokens[1].id, 7592);
  EXPECT_EQ(tokens[1].start, 0);
  EXPECT_EQ(tokens[1].end, 5);
  EXPECT_EQ(tokens[1].byte_start, 0);
  EXPECT_EQ(tokens[1].byte_end, 6);
  EXPECT_EQ(tokens[2].id, 999);
  EXPECT_EQ(tokens[2].start, 5);
  EXPECT_EQ(tokens[2].byte_start, 6);
  EXPECT_TRUE(tokens[0].special);
  EXPECT_FALSE(tokens[1].special);
}

TEST(Tokenizer, ExposesSpecialTokenIds) {
  std::unique_ptr<Tokenizer> tokenizer = BertTokenizer();
  EXPECT_EQ(tokenizer->pad_id(), 0);
  EXPECT_EQ(tokenizer->unk_id(), 100);
  EXPECT_EQ(tokenizer->cls_id(), 101);
  EXPECT_EQ(tokenizer->sep_id(), 102);
}

TEST(Tokenizer, CreateRejectsMissingSpecialTokens) {
  const std::vector<std::string> required = {"[PAD]", "[UNK]", "[CLS]", "[SEP]"};
  for (const std::string& missing : required) {
    std::vector<std::string> entries = {"hello"};
    for (const std::string& entry : required) {
      if (entry != missing) entries.push_back(entry);
    }
    ASSERT_OK_AND_ASSIGN(Vocabulary vocabulary, Vocabulary::FromEntries(entries));
    EXPECT_THAT(Tokenizer::Create(std::move(vocabulary)),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr("lacks the special token " + missing)));
  }
}

TEST(Tokenizer, CreateRejectsNegativeWordLimit) {
  ASSERT_OK_AND_ASSIGN(Vocabulary vocabulary,
                       Vocabulary::FromEntries({"[PAD]", "[UNK]", "[CLS]", "[SEP]"}));
  TokenizerOptions options;
  options.max_input_chars_per_word = -1;
  EXPECT_THAT(Tokenizer::Create(std::move(vocabulary), options),
              StatusIs(absl::StatusCode::kInvalidArgument,
                       HasSubstr("max_input_chars_per_word must be >= 0, got -1")));
}

TEST(Tokenizer, InvalidUtf8NamesByteOffset) {
  std::unique_ptr<Tokenizer> tokenizer = BertTokenizer();
  EXPECT_THAT(tokenizer->Tokenize("abc\xC3\x28 def"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid UTF-8 at byte 3")));
  EXPECT_THAT(tokenizer->Tokenize("ok \xED\xA0\x80"),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at byte 3: encoded UTF-16 surrogate")));
}

TEST(Tokenizer, GreedyLongestMatchWithContinuations) {
  std::unique_ptr<Tokenizer> tokenizer =
      SmallTokenizer({"un", "unaff", "##aff", "##able", "##a", "##ble", "a"});
  ASSERT_OK_AND_ASSIGN(std::vector<Token> tokens, tokenizer->Tokenize("unaffable"));
  // "unaff" beats "un"; then "##able" beats "##a".
  ASSERT_THAT(Texts(tokens), ElementsAre("[CLS]", "unaff", "##able", "[SEP]"));
  EXPECT_EQ(tokens[1].start, 0);
  EXPECT_EQ(tokens[1].end, 5);
  EXPECT_EQ(tokens[2].start, 5);
  EXPECT_EQ(tokens[2].end, 9);
}

TEST(Tokenizer, WordWithUnmatchedPieceIsOneUnknown) {
  std::unique_ptr<Tokenizer> tokenizer = SmallTokenizer({"un", "##aff"});
  ASSERT_OK_AND_ASSIGN(std::vector<Token> tokens, tokenizer->Tokenize("a unaffx un"));
  ASSERT_THAT(Texts(tokens), ElementsAre("[CLS]", "[UNK]", "[UNK]", "un", "[SEP]"));
  EXPECT_EQ(tokens[2].start, 2);
  EXPECT_EQ(tokens[2].end, 8);
}

TEST(Tokenizer, ContinuationEntryDoesNotStartWord) {
  std::unique_ptr<Tokenizer> tokenizer = SmallTokenizer({"##x", "x"});
  ASSERT_OK_AND_ASSIGN(std::vector<Token> tokens, tokenizer->Tokenize("xx"));
  EXPECT_THAT(Texts(tokens), ElementsAre("[CLS]", "x", "##x", "[SEP]"));
}

TEST(Tokenizer, ZeroWordLimitMakesEveryWordUnknown) {
  TokenizerOptions options;
  options.max_input_chars_per_word = 0;
  std::unique_ptr<Tokenizer> tokenizer = SmallTokenizer({"a", "!"}, options);
  ASSERT_OK_AND_ASSIGN(std::vector<Token> tokens, tokenizer->Tokenize("a !"));
  EXPECT_THAT(Texts(tokens), ElementsAre("[CLS]", "[UNK]", "[UNK]", "[SEP]"));
}

TEST(Tokenizer, WithoutSpecialTokens) {
  TokenizerOptions options;
  options.add_special_tokens = false;
  std::unique_ptr<Tokenizer> tokenizer = BertTokenizer(options);
  ASSERT_OK_AND_ASSIGN(std::vector<Token> tokens, tokenizer->Tokenize("Hello!"));
  EXPECT_THAT(Texts(tokens), ElementsAre("hello", "!"));
  ASSERT_OK_AND_ASSIGN(std::vector<Token> empty, tokenizer->Tokenize(" \t"));
  EXPECT_TRUE(empty.empty());
}

TEST(Tokenizer, WithoutLowercaseKeepsCaseAndAccents) {
  TokenizerOptions options;
  options.lowercase = false;
  std::unique_ptr<Tokenizer> tokenizer = SmallTokenizer({"Héllo", "hello"}, options);
  ASSERT_OK_AND_ASSIGN(std::vector<Token> tokens, tokenizer->Tokenize("Héllo hello HELLO"));
  EXPECT_THAT(Texts(tokens), ElementsAre("[CLS]", "Héllo", "hello", "[UNK]", "[SEP]"));
}

TEST(Tokenizer, SpecialTokensInTextAreMatched) {
  std::unique_ptr<Tokenizer> tokenizer = BertTokenizer();
  ASSERT_OK_AND_ASSIGN(std::vector<Token> tokens, tokenizer->Tokenize("a[MASK]b"));
  ASSERT_THAT(Texts(tokens), ElementsAre("[CLS]", "a", "[MASK]", "b", "[SEP]"));
  EXPECT_EQ(tokens[2].id, 103);
  EXPECT_FALSE(tokens[2].special);
  EXPECT_EQ(tokens[2].start, 1);
  EXPECT_EQ(tokens[2].end, 7);
}

TEST(Tokenizer, SpecialTokenMatchingCanBeOff) {
  TokenizerOptions options;
  options.match_special_tokens = false;
  std::unique_ptr<Tokenizer> tokenizer = BertTokenizer(options);
  ASSERT_OK_AND_ASSIGN(std::vector<Token> tokens, tokenizer->Tokenize("[MASK]"));
  EXPECT_THAT(Texts(tokens), ElementsAre("[CLS]", "[", "mask", "]", "[SEP]"));
}

TEST(Tokenizer, MaskIsOnlyMatchedWhenInVocabulary) {
  std::unique_ptr<Tokenizer> tokenizer = SmallTokenizer({"[", "]", "mask"});
  ASSERT_OK_AND_ASSIGN(std::vector<Token> tokens, tokenizer->Tokenize("[MASK] [SEP]"));
  EXPECT_THAT(Texts(tokens), ElementsAre("[CLS]", "[", "mask", "]", "[SEP]", "[SEP]"));
  EXPECT_FALSE(tokens[4].special);
}

TEST(Tokenizer, SpansSliceTheOriginalText) {
  std::unique_ptr<Tokenizer> tokenizer = BertTokenizer();
  const std::string text = "Crème\u00A0brûlée, 東京 😀 ﬁne";
  ASSERT_OK_AND_ASSIGN(std::vector<Token> tokens, tokenizer->Tokenize(text));
  std::vector<std::string> slices;
  for (const Token& token : tokens) {
    if (token.special) continue;
    slices.push_back(text.substr(token.byte_start, token.byte_end - token.byte_start));
  }
  // The pieces Hugging Face gives: cr ##eme br ##ule ##e , 東 京 [UNK] ﬁ ##ne.
  EXPECT_THAT(slices, ElementsAre("Cr", "ème", "br", "ûlé", "e", ",", "東", "京", "😀", "ﬁ", "ne"));
  ExpectWellFormed(*tokenizer, text, tokens);
}

TEST(Tokenizer, RandomBytesNeverCrash) {
  std::unique_ptr<Tokenizer> tokenizer = BertTokenizer();
  std::mt19937 random(42);
  const std::string alphabet = "aZ09 !#[]\t\n\x7F";
  int valid = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string text(random() % 40, '\0');
    for (char& byte : text) {
      byte = random() % 3 == 0 ? alphabet[random() % alphabet.size()] : static_cast<char>(random());
    }
    absl::StatusOr<std::vector<Token>> tokens = tokenizer->Tokenize(text);
    if (ValidateUtf8(text).ok()) {
      ++valid;
      ASSERT_THAT(tokens, IsOk());
      ExpectWellFormed(*tokenizer, text, *tokens);
    } else {
      EXPECT_THAT(tokens, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid UTF-8")));
    }
  }
  EXPECT_GT(valid, 100);
}

TEST(Tokenizer, RandomCodePointsTokenize) {
  std::unique_ptr<Tokenizer> tokenizer = BertTokenizer();
  std::mt19937 random(7);
  for (int i = 0; i < 3000; ++i) {
    std::u32string code_points(1 + random() % 30, U'\0');
    for (char32_t& c : code_points) {
      // Half from the BMP, where most scripts are; surrogates are skipped.
      c = random() % 2 ? random() % 0x10000 : random() % 0x110000;
      if (c >= 0xD800 && c <= 0xDFFF) c = U'\uFFFD';
    }
    std::string text;
    for (char32_t c : code_points) {
      if (c < 0x80) {
        text.push_back(static_cast<char>(c));
      } else if (c < 0x800) {
        text.push_back(static_cast<char>(0xC0 | (c >> 6)));
        text.push_back(static_cast<char>(0x80 | (c & 0x3F)));
      } else if (c < 0x10000) {
        text.push_back(static_cast<char>(0xE0 | (c >> 12)));
        text.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        text.push_back(static_cast<char>(0x80 | (c & 0x3F)));
      } else {
        text.push_back(static_cast<char>(0xF0 | (c >> 18)));
        text.push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
        text.push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
        text.push_back(static_cast<char>(0x80 | (c & 0x3F)));
      }
    }
    ASSERT_OK_AND_ASSIGN(std::vector<Token> tokens, tokenizer->Tokenize(text));
    ExpectWellFormed(*tokenizer, text, tokens);
  }
}

TEST(Tokenizer, LargeInput) {
  std::unique_ptr<Tokenizer> tokenizer = BertTokenizer();
  std::string text;
  while (text.size() < (1 << 20)) text += "The quick brown fox jumps over the lazy dog. ";
  ASSERT_OK_AND_ASSIGN(std::vector<Token> tokens, tokenizer->Tokenize(text));
  const size_t sentences = text.size() / 45;
  EXPECT_EQ(tokens.size(), sentences * 10 + 2);
  EXPECT_EQ(tokens[tokens.size() - 2].byte_end, static_cast<int64_t>(text.size()) - 1);
}

TEST(Tokenizer, HugeWordIsOneUnknown) {
  std::unique_ptr<Tokenizer> tokenizer = BertTokenizer();
  // One ASCII word and one word of two-byte letters, a million each, then "ok".
  const std::string ascii(1'000'000, 'a');
  std::string accented;
  for (int i = 0; i < 1'000'000; ++i) accented += "\xC3\xA9";
  const std::string text = ascii + " " + accented + " ok";
  ASSERT_OK_AND_ASSIGN(std::vector<Token> tokens, tokenizer->Tokenize(text));
  ASSERT_THAT(Texts(tokens), ElementsAre("[CLS]", "[UNK]", "[UNK]", "ok", "[SEP]"));
  EXPECT_EQ(tokens[1].start, 0);
  EXPECT_EQ(tokens[1].end, 1'000'000);
  EXPECT_EQ(tokens[1].byte_end, 1'000'000);
  EXPECT_EQ(tokens[2].start, 1'000'001);
  EXPECT_EQ(tokens[2].end, 2'000'001);
  EXPECT_EQ(tokens[2].byte_start, 1'000'001);
  EXPECT_EQ(tokens[2].byte_end, 3'000'001);
  EXPECT_EQ(tokens[3].start, 2'000'002);
  EXPECT_EQ(tokens[3].byte_start, 3'000'002);
}

TEST(Tokenizer, ConcurrentCallsAgree) {
  std::unique_ptr<Tokenizer> tokenizer = BertTokenizer();
  const std::string text = "Colours of 世界, naïve café, 😀 and [MASK] too.";
  ASSERT_OK_AND_ASSIGN(const std::vector<Token> expected, tokenizer->Tokenize(text));
  std::vector<std::thread> threads;
  std::vector<int> mismatches(4, 0);
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 500; ++i) {
        absl::StatusOr<std::vector<Token>> tokens = tokenizer->Tokenize(text);
        if (!tokens.ok() || *tokens != expected) ++mismatches[t];
      }
    });
  }
  for (std::thread& thread : threads) thread.join();
  EXPECT_THAT(mismatches, ElementsAre(0, 0, 0, 0));
}

}  // namespace
}  // namespace synesthesia::text
