#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <vector>

#include "core/colour/colour.h"
#include "core/projection/projection.h"
#include "core/projection/semantic_kernels.h"
#include "gtest/gtest.h"

namespace synesthesia::projection {
namespace {

// Phi(x) = (1 + erf(x / sqrt(2))) / 2 gives Phi(1) = 0.8413447460685429 and
// Phi(3) = 0.9986501019683699 (Python's math.erf), so GELU(1) = Phi(1),
// GELU(-1) = Phi(1) - 1 and GELU(3) = 3 Phi(3).
constexpr double kGeluOne = 0.8413447460685429;
constexpr double kGeluMinusOne = -0.15865525393145707;
constexpr double kGeluThree = 2.99595030590511;

// An affine head [3, 2] and the colours it gives for AffineInput().
SemanticHead AffineHead() {
  SemanticHead head;
  head.output_weight.resize(3, 2);
  head.output_weight << 0.5f, 0.0f,  //
      0.0f, 1.0f,                    //
      -1.0f, 2.0f;
  head.output_bias.resize(3);
  head.output_bias << 0.25f, -0.5f, 0.0f;
  return head;
}

RowMatrixXf AffineInput() {
  RowMatrixXf hidden(2, 2);
  hidden << 1.0f, 2.0f,  //
      0.0f, -1.0f;
  return hidden;
}

void ExpectAffineColours(const std::vector<colour::OkLab>& colours) {
  ASSERT_EQ(colours.size(), 2u);
  EXPECT_DOUBLE_EQ(colours[0].l, 0.75);
  EXPECT_DOUBLE_EQ(colours[0].a, 1.5);
  EXPECT_DOUBLE_EQ(colours[0].b, 3.0);
  EXPECT_DOUBLE_EQ(colours[1].l, 0.25);
  EXPECT_DOUBLE_EQ(colours[1].a, -1.5);
  EXPECT_DOUBLE_EQ(colours[1].b, -2.0);
}

// A head whose hidden units see 1, -1 and 3 for GeluInput(), and whose
// output adds 0.1, 0.2 and 0.3 to their GELU.
SemanticHead GeluHead() {
  SemanticHead head;
  head.hidden_weight.resize(3, 2);
  head.hidden_weight << 1.0f, 0.0f,  //
      0.0f, 1.0f,                    //
      1.0f, 1.0f;
  head.hidden_bias.resize(3);
  head.hidden_bias << 0.0f, 0.0f, 3.0f;
  head.output_weight = RowMatrixXf::Identity(3, 3);
  head.output_bias.resize(3);
  head.output_bias << 0.1f, 0.2f, 0.3f;
  return head;
}

RowMatrixXf GeluInput() {
  RowMatrixXf hidden(1, 2);
  hidden << 1.0f, -1.0f;
  return hidden;
}

void ExpectGeluColours(const std::vector<colour::OkLab>& colours) {
  ASSERT_EQ(colours.size(), 1u);
  // Float arithmetic keeps about seven digits.
  EXPECT_NEAR(colours[0].l, 0.1 + kGeluOne, 1e-6);
  EXPECT_NEAR(colours[0].a, 0.2 + kGeluMinusOne, 1e-6);
  EXPECT_NEAR(colours[0].b, 0.3 + kGeluThree, 1e-6);
}

TEST(SemanticHead, LinearHeadIsAffine) {
  const SemanticHead head = AffineHead();
  EXPECT_EQ(head.dim(), 2);
  ExpectAffineColours(head.Apply(AffineInput()));
}

TEST(SemanticHead, HiddenLayerUsesExactGelu) {
  const SemanticHead head = GeluHead();
  EXPECT_EQ(head.dim(), 2);
  ExpectGeluColours(head.Apply(GeluInput()));
}

TEST(SemanticHead, NoRowsGiveNoColours) {
  SemanticHead head;
  head.output_weight = RowMatrixXf::Zero(3, 4);
  head.output_bias = Eigen::VectorXf::Zero(3);
  EXPECT_TRUE(head.Apply(RowMatrixXf(0, 4)).empty());
}

TEST(SemanticHeadDeathTest, ApplyWithWrongWidthAborts) {
  // The test binary links libtorch, whose thread pools make fork() unsafe.
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  SemanticHead head;
  head.output_weight = RowMatrixXf::Zero(3, 4);
  head.output_bias = Eigen::VectorXf::Zero(3);
  EXPECT_DEATH(head.Apply(RowMatrixXf::Zero(1, 5)), "differ in width");
}

// The hand-made heads above, through the prepared head.
TEST(PreparedSemanticHead, GivesTheHandComputedColours) {
  ExpectAffineColours(PreparedSemanticHead(AffineHead()).Apply(AffineInput()));
  ExpectGeluColours(PreparedSemanticHead(GeluHead()).Apply(GeluInput()));
}

// A head of synesthesia-mini's size on random weights: the prepared head
// and the Eigen one agree, with and without the hidden layer, for row counts
// around the vector widths.
TEST(PreparedSemanticHead, MatchesTheEigenHead) {
  std::srand(7);
  SemanticHead mlp;
  mlp.hidden_weight = RowMatrixXf::Random(128, 131) * 0.2f;
  mlp.hidden_bias = Eigen::VectorXf::Random(128) * 0.5f;
  mlp.output_weight = RowMatrixXf::Random(3, 128) * 0.2f;
  mlp.output_bias = Eigen::VectorXf::Random(3);
  SemanticHead linear;
  linear.output_weight = RowMatrixXf::Random(3, 131) * 0.2f;
  linear.output_bias = Eigen::VectorXf::Random(3);

  for (const SemanticHead* head : {&mlp, &linear}) {
    const PreparedSemanticHead prepared(*head);
    EXPECT_EQ(prepared.dim(), 131);
    for (int rows : {0, 1, 2, 17, 40}) {
      const RowMatrixXf hidden = RowMatrixXf::Random(rows, 131) * 2.0f;
      const std::vector<colour::OkLab> expected = head->Apply(hidden);
      const std::vector<colour::OkLab> actual = prepared.Apply(hidden);
      ASSERT_EQ(actual.size(), expected.size());
      for (size_t i = 0; i < actual.size(); ++i) {
        EXPECT_NEAR(actual[i].l, expected[i].l, 2e-5) << "row " << i << " of " << rows;
        EXPECT_NEAR(actual[i].a, expected[i].a, 2e-5) << "row " << i << " of " << rows;
        EXPECT_NEAR(actual[i].b, expected[i].b, 2e-5) << "row " << i << " of " << rows;
      }
    }
  }
}

// The polynomial erf against libm's erf from -12 to 12, and at the ends.
TEST(SemanticKernels, GeluMatchesTheErfForm) {
  for (int step = -2400; step <= 2400; ++step) {
    const float x = static_cast<float>(step) / 200.0f;
    const double exact = 0.5 * x * (1.0 + std::erf(x / std::sqrt(2.0)));
    EXPECT_NEAR(kernels::Gelu(x), exact, 5e-7 * std::max(1.0f, std::fabs(x))) << "x = " << x;
  }
  EXPECT_EQ(kernels::Gelu(-1e30f), 0.0f);
  EXPECT_EQ(kernels::Gelu(1e30f), 1e30f);
  EXPECT_EQ(kernels::Gelu(0.0f), 0.0f);
  EXPECT_TRUE(std::isnan(kernels::Gelu(std::numeric_limits<float>::quiet_NaN())));
}

}  // namespace
}  // namespace synesthesia::projection
