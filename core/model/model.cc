#include "core/model/model.h"

#include <filesystem>
#include <fstream>
#include <sstream>
#include <system_error>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/model/safetensors.h"
#include "core/text/vocabulary.h"
#include "core/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace synesthesia::model {
namespace {

// Returns STATUS with "PATH: " in front of its message unless the message
// already names PATH.
absl::Status NameFile(const absl::Status& status, const std::string& path) {
  if (status.ok() || absl::StrContains(status.message(), path)) return status;
  return absl::Status(status.code(), absl::StrCat(path, ": ", status.message()));
}

// Reads the optional "name" field of synesthesia.json; an absent file gives
// an empty name.
absl::StatusOr<std::string> ReadModelName(const std::filesystem::path& path) {
  std::error_code error;
  if (!std::filesystem::exists(path, error)) return std::string();

  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in) return absl::ErrnoToStatus(errno, absl::StrCat("cannot read ", path.string()));

  const nlohmann::json root = nlohmann::json::parse(text.str(), nullptr, false);
  if (root.is_discarded() || !root.is_object()) {
    return absl::InvalidArgumentError(absl::StrCat(path.string(), ": not a JSON object"));
  }
  auto name = root.find("name");
  if (name == root.end()) return std::string();
  if (!name->is_string() || name->get_ref<const std::string&>().empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(path.string(), ": field 'name' must be a non-empty string"));
  }
  return name->get<std::string>();
}

}  // namespace

absl::StatusOr<std::unique_ptr<Model>> Model::Load(const std::string& directory,
                                                   ModelOptions options) {
  std::error_code error;
  if (!std::filesystem::is_directory(directory, error)) {
    return absl::NotFoundError(absl::StrCat("model directory ", directory, " not found"));
  }
  const std::filesystem::path root(directory);
  const std::string config_path = (root / "config.json").string();
  const std::string vocabulary_path = (root / "vocab.txt").string();
  const std::string weights_path = (root / "model.safetensors").string();

  ASSIGN_OR_RETURN(DistilBertConfig config, DistilBertConfig::Load(config_path));

  absl::StatusOr<text::Vocabulary> vocabulary = text::Vocabulary::Load(vocabulary_path);
  if (!vocabulary.ok()) return NameFile(vocabulary.status(), vocabulary_path);
  if (vocabulary->size() != config.vocab_size) {
    return absl::InvalidArgumentError(absl::StrCat(vocabulary_path, " has ", vocabulary->size(),
                                                   " entries but ", config_path,
                                                   " sets vocab_size to ", config.vocab_size));
  }
  absl::StatusOr<std::unique_ptr<text::Tokenizer>> tokenizer =
      text::Tokenizer::Create(*std::move(vocabulary));
  if (!tokenizer.ok()) return NameFile(tokenizer.status(), vocabulary_path);

  absl::StatusOr<std::unique_ptr<SafetensorsFile>> weights = SafetensorsFile::Open(weights_path);
  if (!weights.ok()) return NameFile(weights.status(), weights_path);
  absl::StatusOr<std::unique_ptr<DistilBertEncoder>> encoder =
      DistilBertEncoder::Create(config, **weights, options.encoder);
  if (!encoder.ok()) return NameFile(encoder.status(), weights_path);

  ASSIGN_OR_RETURN(std::string name, ReadModelName(root / "synesthesia.json"));
  if (name.empty()) {
    // The base name of "models/tiny/" is "tiny", not "".
    name = std::filesystem::absolute(root).lexically_normal().filename().string();
    if (name.empty()) name = std::filesystem::absolute(root).lexically_normal().parent_path().filename().string();
  }

  std::unique_ptr<Model> model(new Model());
  model->name_ = std::move(name);
  model->directory_ = directory;
  model->tokenizer_ = *std::move(tokenizer);
  model->encoder_ = *std::move(encoder);
  return model;
}

}  // namespace synesthesia::model
