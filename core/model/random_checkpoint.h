// Random-weight DistilBERT checkpoints of any shape, for tests and benchmarks.
#ifndef SYNESTHESIA_CORE_MODEL_RANDOM_CHECKPOINT_H_
#define SYNESTHESIA_CORE_MODEL_RANDOM_CHECKPOINT_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "core/model/config.h"

namespace synesthesia::model {

// Writes a complete model directory at DIRECTORY (created if missing):
// config.json from CONFIG, vocab.txt copied from VOCABULARY_PATH (its entry
// count must equal CONFIG.vocab_size) and model.safetensors with bare
// DistilBertModel tensor names. Weights are drawn from N(0, 0.02) and
// layer-norm parameters from N(1, 0.02) and N(0, 0.02), all from a generator
// seeded with SEED, so the same arguments give the same bytes.
absl::Status WriteRandomCheckpoint(const std::string& directory, const DistilBertConfig& config,
                                   const std::string& vocabulary_path, uint64_t seed);

}  // namespace synesthesia::model

#endif  // SYNESTHESIA_CORE_MODEL_RANDOM_CHECKPOINT_H_
