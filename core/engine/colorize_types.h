// The request options and results of colouring, shared by every entry point
// (Colorizer, Engine, streams) and converted to and from the wire by the
// server.
#ifndef SYNESTHESIA_CORE_ENGINE_COLORIZE_TYPES_H_
#define SYNESTHESIA_CORE_ENGINE_COLORIZE_TYPES_H_

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "core/colour/colour.h"
#include "core/projection/projection.h"

namespace synesthesia::engine {

enum class Granularity {
  // One span per WordPiece token.
  kToken,
  // One span per word: "##" continuations merge into the token before them.
  kWord,
};

struct ColorizeOptions {
  // Default: pca, the seed notebook's method.
  projection::Kind projection = projection::Kind::kPca;
  // Default: kToken.
  Granularity granularity = Granularity::kToken;
  // Returns [CLS] and [SEP] as spans with empty text and offsets [0, 0).
  // Default: false.
  bool include_special_tokens = false;
  // With min_contrast > 0, every colour is adjusted to reach a WCAG contrast
  // ratio of at least min_contrast (in [1, 21]) against this background.
  std::optional<colour::Rgb8> background;
  // Default: 0, colours as projected.
  double min_contrast = 0;
};

// A coloured part of the text. Offsets are half-open and refer to the whole
// text (for streams: the whole message).
struct Span {
  std::string text;
  // In Unicode code points.
  int64_t start = 0;
  int64_t end = 0;
  // In UTF-8 bytes.
  int64_t byte_start = 0;
  int64_t byte_end = 0;
  colour::Rgb8 rgb;
  std::vector<int32_t> token_ids;
  bool special = false;
};

// Where the time of one call went.
struct Timing {
  absl::Duration tokenize;
  absl::Duration queue;
  absl::Duration inference;
  absl::Duration total;
};

struct ColorizeResult {
  std::vector<Span> spans;
  projection::Kind projection = projection::Kind::kPca;
  // WordPiece tokens of the text, [CLS] and [SEP] excluded.
  int32_t token_count = 0;
  Timing timing;
};

}  // namespace synesthesia::engine

#endif  // SYNESTHESIA_CORE_ENGINE_COLORIZE_TYPES_H_
