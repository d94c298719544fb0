#include <cmath>
#include <vector>

#include "core/colour/colour.h"
#include "core/projection/projection.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"
#include "tests/unit/projection/reference_data.h"

namespace synesthesia::projection {
namespace {

using ::synesthesia::projection::testing::ReadJson;
using ::synesthesia::projection::testing::ToColours;
using ::synesthesia::projection::testing::ToMatrix;
using ::synesthesia::testing::StatusIs;
using ::testing::HasSubstr;

class BasisReferenceTest : public ::testing::Test {
 protected:
  const nlohmann::json reference_ = ReadJson("projection/basis_reference.json");
};

TEST_F(BasisReferenceTest, FitMatchesNumpy) {
  ASSERT_OK_AND_ASSIGN(const Basis basis,
                       Basis::Fit(ToMatrix(reference_["corpus"]),
                                  reference_["low_percentile"].get<double>(),
                                  reference_["high_percentile"].get<double>()));

  // Basis stores float32, so agreement is to float precision.
  constexpr double kTolerance = 1e-5;
  ASSERT_EQ(basis.dim(), 6);
  for (int i = 0; i < 6; ++i) {
    EXPECT_NEAR(basis.mean[i], reference_["mean"][i].get<double>(), kTolerance) << "mean " << i;
  }
  ASSERT_EQ(basis.axes.rows(), 3);
  for (int k = 0; k < 3; ++k) {
    for (int i = 0; i < 6; ++i) {
      EXPECT_NEAR(basis.axes(k, i), reference_["axes"][k][i].get<double>(), kTolerance)
          << "axis " << k << " entry " << i;
    }
    EXPECT_NEAR(basis.low[k], reference_["low"][k].get<double>(), kTolerance) << "low " << k;
    EXPECT_NEAR(basis.high[k], reference_["high"][k].get<double>(), kTolerance) << "high " << k;
  }
}

TEST_F(BasisReferenceTest, ApplyMatchesNumpy) {
  ASSERT_OK_AND_ASSIGN(const Basis basis,
                       Basis::Fit(ToMatrix(reference_["corpus"]),
                                  reference_["low_percentile"].get<double>(),
                                  reference_["high_percentile"].get<double>()));
  const std::vector<colour::Rgb8> colours = basis.Apply(ToMatrix(reference_["inputs"]));
  const std::vector<colour::Rgb8> expected = ToColours(reference_["colours"]);
  ASSERT_EQ(colours.size(), expected.size());
  for (size_t i = 0; i < colours.size(); ++i) {
    EXPECT_EQ(colour::ToHex(colours[i]), colour::ToHex(expected[i])) << "input " << i;
  }
}

TEST_F(BasisReferenceTest, ColourDependsOnlyOnTheTokenItself) {
  ASSERT_OK_AND_ASSIGN(const Basis basis, Basis::Fit(ToMatrix(reference_["corpus"])));
  const RowMatrixXf inputs = ToMatrix(reference_["inputs"]);
  const std::vector<colour::Rgb8> together = basis.Apply(inputs);
  for (Eigen::Index row = 0; row < inputs.rows(); ++row) {
    const RowMatrixXf alone = inputs.row(row);
    EXPECT_EQ(basis.Apply(alone)[0], together[static_cast<size_t>(row)]) << "row " << row;
  }
}

// A basis whose three axes are the unit vectors of a 3-wide space, so the
// colours can be worked out by hand.
Basis UnitBasis() {
  Basis basis;
  basis.mean = Eigen::VectorXf::Zero(3);
  basis.axes = RowMatrixXf::Identity(3, 3);
  basis.low = {-1.0f, 0.0f, 10.0f};
  basis.high = {1.0f, 2.0f, 20.0f};
  return basis;
}

TEST(BasisApply, ScalesAndClampsEachChannel) {
  RowMatrixXf hidden(3, 3);
  hidden << 0.0f, 1.0f, 15.0f,  // the middle of every range
      -5.0f, 9.0f, 10.0f,       // below, above, at the low end
      1.0f, 0.5f, 19.9f;
  const std::vector<colour::Rgb8> colours = UnitBasis().Apply(hidden);
  ASSERT_EQ(colours.size(), 3u);
  EXPECT_EQ(colours[0], (colour::Rgb8{127, 127, 127}));
  EXPECT_EQ(colours[1], (colour::Rgb8{0, 255, 0}));
  // floor(255 * 0.25) = 63 and floor(255 * 0.99) = 252.
  EXPECT_EQ(colours[2], (colour::Rgb8{255, 63, 252}));
}

TEST(BasisApply, NonFiniteRowIsBlack) {
  RowMatrixXf hidden(2, 3);
  hidden << std::nanf(""), 1.0f, 15.0f,  //
      INFINITY, INFINITY, INFINITY;
  const std::vector<colour::Rgb8> colours = UnitBasis().Apply(hidden);
  EXPECT_EQ(colours[0].r, 0);
  EXPECT_EQ(colours[1], (colour::Rgb8{0, 0, 0}));
}

TEST(BasisApply, NoRowsGiveNoColours) { EXPECT_TRUE(UnitBasis().Apply(RowMatrixXf(0, 3)).empty()); }

TEST(BasisDeathTest, ApplyWithWrongWidthAborts) {
  // The test binary links libtorch, whose thread pools make fork() unsafe.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  EXPECT_DEATH(UnitBasis().Apply(RowMatrixXf::Zero(2, 4)), "differ in width");
}

TEST(BasisFit, AxesAreOrthonormalWithThePositiveSignRule) {
  const RowMatrixXf corpus = RowMatrixXf::Random(50, 10);
  ASSERT_OK_AND_ASSIGN(const Basis basis, Basis::Fit(corpus));
  const Eigen::MatrixXf gram = basis.axes * basis.axes.transpose();
  EXPECT_TRUE(gram.isApprox(Eigen::MatrixXf::Identity(3, 3), 1e-5f)) << gram;
  for (int k = 0; k < 3; ++k) {
    Eigen::Index largest = 0;
    basis.axes.row(k).cwiseAbs().maxCoeff(&largest);
    EXPECT_GT(basis.axes(k, largest), 0.0f) << "axis " << k;
  }
}

TEST(BasisFit, RejectsFewerThanFourRows) {
  EXPECT_THAT(Basis::Fit(RowMatrixXf::Random(3, 5)),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("at least 4 rows")));
}

TEST(BasisFit, RejectsInvalidPercentiles) {
  const RowMatrixXf corpus = RowMatrixXf::Random(20, 5);
  for (const auto& [low, high] : std::vector<std::pair<double, double>>{
           {-1.0, 99.0}, {1.0, 101.0}, {50.0, 50.0}, {60.0, 40.0}, {std::nan(""), 99.0}}) {
    EXPECT_THAT(Basis::Fit(corpus, low, high),
                StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("invalid percentiles")))
        << low << " " << high;
  }
}

TEST(BasisFit, RejectsNonFiniteCorpus) {
  RowMatrixXf corpus = RowMatrixXf::Random(20, 5);
  corpus(7, 2) = std::nanf("");
  EXPECT_THAT(Basis::Fit(corpus),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("NaN or infinite")));
}

TEST(BasisFit, RejectsCorpusOnAPlane) {
  RowMatrixXf corpus(6, 4);
  corpus << 1, 0, 0, 0,  //
      0, 1, 0, 0,        //
      2, 3, 0, 0,        //
      -1, 2, 0, 0,       //
      4, -2, 0, 0,       //
      0, 0, 0, 0;
  EXPECT_THAT(Basis::Fit(corpus),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("spans only 2 dimension")));
}

TEST(BasisFit, RejectsChannelWithEmptyPercentileRange) {
  // Twenty identical rows fill the 20th to 60th percentiles of every channel.
  RowMatrixXf corpus = RowMatrixXf::Zero(23, 3);
  corpus.row(20) << 5, 0, 0;
  corpus.row(21) << 0, 3, 0;
  corpus.row(22) << 0, 0, 1;
  EXPECT_THAT(Basis::Fit(corpus, 20, 60),
              StatusIs(absl::StatusCode::kInvalidArgument, HasSubstr("empty range")));
}

}  // namespace
}  // namespace synesthesia::projection
