#include "core/model/encoder.h"

#include <glog/logging.h>
#include <torch/torch.h>

#include <algorithm>
#include <cstring>
#include <string>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/model/distilbert_module.h"
#include "core/util/status_macros.h"

namespace synesthesia::model {

// The libtorch half of DistilBertEncoder, kept out of encoder.h so that its
// users do not compile against torch.
class DistilBertRunner {
 public:
  explicit DistilBertRunner(DistilBertModule module) : module_(std::move(module)) {}

  // Runs the module on IDS [batch, length] with an optional attention mask.
  // Throws c10::Error.
  torch::Tensor Forward(const torch::Tensor& ids, const torch::Tensor& mask) const {
    return module_->forward(ids, mask);
  }
  torch::Tensor Embed(const torch::Tensor& ids) const { return module_->Embed(ids); }

 private:
  // forward() is not const in libtorch but reads only the weights in eval
  // mode, so concurrent calls are safe.
  mutable DistilBertModule module_;
};

namespace {

// Maximum length of libtorch error text in a status message; the full text
// goes to the log.
constexpr size_t kMaxErrorMessageLength = 200;

absl::Status TorchErrorToStatus(const c10::Error& error, std::string_view operation) {
  std::string message = error.what_without_backtrace();
  LOG_EVERY_N(ERROR, 100) << "libtorch error in " << operation << ": " << message;
  if (size_t newline = message.find('\n'); newline != std::string::npos) message.resize(newline);
  if (message.size() > kMaxErrorMessageLength) message.resize(kMaxErrorMessageLength);
  return absl::InternalError(absl::StrCat("libtorch error in ",
                                          absl::string_view(operation.data(), operation.size()),
                                          ": ", message));
}

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

RowMatrixXf CopyRows(const torch::Tensor& hidden, int64_t sequence, int64_t length) {
  const int64_t dim = hidden.size(2);
  RowMatrixXf rows(length, dim);
  const float* source = hidden.data_ptr<float>() + sequence * hidden.stride(0);
  std::memcpy(rows.data(), source, static_cast<size_t>(length * dim) * sizeof(float));
  return rows;
}

}  // namespace

DistilBertEncoder::DistilBertEncoder(DistilBertConfig config, EncoderOptions options,
                                     std::unique_ptr<DistilBertRunner> runner)
    : config_(std::move(config)), options_(options), runner_(std::move(runner)) {}

DistilBertEncoder::~DistilBertEncoder() = default;

absl::StatusOr<std::unique_ptr<DistilBertEncoder>> DistilBertEncoder::Create(
    const DistilBertConfig& config, const SafetensorsFile& weights, EncoderOptions options) {
  if (absl::Status status = config.Validate(); !status.ok()) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid DistilBERT config: ", status.message()));
  }
  RETURN_IF_ERROR(CheckDistilBertWeights(weights, config));
  if (options.precision == Precision::kInt8Dynamic) {
    // TODO: int8 dynamic quantization of the linear layers; until then only
    // float32 inference exists.
    return absl::UnimplementedError("int8 dynamic precision is not implemented yet; use float32");
  }

  std::unique_ptr<DistilBertRunner> runner;
  try {
    torch::NoGradGuard no_grad;
    DistilBertModule module(config);
    RETURN_IF_ERROR(LoadDistilBertWeights(weights, *module));
    module->eval();
    runner = std::make_unique<DistilBertRunner>(std::move(module));
  } catch (const c10::Error& error) {
    return TorchErrorToStatus(error, "building the DistilBERT module");
  }
  return std::unique_ptr<DistilBertEncoder>(
      new DistilBertEncoder(config, options, std::move(runner)));
}

absl::StatusOr<std::vector<RowMatrixXf>> DistilBertEncoder::Encode(
    const std::vector<std::span<const int32_t>>& batch) const {
  int64_t max_length = 0;
  bool padded = false;
  for (size_t i = 0; i < batch.size(); ++i) {
    RETURN_IF_ERROR(CheckSequence(batch[i], i, config_));
    const int64_t length = static_cast<int64_t>(batch[i].size());
    if (i > 0 && length != max_length) padded = true;
    max_length = std::max(max_length, length);
  }
  std::vector<RowMatrixXf> outputs;
  if (batch.empty()) return outputs;

  try {
    torch::InferenceMode inference;
    const int64_t batch_size = static_cast<int64_t>(batch.size());
    torch::Tensor ids = torch::full({batch_size, max_length}, config_.pad_token_id, torch::kInt64);
    torch::Tensor mask;
    if (padded) mask = torch::zeros({batch_size, max_length}, torch::kInt64);
    auto id_values = ids.accessor<int64_t, 2>();
    for (int64_t i = 0; i < batch_size; ++i) {
      const std::span<const int32_t> sequence = batch[static_cast<size_t>(i)];
      for (size_t position = 0; position < sequence.size(); ++position) {
        id_values[i][static_cast<int64_t>(position)] = sequence[position];
      }
      if (padded) mask[i].narrow(0, 0, static_cast<int64_t>(sequence.size())).fill_(1);
    }

    torch::Tensor hidden = runner_->Forward(ids, mask).contiguous();
    outputs.reserve(batch.size());
    for (int64_t i = 0; i < batch_size; ++i) {
      outputs.push_back(CopyRows(hidden, i, static_cast<int64_t>(batch[static_cast<size_t>(i)].size())));
    }
  } catch (const c10::Error& error) {
    return TorchErrorToStatus(error, "the DistilBERT forward pass");
  }
  return outputs;
}

absl::StatusOr<RowMatrixXf> DistilBertEncoder::Embed(std::span<const int32_t> ids) const {
  RETURN_IF_ERROR(CheckSequence(ids, 0, config_));
  try {
    torch::InferenceMode inference;
    torch::Tensor input = torch::empty({1, static_cast<int64_t>(ids.size())}, torch::kInt64);
    std::copy(ids.begin(), ids.end(), input.data_ptr<int64_t>());
    torch::Tensor embedded = runner_->Embed(input).contiguous();
    return CopyRows(embedded, 0, static_cast<int64_t>(ids.size()));
  } catch (const c10::Error& error) {
    return TorchErrorToStatus(error, "the DistilBERT embedding layer");
  }
}

}  // namespace synesthesia::model
