#include "models/training/evaluation.h"

#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia::training {
namespace {

using ::synesthesia::testing::StatusIs;

std::vector<ColourName> LoadXkcd() {
  absl::StatusOr<std::vector<ColourName>> names =
      LoadColourNames(std::string(SYNESTHESIA_MODELS_DIR) + "/data/xkcd.csv");
  EXPECT_TRUE(names.ok()) << names.status();
  return names.ok() ? *names : std::vector<ColourName>();
}

TEST(BasicCategories, EachTermIsNearestToItself) {
  const std::vector<ColourName> xkcd = LoadXkcd();
  ASSERT_OK_AND_ASSIGN(BasicCategories categories, BasicCategories::FromNames(xkcd));

  for (size_t i = 0; i < kBasicColourTerms.size(); ++i) {
    for (const ColourName& name : xkcd) {
      if (name.name == kBasicColourTerms[i]) {
        EXPECT_EQ(categories.Nearest(name.rgb), i) << name.name;
      }
    }
  }
}

TEST(BasicCategories, ClassifiesObviousColours) {
  ASSERT_OK_AND_ASSIGN(BasicCategories categories, BasicCategories::FromNames(LoadXkcd()));
  EXPECT_EQ(kBasicColourTerms[categories.Nearest({250, 250, 250})], "white");
  EXPECT_EQ(kBasicColourTerms[categories.Nearest({10, 10, 10})], "black");
  EXPECT_EQ(kBasicColourTerms[categories.Nearest({200, 10, 20})], "red");
  EXPECT_EQ(kBasicColourTerms[categories.Nearest({250, 240, 30})], "yellow");
}

TEST(BasicCategories, MissingTermIsInvalidArgument) {
  const std::vector<ColourName> names = {{"red", {229, 0, 0}, {}}};
  EXPECT_THAT(BasicCategories::FromNames(names),
              StatusIs(absl::StatusCode::kInvalidArgument, ::testing::HasSubstr("orange")));
}

TEST(ScoreColours, PerfectPredictionsScoreZero) {
  const std::vector<ColourName> xkcd = LoadXkcd();
  ASSERT_OK_AND_ASSIGN(BasicCategories categories, BasicCategories::FromNames(xkcd));
  std::vector<colour::Rgb8> predicted;
  for (const ColourName& name : xkcd) predicted.push_back(name.rgb);

  const Scores scores = ScoreColours(predicted, xkcd, categories);

  EXPECT_EQ(scores.mean_ciede2000, 0.0);
  EXPECT_EQ(scores.median_ciede2000, 0.0);
  EXPECT_EQ(scores.category_accuracy, 1.0);
}

TEST(ScoreColours, ConstantGreyMatchesHandComputedDistances) {
  // The expected distances come from core's Ciede2000, which its own tests
  // check against Sharma et al.'s published pairs.
  const std::vector<ColourName> names = {{"black", {0, 0, 0}, {}}, {"white", {255, 255, 255}, {}}};
  const colour::Rgb8 grey{119, 119, 119};
  const double to_black = colour::Ciede2000(colour::Rgb8ToLab(grey), colour::Rgb8ToLab({0, 0, 0}));
  const double to_white =
      colour::Ciede2000(colour::Rgb8ToLab(grey), colour::Rgb8ToLab({255, 255, 255}));
  BasicCategories categories;
  categories.lab.fill(colour::Rgb8ToLab(grey));

  const Scores scores = ScoreColours({grey, grey}, names, categories);

  EXPECT_NEAR(scores.mean_ciede2000, (to_black + to_white) / 2, 1e-9);
  EXPECT_NEAR(scores.median_ciede2000, (to_black + to_white) / 2, 1e-9);
  EXPECT_EQ(scores.category_accuracy, 1.0);
}

TEST(EvaluationReport, AllBasicWordsNeedOwnCategory) {
  EvaluationReport report;
  EXPECT_FALSE(report.AllBasicWordsInOwnCategory());
  report.basic_words = {{"red", {}, "red"}, {"blue", {}, "blue"}};
  EXPECT_TRUE(report.AllBasicWordsInOwnCategory());
  report.basic_words.push_back({"grey", {}, "white"});
  EXPECT_FALSE(report.AllBasicWordsInOwnCategory());
}

TEST(FormatPerNameCsv, ListsWorstFirstAndQuotesCommas) {
  EvaluationReport report;
  report.per_name = {{"pale blue", {200, 220, 255}, {190, 210, 250}, 3.5},
                     {"mud, dried", {90, 70, 40}, {200, 10, 10}, 41.25},
                     {"say \"hi\"", {0, 0, 0}, {0, 0, 0}, 0}};

  EXPECT_EQ(FormatPerNameCsv(report),
            "name,truth,predicted,ciede2000\n"
            "\"mud, dried\",#5a4628,#c80a0a,41.25\n"
            "pale blue,#c8dcff,#bed2fa,3.50\n"
            "\"say \"\"hi\"\"\",#000000,#000000,0.00\n");
}

}  // namespace
}  // namespace synesthesia::training
