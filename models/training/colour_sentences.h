// Sentences that state the colour of an everyday object, such as
// "Fresh [blood] from a cut is bright red.". They teach the encoder the
// colour that ordinary text gives a word like "blood" or "ocean", which
// colour names use in many shades.
#ifndef SYNESTHESIA_MODELS_TRAINING_COLOUR_SENTENCES_H_
#define SYNESTHESIA_MODELS_TRAINING_COLOUR_SENTENCES_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace synesthesia::training {

// Half-open span [begin, end) in UTF-8 bytes of ColourSentence::text.
struct ByteSpan {
  int64_t begin = 0;
  int64_t end = 0;

  friend bool operator==(const ByteSpan&, const ByteSpan&) = default;
};

struct ColourSentence {
  // The sentence without its square brackets.
  std::string text;
  // The objects, each written in square brackets in the source line.
  std::vector<ByteSpan> objects;
  // The one basic colour term of the sentence (kBasicColourTerms or
  // "gray", whole words, any case), outside the brackets.
  ByteSpan colour_term;
};

// Parses one line: plain text with one or more objects in square brackets
// and exactly one basic colour term outside them. INVALID_ARGUMENT, quoting
// the line, for unbalanced, nested or empty brackets, no object, and no or
// several colour terms.
absl::StatusOr<ColourSentence> ParseColourSentence(std::string_view line);

// Reads one sentence per line with ParseColourSentence, skipping blank
// lines. NOT_FOUND for a missing file, INVALID_ARGUMENT naming the file and
// line for a line that does not parse or a file without sentences.
absl::StatusOr<std::vector<ColourSentence>> LoadColourSentences(const std::string& path);

}  // namespace synesthesia::training

#endif  // SYNESTHESIA_MODELS_TRAINING_COLOUR_SENTENCES_H_
