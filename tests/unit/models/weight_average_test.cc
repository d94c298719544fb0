#include "models/training/weight_average.h"

#include <torch/torch.h>

#include "gtest/gtest.h"

namespace synesthesia::training {
namespace {

TEST(WeightAverage, AppliesTheMeanOfAddedValues) {
  torch::Tensor first = torch::tensor({1.0f, 2.0f});
  torch::Tensor second = torch::tensor({{4.0f}, {-2.0f}});
  WeightAverage average({first, second});

  average.Add();
  first.copy_(torch::tensor({3.0f, 6.0f}));
  second.copy_(torch::tensor({{0.0f}, {2.0f}}));
  average.Add();
  first.copy_(torch::tensor({5.0f, 7.0f}));
  second.copy_(torch::tensor({{2.0f}, {3.0f}}));
  average.Add();
  average.Apply();

  EXPECT_EQ(average.count(), 3);
  EXPECT_TRUE(torch::equal(first, torch::tensor({3.0f, 5.0f})));
  EXPECT_TRUE(torch::equal(second, torch::tensor({{2.0f}, {1.0f}})));
}

TEST(WeightAverage, LaterChangesDoNotAlterTheSum) {
  torch::Tensor weight = torch::tensor({2.0f});
  WeightAverage average({weight});

  average.Add();
  weight.fill_(100.0f);
  average.Apply();

  EXPECT_EQ(weight.item<float>(), 2.0f);
}

TEST(WeightAverage, NothingAddedKeepsWeights) {
  torch::Tensor weight = torch::tensor({7.0f});
  WeightAverage average({weight});

  average.Apply();

  EXPECT_EQ(average.count(), 0);
  EXPECT_EQ(weight.item<float>(), 7.0f);
}

TEST(WeightAverage, AveragesTrainableParameters) {
  torch::Tensor weight = torch::tensor({1.0f, 1.0f}, torch::requires_grad());
  WeightAverage average({weight});

  average.Add();
  {
    torch::NoGradGuard no_grad;
    weight.mul_(3.0f);
  }
  average.Add();
  average.Apply();

  EXPECT_TRUE(torch::equal(weight.detach(), torch::tensor({2.0f, 2.0f})));
  EXPECT_TRUE(weight.requires_grad());
}

}  // namespace
}  // namespace synesthesia::training
