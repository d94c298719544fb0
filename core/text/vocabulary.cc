#include "core/text/vocabulary.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>
#include <sstream>
#include <utility>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "core/text/utf8.h"

namespace synesthesia::text {
namespace {

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  std::error_code error;
  const std::filesystem::file_status status = std::filesystem::status(path, error);
  if (status.type() == std::filesystem::file_type::not_found) {
    return absl::NotFoundError(absl::StrCat("vocabulary file ", path, " not found"));
  }
  if (status.type() == std::filesystem::file_type::directory) {
    return absl::InvalidArgumentError(
        absl::StrCat("vocabulary path ", path, " is a directory; expected a vocab.txt file"));
  }
  errno = 0;
  std::ifstream file(path, std::ios::binary);
  if (!file) {
    const int saved_errno = errno;
    const std::string reason = saved_errno != 0 ? std::strerror(saved_errno) : "open failed";
    if (saved_errno == EACCES) {
      return absl::PermissionDeniedError(
          absl::StrCat("cannot open vocabulary file ", path, ": ", reason));
    }
    return absl::FailedPreconditionError(
        absl::StrCat("cannot open vocabulary file ", path, ": ", reason));
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  if (file.bad()) {
    return absl::DataLossError(absl::StrCat("failed to read vocabulary file ", path));
  }
  return std::move(contents).str();
}

// Splits CONTENTS into lines at LF, dropping one CR before each LF. A final
// line without LF counts; the empty string after a final LF does not.
std::vector<std::string> SplitLines(std::string_view contents) {
  std::vector<std::string> lines;
  size_t start = 0;
  while (start < contents.size()) {
    size_t end = contents.find('\n', start);
    const size_t next = end == std::string_view::npos ? contents.size() : end + 1;
    if (end == std::string_view::npos) end = contents.size();
    size_t line_end = end;
    if (line_end > start && contents[line_end - 1] == '\r' && end < contents.size()) --line_end;
    lines.emplace_back(contents.substr(start, line_end - start));
    start = next;
  }
  return lines;
}

}  // namespace

absl::StatusOr<Vocabulary> Vocabulary::Load(const std::string& path) {
  absl::StatusOr<std::string> contents = ReadFile(path);
  if (!contents.ok()) return contents.status();
  return FromEntries(SplitLines(*contents), path);
}

absl::StatusOr<Vocabulary> Vocabulary::FromEntries(std::vector<std::string> entries,
                                                   std::string_view source) {
  if (entries.empty()) {
    return absl::InvalidArgumentError(absl::StrFormat("%s: vocabulary is empty", source));
  }
  if (entries.size() > static_cast<size_t>(std::numeric_limits<int32_t>::max())) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s: vocabulary has %d entries; at most %d are supported", source,
                        entries.size(), std::numeric_limits<int32_t>::max()));
  }

  Vocabulary vocabulary;
  vocabulary.ids_.reserve(entries.size());
  for (size_t i = 0; i < entries.size(); ++i) {
    // Lines are numbered from 1; ids from 0.
    const size_t line = i + 1;
    if (absl::Status valid = ValidateUtf8(entries[i]); !valid.ok()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: line %d: %s", source, line, valid.message()));
    }
    auto [it, inserted] = vocabulary.ids_.try_emplace(entries[i], static_cast<int32_t>(i));
    if (!inserted) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s: line %d: duplicate entry \"%s\", first on line %d", source, line,
                          absl::CEscape(entries[i]), it->second + 1));
    }
  }
  vocabulary.entries_ = std::move(entries);
  return vocabulary;
}

std::optional<int32_t> Vocabulary::Find(std::string_view entry) const {
  // Debian's Abseil has its own string_view type, which the lookup takes.
  auto it = ids_.find(absl::string_view(entry.data(), entry.size()));
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

}  // namespace synesthesia::text
