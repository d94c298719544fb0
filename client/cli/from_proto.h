// Builds the neutral ColouredText from the server's response (remote mode).
#ifndef SYNESTHESIA_CLIENT_CLI_FROM_PROTO_H_
#define SYNESTHESIA_CLIENT_CLI_FROM_PROTO_H_

#include <string>
#include "absl/strings/string_view.h"

#include "client/cli/coloured_text.h"
#include "synesthesia/v1/synesthesia.pb.h"

namespace synesthesia::cli {

ColouredText FromProtoResponse(const v1::ColorizeResponse& response, absl::string_view text);

ColouredSpan FromProtoSpan(const v1::Span& span);

// "pca", "basis", "semantic", or "unspecified".
std::string ProjectionName(v1::Projection projection);

}  // namespace synesthesia::cli

#endif  // SYNESTHESIA_CLIENT_CLI_FROM_PROTO_H_
