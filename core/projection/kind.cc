#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "core/projection/projection.h"

namespace synesthesia::projection {

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kPca:
      return "pca";
    case Kind::kBasis:
      return "basis";
    case Kind::kSemantic:
      return "semantic";
  }
  return "unknown";
}

absl::StatusOr<Kind> ParseKind(std::string_view name) {
  for (const Kind kind : {Kind::kPca, Kind::kBasis, Kind::kSemantic}) {
    if (name == KindName(kind)) return kind;
  }
  // Long input is cut so that the message stays short.
  constexpr size_t kShownLength = 32;
  std::string shown(name.substr(0, kShownLength));
  if (name.size() > kShownLength) shown += "...";
  return absl::InvalidArgumentError(absl::StrCat("unknown projection \"", shown,
                                                 "\": expected pca, basis or semantic"));
}

bool Projections::Has(Kind kind) const {
  switch (kind) {
    case Kind::kPca:
      return true;
    case Kind::kBasis:
      return basis.has_value();
    case Kind::kSemantic:
      return semantic.has_value();
  }
  return false;
}

}  // namespace synesthesia::projection
