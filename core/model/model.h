// A model directory in Hugging Face layout, loaded: config.json, vocab.txt
// and model.safetensors become a tokenizer and an encoder.
#ifndef SYNESTHESIA_CORE_MODEL_MODEL_H_
#define SYNESTHESIA_CORE_MODEL_MODEL_H_

#include <memory>
#include <string>

#include "absl/status/statusor.h"
#include "core/model/config.h"
#include "core/model/encoder.h"
#include "core/text/tokenizer.h"

namespace synesthesia::model {

struct ModelOptions {
  EncoderOptions encoder;
};

// Thread-safe: immutable after Load.
class Model {
 public:
  // Loads the model directory DIRECTORY. Every failure names the file (and
  // the tensor or field) at fault: NOT_FOUND for a missing directory or file,
  // INVALID_ARGUMENT for a corrupt or inconsistent one (for example a
  // vocabulary whose size differs from config.json's vocab_size).
  static absl::StatusOr<std::unique_ptr<Model>> Load(const std::string& directory,
                                                     ModelOptions options = {});

  // The model's name: the "name" field of synesthesia.json when present,
  // else the directory's base name.
  const std::string& name() const { return name_; }
  const std::string& directory() const { return directory_; }
  const DistilBertConfig& config() const { return encoder_->config(); }
  const text::Tokenizer& tokenizer() const { return *tokenizer_; }
  const DistilBertEncoder& encoder() const { return *encoder_; }

 private:
  Model() = default;

  std::string name_;
  std::string directory_;
  std::unique_ptr<text::Tokenizer> tokenizer_;
  std::unique_ptr<DistilBertEncoder> encoder_;
};

}  // namespace synesthesia::model

#endif  // SYNESTHESIA_CORE_MODEL_MODEL_H_
