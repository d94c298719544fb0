#include <cmath>
#include <string>
#include <vector>

#include "core/colour/colour.h"
#include "core/projection/projection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/unit/projection/reference_data.h"

namespace synesthesia::projection {
namespace {

using ::synesthesia::projection::testing::ReadJson;
using ::synesthesia::projection::testing::ToColours;
using ::synesthesia::projection::testing::ToMatrix;
using ::testing::Each;

std::vector<std::string> ToHex(const std::vector<colour::Rgb8>& colours) {
  std::vector<std::string> hex;
  for (const colour::Rgb8& rgb : colours) hex.push_back(colour::ToHex(rgb));
  return hex;
}

TEST(PcaColours, MatchesNumpyReference) {
  const nlohmann::json reference = ReadJson("projection/pca_reference.json");
  ASSERT_GE(reference["cases"].size(), 10u);

  for (const auto& item : reference["cases"]) {
    const RowMatrixXf hidden = ToMatrix(item["hidden"]);
    const std::vector<colour::Rgb8> expected = ToColours(item["colours"]);
    EXPECT_EQ(ToHex(PcaColours(hidden)), ToHex(expected)) << item["name"].get<std::string>();
  }
}

TEST(PcaColours, IsDeterministic) {
  const nlohmann::json reference = ReadJson("projection/pca_reference.json");
  const RowMatrixXf hidden = ToMatrix(reference["cases"][3]["hidden"]);
  const std::vector<colour::Rgb8> first = PcaColours(hidden);
  for (int run = 0; run < 5; ++run) {
    EXPECT_EQ(PcaColours(hidden), first) << "run " << run;
  }
}

TEST(PcaColours, NoTokensGiveNoColours) {
  EXPECT_TRUE(PcaColours(RowMatrixXf(0, 8)).empty());
  EXPECT_TRUE(PcaColours(RowMatrixXf(0, 0)).empty());
}

TEST(PcaColours, OneTokenIsBlack) {
  RowMatrixXf hidden(1, 4);
  hidden << 1, 2, 3, 4;
  EXPECT_THAT(PcaColours(hidden), Each(colour::Rgb8{0, 0, 0}));
}

// Worked by hand: the only axis is along x1 - x2 = (1, -3, 0, 4), whose
// largest entry 4 is positive, so the first token scores higher.
TEST(PcaColours, TwoTokensSplitRedAlongTheirDifference) {
  RowMatrixXf hidden(2, 4);
  hidden << 1, -2, 0.5f, 3,  //
      0, 1, 0.5f, -1;
  const std::vector<colour::Rgb8> colours = PcaColours(hidden);
  ASSERT_EQ(colours.size(), 2u);
  EXPECT_EQ(colours[0], (colour::Rgb8{255, 0, 0}));
  EXPECT_EQ(colours[1], (colour::Rgb8{0, 0, 0}));

  // Swapping the rows flips the difference, and the sign rule flips it back.
  RowMatrixXf swapped(2, 4);
  swapped << hidden.row(1), hidden.row(0);
  const std::vector<colour::Rgb8> swapped_colours = PcaColours(swapped);
  EXPECT_EQ(swapped_colours[0], (colour::Rgb8{0, 0, 0}));
  EXPECT_EQ(swapped_colours[1], (colour::Rgb8{255, 0, 0}));
}

// Continuing the two-token case by hand: the midpoint of the two tokens
// projects to the middle of the red range, and a point beyond the first
// token clamps to 255.
TEST(PcaColours, OthersUseTheFittedComponentsAndClamp) {
  RowMatrixXf hidden(2, 4);
  hidden << 1, -2, 0.5f, 3,  //
      0, 1, 0.5f, -1;
  RowMatrixXf others(3, 4);
  others << 0.5f, -0.5f, 0.5f, 1,  //
      2, -5, 0.5f, 7,                //
      0, 1, 0.5f, -1;
  const PcaResult result = PcaColoursWithOthers(hidden, others);
  EXPECT_EQ(result.colours, PcaColours(hidden));
  ASSERT_EQ(result.others.size(), 3u);
  EXPECT_EQ(result.others[0], (colour::Rgb8{127, 0, 0}));
  EXPECT_EQ(result.others[1], (colour::Rgb8{255, 0, 0}));
  EXPECT_EQ(result.others[2], (colour::Rgb8{0, 0, 0}));
  // Without real tokens there is nothing to fit, so the others are black.
  EXPECT_THAT(PcaColoursWithOthers(RowMatrixXf(0, 4), others).others, Each(colour::Rgb8{0, 0, 0}));
}

TEST(PcaColours, IdenticalTokensAreBlack) {
  RowMatrixXf hidden = RowMatrixXf::Constant(6, 5, 0.75f);
  EXPECT_THAT(PcaColours(hidden), Each(colour::Rgb8{0, 0, 0}));
}

TEST(PcaColours, ThreeTokensLeaveBlueZero) {
  RowMatrixXf hidden(3, 3);
  hidden << 1, 0, 0,  //
      0, 2, 0,        //
      0, 0, 3;
  for (const colour::Rgb8& rgb : PcaColours(hidden)) {
    EXPECT_EQ(rgb.b, 0) << colour::ToHex(rgb);
  }
}

TEST(PcaColours, NonFiniteInputIsBlack) {
  RowMatrixXf hidden = RowMatrixXf::Random(5, 4);
  hidden(2, 1) = std::nanf("");
  EXPECT_THAT(PcaColours(hidden), Each(colour::Rgb8{0, 0, 0}));

  hidden(2, 1) = INFINITY;
  EXPECT_THAT(PcaColours(hidden), Each(colour::Rgb8{0, 0, 0}));
}

TEST(PcaColours, EveryDefinedChannelSpansTheFullRange) {
  const RowMatrixXf hidden = RowMatrixXf::Random(40, 32);
  const std::vector<colour::Rgb8> colours = PcaColours(hidden);
  for (const auto channel : {&colour::Rgb8::r, &colour::Rgb8::g, &colour::Rgb8::b}) {
    uint8_t low = 255;
    uint8_t high = 0;
    for (const colour::Rgb8& rgb : colours) {
      low = std::min(low, rgb.*channel);
      high = std::max(high, rgb.*channel);
    }
    EXPECT_EQ(low, 0);
    EXPECT_EQ(high, 255);
  }
}

TEST(PcaColours, IgnoresAnOffsetOfAllTokens) {
  const RowMatrixXf hidden = RowMatrixXf::Random(12, 16);
  const RowMatrixXf shifted = hidden.array() + 3.0f;
  const std::vector<colour::Rgb8> original = PcaColours(hidden);
  const std::vector<colour::Rgb8> moved = PcaColours(shifted);
  ASSERT_EQ(original.size(), moved.size());
  // Rounding of the shifted float values may move a level by one.
  for (size_t i = 0; i < original.size(); ++i) {
    EXPECT_NEAR(original[i].r, moved[i].r, 1) << i;
    EXPECT_NEAR(original[i].g, moved[i].g, 1) << i;
    EXPECT_NEAR(original[i].b, moved[i].b, 1) << i;
  }
}

}  // namespace
}  // namespace synesthesia::projection
