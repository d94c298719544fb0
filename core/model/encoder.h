// DistilBERT inference for the rest of Synesthesia, with no libtorch types in
// its interface. The libtorch module itself is in distilbert_module.h.
#ifndef SYNESTHESIA_CORE_MODEL_ENCODER_H_
#define SYNESTHESIA_CORE_MODEL_ENCODER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "absl/status/statusor.h"
#include "core/model/config.h"
#include "core/model/safetensors.h"
#include "core/model/threads.h"
#include "core/util/matrix.h"

namespace synesthesia::model {

class DistilBertInference;  // libtorch state, defined in inference.h.

enum class Precision {
  // float32 everywhere.
  kFloat32,
  // Linear layers quantized to int8 with dynamic activation quantization.
  kInt8Dynamic,
};

struct EncoderOptions {
  // Arithmetic of the linear layers. Default: kFloat32.
  Precision precision = Precision::kFloat32;
  // Thread counts that Create applies to the whole process with
  // ConfigureThreads (threads.h), after ThreadsForModel. Default:
  // ThreadOptions(), libtorch's OpenMP pool one thread per CPU it may use
  // and OpenBLAS one, or one thread for both for a model narrower than
  // kSmallModelDim.
  // std::nullopt leaves the process's settings as they are.
  std::optional<ThreadOptions> threads = ThreadOptions();
};

// Width below which automatic thread counts mean one thread, because a
// second thread spins between small products on the core that gRPC needs
// (measurements in docs/performance.md, Thread layout).
// NOTE: only widths 128 and 768 were measured, so 256 is a guess.
inline constexpr int64_t kSmallModelDim = 256;

// OPTIONS with automatic counts (0) set to 1 when CONFIG is narrower than
// kSmallModelDim. Other counts are returned as given.
ThreadOptions ThreadsForModel(const DistilBertConfig& config, ThreadOptions options);

// Thread-safe: Encode may be called from several threads at once; the weights
// are read-only after Create.
class DistilBertEncoder {
 public:
  // Builds the encoder from CONFIG and the tensors of WEIGHTS. Accepts the
  // bare DistilBertModel names ("embeddings.word_embeddings.weight", ...) and
  // the "distilbert."-prefixed names of DistilBertForMaskedLM and
  // DistilBertForSequenceClassification checkpoints; head tensors are
  // ignored. A missing or misshapen tensor is INVALID_ARGUMENT naming the file
  // (WEIGHTS.source()) and the tensor. Applies OPTIONS.threads to the
  // process (INVALID_ARGUMENT for a negative count). int8 precision is
  // FAILED_PRECONDITION when libtorch lacks an x86 quantized engine.
  static absl::StatusOr<std::unique_ptr<DistilBertEncoder>> Create(
      const DistilBertConfig& config, const SafetensorsFile& weights, EncoderOptions options = {});

  ~DistilBertEncoder();
  DistilBertEncoder(const DistilBertEncoder&) = delete;
  DistilBertEncoder& operator=(const DistilBertEncoder&) = delete;

  // Runs the encoder over BATCH in one forward pass. The linear layers see
  // only the real tokens; attention pads every sequence to the longest with
  // a key mask. Returns one [length_i, dim] matrix of last hidden states per
  // sequence; a sequence's result does not depend on the rest of the batch
  // (to float rounding). Fails with INVALID_ARGUMENT for an empty sequence,
  // an id outside the vocabulary or a sequence longer than
  // max_position_embeddings, and with INTERNAL (short message) when libtorch
  // or oneDNN raises an error or memory runs out.
  absl::StatusOr<std::vector<RowMatrixXf>> Encode(
      const std::vector<std::span<const int32_t>>& batch) const;

  // The output of the embedding layer norm for one sequence, [length, dim];
  // for conformance tests.
  absl::StatusOr<RowMatrixXf> Embed(std::span<const int32_t> ids) const;

  const DistilBertConfig& config() const { return config_; }
  const EncoderOptions& options() const { return options_; }

 private:
  DistilBertEncoder(DistilBertConfig config, EncoderOptions options,
                    std::unique_ptr<DistilBertInference> inference);

  DistilBertConfig config_;
  EncoderOptions options_;
  std::unique_ptr<DistilBertInference> inference_;
};

}  // namespace synesthesia::model

#endif  // SYNESTHESIA_CORE_MODEL_ENCODER_H_
