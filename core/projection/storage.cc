// Reading and writing the projection files of a model directory.
//
// synesthesia.json (version 1):
//   {"format": "synesthesia-projections", "version": 1, "name": "...",
//    "basis": {"file": "basis.safetensors", <provenance strings>},
//    "semantic": {"file": "semantic.safetensors", "activation": "gelu",
//                 <provenance strings>},   (no "activation" for a linear head)
//    <top-level provenance strings>}
// A string field "key" inside "basis" is the provenance entry "basis.key",
// and likewise for "semantic". Other top-level strings keep their name.
//
// tensor_files.h describes the safetensors files that the manifest names.
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "core/projection/projection.h"
#include "core/projection/tensor_files.h"
#include "core/util/status_macros.h"
#include "glog/logging.h"
#include "nlohmann/json.hpp"

namespace synesthesia::projection {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

constexpr char kManifestName[] = "synesthesia.json";
constexpr char kFormat[] = "synesthesia-projections";
constexpr int kVersion = 1;
constexpr char kBasisFile[] = "basis.safetensors";
constexpr char kSemanticFile[] = "semantic.safetensors";
constexpr char kActivation[] = "gelu";
// A manifest is a few hundred bytes, so the cap only keeps a wrong file from
// being read whole into memory.
constexpr std::uintmax_t kMaxManifestBytes = 1 << 20;

absl::Status ManifestError(const std::string& path, std::string_view problem) {
  return absl::InvalidArgumentError(absl::StrCat(path, ": ", std::string(problem)));
}

absl::StatusOr<Json> ReadManifest(const std::string& path) {
  std::error_code error;
  const std::uintmax_t size = fs::file_size(path, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", path, ": ", error.message()));
  }
  if (size > kMaxManifestBytes) {
    return ManifestError(path, absl::StrCat(size, " bytes, more than the manifest limit of ",
                                            kMaxManifestBytes, " bytes"));
  }

  std::ifstream file(path, std::ios::binary);
  std::stringstream contents;
  contents << file.rdbuf();
  if (!file) return absl::FailedPreconditionError(absl::StrCat("cannot read ", path));

  Json manifest;
  try {
    manifest = Json::parse(contents.str());
  } catch (const Json::parse_error& parse_error) {
    return ManifestError(path, absl::StrCat("invalid JSON at byte ", parse_error.byte));
  } catch (const Json::exception& json_error) {
    // A number out of double's range ("3e0522") is an out_of_range error.
    return ManifestError(path, absl::StrCat("invalid JSON: ", json_error.what()));
  }
  if (!manifest.is_object()) return ManifestError(path, "not a JSON object");
  return manifest;
}

// Checks that the manifest names a file of this directory, so that a
// manifest can never make the loader read elsewhere.
absl::StatusOr<std::string> FileField(const std::string& manifest_path, const Json& section,
                                      const std::string& section_name) {
  const auto file = section.find("file");
  if (file == section.end() || !file->is_string()) {
    return ManifestError(manifest_path,
                         absl::StrCat("\"", section_name, ".file\" is missing or not a string"));
  }
  const std::string name = file->get<std::string>();
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    return ManifestError(manifest_path,
                         absl::StrCat("\"", section_name, ".file\" must be a file name inside the "
                                      "model directory, got \"", name, "\""));
  }
  return name;
}

// Appends the string fields of SECTION other than RESERVED to PROVENANCE,
// each under PREFIX + field name.
absl::Status ReadProvenance(const std::string& manifest_path, const Json& section,
                            const std::vector<std::string>& reserved, const std::string& prefix,
                            std::vector<std::pair<std::string, std::string>>& provenance) {
  for (const auto& [key, value] : section.items()) {
    if (std::find(reserved.begin(), reserved.end(), key) != reserved.end()) continue;
    if (!value.is_string()) {
      return ManifestError(manifest_path, absl::StrCat("provenance field \"", prefix, key,
                                                       "\" must be a string"));
    }
    provenance.emplace_back(prefix + key, value.get<std::string>());
  }
  return absl::OkStatus();
}

absl::Status LoadSections(const std::string& directory, const std::string& manifest_path,
                          const Json& manifest, int64_t dim, Projections& projections) {
  const auto basis = manifest.find("basis");
  if (basis != manifest.end()) {
    if (!basis->is_object()) return ManifestError(manifest_path, "\"basis\" is not an object");
    ASSIGN_OR_RETURN(const std::string file, FileField(manifest_path, *basis, "basis"));
    ASSIGN_OR_RETURN(projections.basis, internal::ReadBasisFile((fs::path(directory) / file).string(), dim));
    RETURN_IF_ERROR(
        ReadProvenance(manifest_path, *basis, {"file"}, "basis.", projections.provenance));
  }

  const auto semantic = manifest.find("semantic");
  if (semantic != manifest.end()) {
    if (!semantic->is_object()) {
      return ManifestError(manifest_path, "\"semantic\" is not an object");
    }
    const auto activation = semantic->find("activation");
    if (activation != semantic->end() && *activation != kActivation) {
      return ManifestError(manifest_path,
                           absl::StrCat("\"semantic.activation\" is ", activation->dump(),
                                        ", but only \"", kActivation, "\" is supported"));
    }
    ASSIGN_OR_RETURN(const std::string file, FileField(manifest_path, *semantic, "semantic"));
    ASSIGN_OR_RETURN(projections.semantic,
                     internal::ReadSemanticFile((fs::path(directory) / file).string(), dim));
    RETURN_IF_ERROR(ReadProvenance(manifest_path, *semantic, {"file", "activation"}, "semantic.",
                                   projections.provenance));
  }
  return absl::OkStatus();
}

absl::Status OsError(int error_number, std::string_view action, const std::string& path) {
  return absl::ErrnoToStatus(error_number, absl::StrCat(std::string(action), " ", path));
}

// Writes CONTENTS to PATH through a temporary file and a rename, so that a
// reader sees either the old or the new file, never a partial one.
absl::Status WriteFileAtomically(const std::string& path, const std::string& contents) {
  static std::atomic<uint64_t> counter{0};
  const std::string temp_path = absl::StrCat(path, ".tmp.", getpid(), ".", counter.fetch_add(1));
  const int fd = open(temp_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return OsError(errno, "cannot create", temp_path);

  size_t written = 0;
  while (written < contents.size()) {
    const ssize_t result = write(fd, contents.data() + written, contents.size() - written);
    if (result < 0 && errno == EINTR) continue;
    if (result < 0) {
      const int error_number = errno;
      close(fd);
      unlink(temp_path.c_str());
      return OsError(error_number, "cannot write", temp_path);
    }
    written += static_cast<size_t>(result);
  }
  if (fsync(fd) != 0 || close(fd) != 0) {
    const int error_number = errno;
    unlink(temp_path.c_str());
    return OsError(error_number, "cannot flush", temp_path);
  }
  if (rename(temp_path.c_str(), path.c_str()) != 0) {
    const int error_number = errno;
    unlink(temp_path.c_str());
    return OsError(error_number, "cannot rename a temporary file onto", path);
  }
  return absl::OkStatus();
}

// Builds the manifest, placing each provenance entry in the section its
// prefix names when that section is written and at the top level otherwise.
absl::StatusOr<Json> BuildManifest(const Projections& projections) {
  Json manifest;
  manifest["format"] = kFormat;
  manifest["version"] = kVersion;
  manifest["name"] = projections.name;
  Json basis;
  Json semantic;
  if (projections.basis) basis["file"] = kBasisFile;
  if (projections.semantic) {
    semantic["file"] = kSemanticFile;
    // A linear head has no hidden layer, so no activation either.
    if (projections.semantic->hidden_weight.size() > 0) semantic["activation"] = kActivation;
  }

  for (const auto& [key, value] : projections.provenance) {
    Json* section = &manifest;
    std::string field = key;
    if (projections.basis && absl::StartsWith(key, "basis.")) {
      section = &basis;
      field = key.substr(6);
    } else if (projections.semantic && absl::StartsWith(key, "semantic.")) {
      section = &semantic;
      field = key.substr(9);
    }
    const bool reserved_section_name = section == &manifest && (field == "basis" || field == "semantic");
    if (field.empty() || section->contains(field) || reserved_section_name) {
      return absl::InvalidArgumentError(absl::StrCat(
          "provenance key \"", key, "\" is empty, repeated or reserved by the manifest"));
    }
    (*section)[field] = value;
  }

  if (projections.basis) manifest["basis"] = std::move(basis);
  if (projections.semantic) manifest["semantic"] = std::move(semantic);
  return manifest;
}

}  // namespace

absl::StatusOr<Projections> LoadProjections(const std::string& directory, int64_t dim) {
  if (dim < 1) {
    return absl::InvalidArgumentError(absl::StrCat("hidden size must be positive, got ", dim));
  }
  std::error_code error;
  if (!fs::is_directory(directory, error)) {
    return absl::NotFoundError(absl::StrCat("model directory ", directory, " not found"));
  }
  const std::string manifest_path = (fs::path(directory) / kManifestName).string();
  if (!fs::exists(manifest_path, error)) {
    for (const char* file : {"basis.safetensors", "semantic.safetensors"}) {
      if (fs::exists(fs::path(directory) / file, error)) {
        LOG(WARNING) << directory << " has " << file << " but no " << kManifestName
                     << ", so only pca is served; write the manifest with synesthesia-train "
                        "fit or copy it from the model that the file came from";
      }
    }
    return Projections{};
  }

  ASSIGN_OR_RETURN(const Json manifest, ReadManifest(manifest_path));
  const auto format = manifest.find("format");
  if (format == manifest.end() || *format != kFormat) {
    return ManifestError(manifest_path, absl::StrCat("\"format\" must be \"", kFormat, "\""));
  }
  const auto version = manifest.find("version");
  if (version == manifest.end() || !version->is_number_integer() || *version != kVersion) {
    return ManifestError(
        manifest_path,
        absl::StrCat("\"version\" is ", version == manifest.end() ? "missing" : version->dump(),
                     ", but this build reads version ", kVersion));
  }

  Projections projections;
  const auto name = manifest.find("name");
  if (name != manifest.end()) {
    if (!name->is_string()) return ManifestError(manifest_path, "\"name\" is not a string");
    projections.name = name->get<std::string>();
  }
  RETURN_IF_ERROR(ReadProvenance(manifest_path, manifest,
                                 {"format", "version", "name", "basis", "semantic"}, "",
                                 projections.provenance));
  RETURN_IF_ERROR(LoadSections(directory, manifest_path, manifest, dim, projections));
  return projections;
}

absl::Status SaveProjections(const std::string& directory, const Projections& projections) {
  if (projections.basis) RETURN_IF_ERROR(internal::CheckBasisShapes(*projections.basis));
  if (projections.semantic) RETURN_IF_ERROR(internal::CheckSemanticShapes(*projections.semantic));
  ASSIGN_OR_RETURN(const Json manifest, BuildManifest(projections));

  std::error_code error;
  fs::create_directories(directory, error);
  if (error) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot create directory ", directory, ": ", error.message()));
  }

  // Tensors first and the manifest last, so that a reader never sees a
  // manifest that names a file not yet written.
  const fs::path root(directory);
  if (projections.basis) {
    RETURN_IF_ERROR(internal::WriteBasisFile((root / kBasisFile).string(), *projections.basis));
  }
  if (projections.semantic) {
    RETURN_IF_ERROR(internal::WriteSemanticFile((root / kSemanticFile).string(), *projections.semantic));
  }
  RETURN_IF_ERROR(
      WriteFileAtomically((root / kManifestName).string(), manifest.dump(2) + "\n"));

  // Files of a projection that is no longer present would be unused.
  if (!projections.basis) fs::remove(root / kBasisFile, error);
  if (!projections.semantic) fs::remove(root / kSemanticFile, error);
  return absl::OkStatus();
}

}  // namespace synesthesia::projection
