#include <string>
#include <string_view>

#include "core/model/config.h"
#include "tests/fuzz/fuzz_targets.h"

namespace synesthesia::fuzz {

int FuzzConfig(const uint8_t* data, size_t size) {
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<model::DistilBertConfig> config = model::DistilBertConfig::FromJson(json);
  if (!config.ok()) {
    FUZZ_CHECK(config.status().code() == absl::StatusCode::kInvalidArgument,
               "FromJson failed with a code other than INVALID_ARGUMENT");
    return 0;
  }
  FUZZ_CHECK(config->Validate().ok(), "FromJson accepted a config that Validate rejects");
  FUZZ_CHECK(config->ParameterCount() > 0, "parameter count is not positive");
  FUZZ_CHECK(config->ForwardFlops(1, 8) > 0, "forward FLOPs are not positive");

  absl::StatusOr<model::DistilBertConfig> again =
      model::DistilBertConfig::FromJson(config->ToJson());
  FUZZ_CHECK(again.ok(), "ToJson output does not parse");
  FUZZ_CHECK(again->vocab_size == config->vocab_size && again->dim == config->dim &&
                 again->n_layers == config->n_layers && again->n_heads == config->n_heads &&
                 again->hidden_dim == config->hidden_dim &&
                 again->max_position_embeddings == config->max_position_embeddings &&
                 again->activation == config->activation &&
                 again->sinusoidal_pos_embds == config->sinusoidal_pos_embds &&
                 again->pad_token_id == config->pad_token_id,
             "ToJson then FromJson changes a field");
  return 0;
}

}  // namespace synesthesia::fuzz
