#include "server/convert.h"

#include <cmath>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "core/util/status_macros.h"

namespace synesthesia::server {

v1::Projection ToProto(projection::Kind kind) {
  switch (kind) {
    case projection::Kind::kPca:
      return v1::PROJECTION_PCA;
    case projection::Kind::kBasis:
      return v1::PROJECTION_BASIS;
    case projection::Kind::kSemantic:
      return v1::PROJECTION_SEMANTIC;
  }
  return v1::PROJECTION_UNSPECIFIED;
}

absl::StatusOr<engine::ColorizeOptions> FromProto(const v1::wire::ColorOptions& options,
                                                  projection::Kind default_projection) {
  engine::ColorizeOptions result;
  switch (static_cast<int>(options.projection())) {
    case v1::PROJECTION_UNSPECIFIED:
      result.projection = default_projection;
      break;
    case v1::PROJECTION_PCA:
      result.projection = projection::Kind::kPca;
      break;
    case v1::PROJECTION_BASIS:
      result.projection = projection::Kind::kBasis;
      break;
    case v1::PROJECTION_SEMANTIC:
      result.projection = projection::Kind::kSemantic;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unknown projection ", static_cast<int>(options.projection()),
                       "; use PROJECTION_PCA, PROJECTION_BASIS or PROJECTION_SEMANTIC"));
  }

  switch (static_cast<int>(options.granularity())) {
    case v1::GRANULARITY_UNSPECIFIED:
    case v1::GRANULARITY_TOKEN:
      result.granularity = engine::Granularity::kToken;
      break;
    case v1::GRANULARITY_WORD:
      result.granularity = engine::Granularity::kWord;
      break;
    default:
      return absl::InvalidArgumentError(
          absl::StrCat("unknown granularity ", static_cast<int>(options.granularity()),
                       "; use GRANULARITY_TOKEN or GRANULARITY_WORD"));
  }

  result.include_special_tokens = options.include_special_tokens();
  if (!options.background().empty()) {
    absl::StatusOr<colour::Rgb8> background = colour::ParseHex(options.background());
    if (!background.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat("background \"", absl::CHexEscape(options.background().substr(0, 32)),
                       "\" is not a colour; use \"#rrggbb\", for example \"#ffffff\""));
    }
    result.background = *background;
  }
  if (!std::isfinite(options.min_contrast())) {
    return absl::InvalidArgumentError(
        "min_contrast is not a finite number; use 0 (off) or a WCAG ratio in [1, 21]");
  }
  result.min_contrast = options.min_contrast();
  return result;
}

void ToProto(const engine::Span& span, v1::Span& out) {
  out.set_text(span.text);
  out.set_start(span.start);
  out.set_end(span.end);
  out.set_byte_start(span.byte_start);
  out.set_byte_end(span.byte_end);
  v1::Rgb* rgb = out.mutable_rgb();
  rgb->set_r(span.rgb.r);
  rgb->set_g(span.rgb.g);
  rgb->set_b(span.rgb.b);
  out.set_hex(colour::ToHex(span.rgb));
  out.mutable_token_ids()->Add(span.token_ids.begin(), span.token_ids.end());
  out.set_special(span.special);
}

void ToProto(const engine::Timing& timing, v1::Timing& out) {
  out.set_tokenize_us(absl::ToInt64Microseconds(timing.tokenize));
  out.set_queue_us(absl::ToInt64Microseconds(timing.queue));
  out.set_inference_us(absl::ToInt64Microseconds(timing.inference));
  out.set_total_us(absl::ToInt64Microseconds(timing.total));
}

void ToProto(const engine::ColorizeResult& result, const std::string& model_name,
             v1::ColorizeResponse& response) {
  response.mutable_spans()->Reserve(static_cast<int>(result.spans.size()));
  for (const engine::Span& span : result.spans) ToProto(span, *response.add_spans());
  response.set_model(model_name);
  response.set_projection(ToProto(result.projection));
  response.set_token_count(result.token_count);
  ToProto(result.timing, *response.mutable_timing());
}

}  // namespace synesthesia::server
