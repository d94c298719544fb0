// Input format: up to four files, each a 4-byte little-endian length and
// that many bytes, in the order config.json, vocab.txt, model.safetensors,
// synesthesia.json. A length past the end of the input takes the rest, and a
// file the input does not reach is not written.
#include <unistd.h>

#include <array>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "core/model/model.h"
#include "tests/fuzz/fuzz_targets.h"

namespace synesthesia::fuzz {
namespace {

constexpr std::array<const char*, 4> kFileNames = {"config.json", "vocab.txt",
                                                   "model.safetensors", "synesthesia.json"};

// A directory of this process, emptied before each input.
const std::filesystem::path& ModelDirectory() {
  static const std::filesystem::path directory =
      std::filesystem::temp_directory_path() /
      ("synesthesia-fuzz-model-" + std::to_string(getpid()));
  return directory;
}

void WriteFiles(const uint8_t* data, size_t size) {
  std::filesystem::remove_all(ModelDirectory());
  std::filesystem::create_directories(ModelDirectory());
  size_t offset = 0;
  for (const char* name : kFileNames) {
    if (size - offset < 4) break;
    uint32_t length = 0;
    std::memcpy(&length, data + offset, 4);
    offset += 4;
    const size_t take = std::min<size_t>(length, size - offset);
    std::ofstream out(ModelDirectory() / name, std::ios::binary);
    out.write(reinterpret_cast<const char*>(data + offset), static_cast<std::streamsize>(take));
    offset += take;
  }
}

}  // namespace

int FuzzModelDirectory(const uint8_t* data, size_t size) {
  WriteFiles(data, size);
  absl::StatusOr<std::unique_ptr<model::Model>> model = model::Model::Load(ModelDirectory());
  if (!model.ok()) {
    const absl::StatusCode code = model.status().code();
    FUZZ_CHECK(code == absl::StatusCode::kNotFound || code == absl::StatusCode::kInvalidArgument,
               "Model::Load failed with a code other than NOT_FOUND or INVALID_ARGUMENT");
    FUZZ_CHECK(model.status().message().find(ModelDirectory().string()) != std::string::npos,
               "Model::Load error does not name the file");
    return 0;
  }

  absl::StatusOr<std::vector<text::Token>> tokens = (*model)->tokenizer().Tokenize("hello world");
  FUZZ_CHECK(tokens.ok(), "a loaded model cannot tokenize \"hello world\"");
  std::vector<int32_t> ids;
  for (const text::Token& token : *tokens) ids.push_back(token.id);
  if (static_cast<int64_t>(ids.size()) > (*model)->config().max_position_embeddings) return 0;

  absl::StatusOr<std::vector<RowMatrixXf>> states =
      (*model)->encoder().Encode({std::span<const int32_t>(ids)});
  FUZZ_CHECK(states.ok(), "a loaded model fails to encode \"hello world\"");
  FUZZ_CHECK(states->size() == 1 && states->front().rows() == static_cast<int64_t>(ids.size()) &&
                 states->front().cols() == (*model)->config().dim,
             "hidden states have the wrong shape");
  return 0;
}

}  // namespace synesthesia::fuzz
