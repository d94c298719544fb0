#include "core/colour/colour.h"

#include <cmath>
#include <fstream>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia::colour {
namespace {

using ::synesthesia::testing::StatusIs;
using ::synesthesia::testing::TestDataPath;
using ::testing::HasSubstr;

// Reads a CSV file with a header line and numeric fields.
std::vector<std::vector<double>> ReadCsv(const std::string& relative_path) {
  std::ifstream file(TestDataPath(relative_path));
  EXPECT_TRUE(file.is_open()) << relative_path;
  std::vector<std::vector<double>> rows;
  std::string line;
  std::getline(file, line);
  while (std::getline(file, line)) {
    if (line.empty()) continue;
    std::vector<double> row;
    for (const absl::string_view field : absl::StrSplit(line, ',')) {
      double value = 0;
      EXPECT_TRUE(absl::SimpleAtod(field, &value)) << relative_path << ": " << line;
      row.push_back(value);
    }
    rows.push_back(row);
  }
  return rows;
}

// The signed difference between two hue angles in degrees, in (-180, 180].
double HueDifference(double first, double second) {
  double difference = std::fmod(second - first, 360.0);
  if (difference > 180) difference -= 360;
  if (difference <= -180) difference += 360;
  return difference;
}

TEST(Ciede2000, MatchesSharmaWuDalalTable) {
  const auto rows = ReadCsv("colour/ciede2000_sharma2005.csv");
  ASSERT_EQ(rows.size(), 34u);

  for (const auto& row : rows) {
    const Lab first{row[1], row[2], row[3]};
    const Lab second{row[4], row[5], row[6]};
    const double expected = row[7];
    EXPECT_NEAR(Ciede2000(first, second), expected, 1e-4) << "pair " << row[0];
    EXPECT_NEAR(Ciede2000(second, first), expected, 1e-4) << "pair " << row[0] << " reversed";
  }
}

TEST(Ciede2000, IdenticalColoursAreZero) {
  EXPECT_EQ(Ciede2000({50, 10, -20}, {50, 10, -20}), 0.0);
  EXPECT_EQ(Ciede2000({0, 0, 0}, {0, 0, 0}), 0.0);
}

TEST(XyzToOkLab, MatchesOttossonTable) {
  const auto rows = ReadCsv("colour/oklab_ottosson2020.csv");
  ASSERT_EQ(rows.size(), 4u);

  // The table gives three decimals, so half a unit of the last place.
  constexpr double kPublishedPrecision = 0.0005;
  for (const auto& row : rows) {
    const OkLab lab = XyzToOkLab({row[0], row[1], row[2]});
    EXPECT_NEAR(lab.l, row[3], kPublishedPrecision) << "XYZ " << row[0] << " " << row[1];
    EXPECT_NEAR(lab.a, row[4], kPublishedPrecision) << "XYZ " << row[0] << " " << row[1];
    EXPECT_NEAR(lab.b, row[5], kPublishedPrecision) << "XYZ " << row[0] << " " << row[1];
  }
}

TEST(XyzToOkLab, RoundTripsThroughOkLabToXyz) {
  for (const Xyz xyz : {Xyz{0.95, 1.0, 1.089}, Xyz{0.2, 0.1, 0.05}, Xyz{0.1, 0.4, 0.7}}) {
    const Xyz back = OkLabToXyz(XyzToOkLab(xyz));
    EXPECT_NEAR(back.x, xyz.x, 1e-12);
    EXPECT_NEAR(back.y, xyz.y, 1e-12);
    EXPECT_NEAR(back.z, xyz.z, 1e-12);
  }
}

// Documentation examples of colour-science (colour.readthedocs.io, 0.4.x),
// which uses the same D65 white point xy (0.3127, 0.3290). The published
// values are truncated to seven decimals.
TEST(XyzToLab, MatchesColourScienceExample) {
  const Lab lab = XyzToLab({0.20654008, 0.12197225, 0.05136952});
  EXPECT_NEAR(lab.l, 41.5278752, 1e-6);
  EXPECT_NEAR(lab.a, 52.6385830, 1e-6);
  EXPECT_NEAR(lab.b, 26.9231792, 1e-6);
}

TEST(LabToXyz, MatchesColourScienceExample) {
  const Xyz xyz = LabToXyz({41.52787529, 52.63858304, 26.92317922});
  EXPECT_NEAR(xyz.x, 0.2065400, 1e-7);
  EXPECT_NEAR(xyz.y, 0.1219722, 1e-7);
  EXPECT_NEAR(xyz.z, 0.0513695, 1e-7);
}

TEST(XyzToOkLab, MatchesColourScienceExample) {
  const OkLab lab = XyzToOkLab({0.20654008, 0.12197225, 0.05136952});
  EXPECT_NEAR(lab.l, 0.5163401, 1e-7);
  EXPECT_NEAR(lab.a, 0.1546950, 1e-7);
  EXPECT_NEAR(lab.b, 0.0628957, 1e-7);
}

// IEC 61966-2-1 publishes the linear sRGB to XYZ matrix to four decimals
// (colour-science lists it as MATRIX_sRGB_TO_XYZ). We derive it from the
// primaries and the white point, so it must round to the published one.
TEST(LinearToXyz, MatchesTheSrgbStandardMatrix) {
  const double published[3][3] = {{0.4124, 0.3576, 0.1805},
                                  {0.2126, 0.7152, 0.0722},
                                  {0.0193, 0.1192, 0.9505}};
  const LinearRgb primaries[3] = {{1, 0, 0}, {0, 1, 0}, {0, 0, 1}};
  for (int column = 0; column < 3; ++column) {
    const Xyz xyz = LinearToXyz(primaries[column]);
    EXPECT_NEAR(xyz.x, published[0][column], 5e-5) << "column " << column;
    EXPECT_NEAR(xyz.y, published[1][column], 5e-5) << "column " << column;
    EXPECT_NEAR(xyz.z, published[2][column], 5e-5) << "column " << column;
  }
}

TEST(LinearToXyz, RoundTripsThroughXyzToLinear) {
  for (const LinearRgb rgb : {LinearRgb{1, 1, 1}, LinearRgb{0.2, 0.5, 0.9}, LinearRgb{-0.1, 1.2, 0}}) {
    const LinearRgb back = XyzToLinear(LinearToXyz(rgb));
    EXPECT_NEAR(back.r, rgb.r, 1e-12);
    EXPECT_NEAR(back.g, rgb.g, 1e-12);
    EXPECT_NEAR(back.b, rgb.b, 1e-12);
  }
  const Xyz white = LinearToXyz({1, 1, 1});
  EXPECT_NEAR(white.x, 0.3127 / 0.3290, 1e-12);
  EXPECT_NEAR(white.y, 1.0, 1e-12);
  EXPECT_NEAR(white.z, (1 - 0.3127 - 0.3290) / 0.3290, 1e-12);
}

TEST(LabToXyz, InvertsXyzToLabAcrossTheLinearSegment) {
  // Y = 0.005 lies below the CIELAB threshold 216/24389, where f is linear.
  for (const Xyz xyz : {Xyz{0.5, 0.4, 0.3}, Xyz{0.004, 0.005, 0.006}, Xyz{0.0, 0.0, 0.0}}) {
    const Xyz back = LabToXyz(XyzToLab(xyz));
    EXPECT_NEAR(back.x, xyz.x, 1e-12);
    EXPECT_NEAR(back.y, xyz.y, 1e-12);
    EXPECT_NEAR(back.z, xyz.z, 1e-12);
  }
}

TEST(Rgb8ToLab, WhiteAndBlackAreTheLightnessExtremes) {
  const Lab white = Rgb8ToLab({255, 255, 255});
  EXPECT_NEAR(white.l, 100.0, 1e-9);
  EXPECT_NEAR(white.a, 0.0, 1e-9);
  EXPECT_NEAR(white.b, 0.0, 1e-9);

  const Lab black = Rgb8ToLab({0, 0, 0});
  EXPECT_NEAR(black.l, 0.0, 1e-12);
  EXPECT_NEAR(black.a, 0.0, 1e-12);
  EXPECT_NEAR(black.b, 0.0, 1e-12);
}

// The widely reproduced CIELAB values of the sRGB primaries under D65, as
// Bruce Lindbloom's calculator gives them. That calculator uses the white
// point XYZ (0.95047, 1, 1.08883); ours comes from xy (0.3127, 0.3290) and
// differs in the fifth digit, which moves these values by less than 0.01.
TEST(Rgb8ToLab, PrimariesMatchPublishedValues) {
  struct Case {
    Rgb8 rgb;
    Lab expected;
  };
  const Case cases[] = {
      {{255, 0, 0}, {53.2408, 80.0925, 67.2032}},
      {{0, 255, 0}, {87.7347, -86.1827, 83.1793}},
      {{0, 0, 255}, {32.2970, 79.1875, -107.8602}},
  };
  for (const Case& c : cases) {
    const Lab lab = Rgb8ToLab(c.rgb);
    EXPECT_NEAR(lab.l, c.expected.l, 0.01) << ToHex(c.rgb);
    EXPECT_NEAR(lab.a, c.expected.a, 0.01) << ToHex(c.rgb);
    EXPECT_NEAR(lab.b, c.expected.b, 0.01) << ToHex(c.rgb);
  }
}

TEST(OkLabToLab, AgreesWithTheRgbPath) {
  for (const Rgb8 rgb : {Rgb8{255, 0, 0}, Rgb8{12, 200, 99}, Rgb8{128, 128, 128}}) {
    const Lab direct = Rgb8ToLab(rgb);
    const Lab through_oklab = OkLabToLab(Rgb8ToOkLab(rgb));
    EXPECT_NEAR(through_oklab.l, direct.l, 1e-9) << ToHex(rgb);
    EXPECT_NEAR(through_oklab.a, direct.a, 1e-9) << ToHex(rgb);
    EXPECT_NEAR(through_oklab.b, direct.b, 1e-9) << ToHex(rgb);
  }
}

TEST(Rgb8ToOkLab, WhiteIsLightnessOneAndNeutral) {
  const OkLab white = Rgb8ToOkLab({255, 255, 255});
  EXPECT_NEAR(white.l, 1.0, 1e-6);
  EXPECT_NEAR(white.a, 0.0, 1e-6);
  EXPECT_NEAR(white.b, 0.0, 1e-6);
}

// The sRGB path uses Ottosson's linear sRGB matrix, the XYZ path his M1 and
// our sRGB to XYZ matrix; the two products differ slightly in the last
// digits, by at most 1.1e-4 here (for blue).
TEST(Rgb8ToOkLab, AgreesWithTheXyzPath) {
  for (const Rgb8 rgb : {Rgb8{255, 0, 0}, Rgb8{0, 255, 0}, Rgb8{0, 0, 255}, Rgb8{40, 90, 160}}) {
    const OkLab direct = Rgb8ToOkLab(rgb);
    const OkLab through_xyz = XyzToOkLab(LinearToXyz(ToLinear(FromRgb8(rgb))));
    EXPECT_NEAR(direct.l, through_xyz.l, 2e-4) << ToHex(rgb);
    EXPECT_NEAR(direct.a, through_xyz.a, 2e-4) << ToHex(rgb);
    EXPECT_NEAR(direct.b, through_xyz.b, 2e-4) << ToHex(rgb);
  }
}

TEST(Rgb8ToOkLab, RoundTripsEveryFifthLevel) {
  for (int r = 0; r < 256; r += 5) {
    for (int g = 0; g < 256; g += 5) {
      for (int b = 0; b < 256; b += 5) {
        const Rgb8 rgb{static_cast<uint8_t>(r), static_cast<uint8_t>(g), static_cast<uint8_t>(b)};
        const Srgb exact = ToSrgb(OkLabToLinear(Rgb8ToOkLab(rgb)));
        const Srgb original = FromRgb8(rgb);
        ASSERT_NEAR(exact.r, original.r, 1e-9) << ToHex(rgb);
        ASSERT_NEAR(exact.g, original.g, 1e-9) << ToHex(rgb);
        ASSERT_NEAR(exact.b, original.b, 1e-9) << ToHex(rgb);
        ASSERT_EQ(ToRgb8(exact), rgb);
      }
    }
  }
}

TEST(ToLinear, FollowsTheSrgbTransferFunction) {
  // ((0.5 + 0.055) / 1.055)^2.4 and the linear segment below 0.04045.
  EXPECT_NEAR(ToLinear({0.5, 0.04, 1.0}).r, 0.21404114048223255, 1e-15);
  EXPECT_NEAR(ToLinear({0.5, 0.04, 1.0}).g, 0.04 / 12.92, 1e-15);
  EXPECT_NEAR(ToLinear({0.5, 0.04, 1.0}).b, 1.0, 1e-15);

  const Srgb back = ToSrgb(ToLinear({0.25, 0.003, 0.9}));
  EXPECT_NEAR(back.r, 0.25, 1e-12);
  EXPECT_NEAR(back.g, 0.003, 1e-12);
  EXPECT_NEAR(back.b, 0.9, 1e-12);
}

TEST(ToLinear, MirrorsNegativeValues) {
  const LinearRgb linear = ToLinear({-0.5, -0.01, 0.0});
  EXPECT_NEAR(linear.r, -0.21404114048223255, 1e-15);
  EXPECT_NEAR(linear.g, -0.01 / 12.92, 1e-15);
  EXPECT_EQ(linear.b, 0.0);
}

TEST(ToRgb8, RoundsAndClamps) {
  EXPECT_EQ(ToRgb8({0.5, 1.5, -0.2}), (Rgb8{128, 255, 0}));
  EXPECT_EQ(ToRgb8({1.0 / 255 * 0.49, 1.0 / 255 * 0.51, 1.0}), (Rgb8{0, 1, 255}));
  EXPECT_EQ(ToRgb8({std::nan(""), 0.0, 0.0}), (Rgb8{0, 0, 0}));
}

TEST(ToOkLch, ConvertsToPolarFormAndBack) {
  const OkLch lch = ToOkLch({0.6, 0.1, -0.1});
  EXPECT_NEAR(lch.l, 0.6, 1e-15);
  EXPECT_NEAR(lch.c, std::sqrt(0.02), 1e-15);
  EXPECT_NEAR(lch.h, 315.0, 1e-12);

  const OkLab lab = ToOkLab(lch);
  EXPECT_NEAR(lab.a, 0.1, 1e-15);
  EXPECT_NEAR(lab.b, -0.1, 1e-15);
}

TEST(ToOkLch, AchromaticHueIsZero) {
  EXPECT_EQ(ToOkLch({0.5, 0.0, 0.0}).h, 0.0);
  EXPECT_EQ(ToOkLch({0.5, -0.0, -0.0}).h, 0.0);
}

TEST(InSrgbGamut, TellsInsideFromOutside) {
  EXPECT_TRUE(InSrgbGamut(Rgb8ToOkLab({255, 0, 0})));
  EXPECT_TRUE(InSrgbGamut(Rgb8ToOkLab({0, 0, 0})));
  EXPECT_FALSE(InSrgbGamut(ToOkLab(OkLch{0.7, 0.4, 150})));
  EXPECT_FALSE(InSrgbGamut({1.2, 0.0, 0.0}));
}

TEST(GamutMapToSrgb, KeepsInGamutColours) {
  for (const Rgb8 rgb : {Rgb8{255, 0, 0}, Rgb8{10, 200, 90}, Rgb8{128, 128, 128}}) {
    EXPECT_EQ(ToRgb8(GamutMapToSrgb(Rgb8ToOkLab(rgb))), rgb) << ToHex(rgb);
  }
}

TEST(GamutMapToSrgb, LightnessOutOfRangeGivesWhiteOrBlack) {
  EXPECT_EQ(OkLabToRgb8({1.2, 0.1, 0.1}), (Rgb8{255, 255, 255}));
  EXPECT_EQ(OkLabToRgb8({1.0, 0.3, 0.0}), (Rgb8{255, 255, 255}));
  EXPECT_EQ(OkLabToRgb8({-0.1, 0.1, 0.1}), (Rgb8{0, 0, 0}));
  EXPECT_EQ(OkLabToRgb8({0.0, 0.3, 0.0}), (Rgb8{0, 0, 0}));
}

// CSS Color 4 reduces chroma at constant lightness and hue until clipping
// changes the colour by less than deltaEOK 0.02, so the result may differ
// from the reduced-chroma colour by up to that much in L and in hue.
TEST(GamutMapToSrgb, ResultIsInGamutWithLightnessAndHueKept) {
  for (const double lightness : {0.2, 0.5, 0.7, 0.9}) {
    for (double hue = 0; hue < 360; hue += 30) {
      const OkLch origin{lightness, 0.4, hue};
      ASSERT_FALSE(InSrgbGamut(ToOkLab(origin)));

      const Srgb mapped = GamutMapToSrgb(ToOkLab(origin));
      for (const double channel : {mapped.r, mapped.g, mapped.b}) {
        EXPECT_GE(channel, 0.0);
        EXPECT_LE(channel, 1.0);
      }
      const OkLch result = ToOkLch(LinearToOkLab(ToLinear(mapped)));
      EXPECT_NEAR(result.l, lightness, 0.02) << "L " << lightness << " h " << hue;
      EXPECT_LT(result.c, origin.c) << "L " << lightness << " h " << hue;
      // A hue shift of d degrees at chroma c moves the colour by about
      // c * d * pi / 180 in OKLab; allow the JND of 0.02 at the result's chroma.
      const double allowed_hue_shift = 0.02 / result.c * 180 / M_PI;
      EXPECT_LE(std::abs(HueDifference(result.h, hue)), allowed_hue_shift)
          << "L " << lightness << " h " << hue << " c " << result.c;
    }
  }
}

TEST(GamutMapToSrgb, KeepsMostOfTheChromaTheGamutAllows) {
  // Pure sRGB red in OKLCh has chroma about 0.258 at hue 29.2; asking for
  // more chroma at the same L and h must come back close to red.
  const OkLch red = ToOkLch(Rgb8ToOkLab({255, 0, 0}));
  const Rgb8 mapped = OkLabToRgb8(ToOkLab(OkLch{red.l, red.c * 1.5, red.h}));
  EXPECT_LT(DeltaEOk(Rgb8ToOkLab(mapped), Rgb8ToOkLab({255, 0, 0})), 0.03) << ToHex(mapped);
}

TEST(RelativeLuminance, WhiteIsOneAndBlackIsZero) {
  EXPECT_NEAR(RelativeLuminance({255, 255, 255}), 1.0, 1e-12);
  EXPECT_EQ(RelativeLuminance({0, 0, 0}), 0.0);
  EXPECT_NEAR(RelativeLuminance({0, 255, 0}), 0.7152, 1e-12);
}

TEST(ContrastRatio, BlackOnWhiteIsTwentyOne) {
  EXPECT_NEAR(ContrastRatio({0, 0, 0}, {255, 255, 255}), 21.0, 1e-12);
  EXPECT_NEAR(ContrastRatio({255, 255, 255}, {0, 0, 0}), 21.0, 1e-12);
}

TEST(ContrastRatio, SameColourIsOne) {
  EXPECT_NEAR(ContrastRatio({12, 34, 56}, {12, 34, 56}), 1.0, 1e-12);
}

TEST(ContrastRatio, GreyOnWhiteMatchesHandComputation) {
  // 0x76 = 118: ((118 / 255 + 0.055) / 1.055)^2.4 = 0.181164, so the ratio
  // is 1.05 / (0.181164 + 0.05) = 4.5423, just above the AA threshold 4.5.
  EXPECT_NEAR(ContrastRatio({0x76, 0x76, 0x76}, {255, 255, 255}), 4.5423, 1e-4);
  EXPECT_LT(ContrastRatio({0x77, 0x77, 0x77}, {255, 255, 255}), 4.5);
}

TEST(EnsureContrast, KeepsColourThatAlreadyMeetsTheRatio) {
  EXPECT_EQ(EnsureContrast({0, 0, 128}, {255, 255, 255}, 4.5), (Rgb8{0, 0, 128}));
}

TEST(EnsureContrast, MeetsTheRatioAndKeepsHue) {
  const Rgb8 colours[] = {{51, 102, 204}, {220, 60, 40}, {40, 160, 80},
                          {200, 180, 30}, {150, 60, 170}, {128, 128, 128}};
  const Rgb8 backgrounds[] = {{255, 255, 255}, {0, 0, 0}, {30, 30, 46}, {250, 245, 230}};
  for (const Rgb8 background : backgrounds) {
    for (const Rgb8 colour : colours) {
      for (const double ratio : {3.0, 4.5, 7.0}) {
        const Rgb8 result = EnsureContrast(colour, background, ratio);
        EXPECT_GE(ContrastRatio(result, background), ratio)
            << ToHex(colour) << " on " << ToHex(background) << " ratio " << ratio << " gave "
            << ToHex(result);

        // Gamut mapping may move the colour by deltaEOK 0.02 and 8-bit
        // rounding by about 0.005 more; at chroma c that is a hue shift of
        // up to 0.025 / c radians. Below chroma 0.05 hue means little.
        const OkLch before = ToOkLch(Rgb8ToOkLab(colour));
        const OkLch after = ToOkLch(Rgb8ToOkLab(result));
        if (before.c > 0.05 && after.c > 0.05) {
          const double allowed_hue_shift = 0.025 / after.c * 180 / M_PI;
          EXPECT_LE(std::abs(HueDifference(before.h, after.h)), allowed_hue_shift)
              << ToHex(colour) << " on " << ToHex(background) << " ratio " << ratio << " gave "
              << ToHex(result);
        }
      }
    }
  }
}

TEST(EnsureContrast, MovesLightnessAwayFromTheBackground) {
  const Rgb8 blue{51, 102, 204};
  const double lightness = Rgb8ToOkLab(blue).l;
  EXPECT_LT(Rgb8ToOkLab(EnsureContrast(blue, {255, 255, 255}, 7.0)).l, lightness);
  EXPECT_GT(Rgb8ToOkLab(EnsureContrast(blue, {0, 0, 0}, 7.0)).l, lightness);
}

TEST(EnsureContrast, ImpossibleRatioGivesTheBetterOfBlackAndWhite) {
  // Mid grey reaches at most about 5.3 against black and 4 against white.
  const Rgb8 grey{128, 128, 128};
  const Rgb8 result = EnsureContrast({200, 50, 50}, grey, 21.0);
  EXPECT_EQ(result, (Rgb8{0, 0, 0}));
}

TEST(ToHex, PadsEachChannelWithZeros) {
  // The seed notebook's "{:2x}" padded with spaces and gave "# a 5ff".
  EXPECT_EQ(ToHex({10, 5, 255}), "#0a05ff");
  EXPECT_EQ(ToHex({0, 0, 0}), "#000000");
  EXPECT_EQ(ToHex({255, 255, 255}), "#ffffff");
  EXPECT_EQ(ToHex({0xab, 0xcd, 0xef}), "#abcdef");
}

TEST(ParseHex, RoundTripsEveryChannelValue) {
  for (int value = 0; value < 256; ++value) {
    const Rgb8 rgb{static_cast<uint8_t>(value), static_cast<uint8_t>(255 - value),
                   static_cast<uint8_t>(value / 2)};
    ASSERT_OK_AND_ASSIGN(const Rgb8 parsed, ParseHex(ToHex(rgb)));
    EXPECT_EQ(parsed, rgb) << ToHex(rgb);
  }
}

TEST(ParseHex, AcceptsEitherCaseWithOrWithoutHash) {
  ASSERT_OK_AND_ASSIGN(const Rgb8 upper, ParseHex("0A05FF"));
  EXPECT_EQ(upper, (Rgb8{10, 5, 255}));
  ASSERT_OK_AND_ASSIGN(const Rgb8 mixed, ParseHex("#aBcDeF"));
  EXPECT_EQ(mixed, (Rgb8{0xab, 0xcd, 0xef}));
}

TEST(ParseHex, RejectsMalformedText) {
  for (const std::string text :
       {"", "#", "#0a05f", "#0a05ff0", "#0a05fg", "# a 5ff", "0x0a05ff", "##0a05ff", "#0a 5ff",
        "rgb(1,2,3)"}) {
    EXPECT_THAT(ParseHex(text),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("\"" + text + "\"")))
        << text;
  }
}

TEST(ParseHex, ShortensLongTextInTheMessage) {
  const std::string text(1000, 'z');
  const auto result = ParseHex(text);
  EXPECT_THAT(result, StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("...")));
  EXPECT_LT(result.status().message().size(), 120u);
}

}  // namespace
}  // namespace synesthesia::colour
