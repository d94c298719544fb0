// Builds the neutral ColouredText from the engine's result (local mode).
#ifndef SYNESTHESIA_CLIENT_CLI_FROM_ENGINE_H_
#define SYNESTHESIA_CLIENT_CLI_FROM_ENGINE_H_

#include <string>
#include "absl/strings/string_view.h"

#include "client/cli/coloured_text.h"
#include "core/engine/colorize_types.h"

namespace synesthesia::cli {

ColouredText FromEngineResult(const engine::ColorizeResult& result, absl::string_view text,
                              std::string model_name);

}  // namespace synesthesia::cli

#endif  // SYNESTHESIA_CLIENT_CLI_FROM_ENGINE_H_
