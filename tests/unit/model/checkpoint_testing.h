// Helpers for the model tests: reading whole checkpoints, writing them with
// other dtypes or names, and a plain double-precision DistilBERT forward pass
// to check our libtorch code against.
#ifndef SYNESTHESIA_TESTS_UNIT_MODEL_CHECKPOINT_TESTING_H_
#define SYNESTHESIA_TESTS_UNIT_MODEL_CHECKPOINT_TESTING_H_

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/model/config.h"
#include "core/model/safetensors.h"
#include "core/util/matrix.h"

namespace synesthesia::model::testing {

// Every float tensor of FILE, converted to float32, in file order.
absl::StatusOr<std::vector<Float32Tensor>> ReadAllTensors(const SafetensorsFile& file);

// Writes TENSORS to PATH with DTYPE (kF32, kF16 or kBF16), converting with
// libtorch's round-to-nearest-even. Assembles the bytes itself, so it does not
// depend on WriteSafetensors.
void WriteWithDType(const std::string& path, const std::vector<Float32Tensor>& tensors,
                    DType dtype);

// Rounds VALUES to DTYPE and back with libtorch.
std::vector<float> RoundTrip(const std::vector<float>& values, DType dtype);

// A straightforward DistilBERT forward pass over one unpadded sequence, in
// double precision with plain loops, written from the transformers model
// description. WEIGHTS maps bare tensor names to values. POSITION_TABLE,
// when not empty, replaces embeddings.position_embeddings.weight.
class ReferenceDistilBert {
 public:
  ReferenceDistilBert(DistilBertConfig config, std::map<std::string, std::vector<float>> weights,
                      std::vector<double> position_table = {});

  // The output of the embedding layer norm, [length, dim].
  RowMatrixXd Embed(const std::vector<int32_t>& ids) const;
  // The last hidden states, [length, dim].
  RowMatrixXd Forward(const std::vector<int32_t>& ids) const;

 private:
  const std::vector<float>& Weight(const std::string& name) const;
  RowMatrixXd Linear(const RowMatrixXd& input, const std::string& prefix) const;
  RowMatrixXd LayerNorm(const RowMatrixXd& input, const std::string& prefix) const;
  RowMatrixXd Attention(const RowMatrixXd& input, const std::string& prefix) const;

  DistilBertConfig config_;
  std::map<std::string, std::vector<float>> weights_;
  std::vector<double> position_table_;
};

// The sinusoidal table, from the formula in transformers'
// create_sinusoidal_embeddings, in double: [positions * dim].
std::vector<double> SinusoidalTableForTest(int64_t positions, int64_t dim);

}  // namespace synesthesia::model::testing

#endif  // SYNESTHESIA_TESTS_UNIT_MODEL_CHECKPOINT_TESTING_H_
