// Output formats of coloured text, shared by local and remote mode:
//
//   json   {"model":...,"projection":...,"spans":[...]} with one span per
//          line; field order is fixed.
//   ansi   the text with 24-bit colour escape codes around each span (or the
//          bare text when colour is off), followed by a newline unless the
//          text ends with one.
//   html   a standalone page with each span in bold 16px in its colour.
//   plain  one span per line: "#rrggbb<TAB>start<TAB>end<TAB>text", offsets
//          in code points, with tab, newline and backslash in the text
//          written as \t, \n and \\.
#ifndef SYNESTHESIA_CLIENT_CLI_OUTPUT_H_
#define SYNESTHESIA_CLIENT_CLI_OUTPUT_H_

#include <optional>
#include <span>
#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "client/cli/coloured_text.h"

namespace synesthesia::cli {

enum class Format { kJson, kAnsi, kHtml, kPlain };
// Parses "json", "ansi", "html" or "plain".
absl::StatusOr<Format> ParseFormat(absl::string_view name);

enum class ColorMode { kAuto, kAlways, kNever };
// Parses "auto", "always" or "never".
absl::StatusOr<ColorMode> ParseColorMode(absl::string_view name);

// Returns whether to write colour escape codes: always with kAlways and
// never with kNever. With kAuto, only when the output is a terminal and
// NO_COLOR (its value, or nullptr when unset) is unset or empty.
bool ShouldColour(ColorMode mode, bool output_is_terminal, const char* no_color);

// "#rrggbb" in lower case.
std::string Hex(const Rgb& rgb);

// A JSON string literal for TEXT; invalid UTF-8 becomes U+FFFD.
std::string JsonString(absl::string_view text);

// One span as a JSON object: {"text","start","end","byte_start","byte_end",
// "rgb":[r,g,b],"hex"}.
void AppendSpanJson(const ColouredSpan& span, std::string& out);

struct HtmlOptions {
  // Page background as "#rrggbb"; default white.
  std::optional<std::string> background;
};

// Appends RESULT in FORMAT to OUT. COLOUR applies to kAnsi only.
void AppendFormatted(const ColouredText& result, Format format, bool colour,
                     const HtmlOptions& html, std::string& out);

// Writes the spans of a text that arrives in pieces (a stream message) as
// ANSI, keeping the text between spans as it is. Spans must come in text
// order. A span that overlaps text already written is cut to its unwritten
// part, because several tokens can share one code point.
class AnsiWriter {
 public:
  explicit AnsiWriter(bool colour) : colour_(colour) {}

  // Appends TEXT up to the end of the last of SPANS, whose byte offsets
  // refer to TEXT, to OUT.
  void AppendSpans(absl::string_view text, std::span<const ColouredSpan> spans, std::string& out);
  // Appends the rest of TEXT, after the last span written, to OUT.
  void AppendRest(absl::string_view text, std::string& out);
  // Starts over for a new text.
  void Reset() { written_bytes_ = 0; }

 private:
  const bool colour_;
  int64_t written_bytes_ = 0;
};

}  // namespace synesthesia::cli

#endif  // SYNESTHESIA_CLIENT_CLI_OUTPUT_H_
