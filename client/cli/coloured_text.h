// The result of colouring a text, independent of where it was computed: the
// engine in local mode or the server in remote mode. Adapters build it
// (from_engine.h, from_proto.h); output.h prints it.
#ifndef SYNESTHESIA_CLIENT_CLI_COLOURED_TEXT_H_
#define SYNESTHESIA_CLIENT_CLI_COLOURED_TEXT_H_

#include <cstdint>
#include <string>
#include <vector>

namespace synesthesia::cli {

struct Rgb {
  uint8_t r = 0;
  uint8_t g = 0;
  uint8_t b = 0;
};

// A coloured part of the text. Offsets are half-open; [CLS] and [SEP] have
// empty text and [0, 0).
struct ColouredSpan {
  std::string text;
  // In Unicode code points.
  int64_t start = 0;
  int64_t end = 0;
  // In UTF-8 bytes.
  int64_t byte_start = 0;
  int64_t byte_end = 0;
  Rgb rgb;
  bool special = false;
};

struct ColouredText {
  // The text as coloured, which the span offsets refer to.
  std::string text;
  // The model's name.
  std::string model;
  // "pca", "basis" or "semantic": the projection actually used.
  std::string projection;
  std::vector<ColouredSpan> spans;
};

}  // namespace synesthesia::cli

#endif  // SYNESTHESIA_CLIENT_CLI_COLOURED_TEXT_H_
