#include "core/engine/default_model.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace synesthesia::engine {

std::vector<std::string> DefaultModelSearchPath() {
  std::vector<std::string> directories;
  std::error_code error;
  const std::filesystem::path executable = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error) {
    directories.push_back(
        (executable.parent_path() / ".." / "share" / "synesthesia" / "models" / kDefaultModelName)
            .lexically_normal()
            .string());
  }
  directories.push_back(
      absl::StrCat(SYNESTHESIA_INSTALL_DATADIR, "/synesthesia/models/", kDefaultModelName));
  directories.push_back(absl::StrCat(SYNESTHESIA_SOURCE_DIR, "/models/", kDefaultModelName));
  return directories;
}

absl::StatusOr<std::string> FindDefaultModel() {
  const std::vector<std::string> directories = DefaultModelSearchPath();
  for (const std::string& directory : directories) {
    std::error_code error;
    if (std::filesystem::is_regular_file(std::filesystem::path(directory) / "config.json", error)) {
      return directory;
    }
  }
  return absl::NotFoundError(absl::StrCat("the default model ", kDefaultModelName,
                                          " was not found in ", absl::StrJoin(directories, ", "),
                                          "; pass a model directory explicitly"));
}

}  // namespace synesthesia::engine
