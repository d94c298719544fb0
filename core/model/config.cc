#include "core/model/config.h"

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace synesthesia::model {
namespace {

using Json = nlohmann::json;

constexpr int64_t kMaxDimension = 65'536;
constexpr int64_t kMaxVocabularySize = 1'048'576;

absl::string_view ToAbsl(std::string_view text) { return {text.data(), text.size()}; }

std::string_view ActivationName(Activation activation) {
  return activation == Activation::kGelu ? "gelu" : "relu";
}

// Reads the integer field NAME of OBJECT into OUT when present. Integers
// written as 768.0 are rejected, as are values outside int64.
absl::Status ReadInteger(const Json& object, std::string_view source, const char* name,
                         int64_t& out) {
  auto field = object.find(name);
  if (field == object.end()) return absl::OkStatus();
  if (field->is_number_integer()) {
    if (field->is_number_unsigned() &&
        field->get<uint64_t>() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) {
      return absl::InvalidArgumentError(
          absl::StrCat(ToAbsl(source), ": field '", name, "' is out of range: ", field->dump()));
    }
    out = field->get<int64_t>();
    return absl::OkStatus();
  }
  return absl::InvalidArgumentError(absl::StrCat(ToAbsl(source), ": field '", name,
                                                 "' must be an integer, got ", field->dump()));
}

}  // namespace

absl::StatusOr<DistilBertConfig> DistilBertConfig::FromJson(std::string_view json,
                                                            std::string_view source) {
  Json root;
  try {
    root = Json::parse(json.begin(), json.end());
  } catch (const Json::parse_error& error) {
    // nlohmann::json counts the byte it stopped at from 1; one past the
    // end means the text ended too early.
    return absl::InvalidArgumentError(
        absl::StrCat(ToAbsl(source), ": invalid JSON at byte ", error.byte));
  } catch (const Json::exception& error) {
    // Other parse failures, such as a number too large for a double
    // ("3e0522"), are out_of_range errors without a byte offset.
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(source), ": invalid JSON: ", error.what()));
  }
  if (!root.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(source), ": not a JSON object"));
  }

  // transformers itself writes model_type into every config.json; a file
  // without it is accepted as DistilBERT.
  if (auto model_type = root.find("model_type"); model_type != root.end()) {
    if (!model_type->is_string() || model_type->get<std::string>() != "distilbert") {
      return absl::InvalidArgumentError(
          absl::StrCat(ToAbsl(source), ": field 'model_type' must be \"distilbert\", got ",
                       model_type->dump()));
    }
  }

  DistilBertConfig config;
  RETURN_IF_ERROR(ReadInteger(root, source, "vocab_size", config.vocab_size));
  RETURN_IF_ERROR(ReadInteger(root, source, "dim", config.dim));
  RETURN_IF_ERROR(ReadInteger(root, source, "n_layers", config.n_layers));
  RETURN_IF_ERROR(ReadInteger(root, source, "n_heads", config.n_heads));
  RETURN_IF_ERROR(ReadInteger(root, source, "hidden_dim", config.hidden_dim));
  RETURN_IF_ERROR(
      ReadInteger(root, source, "max_position_embeddings", config.max_position_embeddings));
  // transformers allows a null pad_token_id; the encoder masks padding, so the
  // default id 0 serves.
  if (auto pad = root.find("pad_token_id"); pad != root.end() && !pad->is_null()) {
    RETURN_IF_ERROR(ReadInteger(root, source, "pad_token_id", config.pad_token_id));
  }

  if (auto activation = root.find("activation"); activation != root.end()) {
    if (!activation->is_string()) {
      return absl::InvalidArgumentError(absl::StrCat(
          ToAbsl(source), ": field 'activation' must be a string, got ", activation->dump()));
    }
    const std::string& name = activation->get_ref<const std::string&>();
    if (name == "gelu") {
      config.activation = Activation::kGelu;
    } else if (name == "relu") {
      config.activation = Activation::kRelu;
    } else {
      return absl::InvalidArgumentError(absl::StrCat(ToAbsl(source),
                                                     ": field 'activation' is \"", name,
                                                     "\"; supported values are \"gelu\" and \"relu\""));
    }
  }

  if (auto sinusoidal = root.find("sinusoidal_pos_embds"); sinusoidal != root.end()) {
    if (!sinusoidal->is_boolean()) {
      return absl::InvalidArgumentError(
          absl::StrCat(ToAbsl(source), ": field 'sinusoidal_pos_embds' must be true or false, got ",
                       sinusoidal->dump()));
    }
    config.sinusoidal_pos_embds = sinusoidal->get<bool>();
  }

  if (absl::Status status = config.Validate(); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat(ToAbsl(source), ": ", status.message()));
  }
  return config;
}

absl::StatusOr<DistilBertConfig> DistilBertConfig::Load(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) {
    return absl::NotFoundError(absl::StrCat(path, ": file not found"));
  }
  // A directory opens as an empty stream and would read as "invalid JSON".
  if (!std::filesystem::is_regular_file(path, error)) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::ErrnoToStatus(errno, absl::StrCat("cannot open ", path));
  std::ostringstream text;
  text << in.rdbuf();
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read failed"));
  return FromJson(text.str(), path);
}

std::string DistilBertConfig::ToJson() const {
  // The fields transformers' DistilBertConfig writes, so that transformers
  // loads the directory too. The dropout values are transformers' defaults;
  // Synesthesia's encoder does not read them.
  Json json = {
      {"architectures", {"DistilBertModel"}},
      {"model_type", "distilbert"},
      {"activation", std::string(ActivationName(activation))},
      {"attention_dropout", 0.1},
      {"dim", dim},
      {"dropout", 0.1},
      {"hidden_dim", hidden_dim},
      {"initializer_range", 0.02},
      {"max_position_embeddings", max_position_embeddings},
      {"n_heads", n_heads},
      {"n_layers", n_layers},
      {"pad_token_id", pad_token_id},
      {"qa_dropout", 0.1},
      {"seq_classif_dropout", 0.2},
      {"sinusoidal_pos_embds", sinusoidal_pos_embds},
      {"tie_weights_", true},
      {"vocab_size", vocab_size},
  };
  return json.dump(2) + "\n";
}

absl::Status DistilBertConfig::Validate() const {
  struct Bound {
    const char* name;
    int64_t value;
    int64_t max;
  };
  const Bound bounds[] = {
      {"vocab_size", vocab_size, kMaxVocabularySize},
      {"dim", dim, kMaxDimension},
      {"n_layers", n_layers, kMaxDimension},
      {"n_heads", n_heads, kMaxDimension},
      {"hidden_dim", hidden_dim, kMaxDimension},
      {"max_position_embeddings", max_position_embeddings, kMaxDimension},
  };
  for (const Bound& bound : bounds) {
    if (bound.value < 1 || bound.value > bound.max) {
      return absl::InvalidArgumentError(absl::StrCat("field '", bound.name, "' is ", bound.value,
                                                     "; it must be in [1, ", bound.max, "]"));
    }
  }
  if (dim % n_heads != 0) {
    return absl::InvalidArgumentError(absl::StrCat("field 'n_heads' (", n_heads,
                                                   ") must divide field 'dim' (", dim, ")"));
  }
  if (pad_token_id < 0 || pad_token_id >= vocab_size) {
    return absl::InvalidArgumentError(absl::StrCat("field 'pad_token_id' is ", pad_token_id,
                                                   "; it must be in [0, vocab_size = ",
                                                   vocab_size, ")"));
  }
  return absl::OkStatus();
}

int64_t DistilBertConfig::ParameterCount() const {
  const int64_t embeddings = vocab_size * dim + max_position_embeddings * dim + 2 * dim;
  const int64_t attention = 4 * (dim * dim + dim);
  const int64_t feed_forward = (dim * hidden_dim + hidden_dim) + (hidden_dim * dim + dim);
  const int64_t layer_norms = 2 * 2 * dim;
  return embeddings + n_layers * (attention + feed_forward + layer_norms);
}

double DistilBertConfig::ForwardFlops(int64_t batch, int64_t sequence_length) const {
  const double tokens = static_cast<double>(batch) * static_cast<double>(sequence_length);
  const double d = static_cast<double>(dim);
  const double h = static_cast<double>(hidden_dim);
  // Per token: q, k, v and output projections (4 d x d) and the two
  // feed-forward matrices (2 d x h); per token pair: Q K^T and weights x V,
  // d multiply-adds each.
  const double projections = tokens * (4.0 * d * d + 2.0 * d * h);
  const double attention = tokens * static_cast<double>(sequence_length) * 2.0 * d;
  return 2.0 * static_cast<double>(n_layers) * (projections + attention);
}

}  // namespace synesthesia::model
