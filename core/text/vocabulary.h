// A WordPiece vocabulary: one entry per line of vocab.txt, id = line number.
#ifndef SYNESTHESIA_CORE_TEXT_VOCABULARY_H_
#define SYNESTHESIA_CORE_TEXT_VOCABULARY_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"

namespace synesthesia::text {

// Thread-safe for concurrent reads; immutable after construction.
class Vocabulary {
 public:
  // Reads a vocab.txt file (UTF-8, one entry per line, LF or CRLF endings).
  // Fails with NOT_FOUND when the file is missing and INVALID_ARGUMENT, naming
  // the file and line, for invalid UTF-8, an empty file or a duplicate entry.
  static absl::StatusOr<Vocabulary> Load(const std::string& path);

  // Builds a vocabulary from ENTRIES in id order, with the same checks as Load.
  // SOURCE names the origin in error messages.
  static absl::StatusOr<Vocabulary> FromEntries(std::vector<std::string> entries,
                                                std::string_view source = "vocabulary");

  // The id of ENTRY, or nullopt when it is not in the vocabulary.
  std::optional<int32_t> Find(std::string_view entry) const;

  // The entry with id ID. Precondition: 0 <= id < size().
  const std::string& Entry(int32_t id) const { return entries_[static_cast<size_t>(id)]; }

  int32_t size() const { return static_cast<int32_t>(entries_.size()); }
  const std::vector<std::string>& entries() const { return entries_; }

 private:
  std::vector<std::string> entries_;
  absl::flat_hash_map<std::string, int32_t> ids_;
};

}  // namespace synesthesia::text

#endif  // SYNESTHESIA_CORE_TEXT_VOCABULARY_H_
