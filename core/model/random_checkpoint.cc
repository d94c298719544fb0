#include "core/model/random_checkpoint.h"

#include <cmath>
#include <filesystem>
#include <fstream>
#include <numbers>
#include <random>
#include <string>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/model/distilbert_module.h"
#include "core/util/status_macros.h"

namespace synesthesia::model {
namespace {

constexpr float kStandardDeviation = 0.02f;

// Normal deviates from Box-Muller over mt19937_64. The C++ standard fixes the
// output of mt19937_64 but not of std::normal_distribution, which would give
// other bytes with another standard library.
class NormalGenerator {
 public:
  explicit NormalGenerator(uint64_t seed) : engine_(seed) {}

  float Next(float mean, float deviation) {
    if (has_spare_) {
      has_spare_ = false;
      return mean + deviation * spare_;
    }
    // Uniform in (0, 1]: 53 random bits, shifted off zero so the log is finite.
    const double u1 = (static_cast<double>(engine_() >> 11) + 1.0) * 0x1.0p-53;
    const double u2 = static_cast<double>(engine_() >> 11) * 0x1.0p-53;
    const double radius = std::sqrt(-2.0 * std::log(u1));
    const double angle = 2.0 * std::numbers::pi * u2;
    spare_ = static_cast<float>(radius * std::sin(angle));
    has_spare_ = true;
    return mean + deviation * static_cast<float>(radius * std::cos(angle));
  }

 private:
  std::mt19937_64 engine_;
  float spare_ = 0.0f;
  bool has_spare_ = false;
};

// Counts the lines of a vocab.txt, one entry each; a last line without a line
// break counts too.
absl::StatusOr<int64_t> CountVocabularyEntries(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return absl::NotFoundError(absl::StrCat(path, ": vocabulary file not found"));
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return absl::ErrnoToStatus(errno, absl::StrCat("cannot open ", path));
  int64_t entries = 0;
  std::string line;
  while (std::getline(in, line)) ++entries;
  if (in.bad()) return absl::DataLossError(absl::StrCat(path, ": read failed"));
  return entries;
}

bool IsLayerNormWeight(const std::string& name) {
  return absl::EndsWith(name, "LayerNorm.weight") || absl::EndsWith(name, "layer_norm.weight");
}

}  // namespace

absl::Status WriteRandomCheckpoint(const std::string& directory, const DistilBertConfig& config,
                                   const std::string& vocabulary_path, uint64_t seed) {
  if (absl::Status status = config.Validate(); !status.ok()) {
    return absl::InvalidArgumentError(absl::StrCat("invalid DistilBERT config: ", status.message()));
  }
  ASSIGN_OR_RETURN(int64_t entries, CountVocabularyEntries(vocabulary_path));
  if (entries != config.vocab_size) {
    return absl::InvalidArgumentError(absl::StrCat(vocabulary_path, ": has ", entries,
                                                   " entries but vocab_size is ",
                                                   config.vocab_size));
  }

  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) {
    return absl::ErrnoToStatus(error.value(), absl::StrCat("cannot create directory ", directory));
  }
  const std::filesystem::path root(directory);

  try {
    torch::NoGradGuard no_grad;
    DistilBertModule module(config);
    NormalGenerator generator(seed);
    for (auto& item : module->named_parameters(/*recurse=*/true)) {
      const std::string& name = item.key();
      torch::Tensor& parameter = item.value();
      // The sinusoidal table is fixed; transformers saves it as computed.
      if (config.sinusoidal_pos_embds && name == "embeddings.position_embeddings.weight") continue;
      const float mean = IsLayerNormWeight(name) ? 1.0f : 0.0f;
      float* values = parameter.data_ptr<float>();
      for (int64_t i = 0; i < parameter.numel(); ++i) {
        values[i] = generator.Next(mean, kStandardDeviation);
      }
    }
    RETURN_IF_ERROR(SaveDistilBertWeights(*module, (root / "model.safetensors").string()));
  } catch (const c10::Error& torch_error) {
    return absl::InternalError(absl::StrCat("building random weights failed: ",
                                            torch_error.what_without_backtrace()));
  }

  const std::string config_path = (root / "config.json").string();
  std::ofstream config_file(config_path, std::ios::binary | std::ios::trunc);
  config_file << config.ToJson();
  config_file.close();
  if (!config_file) return absl::ErrnoToStatus(errno, absl::StrCat("cannot write ", config_path));

  const std::filesystem::path vocabulary_target = root / "vocab.txt";
  if (!std::filesystem::equivalent(vocabulary_path, vocabulary_target, error)) {
    std::filesystem::copy_file(vocabulary_path, vocabulary_target,
                               std::filesystem::copy_options::overwrite_existing, error);
    if (error) {
      return absl::ErrnoToStatus(error.value(), absl::StrCat("cannot copy ", vocabulary_path,
                                                             " to ", vocabulary_target.string()));
    }
  }
  return absl::OkStatus();
}

}  // namespace synesthesia::model
