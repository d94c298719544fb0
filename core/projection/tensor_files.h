// The safetensors files of the basis and the semantic head, private to
// synesthesia::projection. storage.cc pairs them with the manifest.
//
// basis.safetensors contains basis.mean [dim], basis.axes [3, dim],
// basis.low [3] and basis.high [3]. semantic.safetensors contains
// semantic.output.weight [3, H or dim] and semantic.output.bias [3], plus
// semantic.hidden.weight [H, dim] and semantic.hidden.bias [H] for a head
// with a hidden layer. Tensors are written as F32; F16 and BF16 are also read.
#ifndef SYNESTHESIA_CORE_PROJECTION_TENSOR_FILES_H_
#define SYNESTHESIA_CORE_PROJECTION_TENSOR_FILES_H_

#include <cstdint>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "core/projection/projection.h"

namespace synesthesia::projection::internal {

// Reads the basis at PATH for hidden states of width DIM. Fails with
// NOT_FOUND when the file is missing, and with INVALID_ARGUMENT naming the
// file and tensor when a tensor is missing, misshapen or not finite, or when
// high <= low in a channel.
absl::StatusOr<Basis> ReadBasisFile(const std::string& path, int64_t dim);

// Reads the semantic head at PATH, with the errors of ReadBasisFile. The
// hidden layer is present when semantic.hidden.weight is, and its bias must
// then be present too.
absl::StatusOr<SemanticHead> ReadSemanticFile(const std::string& path, int64_t dim);

// INVALID_ARGUMENT unless the shapes of BASIS or HEAD fit together.
absl::Status CheckBasisShapes(const Basis& basis);
absl::Status CheckSemanticShapes(const SemanticHead& head);

// Writes BASIS or HEAD to PATH, replacing it atomically. The shapes must have
// passed the checks above.
absl::Status WriteBasisFile(const std::string& path, const Basis& basis);
absl::Status WriteSemanticFile(const std::string& path, const SemanticHead& head);

}  // namespace synesthesia::projection::internal

#endif  // SYNESTHESIA_CORE_PROJECTION_TENSOR_FILES_H_
