#include "models/training/weight_average.h"

#include <utility>

namespace synesthesia::training {

WeightAverage::WeightAverage(std::vector<torch::Tensor> weights) : weights_(std::move(weights)) {}

void WeightAverage::Add() {
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < weights_.size(); ++i) {
    if (count_ == 0) {
      sums_.push_back(weights_[i].detach().clone());
    } else {
      sums_[i].add_(weights_[i].detach());
    }
  }
  ++count_;
}

void WeightAverage::Apply() {
  if (count_ == 0) return;
  torch::NoGradGuard no_grad;
  for (size_t i = 0; i < weights_.size(); ++i) {
    weights_[i].copy_(sums_[i] / static_cast<double>(count_));
  }
}

}  // namespace synesthesia::training
