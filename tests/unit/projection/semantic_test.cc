#include <vector>

#include "core/colour/colour.h"
#include "core/projection/projection.h"
#include "gtest/gtest.h"

namespace synesthesia::projection {
namespace {

// Phi(x) = (1 + erf(x / sqrt(2))) / 2 gives Phi(1) = 0.8413447460685429 and
// Phi(3) = 0.9986501019683699 (Python's math.erf), so GELU(1) = Phi(1),
// GELU(-1) = Phi(1) - 1 and GELU(3) = 3 Phi(3).
constexpr double kGeluOne = 0.8413447460685429;
constexpr double kGeluMinusOne = -0.15865525393145707;
constexpr double kGeluThree = 2.99595030590511;

TEST(SemanticHead, LinearHeadIsAffine) {
  SemanticHead head;
  head.output_weight.resize(3, 2);
  head.output_weight << 0.5f, 0.0f,  //
      0.0f, 1.0f,                    //
      -1.0f, 2.0f;
  head.output_bias.resize(3);
  head.output_bias << 0.25f, -0.5f, 0.0f;
  EXPECT_EQ(head.dim(), 2);

  RowMatrixXf hidden(2, 2);
  hidden << 1.0f, 2.0f,  //
      0.0f, -1.0f;
  const std::vector<colour::OkLab> colours = head.Apply(hidden);
  ASSERT_EQ(colours.size(), 2u);
  EXPECT_DOUBLE_EQ(colours[0].l, 0.75);
  EXPECT_DOUBLE_EQ(colours[0].a, 1.5);
  EXPECT_DOUBLE_EQ(colours[0].b, 3.0);
  EXPECT_DOUBLE_EQ(colours[1].l, 0.25);
  EXPECT_DOUBLE_EQ(colours[1].a, -1.5);
  EXPECT_DOUBLE_EQ(colours[1].b, -2.0);
}

TEST(SemanticHead, HiddenLayerUsesExactGelu) {
  SemanticHead head;
  head.hidden_weight.resize(3, 2);
  head.hidden_weight << 1.0f, 0.0f,  //
      0.0f, 1.0f,                    //
      1.0f, 1.0f;
  head.hidden_bias.resize(3);
  head.hidden_bias << 0.0f, 0.0f, 3.0f;
  head.output_weight.resize(3, 3);
  head.output_weight << 1.0f, 0.0f, 0.0f,  //
      0.0f, 1.0f, 0.0f,                    //
      0.0f, 0.0f, 1.0f;
  head.output_bias.resize(3);
  head.output_bias << 0.1f, 0.2f, 0.3f;
  EXPECT_EQ(head.dim(), 2);

  RowMatrixXf hidden(1, 2);
  hidden << 1.0f, -1.0f;
  const std::vector<colour::OkLab> colours = head.Apply(hidden);
  ASSERT_EQ(colours.size(), 1u);
  // Float arithmetic keeps about seven digits.
  EXPECT_NEAR(colours[0].l, 0.1 + kGeluOne, 1e-6);
  EXPECT_NEAR(colours[0].a, 0.2 + kGeluMinusOne, 1e-6);
  EXPECT_NEAR(colours[0].b, 0.3 + kGeluThree, 1e-6);
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

}  // namespace
}  // namespace synesthesia::projection
