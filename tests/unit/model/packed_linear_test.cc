#include "core/model/packed_linear.h"

#include <torch/torch.h>

#include <thread>
#include <vector>

#include "gtest/gtest.h"

namespace synesthesia::model {
namespace {

// torch::addmm, which the encoder used before, is the reference.
torch::Tensor Reference(const torch::Tensor& input, const torch::Tensor& weight,
                        const torch::Tensor& bias) {
  return torch::addmm(bias, input, weight.t());
}

class PackedLinearTest : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(3);
    weight_ = torch::randn({96, 80});
    bias_ = torch::randn({96});
  }

  torch::Tensor weight_;
  torch::Tensor bias_;
};

TEST(PackedLinearBlockRowsTest, LargeBlocksFirstThenSmallOnes) {
  // Lists the block sizes that Forward cuts ROWS into.
  auto blocks = [](int64_t rows) {
    std::vector<int64_t> sizes;
    while (rows > 0) {
      sizes.push_back(PackedLinearBlockRows(rows));
      rows -= sizes.back();
    }
    return sizes;
  };
  EXPECT_EQ(blocks(1), (std::vector<int64_t>{1}));
  EXPECT_EQ(blocks(128), (std::vector<int64_t>{128}));
  EXPECT_EQ(blocks(255), (std::vector<int64_t>{128, 127}));
  EXPECT_EQ(blocks(256), (std::vector<int64_t>{256}));
  EXPECT_EQ(blocks(300), (std::vector<int64_t>{256, 44}));
  EXPECT_EQ(blocks(512), (std::vector<int64_t>{512}));
  EXPECT_EQ(blocks(1000), (std::vector<int64_t>{512, 256, 128, 104}));
  EXPECT_EQ(blocks(4096), std::vector<int64_t>(8, kPackedLinearLargestBlockRows));
}

TEST_F(PackedLinearTest, MatchesAddmmAtEveryBlockBoundary) {
  const PackedLinear linear(weight_, bias_, /*threads=*/2);
  for (int64_t rows : {int64_t{1}, int64_t{7}, kPackedLinearBlockRows - 1, kPackedLinearBlockRows,
                       kPackedLinearBlockRows + 1, 3 * kPackedLinearBlockRows + 5, int64_t{256},
                       kPackedLinearLargestBlockRows, int64_t{1000}}) {
    const torch::Tensor input = torch::randn({rows, 80});
    const torch::Tensor output = linear.Forward(input);
    ASSERT_EQ(output.sizes(), (std::vector<int64_t>{rows, 96})) << rows;
    EXPECT_TRUE(torch::allclose(output, Reference(input, weight_, bias_), 1e-4, 1e-4)) << rows;
  }
}

TEST_F(PackedLinearTest, NoRowsGiveAnEmptyOutput) {
  const PackedLinear linear(weight_, bias_, 1);
  const torch::Tensor output = linear.Forward(torch::empty({0, 80}));
  EXPECT_EQ(output.sizes(), (std::vector<int64_t>{0, 96}));
}

TEST_F(PackedLinearTest, AcceptsNonContiguousInput) {
  const PackedLinear linear(weight_, bias_, 1);
  const torch::Tensor wide = torch::randn({20, 160});
  const torch::Tensor strided = wide.slice(1, 0, 160, 2);  // [20, 80], stride 2
  ASSERT_FALSE(strided.is_contiguous());
  EXPECT_TRUE(torch::allclose(linear.Forward(strided), Reference(strided, weight_, bias_), 1e-4,
                              1e-4));
}

TEST_F(PackedLinearTest, SameShapeKeepsOwnWeights) {
  const torch::Tensor other_weight = torch::randn({96, 80});
  const PackedLinear first(weight_, bias_, 1);
  const PackedLinear second(other_weight, bias_, 1);
  const torch::Tensor input = torch::randn({33, 80});
  EXPECT_TRUE(torch::allclose(first.Forward(input), Reference(input, weight_, bias_), 1e-4, 1e-4));
  EXPECT_TRUE(
      torch::allclose(second.Forward(input), Reference(input, other_weight, bias_), 1e-4, 1e-4));
}

TEST_F(PackedLinearTest, FusedActivationsMatchLibtorch) {
  const PackedLinear gelu(weight_, bias_, 2, {.activation = PackedLinearEpilogue::Activation::kGelu});
  const PackedLinear relu(weight_, bias_, 2, {.activation = PackedLinearEpilogue::Activation::kRelu});
  for (int64_t rows : {int64_t{3}, 2 * kPackedLinearBlockRows + 1}) {
    const torch::Tensor input = torch::randn({rows, 80});
    const torch::Tensor plain = Reference(input, weight_, bias_);
    EXPECT_TRUE(torch::allclose(gelu.Forward(input), torch::gelu(plain), 1e-4, 1e-4)) << rows;
    EXPECT_TRUE(torch::allclose(relu.Forward(input), torch::relu(plain), 1e-4, 1e-4)) << rows;
  }
}

TEST_F(PackedLinearTest, FusedResidualIsAddedAfterTheActivation) {
  const PackedLinear plus(weight_, bias_, 2, {.add_residual = true});
  const PackedLinear gelu_plus(
      weight_, bias_, 2, {.activation = PackedLinearEpilogue::Activation::kGelu, .add_residual = true});
  const int64_t rows = 2 * kPackedLinearBlockRows + 9;  // a 256-row block and a small one
  const torch::Tensor input = torch::randn({rows, 80});
  const torch::Tensor residual = torch::randn({rows, 96});
  const torch::Tensor plain = Reference(input, weight_, bias_);
  EXPECT_TRUE(torch::allclose(plus.Forward(input, residual), plain + residual, 1e-4, 1e-4));
  EXPECT_TRUE(torch::allclose(gelu_plus.Forward(input, residual), torch::gelu(plain) + residual,
                              1e-4, 1e-4));
  // A residual taken from a wider tensor (not contiguous) works too.
  const torch::Tensor wide = torch::randn({rows, 192});
  const torch::Tensor strided = wide.slice(1, 0, 192, 2);
  EXPECT_TRUE(torch::allclose(plus.Forward(input, strided), plain + strided, 1e-4, 1e-4));
}

TEST_F(PackedLinearTest, MissingOrMisshapenResidualIsAnError) {
  const PackedLinear plus(weight_, bias_, 1, {.add_residual = true});
  const torch::Tensor input = torch::randn({5, 80});
  EXPECT_THROW(plus.Forward(input), c10::Error);
  EXPECT_THROW(plus.Forward(input, torch::randn({4, 96})), c10::Error);
}

TEST_F(PackedLinearTest, ConcurrentCallsGiveTheSequentialResults) {
  const PackedLinear linear(weight_, bias_, 2);
  std::vector<torch::Tensor> inputs;
  std::vector<torch::Tensor> expected;
  for (int i = 0; i < 4; ++i) {
    inputs.push_back(torch::randn({50 + 40 * i, 80}));
    expected.push_back(linear.Forward(inputs.back()));
  }
  std::vector<torch::Tensor> outputs(inputs.size());
  std::vector<std::thread> threads;
  for (size_t i = 0; i < inputs.size(); ++i) {
    threads.emplace_back([&, i] {
      torch::InferenceMode inference;
      for (int repeat = 0; repeat < 5; ++repeat) outputs[i] = linear.Forward(inputs[i]);
    });
  }
  for (std::thread& thread : threads) thread.join();
  for (size_t i = 0; i < inputs.size(); ++i) EXPECT_TRUE(torch::equal(outputs[i], expected[i])) << i;
}

}  // namespace
}  // namespace synesthesia::model
