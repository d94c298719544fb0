#include "client/cli/output.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "nlohmann/json.hpp"

namespace synesthesia::cli {
namespace {

std::string AnsiColour(const Rgb& rgb) {
  return absl::StrFormat("\x1b[38;2;%d;%d;%dm", rgb.r, rgb.g, rgb.b);
}

constexpr char kAnsiReset[] = "\x1b[0m";

void AppendHtmlEscaped(absl::string_view text, std::string& out) {
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
}

void AppendPlainEscaped(absl::string_view text, std::string& out) {
  for (char c : text) {
    switch (c) {
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\\':
        out += "\\\\";
        break;
      default:
        // Other control characters, NUL among them, as \xHH so that the
        // line stays printable text.
        if (static_cast<unsigned char>(c) < 0x20 || c == '\x7f') {
          absl::StrAppendFormat(&out, "\\x%02x", static_cast<unsigned char>(c));
        } else {
          out += c;
        }
    }
  }
}

void AppendJson(const ColouredText& result, std::string& out) {
  absl::StrAppend(&out, "{\"model\":", JsonString(result.model),
                  ",\"projection\":", JsonString(result.projection), ",\"spans\":[");
  for (size_t i = 0; i < result.spans.size(); ++i) {
    out += i == 0 ? "\n" : ",\n";
    AppendSpanJson(result.spans[i], out);
  }
  out += result.spans.empty() ? "]}\n" : "\n]}\n";
}

void AppendAnsi(const ColouredText& result, bool colour, std::string& out) {
  AnsiWriter writer(colour);
  writer.AppendSpans(result.text, result.spans, out);
  writer.AppendRest(result.text, out);
  if (result.text.empty() || result.text.back() != '\n') out += '\n';
}

void AppendPlain(const ColouredText& result, std::string& out) {
  for (const ColouredSpan& span : result.spans) {
    absl::StrAppend(&out, Hex(span.rgb), "\t", span.start, "\t", span.end, "\t");
    AppendPlainEscaped(span.text, out);
    out += '\n';
  }
}

void AppendHtml(const ColouredText& result, const HtmlOptions& options, std::string& out) {
  out +=
      "<!DOCTYPE html>\n"
      "<html lang=\"en\">\n"
      "<head>\n"
      "<meta charset=\"utf-8\">\n"
      "<title>";
  AppendHtmlEscaped(absl::StrCat("Synesthesia: ", result.model, ", ", result.projection), out);
  out += "</title>\n<style>\nbody { background: ";
  AppendHtmlEscaped(options.background.value_or("#ffffff"), out);
  out +=
      "; }\n"
      ".synesthesia { white-space: pre-wrap; font-family: sans-serif; }\n"
      "</style>\n"
      "</head>\n"
      "<body>\n"
      "<p class=\"synesthesia\">";

  int64_t written = 0;
  const absl::string_view text = result.text;
  for (const ColouredSpan& span : result.spans) {
    const int64_t begin = std::max(span.byte_start, written);
    if (span.byte_end <= begin) continue;
    AppendHtmlEscaped(text.substr(written, begin - written), out);
    absl::StrAppend(&out, "<span style=\"color: ", Hex(span.rgb),
                    "; font-weight: bold; font-size: 16px\">");
    AppendHtmlEscaped(text.substr(begin, span.byte_end - begin), out);
    out += "</span>";
    written = span.byte_end;
  }
  AppendHtmlEscaped(text.substr(std::min<size_t>(written, text.size())), out);
  out += "</p>\n</body>\n</html>\n";
}

}  // namespace

absl::StatusOr<Format> ParseFormat(absl::string_view name) {
  if (name == "json") return Format::kJson;
  if (name == "ansi") return Format::kAnsi;
  if (name == "html") return Format::kHtml;
  if (name == "plain") return Format::kPlain;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown format '", name, "'; use json, ansi, html or plain"));
}

absl::StatusOr<ColorMode> ParseColorMode(absl::string_view name) {
  if (name == "auto") return ColorMode::kAuto;
  if (name == "always") return ColorMode::kAlways;
  if (name == "never") return ColorMode::kNever;
  return absl::InvalidArgumentError(
      absl::StrCat("unknown colour mode '", name, "'; use auto, always or never"));
}

bool ShouldColour(ColorMode mode, bool output_is_terminal, const char* no_color) {
  switch (mode) {
    case ColorMode::kAlways:
      return true;
    case ColorMode::kNever:
      return false;
    case ColorMode::kAuto:
      break;
  }
  const bool no_color_set = no_color != nullptr && no_color[0] != '\0';
  return output_is_terminal && !no_color_set;
}

std::string Hex(const Rgb& rgb) { return absl::StrFormat("#%02x%02x%02x", rgb.r, rgb.g, rgb.b); }

std::string JsonString(absl::string_view text) {
  return nlohmann::json(std::string(text))
      .dump(-1, ' ', /*ensure_ascii=*/false, nlohmann::json::error_handler_t::replace);
}

void AppendSpanJson(const ColouredSpan& span, std::string& out) {
  absl::StrAppend(&out, "{\"text\":", JsonString(span.text), ",\"start\":", span.start,
                  ",\"end\":", span.end, ",\"byte_start\":", span.byte_start,
                  ",\"byte_end\":", span.byte_end, ",\"rgb\":[", span.rgb.r, ",", span.rgb.g,
                  ",", span.rgb.b, "],\"hex\":\"", Hex(span.rgb), "\"}");
}

void AppendFormatted(const ColouredText& result, Format format, bool colour,
                     const HtmlOptions& html, std::string& out) {
  switch (format) {
    case Format::kJson:
      AppendJson(result, out);
      return;
    case Format::kAnsi:
      AppendAnsi(result, colour, out);
      return;
    case Format::kHtml:
      AppendHtml(result, html, out);
      return;
    case Format::kPlain:
      AppendPlain(result, out);
      return;
  }
}

void AnsiWriter::AppendSpans(absl::string_view text, std::span<const ColouredSpan> spans,
                             std::string& out) {
  const auto size = static_cast<int64_t>(text.size());
  for (const ColouredSpan& span : spans) {
    const int64_t begin = std::clamp(span.byte_start, written_bytes_, size);
    const int64_t end = std::min(span.byte_end, size);
    if (end <= begin) continue;
    absl::StrAppend(&out, text.substr(written_bytes_, begin - written_bytes_));
    if (colour_) out += AnsiColour(span.rgb);
    absl::StrAppend(&out, text.substr(begin, end - begin));
    if (colour_) out += kAnsiReset;
    written_bytes_ = end;
  }
}

void AnsiWriter::AppendRest(absl::string_view text, std::string& out) {
  const auto size = static_cast<int64_t>(text.size());
  if (written_bytes_ < size) absl::StrAppend(&out, text.substr(written_bytes_));
  written_bytes_ = size;
}

}  // namespace synesthesia::cli
