// Compares Tokenizer with the real Hugging Face tokenizers library on the
// strings in tests/data/tokenizer/conformance.json (see the README there for
// how the file was made): ids, token texts, special flags, code-point offsets
// and byte offsets must all match.
#include <fstream>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/escaping.h"
#include "core/text/tokenizer.h"
#include "core/text/vocabulary.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "nlohmann/json.hpp"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia::text {
namespace {

using Span = std::pair<int64_t, int64_t>;

nlohmann::json ReadJson(const std::string& path) {
  std::ifstream file(path);
  EXPECT_TRUE(file.good()) << "cannot open " << path;
  return nlohmann::json::parse(file);
}

// The fixture names options as the generator script does.
TokenizerOptions OptionsFromJson(const nlohmann::json& json) {
  TokenizerOptions options;
  if (json.contains("lowercase")) options.lowercase = json["lowercase"].get<bool>();
  if (json.contains("addSpecialTokens")) {
    options.add_special_tokens = json["addSpecialTokens"].get<bool>();
  }
  if (json.contains("maxInputCharsPerWord")) {
    options.max_input_chars_per_word = json["maxInputCharsPerWord"].get<int>();
  }
  if (json.contains("matchSpecialTokens")) {
    options.match_special_tokens = json["matchSpecialTokens"].get<bool>();
  }
  return options;
}

class ConformanceTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    fixture_ = new nlohmann::json(
        ReadJson(synesthesia::testing::TestDataPath("tokenizer/conformance.json")));
  }
  static void TearDownTestSuite() {
    delete fixture_;
    fixture_ = nullptr;
  }

  const Tokenizer& TokenizerFor(const nlohmann::json& options_json) {
    const std::string key = options_json.dump();
    auto it = tokenizers_.find(key);
    if (it != tokenizers_.end()) return *it->second;
    absl::StatusOr<Vocabulary> vocabulary = Vocabulary::Load(
        synesthesia::testing::TestDataPath("vocab/bert-base-uncased-vocab.txt"));
    EXPECT_THAT(vocabulary, synesthesia::testing::IsOk());
    absl::StatusOr<std::unique_ptr<Tokenizer>> tokenizer =
        Tokenizer::Create(*std::move(vocabulary), OptionsFromJson(options_json));
    EXPECT_THAT(tokenizer, synesthesia::testing::IsOk());
    return *tokenizers_.emplace(key, *std::move(tokenizer)).first->second;
  }

  static nlohmann::json* fixture_;
  std::map<std::string, std::unique_ptr<Tokenizer>> tokenizers_;
};

nlohmann::json* ConformanceTest::fixture_ = nullptr;

TEST_F(ConformanceTest, FixtureHasEnoughCases) {
  const nlohmann::json& cases = (*fixture_)["cases"];
  EXPECT_GE(cases.size(), 200u);
  int random = 0;
  for (const nlohmann::json& entry : cases) random += entry["group"] == "random";
  EXPECT_GE(random, 100);
}

TEST_F(ConformanceTest, MatchesHuggingFace) {
  int index = 0;
  for (const nlohmann::json& entry : (*fixture_)["cases"]) {
    const std::string text = entry["text"].get<std::string>();
    const nlohmann::json options = entry.value("options", nlohmann::json::object());
    SCOPED_TRACE(::testing::Message() << "case " << index++ << " (" << entry["group"].get<std::string>()
                                      << ", options " << options.dump() << "): \""
                                      << absl::CEscape(text) << "\"");

    absl::StatusOr<std::vector<Token>> tokens = TokenizerFor(options).Tokenize(text);
    ASSERT_THAT(tokens, synesthesia::testing::IsOk());

    std::vector<int32_t> ids;
    std::vector<std::string> texts;
    std::vector<bool> special;
    std::vector<Span> offsets;
    std::vector<Span> byte_offsets;
    for (const Token& token : *tokens) {
      ids.push_back(token.id);
      texts.push_back(token.text);
      special.push_back(token.special);
      offsets.emplace_back(token.start, token.end);
      byte_offsets.emplace_back(token.byte_start, token.byte_end);
    }
    EXPECT_EQ(ids, entry["ids"].get<std::vector<int32_t>>());
    EXPECT_EQ(texts, entry["tokens"].get<std::vector<std::string>>());
    EXPECT_EQ(special, entry["special"].get<std::vector<bool>>());
    EXPECT_EQ(offsets, entry["offsets"].get<std::vector<Span>>());
    EXPECT_EQ(byte_offsets, entry["byte_offsets"].get<std::vector<Span>>());
  }
}

}  // namespace
}  // namespace synesthesia::text
