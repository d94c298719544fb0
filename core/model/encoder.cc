#include "core/model/encoder.h"

#include <glog/logging.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/model/distilbert_module.h"
#include "core/model/inference.h"
#include "core/model/library_errors.h"
#include "core/util/status_macros.h"

namespace synesthesia::model {

namespace {

absl::Status CheckSequence(std::span<const int32_t> ids, size_t index,
                           const DistilBertConfig& config) {
  if (ids.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("sequence ", index, " is empty"));
  }
  if (static_cast<int64_t>(ids.size()) > config.max_position_embeddings) {
    return absl::InvalidArgumentError(absl::StrCat("sequence ", index, " has ", ids.size(),
                                                   " tokens; the model accepts at most ",
                                                   config.max_position_embeddings));
  }
  for (size_t position = 0; position < ids.size(); ++position) {
    const int32_t id = ids[position];
    if (id < 0 || id >= config.vocab_size) {
      return absl::InvalidArgumentError(absl::StrCat("sequence ", index, " position ", position,
                                                     ": token id ", id,
                                                     " is outside the vocabulary [0, ",
                                                     config.vocab_size, ")"));
    }
  }
  return absl::OkStatus();
}

// Rows FIRST to FIRST + LENGTH of the contiguous [tokens, dim] matrix PACKED.
RowMatrixXf CopyRows(const torch::Tensor& packed, int64_t first, int64_t length) {
  const int64_t dim = packed.size(1);
  RowMatrixXf rows(length, dim);
  const float* source = packed.data_ptr<float>() + first * dim;
  std::memcpy(rows.data(), source, static_cast<size_t>(length * dim) * sizeof(float));
  return rows;
}

}  // namespace

ThreadOptions ThreadsForModel(const DistilBertConfig& config, ThreadOptions options) {
  if (config.dim < kSmallModelDim) {
    if (options.intra_op_threads == 0) options.intra_op_threads = 1;
    if (options.blas_threads == 0) options.blas_threads = 1;
  }
  return options;
}

DistilBertEncoder::DistilBertEncoder(DistilBertConfig config, EncoderOptions options,
                                     std::unique_ptr<DistilBertInference> inference)
    : config_(std::move(config)), options_(options), inference_(std::move(inference)) {}

DistilBertEncoder::~DistilBertEncoder() = default;

absl::StatusOr<std::unique_ptr<DistilBertEncoder>> DistilBertEncoder::Create(
    const DistilBertConfig& config, const SafetensorsFile& weights, EncoderOptions options) {
  if (absl::Status status = config.Validate(); !status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid DistilBERT config: ", status.message()));
  }
  RETURN_IF_ERROR(CheckDistilBertWeights(weights, config));
  if (options.threads.has_value()) {
    RETURN_IF_ERROR(ConfigureThreads(ThreadsForModel(config, *options.threads)));
  }

  std::unique_ptr<DistilBertInference> inference;
  try {
    torch::NoGradGuard no_grad;
    DistilBertModule module(config);
    RETURN_IF_ERROR(LoadDistilBertWeights(weights, *module));
    // The float32 linear layers run on libtorch's OpenMP pool, at its size.
    ASSIGN_OR_RETURN(inference, DistilBertInference::Create(*module, options.precision,
                                                            CurrentThreadLayout().intra_op_threads));
  } catch (const c10::Error& error) {
    return TorchErrorToStatus(error, "building the DistilBERT encoder");
  } catch (const std::exception& error) {
    return ExceptionToStatus(error, "building the DistilBERT encoder");
  }
  return std::unique_ptr<DistilBertEncoder>(
      new DistilBertEncoder(config, options, std::move(inference)));
}

absl::StatusOr<std::vector<RowMatrixXf>> DistilBertEncoder::Encode(
    const std::vector<std::span<const int32_t>>& batch) const {
  for (size_t i = 0; i < batch.size(); ++i) RETURN_IF_ERROR(CheckSequence(batch[i], i, config_));
  std::vector<RowMatrixXf> outputs;
  if (batch.empty()) return outputs;

  try {
    torch::InferenceMode inference_mode;
    const torch::Tensor hidden = inference_->Forward(batch).contiguous();
    outputs.reserve(batch.size());
    int64_t first = 0;
    for (const std::span<const int32_t>& sequence : batch) {
      const int64_t length = static_cast<int64_t>(sequence.size());
      outputs.push_back(CopyRows(hidden, first, length));
      first += length;
    }
  } catch (const c10::Error& error) {
    return TorchErrorToStatus(error, "the DistilBERT forward pass");
  } catch (const std::exception& error) {
    return ExceptionToStatus(error, "the DistilBERT forward pass");
  }
  return outputs;
}

absl::StatusOr<RowMatrixXf> DistilBertEncoder::Embed(std::span<const int32_t> ids) const {
  RETURN_IF_ERROR(CheckSequence(ids, 0, config_));
  try {
    torch::InferenceMode inference_mode;
    const torch::Tensor embedded = inference_->Embed({ids}).contiguous();
    return CopyRows(embedded, 0, static_cast<int64_t>(ids.size()));
  } catch (const c10::Error& error) {
    return TorchErrorToStatus(error, "the DistilBERT embedding layer");
  } catch (const std::exception& error) {
    return ExceptionToStatus(error, "the DistilBERT embedding layer");
  }
}

}  // namespace synesthesia::model
