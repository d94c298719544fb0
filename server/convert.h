// Conversions between the wire messages and the engine's types.
#ifndef SYNESTHESIA_SERVER_CONVERT_H_
#define SYNESTHESIA_SERVER_CONVERT_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/engine/colorize_types.h"
#include "core/projection/projection.h"
#include "server/wire/request_wire.pb.h"
#include "synesthesia/v1/synesthesia.pb.h"

namespace synesthesia::server {

v1::Projection ToProto(projection::Kind kind);

// Converts wire options, with DEFAULT_PROJECTION for PROJECTION_UNSPECIFIED.
// INVALID_ARGUMENT for an unknown enum value, a background that is not
// "#rrggbb", or a non-finite contrast; the colorizer checks the rest.
absl::StatusOr<engine::ColorizeOptions> FromProto(const v1::wire::ColorOptions& options,
                                                  projection::Kind default_projection);

// Fills RESPONSE from RESULT; MODEL_NAME goes into the response's model field.
void ToProto(const engine::ColorizeResult& result, const std::string& model_name,
             v1::ColorizeResponse& response);
void ToProto(const engine::Span& span, v1::Span& out);
void ToProto(const engine::Timing& timing, v1::Timing& out);

}  // namespace synesthesia::server

#endif  // SYNESTHESIA_SERVER_CONVERT_H_
