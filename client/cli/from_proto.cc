#include "client/cli/from_proto.h"

#include <algorithm>

namespace synesthesia::cli {
namespace {

// Channels arrive as uint32; a value above 255 would be a server bug, and
// clamping keeps the output well-formed.
uint8_t Channel(uint32_t value) { return static_cast<uint8_t>(std::min<uint32_t>(value, 255)); }

}  // namespace

std::string ProjectionName(v1::Projection projection) {
  switch (projection) {
    case v1::PROJECTION_PCA:
      return "pca";
    case v1::PROJECTION_BASIS:
      return "basis";
    case v1::PROJECTION_SEMANTIC:
      return "semantic";
    default:
      return "unspecified";
  }
}

ColouredSpan FromProtoSpan(const v1::Span& span) {
  return ColouredSpan{
      .text = span.text(),
      .start = span.start(),
      .end = span.end(),
      .byte_start = span.byte_start(),
      .byte_end = span.byte_end(),
      .rgb = Rgb{Channel(span.rgb().r()), Channel(span.rgb().g()), Channel(span.rgb().b())},
      .special = span.special(),
  };
}

ColouredText FromProtoResponse(const v1::ColorizeResponse& response, absl::string_view text) {
  ColouredText coloured;
  coloured.text = std::string(text);
  coloured.model = response.model();
  coloured.projection = ProjectionName(response.projection());
  coloured.spans.reserve(response.spans_size());
  for (const v1::Span& span : response.spans()) coloured.spans.push_back(FromProtoSpan(span));
  return coloured;
}

}  // namespace synesthesia::cli
