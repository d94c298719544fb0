// Colour-name data for training and evaluation: CSV files of (name, hex) and
// the plain-text corpus of ordinary sentences.
#ifndef SYNESTHESIA_MODELS_TRAINING_COLOUR_NAMES_H_
#define SYNESTHESIA_MODELS_TRAINING_COLOUR_NAMES_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "core/colour/colour.h"

namespace synesthesia::training {

struct ColourName {
  std::string name;
  colour::Rgb8 rgb;
  // The same colour in OKLab, the space the semantic head predicts.
  colour::OkLab oklab;
};

// Returns the key under which two names count as equal: ASCII letters
// lowercased, runs of white space collapsed to one space, ends trimmed.
std::string NormaliseName(std::string_view name);

// Reads a CSV file with the header "name,hex" and one colour per line. Fields
// may be quoted as in RFC 4180 ("a ""b"", c"). Fails with NOT_FOUND for a
// missing file and with INVALID_ARGUMENT naming the file and line for a
// wrong header, a line without two fields, an empty name or a hex value that
// is not #rrggbb.
absl::StatusOr<std::vector<ColourName>> LoadColourNames(const std::string& path);

// Returns NAMES without those whose NormaliseName equals that of a name in
// HELD_OUT, so that a held-out test set never leaks into training.
std::vector<ColourName> RemoveHeldOut(const std::vector<ColourName>& names,
                                      const std::vector<ColourName>& held_out);

// Reads a text corpus: one sentence per line, blank lines skipped. Fails with
// NOT_FOUND for a missing file and INVALID_ARGUMENT for a file without text.
absl::StatusOr<std::vector<std::string>> LoadCorpus(const std::string& path);

}  // namespace synesthesia::training

#endif  // SYNESTHESIA_MODELS_TRAINING_COLOUR_NAMES_H_
