// Where the embedded default model, synesthesia-mini, is found without flags.
#ifndef SYNESTHESIA_CORE_ENGINE_DEFAULT_MODEL_H_
#define SYNESTHESIA_CORE_ENGINE_DEFAULT_MODEL_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"

namespace synesthesia::engine {

// The name of the embedded default model.
inline constexpr char kDefaultModelName[] = "synesthesia-mini";

// The directories searched for the default model, in order:
//   1. <executable's directory>/../share/synesthesia/models/synesthesia-mini
//      (an installed tree, wherever it was moved);
//   2. <install prefix>/share/synesthesia/models/synesthesia-mini, as
//      configured at build time;
//   3. models/synesthesia-mini in the source tree the binary was built from.
std::vector<std::string> DefaultModelSearchPath();

// The first directory of DefaultModelSearchPath that holds a config.json;
// NOT_FOUND listing every place searched otherwise.
absl::StatusOr<std::string> FindDefaultModel();

}  // namespace synesthesia::engine

#endif  // SYNESTHESIA_CORE_ENGINE_DEFAULT_MODEL_H_
