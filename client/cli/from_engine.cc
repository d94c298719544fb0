#include "client/cli/from_engine.h"

#include <utility>

#include "core/projection/projection.h"

namespace synesthesia::cli {

ColouredText FromEngineResult(const engine::ColorizeResult& result, absl::string_view text,
                              std::string model_name) {
  ColouredText coloured;
  coloured.text = std::string(text);
  coloured.model = std::move(model_name);
  coloured.projection = std::string(projection::KindName(result.projection));
  coloured.spans.reserve(result.spans.size());
  for (const engine::Span& span : result.spans) {
    coloured.spans.push_back(ColouredSpan{
        .text = span.text,
        .start = span.start,
        .end = span.end,
        .byte_start = span.byte_start,
        .byte_end = span.byte_end,
        .rgb = Rgb{span.rgb.r, span.rgb.g, span.rgb.b},
        .special = span.special,
    });
  }
  return coloured;
}

}  // namespace synesthesia::cli
