// DistilBERT hyperparameters, read from a Hugging Face config.json.
#ifndef SYNESTHESIA_CORE_MODEL_CONFIG_H_
#define SYNESTHESIA_CORE_MODEL_CONFIG_H_

#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace synesthesia::model {

enum class Activation { kGelu, kRelu };

// The fields of transformers' DistilBertConfig that the encoder uses. The
// defaults are those of distilbert-base-uncased.
struct DistilBertConfig {
  int64_t vocab_size = 30522;
  int64_t dim = 768;
  int64_t n_layers = 6;
  int64_t n_heads = 12;
  int64_t hidden_dim = 3072;
  int64_t max_position_embeddings = 512;
  // "gelu" is the exact erf form, as in transformers.
  Activation activation = Activation::kGelu;
  // Fixed sinusoidal position embeddings instead of learned ones.
  bool sinusoidal_pos_embds = false;
  int64_t pad_token_id = 0;

  // Parses config.json text. SOURCE names the file in error messages. Fails
  // with INVALID_ARGUMENT naming the file and field for malformed JSON, a
  // field of the wrong type, a model_type other than "distilbert", or a value
  // that Validate rejects. Fields that the encoder does not use are ignored.
  static absl::StatusOr<DistilBertConfig> FromJson(std::string_view json,
                                                   std::string_view source = "config.json");

  // Reads and parses the file at PATH; NOT_FOUND when it does not exist.
  static absl::StatusOr<DistilBertConfig> Load(const std::string& path);

  // Serializes to config.json text that FromJson and transformers both read.
  std::string ToJson() const;

  // Checks that every size is positive and within limits (dim divisible by
  // n_heads, at most 65,536 for dims and 1,048,576 for the vocabulary).
  absl::Status Validate() const;

  // Number of parameters of the encoder (embeddings and layers).
  int64_t ParameterCount() const;

  // Floating-point operations (multiply and add counted as two) of one
  // forward pass over a batch of BATCH sequences of SEQUENCE_LENGTH tokens:
  // the matrix products of the projections, attention and feed-forward
  // network; element-wise work is excluded.
  double ForwardFlops(int64_t batch, int64_t sequence_length) const;
};

}  // namespace synesthesia::model

#endif  // SYNESTHESIA_CORE_MODEL_CONFIG_H_
