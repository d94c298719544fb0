// Colour-name data for training and evaluation: CSV files of (name, hex) and
// the plain-text corpus of ordinary sentences.
#ifndef SYNESTHESIA_MODELS_TRAINING_COLOUR_NAMES_H_
#define SYNESTHESIA_MODELS_TRAINING_COLOUR_NAMES_H_

#include <cstdint>
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

// Loss weights that make a set of names count as if their colours were
// spread evenly over the sRGB cube. The cube is cut into bins_per_channel³
// equal bins. A colour in a bin that contains n of the N reference names
// weighs (N / bins) / n, at most max_weight. Crowded regions (the muted
// colours of paint catalogues) then count less and sparse ones (saturated
// colours) more. The XKCD survey, the held-out test, asked people to name
// colours drawn at random from the whole cube, which is why its colours are
// more saturated than those of the training names.
class EvenRgbWeighting {
 public:
  // Counts REFERENCE's colours. BINS_PER_CHANNEL must be 1 to 256 and
  // MAX_WEIGHT positive.
  EvenRgbWeighting(const std::vector<ColourName>& reference, int bins_per_channel,
                   double max_weight);

  // The weight of a name of colour RGB; max_weight for a colour whose bin
  // holds no reference name.
  double Weight(const colour::Rgb8& rgb) const;

 private:
  size_t Bin(const colour::Rgb8& rgb) const;

  int bins_per_channel_;
  double max_weight_;
  double names_per_bin_;  // N / bins, the count of a bin in an even spread
  std::vector<int64_t> counts_;
};

// Reads a text corpus: one sentence per line, blank lines skipped. Fails with
// NOT_FOUND for a missing file and INVALID_ARGUMENT for a file without text.
absl::StatusOr<std::vector<std::string>> LoadCorpus(const std::string& path);

}  // namespace synesthesia::training

#endif  // SYNESTHESIA_MODELS_TRAINING_COLOUR_NAMES_H_
