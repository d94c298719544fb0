#include "models/training/colour_names.h"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include "absl/container/flat_hash_set.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia::training {
namespace {

using ::synesthesia::testing::ScratchDirectory;
using ::synesthesia::testing::StatusIs;
using ::testing::HasSubstr;

std::string WriteFile(const std::string& name, const std::string& contents) {
  const std::string directory = ScratchDirectory("colour-names");
  std::filesystem::create_directories(directory);
  const std::string path = directory + "/" + name;
  std::ofstream(path, std::ios::binary) << contents;
  return path;
}

std::string DataPath(const std::string& file) {
  return std::string(SYNESTHESIA_MODELS_DIR) + "/data/" + file;
}

TEST(ColourNames, LoadsPlainAndQuotedFields) {
  const std::string path = WriteFile(
      "quoted.csv", "name,hex\nSea Green,#2E8B57\n\"Red, Redder\",#ff0000\n\"Say \"\"Hi\"\"\",#000001\n");

  ASSERT_OK_AND_ASSIGN(std::vector<ColourName> names, LoadColourNames(path));

  ASSERT_EQ(names.size(), 3u);
  EXPECT_EQ(names[0].name, "Sea Green");
  EXPECT_EQ(names[0].rgb, (colour::Rgb8{0x2e, 0x8b, 0x57}));
  EXPECT_EQ(names[1].name, "Red, Redder");
  EXPECT_EQ(names[2].name, "Say \"Hi\"");
  EXPECT_EQ(names[2].rgb, (colour::Rgb8{0, 0, 1}));
}

TEST(ColourNames, ComputesOkLabOfEachColour) {
  const std::string path = WriteFile("white.csv", "name,hex\nwhite,#ffffff\n");

  ASSERT_OK_AND_ASSIGN(std::vector<ColourName> names, LoadColourNames(path));

  ASSERT_EQ(names.size(), 1u);
  EXPECT_NEAR(names[0].oklab.l, 1.0, 1e-4);
  EXPECT_NEAR(names[0].oklab.a, 0.0, 1e-4);
  EXPECT_NEAR(names[0].oklab.b, 0.0, 1e-4);
}

TEST(ColourNames, RejectsWrongHeader) {
  const std::string path = WriteFile("header.csv", "colour,value\nred,#ff0000\n");
  EXPECT_THAT(LoadColourNames(path),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(":1: expected the header")));
}

TEST(ColourNames, RejectsInvalidHexNamingLine) {
  const std::string path = WriteFile("hex.csv", "name,hex\nred,#ff0000\nblue,0000ff\n");
  EXPECT_THAT(LoadColourNames(path),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("hex.csv:3: invalid hex")));
}

TEST(ColourNames, RejectsLineWithoutTwoFields) {
  const std::string path = WriteFile("fields.csv", "name,hex\nred\n");
  EXPECT_THAT(LoadColourNames(path),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr(":2: expected two fields")));
}

TEST(ColourNames, AcceptsByteOrderMark) {
  const std::string path = WriteFile("bom.csv", "\xEF\xBB\xBFname,hex\r\nred,#ff0000\r\n");
  ASSERT_OK_AND_ASSIGN(std::vector<ColourName> names, LoadColourNames(path));
  ASSERT_EQ(names.size(), 1u);
  EXPECT_EQ(names[0].name, "red");
}

TEST(ColourNames, EmptyPathIsInvalidArgument) {
  EXPECT_THAT(LoadColourNames(""), StatusIs(absl::StatusCode::kInvalidArgument,
                                            HasSubstr("no colour-name file given")));
}

TEST(ColourNames, MissingFileIsNotFound) {
  EXPECT_THAT(LoadColourNames(ScratchDirectory("colour-names") + "/absent.csv"),
              StatusIs(absl::StatusCode::kNotFound));
}

TEST(NormaliseName, LowercasesAndCollapsesWhiteSpace) {
  EXPECT_EQ(NormaliseName("  Light \t Blue  "), "light blue");
  EXPECT_EQ(NormaliseName("RED"), "red");
  EXPECT_EQ(NormaliseName(""), "");
}

TEST(RemoveHeldOut, DropsNamesEqualUpToCaseAndSpacing) {
  const std::vector<ColourName> names = {
      {"Light  Blue", {}, {}}, {"Lighter Blue", {}, {}}, {"RED", {}, {}}};
  const std::vector<ColourName> held_out = {{"light blue", {}, {}}, {"red", {}, {}}};

  const std::vector<ColourName> kept = RemoveHeldOut(names, held_out);

  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(kept[0].name, "Lighter Blue");
}

TEST(Corpus, SkipsBlankLinesAndTrims) {
  const std::string path = WriteFile("corpus.txt", "  First line. \n\n\nSecond line.\n");

  ASSERT_OK_AND_ASSIGN(std::vector<std::string> sentences, LoadCorpus(path));

  EXPECT_THAT(sentences, ::testing::ElementsAre("First line.", "Second line."));
}

TEST(Corpus, RejectsFileWithoutText) {
  const std::string path = WriteFile("empty.txt", "\n  \n");
  EXPECT_THAT(LoadCorpus(path), StatusIs(absl::StatusCode::kInvalidArgument));
}

// The committed data: XKCD is the held-out test set and never in training.
TEST(CommittedData, TrainingNamesExcludeEveryXkcdName) {
  ASSERT_OK_AND_ASSIGN(std::vector<ColourName> training, LoadColourNames(DataPath("train.csv")));
  ASSERT_OK_AND_ASSIGN(std::vector<ColourName> xkcd, LoadColourNames(DataPath("xkcd.csv")));

  absl::flat_hash_set<std::string> held_out;
  for (const ColourName& name : xkcd) held_out.insert(NormaliseName(name.name));
  for (const ColourName& name : training) {
    EXPECT_FALSE(held_out.contains(NormaliseName(name.name))) << name.name;
  }
  EXPECT_GT(training.size(), 30000u);
}

// Reference values from the XKCD colour survey's published list
// (xkcd.com/color/rgb.txt, CC0): 949 names.
TEST(CommittedData, XkcdListMatchesPublishedSurvey) {
  ASSERT_OK_AND_ASSIGN(std::vector<ColourName> xkcd, LoadColourNames(DataPath("xkcd.csv")));

  EXPECT_EQ(xkcd.size(), 949u);
  auto find = [&](const std::string& wanted) -> const ColourName* {
    for (const ColourName& name : xkcd) {
      if (name.name == wanted) return &name;
    }
    return nullptr;
  };
  ASSERT_NE(find("red"), nullptr);
  EXPECT_EQ(colour::ToHex(find("red")->rgb), "#e50000");
  ASSERT_NE(find("blue"), nullptr);
  EXPECT_EQ(colour::ToHex(find("blue")->rgb), "#0343df");
  ASSERT_NE(find("grey"), nullptr);
  EXPECT_EQ(colour::ToHex(find("grey")->rgb), "#929591");
}

ColourName WithColour(uint8_t r, uint8_t g, uint8_t b) {
  ColourName name;
  name.rgb = {r, g, b};
  return name;
}

// Two bins per channel: eight bins of which the names fill two.
TEST(EvenRgbWeighting, WeighsBinsInverseToTheirCounts) {
  std::vector<ColourName> names;
  for (int i = 0; i < 6; ++i) names.push_back(WithColour(10, 20, 30));  // bin (0, 0, 0)
  for (int i = 0; i < 2; ++i) names.push_back(WithColour(200, 128, 0));  // bin (1, 1, 0)

  const EvenRgbWeighting weighting(names, 2, 100);

  // An even spread would put 8 / 8 = 1 name in each bin.
  EXPECT_DOUBLE_EQ(weighting.Weight({0, 0, 0}), 1.0 / 6);
  EXPECT_DOUBLE_EQ(weighting.Weight({127, 127, 127}), 1.0 / 6);
  EXPECT_DOUBLE_EQ(weighting.Weight({128, 255, 127}), 1.0 / 2);
  EXPECT_DOUBLE_EQ(weighting.Weight({255, 255, 255}), 100);  // an empty bin
}

TEST(EvenRgbWeighting, CapsTheWeight) {
  std::vector<ColourName> names(63, WithColour(0, 0, 0));
  names.push_back(WithColour(255, 0, 0));

  const EvenRgbWeighting weighting(names, 2, 5);

  EXPECT_DOUBLE_EQ(weighting.Weight({0, 0, 0}), 8.0 / 63);
  EXPECT_DOUBLE_EQ(weighting.Weight({255, 0, 0}), 5);  // 8 / 1, capped
}

// The committed training names crowd the muted middle of the cube, so
// weighting them evenly raises their weighted mean chroma to about that of
// the XKCD colours (0.142).
TEST(EvenRgbWeighting, RaisesTheTrainingNamesMeanChroma) {
  ASSERT_OK_AND_ASSIGN(std::vector<ColourName> names, LoadColourNames(DataPath("train.csv")));
  const EvenRgbWeighting weighting(names, 6, 10);

  double plain = 0;
  double weighted = 0;
  double weights = 0;
  for (const ColourName& name : names) {
    const double chroma = std::hypot(name.oklab.a, name.oklab.b);
    const double weight = weighting.Weight(name.rgb);
    plain += chroma;
    weighted += weight * chroma;
    weights += weight;
  }
  plain /= static_cast<double>(names.size());
  weighted /= weights;
  EXPECT_NEAR(plain, 0.074, 0.002);
  EXPECT_NEAR(weighted, 0.141, 0.002);
}

}  // namespace
}  // namespace synesthesia::training
