#include "models/training/colour_names.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <system_error>
#include <utility>

#include "absl/container/flat_hash_set.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/strip.h"

namespace synesthesia::training {
namespace {

absl::Status CheckReadable(const std::string& path, absl::string_view what) {
  if (path.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("no ", what, " given; pass its path"));
  }
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return absl::NotFoundError(absl::StrCat(what, " ", path, " not found"));
  }
  return absl::OkStatus();
}

// Splits one CSV line into fields, undoing RFC 4180 quoting. Returns false
// for an unterminated quote.
bool SplitCsvLine(absl::string_view line, std::vector<std::string>& fields) {
  fields.clear();
  std::string field;
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c != '"') {
        field.push_back(c);
      } else if (i + 1 < line.size() && line[i + 1] == '"') {
        field.push_back('"');
        ++i;
      } else {
        quoted = false;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      fields.push_back(std::move(field));
      field.clear();
    } else {
      field.push_back(c);
    }
  }
  fields.push_back(std::move(field));
  return !quoted;
}

}  // namespace

std::string NormaliseName(std::string_view name) {
  std::string result;
  bool pending_space = false;
  for (char c : name) {
    if (absl::ascii_isspace(static_cast<unsigned char>(c))) {
      pending_space = !result.empty();
      continue;
    }
    if (pending_space) result.push_back(' ');
    pending_space = false;
    result.push_back(absl::ascii_tolower(static_cast<unsigned char>(c)));
  }
  return result;
}

absl::StatusOr<std::vector<ColourName>> LoadColourNames(const std::string& path) {
  if (absl::Status status = CheckReadable(path, "colour-name file"); !status.ok()) return status;
  std::ifstream in(path, std::ios::binary);
  std::string line;
  std::vector<std::string> fields;

  // Editors on Windows often start a UTF-8 file with a byte order mark.
  const bool has_header = static_cast<bool>(std::getline(in, line));
  const absl::string_view header =
      absl::StripPrefix(absl::StripSuffix(line, "\r"), "\xEF\xBB\xBF");
  if (!has_header || header != "name,hex") {
    return absl::InvalidArgumentError(
        absl::StrCat(path, ":1: expected the header 'name,hex'"));
  }

  std::vector<ColourName> names;
  for (int line_number = 2; std::getline(in, line); ++line_number) {
    absl::string_view text = absl::StripSuffix(line, "\r");
    if (text.empty()) continue;
    auto invalid = [&](absl::string_view problem) {
      return absl::InvalidArgumentError(absl::StrCat(path, ":", line_number, ": ", problem));
    };
    if (!SplitCsvLine(text, fields)) return invalid("unterminated quoted field");
    if (fields.size() != 2) return invalid("expected two fields, name and hex");
    if (absl::StripAsciiWhitespace(fields[0]).empty()) return invalid("empty colour name");
    // ParseHex also takes a bare rrggbb, which this file format does not.
    const bool hash_form = fields[1].size() == 7 && fields[1][0] == '#';
    absl::StatusOr<colour::Rgb8> rgb = colour::ParseHex(fields[1]);
    if (!hash_form || !rgb.ok()) {
      return invalid(absl::StrCat("invalid hex colour '", fields[1],
                                  "'; expected # and six hexadecimal digits, #rrggbb"));
    }

    names.push_back({std::string(absl::StripAsciiWhitespace(fields[0])), *rgb,
                     colour::Rgb8ToOkLab(*rgb)});
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat("reading ", path, " failed"));
  return names;
}

std::vector<ColourName> RemoveHeldOut(const std::vector<ColourName>& names,
                                      const std::vector<ColourName>& held_out) {
  absl::flat_hash_set<std::string> excluded;
  for (const ColourName& name : held_out) excluded.insert(NormaliseName(name.name));

  std::vector<ColourName> kept;
  for (const ColourName& name : names) {
    if (!excluded.contains(NormaliseName(name.name))) kept.push_back(name);
  }
  return kept;
}

absl::StatusOr<std::vector<std::string>> LoadCorpus(const std::string& path) {
  if (absl::Status status = CheckReadable(path, "corpus file"); !status.ok()) return status;
  std::ifstream in(path, std::ios::binary);
  std::vector<std::string> sentences;
  std::string line;
  while (std::getline(in, line)) {
    absl::string_view text = absl::StripAsciiWhitespace(line);
    if (!text.empty()) sentences.emplace_back(text);
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat("reading ", path, " failed"));
  if (sentences.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("corpus file ", path, " contains no text"));
  }
  return sentences;
}

EvenRgbWeighting::EvenRgbWeighting(const std::vector<ColourName>& reference,
                                   int bins_per_channel, double max_weight)
    : bins_per_channel_(std::clamp(bins_per_channel, 1, 256)),
      max_weight_(max_weight),
      counts_(static_cast<size_t>(bins_per_channel_) * bins_per_channel_ * bins_per_channel_, 0) {
  for (const ColourName& name : reference) ++counts_[Bin(name.rgb)];
  names_per_bin_ = static_cast<double>(reference.size()) / static_cast<double>(counts_.size());
}

double EvenRgbWeighting::Weight(const colour::Rgb8& rgb) const {
  const int64_t count = counts_[Bin(rgb)];
  if (count == 0) return max_weight_;
  return std::min(max_weight_, names_per_bin_ / static_cast<double>(count));
}

size_t EvenRgbWeighting::Bin(const colour::Rgb8& rgb) const {
  auto channel = [this](uint8_t value) {
    return static_cast<size_t>(value) * static_cast<size_t>(bins_per_channel_) / 256;
  };
  const size_t bins = static_cast<size_t>(bins_per_channel_);
  return (channel(rgb.r) * bins + channel(rgb.g)) * bins + channel(rgb.b);
}

}  // namespace synesthesia::training
