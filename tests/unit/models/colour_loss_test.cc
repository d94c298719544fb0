#include "models/training/colour_loss.h"

#include <cmath>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "core/colour/colour.h"
#include "gtest/gtest.h"
#include "tests/testing/paths.h"

namespace synesthesia::training {
namespace {

using ::synesthesia::testing::TestDataPath;

torch::Tensor Rows(const std::vector<std::array<double, 3>>& rows, torch::Dtype dtype) {
  std::vector<double> flat;
  for (const auto& row : rows) flat.insert(flat.end(), row.begin(), row.end());
  return torch::tensor(flat, torch::kFloat64).view({-1, 3}).to(dtype);
}

// The 34 pairs of Sharma, Wu and Dalal (2005), the published reference for
// CIEDE2000 implementations.
TEST(Ciede2000Tensor, MatchesSharmaWuDalalTable) {
  std::ifstream file(TestDataPath("colour/ciede2000_sharma2005.csv"));
  ASSERT_TRUE(file.is_open());
  std::string line;
  std::getline(file, line);  // header
  std::vector<std::array<double, 3>> first;
  std::vector<std::array<double, 3>> second;
  std::vector<double> expected;
  while (std::getline(file, line)) {
    if (line.empty()) continue;
    std::vector<double> values;
    for (absl::string_view field : absl::StrSplit(line, ',')) {
      double value = 0;
      ASSERT_TRUE(absl::SimpleAtod(field, &value)) << line;
      values.push_back(value);
    }
    first.push_back({values[1], values[2], values[3]});
    second.push_back({values[4], values[5], values[6]});
    expected.push_back(values[7]);
  }
  ASSERT_EQ(expected.size(), 34u);

  const torch::Tensor forward = Ciede2000(Rows(first, torch::kFloat64), Rows(second, torch::kFloat64));
  const torch::Tensor reversed = Ciede2000(Rows(second, torch::kFloat64), Rows(first, torch::kFloat64));
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(forward[i].item<double>(), expected[i], 1e-4) << "pair " << i + 1;
    EXPECT_NEAR(reversed[i].item<double>(), expected[i], 1e-4) << "pair " << i + 1 << " reversed";
  }
}

TEST(OkLabToLabTensor, FollowsTheSamePathAsTheColourLibrary) {
  std::vector<std::array<double, 3>> oklab;
  std::vector<colour::Lab> expected;
  for (int r = 0; r <= 255; r += 51) {
    for (int g = 0; g <= 255; g += 51) {
      for (int b = 0; b <= 255; b += 51) {
        const colour::Rgb8 rgb{static_cast<uint8_t>(r), static_cast<uint8_t>(g),
                               static_cast<uint8_t>(b)};
        const colour::OkLab c = colour::Rgb8ToOkLab(rgb);
        oklab.push_back({c.l, c.a, c.b});
        expected.push_back(colour::OkLabToLab(c));
      }
    }
  }
  // One colour outside the sRGB gamut, which the conversion must not clamp.
  oklab.push_back({0.7, 0.3, 0.1});
  expected.push_back(colour::OkLabToLab({0.7, 0.3, 0.1}));

  const torch::Tensor lab = OkLabToLab(Rows(oklab, torch::kFloat64));
  for (size_t i = 0; i < expected.size(); ++i) {
    EXPECT_NEAR(lab[i][0].item<double>(), expected[i].l, 1e-9) << i;
    EXPECT_NEAR(lab[i][1].item<double>(), expected[i].a, 1e-9) << i;
    EXPECT_NEAR(lab[i][2].item<double>(), expected[i].b, 1e-9) << i;
  }
}

TEST(Ciede2000Tensor, AgreesWithTheColourLibraryOnRandomPairs) {
  std::mt19937 generator(7);
  std::uniform_real_distribution<double> lightness(0, 100);
  std::uniform_real_distribution<double> axis(-100, 100);
  std::vector<std::array<double, 3>> first;
  std::vector<std::array<double, 3>> second;
  for (int i = 0; i < 500; ++i) {
    first.push_back({lightness(generator), axis(generator), axis(generator)});
    second.push_back({lightness(generator), axis(generator), axis(generator)});
  }
  const torch::Tensor differences =
      Ciede2000(Rows(first, torch::kFloat64), Rows(second, torch::kFloat64));
  for (size_t i = 0; i < first.size(); ++i) {
    const double expected = colour::Ciede2000({first[i][0], first[i][1], first[i][2]},
                                              {second[i][0], second[i][1], second[i][2]});
    EXPECT_NEAR(differences[i].item<double>(), expected, 1e-4) << i;
  }
}

TEST(Ciede2000Tensor, GradientsStayFiniteAtNeutralAndIdenticalColours) {
  const torch::Tensor truth = Rows({{50, 0, 0}, {60, 20, -30}, {40, 0, 0}, {70, 0.5, 0}},
                                   torch::kFloat32);
  const torch::Tensor predicted =
      Rows({{50, 0, 0}, {60, 20, -30}, {45, 10, 10}, {70, 0, 0}}, torch::kFloat32)
          .requires_grad_(true);

  const torch::Tensor differences = Ciede2000(predicted, truth);
  differences.sum().backward();

  EXPECT_LT(differences[0].item<float>(), 1e-2);
  EXPECT_LT(differences[1].item<float>(), 1e-2);
  EXPECT_TRUE(torch::isfinite(predicted.grad()).all().item<bool>()) << predicted.grad();
}

TEST(Ciede2000Tensor, GradientStepsReduceTheDifference) {
  const torch::Tensor truth = OkLabToLab(Rows({{0.6, 0.15, 0.05}}, torch::kFloat32));
  torch::Tensor predicted = Rows({{0.5, 0.0, 0.0}}, torch::kFloat32).requires_grad_(true);
  const float before = Ciede2000(OkLabToLab(predicted), truth).item<float>();
  // Plain gradient descent with a step that shrinks to zero, since the
  // difference, like a distance, has a gradient of constant size.
  constexpr int kSteps = 200;
  for (int step = 0; step < kSteps; ++step) {
    const torch::Tensor difference = Ciede2000(OkLabToLab(predicted), truth).sum();
    difference.backward();
    {
      torch::NoGradGuard no_gradient;
      predicted -= 2e-4 * (1.0 - static_cast<double>(step) / kSteps) * predicted.grad();
      predicted.grad().zero_();
    }
  }
  const float after = Ciede2000(OkLabToLab(predicted), truth).item<float>();
  EXPECT_GT(before, 20.0f);
  EXPECT_LT(after, 1.0f);
}

// A neutral OKLab colour (L, 0, 0) is L³ in every linear sRGB channel. Its
// excess is 3 · (L³ - 1) above white and 3 · -L³ below black, up to the
// rounding of the published OKLab matrices (about 1e-7).
TEST(SrgbGamutExcess, NeutralColoursBeyondWhiteAndBlack) {
  const torch::Tensor colours =
      torch::tensor({0.5, 0.0, 0.0, 1.1, 0.0, 0.0, -0.1, 0.0, 0.0}, torch::kFloat64).view({3, 3});

  const torch::Tensor excess = SrgbGamutExcess(colours);

  EXPECT_NEAR(excess[0].item<double>(), 0.0, 1e-6);
  EXPECT_NEAR(excess[1].item<double>(), 3 * (1.331 - 1), 1e-6);
  EXPECT_NEAR(excess[2].item<double>(), 3 * 0.001, 1e-6);
}

TEST(SrgbGamutExcess, IsZeroInsideTheGamutAndPositiveOutside) {
  std::vector<double> values;
  std::vector<bool> inside;
  for (const char* hex : {"#ffeb3c", "#0343df", "#808080", "#e50000"}) {
    const colour::OkLab lab = colour::Rgb8ToOkLab(*colour::ParseHex(hex));
    values.insert(values.end(), {lab.l, lab.a, lab.b});
    inside.push_back(true);
  }
  // A yellow just lighter than sRGB allows at its chroma, and a green more
  // saturated than any sRGB green.
  values.insert(values.end(), {0.99, -0.03, 0.18, 0.7, -0.35, 0.15});
  inside.insert(inside.end(), {false, false});
  const torch::Tensor colours =
      torch::tensor(values, torch::kFloat64).view({static_cast<int64_t>(inside.size()), 3});

  const torch::Tensor excess = SrgbGamutExcess(colours);

  for (size_t i = 0; i < inside.size(); ++i) {
    const colour::OkLab lab{values[3 * i], values[3 * i + 1], values[3 * i + 2]};
    ASSERT_EQ(colour::InSrgbGamut(lab), inside[i]) << i;
    if (inside[i]) {
      EXPECT_LT(excess[static_cast<int64_t>(i)].item<double>(), 1e-6) << i;
    } else {
      EXPECT_GT(excess[static_cast<int64_t>(i)].item<double>(), 1e-3) << i;
    }
  }
}

}  // namespace
}  // namespace synesthesia::training
