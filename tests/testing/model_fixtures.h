// Model directories for tests: the distilbert-tiny reference
// checkpoint, with fitted projections added, or random small checkpoints.
#ifndef SYNESTHESIA_TESTS_TESTING_MODEL_FIXTURES_H_
#define SYNESTHESIA_TESTS_TESTING_MODEL_FIXTURES_H_

#include <string>

#include "absl/status/statusor.h"
#include "core/model/config.h"

namespace synesthesia::testing {

// Copies tests/data/distilbert-tiny to a scratch directory NAME and adds a
// basis fitted on the hidden states of a few sentences and a linear semantic
// head with fixed weights. Returns the directory.
absl::StatusOr<std::string> MakeTinyModelWithProjections(const std::string& name);

// A scratch directory NAME holding a random checkpoint of the distilbert-tiny
// shape with only MAX_POSITIONS positions, so that short texts need several
// encoder windows, plus projections as above.
absl::StatusOr<std::string> MakeShortWindowModel(const std::string& name, int64_t max_positions);

}  // namespace synesthesia::testing

#endif  // SYNESTHESIA_TESTS_TESTING_MODEL_FIXTURES_H_
