#include "models/training/colour_sentences.h"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>
#include <system_error>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "models/training/evaluation.h"

namespace synesthesia::training {
namespace {

bool IsWordByte(char c) { return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '\''; }

bool IsColourTerm(std::string_view word) {
  std::string lower(word);
  absl::AsciiStrToLower(&lower);
  return lower == "gray" ||
         std::find(kBasicColourTerms.begin(), kBasicColourTerms.end(), lower) !=
             kBasicColourTerms.end();
}

}  // namespace

absl::StatusOr<ColourSentence> ParseColourSentence(std::string_view line) {
  auto invalid = [line](std::string_view problem) {
    return absl::InvalidArgumentError(
        absl::StrCat("invalid colour sentence \"", std::string(line), "\": ", std::string(problem)));
  };

  ColourSentence sentence;
  int64_t open = -1;  // the text position of an unclosed '[', or -1
  for (const char c : line) {
    if (c == '[') {
      if (open >= 0) return invalid("nested '['");
      open = static_cast<int64_t>(sentence.text.size());
    } else if (c == ']') {
      if (open < 0) return invalid("']' without '['");
      const int64_t end = static_cast<int64_t>(sentence.text.size());
      if (std::string_view(sentence.text).substr(static_cast<size_t>(open)).find_first_not_of(' ') ==
          std::string_view::npos) {
        return invalid("empty brackets");
      }
      sentence.objects.push_back({open, end});
      open = -1;
    } else {
      sentence.text.push_back(c);
    }
  }
  if (open >= 0) return invalid("'[' without ']'");
  if (sentence.objects.empty()) return invalid("no object in square brackets");

  std::optional<ByteSpan> colour_term;
  const std::string& text = sentence.text;
  for (size_t begin = 0; begin < text.size();) {
    if (!IsWordByte(text[begin])) {
      ++begin;
      continue;
    }
    size_t end = begin;
    while (end < text.size() && IsWordByte(text[end])) ++end;
    if (IsColourTerm(std::string_view(text).substr(begin, end - begin))) {
      const ByteSpan span{static_cast<int64_t>(begin), static_cast<int64_t>(end)};
      const bool in_object = std::any_of(
          sentence.objects.begin(), sentence.objects.end(),
          [&span](const ByteSpan& object) { return span.begin < object.end && object.begin < span.end; });
      if (in_object) return invalid("a colour term inside the brackets");
      if (colour_term) return invalid("more than one basic colour term");
      colour_term = span;
    }
    begin = end;
  }
  if (!colour_term) return invalid("no basic colour term");
  sentence.colour_term = *colour_term;
  return sentence;
}

absl::StatusOr<std::vector<ColourSentence>> LoadColourSentences(const std::string& path) {
  std::error_code error;
  if (!std::filesystem::is_regular_file(path, error)) {
    return absl::NotFoundError(absl::StrCat("colour sentence file ", path, " not found"));
  }
  std::ifstream in(path, std::ios::binary);
  std::vector<ColourSentence> sentences;
  std::string line;
  int64_t line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    const absl::string_view text = absl::StripAsciiWhitespace(line);
    if (text.empty()) continue;
    absl::StatusOr<ColourSentence> sentence = ParseColourSentence(std::string_view(text.data(), text.size()));
    if (!sentence.ok()) {
      return absl::InvalidArgumentError(
          absl::StrCat(path, " line ", line_number, ": ", sentence.status().message()));
    }
    sentences.push_back(*std::move(sentence));
  }
  if (in.bad()) return absl::DataLossError(absl::StrCat("reading ", path, " failed"));
  if (sentences.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("colour sentence file ", path, " contains no sentences"));
  }
  return sentences;
}

}  // namespace synesthesia::training
