// Hidden states and semantic colours of whole texts through core's tokenizer,
// encoder and semantic head, as a user of the model sees them.
#ifndef SYNESTHESIA_MODELS_TRAINING_NAME_COLOURS_H_
#define SYNESTHESIA_MODELS_TRAINING_NAME_COLOURS_H_

#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "core/colour/colour.h"
#include "core/model/model.h"
#include "core/projection/projection.h"
#include "core/util/matrix.h"

namespace synesthesia::training {

// Encodes each of TEXTS as [CLS] text [SEP] with MODEL, BATCH_SIZE texts per
// forward pass, and returns the hidden states of its real tokens ([CLS] and
// [SEP] dropped), [tokens, dim]. A text with more tokens than one window
// holds is cut to the first max_position_embeddings - 2; an empty text gives
// a matrix with no rows. Fails with the tokenizer's or encoder's status.
absl::StatusOr<std::vector<RowMatrixXf>> EncodeTexts(const model::Model& model,
                                                     const std::vector<std::string>& texts,
                                                     int64_t batch_size = 64);

// The mean of COLOURS, component by component; black for none. A word's
// colour is the mean of its pieces in OKLab, and a name's the mean of its
// tokens.
colour::OkLab MeanOkLab(const std::vector<colour::OkLab>& colours);

// The colour shown for each whole text in TEXTS: the OKLab mean of its
// tokens' semantic colours under HEAD, before gamut mapping.
absl::StatusOr<std::vector<colour::OkLab>> PredictTextColours(
    const model::Model& model, const projection::SemanticHead& head,
    const std::vector<std::string>& texts);

}  // namespace synesthesia::training

#endif  // SYNESTHESIA_MODELS_TRAINING_NAME_COLOURS_H_
