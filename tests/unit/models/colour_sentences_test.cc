#include "models/training/colour_sentences.h"

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia::training {
namespace {

using ::synesthesia::testing::ScratchDirectory;
using ::synesthesia::testing::StatusIs;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::string Span(const ColourSentence& sentence, const ByteSpan& span) {
  return sentence.text.substr(static_cast<size_t>(span.begin),
                              static_cast<size_t>(span.end - span.begin));
}

TEST(ColourSentences, ParsesObjectsAndColourTerm) {
  ASSERT_OK_AND_ASSIGN(ColourSentence sentence,
                       ParseColourSentence("Fresh [blood] from a [cut] is bright Red."));

  EXPECT_EQ(sentence.text, "Fresh blood from a cut is bright Red.");
  ASSERT_EQ(sentence.objects.size(), 2u);
  EXPECT_EQ(Span(sentence, sentence.objects[0]), "blood");
  EXPECT_EQ(Span(sentence, sentence.objects[1]), "cut");
  EXPECT_EQ(Span(sentence, sentence.colour_term), "Red");
}

TEST(ColourSentences, AcceptsGrayAndMultiWordObjects) {
  ASSERT_OK_AND_ASSIGN(ColourSentence sentence,
                       ParseColourSentence("A [fire truck] is never gray."));

  EXPECT_THAT(sentence.objects, ElementsAre(ByteSpan{2, 12}));
  EXPECT_EQ(Span(sentence, sentence.colour_term), "gray");
}

TEST(ColourSentences, IgnoresColourTermsInsideLongerWords) {
  ASSERT_OK_AND_ASSIGN(ColourSentence sentence,
                       ParseColourSentence("A [blackberry] is dark purple, not reddish."));

  EXPECT_EQ(Span(sentence, sentence.colour_term), "purple");
}

TEST(ColourSentences, RejectsMalformedLines) {
  for (const char* line : {
           "The ocean is blue.",                  // no object
           "The [ocean] is deep.",                // no colour term
           "The [ocean] is blue and green.",      // two colour terms
           "The [blue ocean] is deep.",           // colour term in the object
           "The [ocean is blue.",                 // unclosed bracket
           "The ocean] is blue.",                 // closing without opening
           "The [[ocean]] is blue.",              // nested brackets
           "The [ ] ocean is blue.",              // empty brackets
       }) {
    EXPECT_THAT(ParseColourSentence(line), StatusIs(absl::StatusCode::kInvalidArgument)) << line;
  }
}

TEST(ColourSentences, LoadErrorNamesFileAndLine) {
  const std::string directory = ScratchDirectory("colour-sentences");
  std::filesystem::create_directories(directory);
  const std::string path = directory + "/bad.txt";
  std::ofstream(path, std::ios::binary) << "[Snow] is white.\n\nThe [sky] is clear.\n";

  const absl::StatusOr<std::vector<ColourSentence>> sentences = LoadColourSentences(path);

  EXPECT_THAT(sentences, StatusIs(absl::StatusCode::kInvalidArgument));
  EXPECT_THAT(sentences.status().message(), HasSubstr("bad.txt line 3"));
  EXPECT_THAT(sentences.status().message(), HasSubstr("no basic colour term"));
  EXPECT_THAT(LoadColourSentences(directory + "/missing.txt"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(ColourSentences, ShippedFileParses) {
  const std::string path = std::string(SYNESTHESIA_MODELS_DIR) + "/corpus/colour_sentences.txt";

  ASSERT_OK_AND_ASSIGN(std::vector<ColourSentence> sentences, LoadColourSentences(path));

  EXPECT_GE(sentences.size(), 100u);
}

}  // namespace
}  // namespace synesthesia::training
