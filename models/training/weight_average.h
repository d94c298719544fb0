// The mean of a model's weights over chosen points of training (stochastic
// weight averaging), which pretrain saves instead of the last step's weights.
#ifndef SYNESTHESIA_MODELS_TRAINING_WEIGHT_AVERAGE_H_
#define SYNESTHESIA_MODELS_TRAINING_WEIGHT_AVERAGE_H_

#include <torch/torch.h>

#include <cstdint>
#include <vector>

namespace synesthesia::training {

// Running sum of the values of a fixed list of weight tensors.
class WeightAverage {
 public:
  // WEIGHTS are the tensors to average, which Apply overwrites in place.
  explicit WeightAverage(std::vector<torch::Tensor> weights);

  // Adds the weights' current values to the sum.
  void Add();

  // Writes the mean of the added values into the weights. Leaves them
  // unchanged when nothing was added.
  void Apply();

  int64_t count() const { return count_; }

 private:
  std::vector<torch::Tensor> weights_;
  std::vector<torch::Tensor> sums_;
  int64_t count_ = 0;
};

}  // namespace synesthesia::training

#endif  // SYNESTHESIA_MODELS_TRAINING_WEIGHT_AVERAGE_H_
