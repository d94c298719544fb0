#include "core/model/safetensors.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <bit>
#include <cerrno>
#include <cstring>
#include <limits>
#include <set>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "c10/util/Half.h"
#include "absl/strings/str_join.h"
#include "core/util/status_macros.h"
#include "nlohmann/json.hpp"

namespace synesthesia::model {
namespace {

static_assert(std::endian::native == std::endian::little,
              "safetensors data is little-endian and is read without byte swapping");

using Json = nlohmann::json;

// Debian's Abseil 20220623 has its own absl::string_view, which StrCat and
// the status constructors take; std::string_view must be converted.
absl::string_view ToAbsl(std::string_view text) { return {text.data(), text.size()}; }

// The same limit as the Rust safetensors crate (huggingface/safetensors,
// safetensors/src/tensor.rs, MAX_HEADER_SIZE).
constexpr uint64_t kMaxHeaderBytes = 100'000'000;
constexpr std::string_view kMetadataKey = "__metadata__";

struct DTypeInfo {
  DType dtype;
  std::string_view name;
  int64_t size;
};

constexpr DTypeInfo kDTypes[] = {
    {DType::kF32, "F32", 4}, {DType::kF16, "F16", 2}, {DType::kBF16, "BF16", 2},
    {DType::kF64, "F64", 8}, {DType::kI64, "I64", 8}, {DType::kI32, "I32", 4},
    {DType::kI16, "I16", 2}, {DType::kI8, "I8", 1},   {DType::kU8, "U8", 1},
    {DType::kBool, "BOOL", 1},
};

const DTypeInfo* FindDType(std::string_view name) {
  for (const DTypeInfo& info : kDTypes) {
    if (info.name == name) return &info;
  }
  return nullptr;
}

const DTypeInfo& Info(DType dtype) {
  for (const DTypeInfo& info : kDTypes) {
    if (info.dtype == dtype) return info;
  }
  return kDTypes[0];  // Unreachable: every enumerator is in kDTypes.
}

std::string ShapeString(const std::vector<int64_t>& shape) {
  return absl::StrCat("[", absl::StrJoin(shape, ", "), "]");
}

// Returns the element count of SHAPE, or -1 when a dimension is negative or
// the product overflows int64.
int64_t CheckedElementCount(const std::vector<int64_t>& shape) {
  int64_t count = 1;
  for (int64_t dim : shape) {
    if (dim < 0 || __builtin_mul_overflow(count, dim, &count)) return -1;
  }
  return count;
}

float HalfToFloat(uint16_t half) {
  const uint32_t sign = static_cast<uint32_t>(half & 0x8000u) << 16;
  const uint32_t exponent = (half >> 10) & 0x1fu;
  uint32_t mantissa = half & 0x3ffu;
  uint32_t bits = 0;
  if (exponent == 0x1f) {
    bits = sign | 0x7f800000u | (mantissa << 13);  // Infinity or NaN.
  } else if (exponent != 0) {
    bits = sign | ((exponent + 112u) << 23) | (mantissa << 13);
  } else if (mantissa == 0) {
    bits = sign;  // Signed zero.
  } else {
    // Subnormal half: shift the mantissa up until its leading one reaches the
    // implicit-bit position, lowering the float exponent to match.
    uint32_t float_exponent = 113;
    while ((mantissa & 0x400u) == 0) {
      mantissa <<= 1;
      --float_exponent;
    }
    bits = sign | (float_exponent << 23) | ((mantissa & 0x3ffu) << 13);
  }
  return std::bit_cast<float>(bits);
}

float BFloat16ToFloat(uint16_t value) {
  return std::bit_cast<float>(static_cast<uint32_t>(value) << 16);
}

// Reads a JSON integer in [0, INT64_MAX]; nlohmann stores every non-negative
// integer literal as number_unsigned.
bool ReadNonNegative(const Json& value, int64_t& out) {
  if (!value.is_number_unsigned()) return false;
  const uint64_t raw = value.get<uint64_t>();
  if (raw > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return false;
  out = static_cast<int64_t>(raw);
  return true;
}

absl::Status OsError(int error_number, std::string_view action, std::string_view path) {
  return absl::ErrnoToStatus(error_number, absl::StrCat(ToAbsl(action), " ", ToAbsl(path)));
}

struct TempFile {
  int fd = -1;
  std::string path;
};

// Creates an empty file in the directory of PATH under a fresh name, so that
// a rename can later replace PATH in one step. Unlike mkstemp, open with mode
// 0644 lets the umask decide the final permissions.
absl::StatusOr<TempFile> CreateTempFileNextTo(const std::string& path) {
  static std::atomic<uint64_t> counter{0};
  for (int attempt = 0; attempt < 100; ++attempt) {
    TempFile temp;
    temp.path = absl::StrCat(path, ".tmp.", getpid(), ".", counter.fetch_add(1));
    temp.fd = open(temp.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (temp.fd >= 0) return temp;
    if (errno != EEXIST) return OsError(errno, "cannot create a temporary file next to", path);
  }
  return absl::AlreadyExistsError(
      absl::StrCat("cannot create a temporary file next to ", path, ": every name tried exists"));
}

}  // namespace

std::string_view DTypeName(DType dtype) { return Info(dtype).name; }

int64_t DTypeSize(DType dtype) { return Info(dtype).size; }

int64_t TensorView::element_count() const {
  int64_t count = 1;
  for (int64_t dim : shape) count *= dim;
  return count;
}

SafetensorsFile::~SafetensorsFile() {
  if (mapping_ != nullptr) munmap(mapping_, mapping_size_);
}

absl::StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::Open(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return OsError(errno, "cannot open safetensors file", path);

  struct stat info {};
  if (fstat(fd, &info) != 0) {
    const int error_number = errno;
    close(fd);
    return OsError(error_number, "cannot stat safetensors file", path);
  }
  if (!S_ISREG(info.st_mode)) {
    close(fd);
    return absl::InvalidArgumentError(absl::StrCat(path, ": not a regular file"));
  }

  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->source_ = path;
  file->size_ = static_cast<size_t>(info.st_size);
  // mmap rejects zero-length mappings; Parse reports the short file instead.
  if (file->size_ > 0) {
    void* mapping = mmap(nullptr, file->size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (mapping == MAP_FAILED) {
      const int error_number = errno;
      close(fd);
      return OsError(error_number, "cannot memory-map safetensors file", path);
    }
    file->mapping_ = mapping;
    file->mapping_size_ = file->size_;
    file->bytes_ = static_cast<const uint8_t*>(mapping);
  }
  close(fd);

  RETURN_IF_ERROR(file->Parse());
  return file;
}

absl::StatusOr<std::unique_ptr<SafetensorsFile>> SafetensorsFile::FromBytes(std::string bytes,
                                                                            std::string source) {
  std::unique_ptr<SafetensorsFile> file(new SafetensorsFile());
  file->source_ = std::move(source);
  file->owned_bytes_ = std::move(bytes);
  file->bytes_ = reinterpret_cast<const uint8_t*>(file->owned_bytes_.data());
  file->size_ = file->owned_bytes_.size();
  RETURN_IF_ERROR(file->Parse());
  return file;
}

absl::Status SafetensorsFile::Parse() {
  auto invalid = [this](auto&&... pieces) {
    return absl::InvalidArgumentError(absl::StrCat(source_, ": ", pieces...));
  };

  if (size_ < 8) {
    return invalid("file is ", size_, " bytes, too short for the 8-byte header length");
  }
  uint64_t header_length = 0;
  std::memcpy(&header_length, bytes_, sizeof(header_length));
  if (header_length > size_ - 8) {
    return invalid("header length ", header_length, " exceeds the ", size_ - 8,
                   " bytes after the length field");
  }
  if (header_length > kMaxHeaderBytes) {
    return invalid("header length ", header_length, " exceeds the limit of ", kMaxHeaderBytes,
                   " bytes");
  }

  // Duplicate top-level keys would silently shadow each other in the parsed
  // object, so the parser callback records them.
  std::string duplicate_key;
  std::set<std::string, std::less<>> seen_keys;
  Json::parser_callback_t on_event = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (depth == 1 && event == Json::parse_event_t::key && parsed.is_string()) {
      const std::string& key = parsed.get_ref<const std::string&>();
      if (!seen_keys.insert(key).second && duplicate_key.empty()) duplicate_key = key;
    }
    return true;
  };
  const char* header_begin = reinterpret_cast<const char*>(bytes_ + 8);
  const Json header = Json::parse(header_begin, header_begin + header_length, on_event,
                                  /*allow_exceptions=*/false);
  if (header.is_discarded()) return invalid("header is not valid JSON");
  if (!header.is_object()) return invalid("header is not a JSON object");
  if (!duplicate_key.empty()) return invalid("header has the key '", duplicate_key, "' twice");

  const uint64_t data_size = size_ - 8 - header_length;
  const uint8_t* data = bytes_ + 8 + header_length;
  std::vector<std::tuple<int64_t, int64_t, std::string>> begins;

  for (const auto& item : header.items()) {
    // Plain references, not a structured binding: clang 14 (the fuzz build)
    // cannot capture a structured binding in the lambda below.
    const std::string& name = item.key();
    const Json& entry = item.value();
    if (name == kMetadataKey) {
      if (!entry.is_object()) return invalid("__metadata__ is not a JSON object");
      for (const auto& [key, value] : entry.items()) {
        if (!value.is_string()) {
          return invalid("__metadata__ value of '", key, "' is not a string");
        }
        metadata_[key] = value.get<std::string>();
      }
      continue;
    }

    auto bad_tensor = [&](auto&&... pieces) { return invalid("tensor '", name, "': ", pieces...); };
    if (!entry.is_object()) return bad_tensor("entry is not a JSON object");

    auto dtype_field = entry.find("dtype");
    if (dtype_field == entry.end() || !dtype_field->is_string()) {
      return bad_tensor("missing or non-string \"dtype\"");
    }
    const DTypeInfo* dtype = FindDType(dtype_field->get_ref<const std::string&>());
    if (dtype == nullptr) {
      return bad_tensor("unsupported dtype \"", dtype_field->get_ref<const std::string&>(), "\"");
    }

    auto shape_field = entry.find("shape");
    if (shape_field == entry.end() || !shape_field->is_array()) {
      return bad_tensor("missing or non-array \"shape\"");
    }
    std::vector<int64_t> shape;
    for (const Json& dim : *shape_field) {
      int64_t value = 0;
      if (!ReadNonNegative(dim, value)) {
        return bad_tensor("shape ", shape_field->dump(), " has an entry that is not an integer in [0, 2^63)");
      }
      shape.push_back(value);
    }

    auto offsets_field = entry.find("data_offsets");
    if (offsets_field == entry.end() || !offsets_field->is_array() ||
        offsets_field->size() != 2) {
      return bad_tensor("\"data_offsets\" is not an array of two integers");
    }
    int64_t begin = 0;
    int64_t end = 0;
    if (!ReadNonNegative((*offsets_field)[0], begin) ||
        !ReadNonNegative((*offsets_field)[1], end)) {
      return bad_tensor("\"data_offsets\" ", offsets_field->dump(),
                        " has an entry that is not an integer in [0, 2^63)");
    }
    if (end < begin) {
      return bad_tensor("data_offsets end ", end, " is before begin ", begin);
    }
    if (static_cast<uint64_t>(end) > data_size) {
      return bad_tensor("data_offsets [", begin, ", ", end, "] run past the ", data_size,
                        "-byte data section");
    }

    const int64_t count = CheckedElementCount(shape);
    int64_t expected_bytes = 0;
    if (count < 0 || __builtin_mul_overflow(count, dtype->size, &expected_bytes)) {
      return bad_tensor("shape ", ShapeString(shape), " has too many elements");
    }
    if (expected_bytes != end - begin) {
      return bad_tensor("shape ", ShapeString(shape), " of ", ToAbsl(dtype->name), " needs ",
                        expected_bytes, " bytes but data_offsets [", begin, ", ", end, "] hold ",
                        end - begin);
    }

    TensorView view;
    view.name = name;
    view.dtype = dtype->dtype;
    view.shape = std::move(shape);
    view.data = data + begin;
    view.byte_size = end - begin;
    begins.emplace_back(begin, end, name);
    tensors_.emplace(name, std::move(view));
  }

  // As in the Rust safetensors crate, the tensors must tile the data section
  // exactly. Sorted by offset, each one starts where the previous one ends.
  std::sort(begins.begin(), begins.end());
  int64_t covered = 0;
  for (const auto& [begin, end, name] : begins) {
    const TensorView& view = tensors_.find(name)->second;
    if (begin < covered) {
      return invalid("tensor '", name, "': data_offsets [", begin, ", ", begin + view.byte_size,
                     "] overlap the previous tensor, which ends at ", covered);
    }
    if (begin > covered) {
      return invalid("tensor '", name, "': data_offsets [", begin, ", ", begin + view.byte_size,
                     "] leave a gap after byte ", covered, " of the data section");
    }
    covered = end;
  }
  if (static_cast<uint64_t>(covered) != data_size) {
    return invalid("tensors cover ", covered, " bytes of the ", data_size,
                   "-byte data section");
  }
  return absl::OkStatus();
}

absl::StatusOr<TensorView> SafetensorsFile::Get(std::string_view name) const {
  auto it = tensors_.find(name);
  if (it == tensors_.end()) {
    return absl::NotFoundError(absl::StrCat(source_, ": no tensor named '", ToAbsl(name), "'"));
  }
  return it->second;
}

bool SafetensorsFile::Contains(std::string_view name) const {
  return tensors_.find(name) != tensors_.end();
}

std::vector<std::string> SafetensorsFile::Names() const {
  std::vector<const TensorView*> views;
  for (const auto& [name, view] : tensors_) views.push_back(&view);
  // Zero-size tensors share their offset with the next tensor; the reader
  // orders them first, as Parse does.
  std::sort(views.begin(), views.end(), [](const TensorView* a, const TensorView* b) {
    return std::tie(a->data, a->byte_size, a->name) < std::tie(b->data, b->byte_size, b->name);
  });
  std::vector<std::string> names;
  for (const TensorView* view : views) names.push_back(view->name);
  return names;
}

absl::StatusOr<std::vector<float>> SafetensorsFile::ReadFloat32(
    std::string_view name, const std::vector<int64_t>& expected_shape) const {
  ASSIGN_OR_RETURN(TensorView view, Get(name));
  if (!expected_shape.empty() && view.shape != expected_shape) {
    return absl::InvalidArgumentError(absl::StrCat(source_, ": tensor '", ToAbsl(name), "' has shape ",
                                                   ShapeString(view.shape), ", expected ",
                                                   ShapeString(expected_shape)));
  }

  const size_t count = static_cast<size_t>(view.element_count());
  std::vector<float> values(count);
  switch (view.dtype) {
    case DType::kF32:
      // An empty vector's data() may be null, which memcpy does not allow.
      if (count > 0) std::memcpy(values.data(), view.data, count * sizeof(float));
      break;
    case DType::kF16:
    case DType::kBF16: {
      const bool is_half = view.dtype == DType::kF16;
      for (size_t i = 0; i < count; ++i) {
        uint16_t raw = 0;
        std::memcpy(&raw, view.data + 2 * i, sizeof(raw));
        values[i] = is_half ? HalfToFloat(raw) : BFloat16ToFloat(raw);
      }
      break;
    }
    default:
      return absl::InvalidArgumentError(absl::StrCat(source_, ": tensor '", ToAbsl(name), "' has dtype ",
                                                     ToAbsl(DTypeName(view.dtype)),
                                                     "; only F32, F16 and BF16 convert to float32"));
  }
  return values;
}

absl::Status WriteSafetensors(const std::string& path, const std::vector<Float32Tensor>& tensors,
                              const std::map<std::string, std::string>& metadata) {
  auto invalid = [&path](auto&&... pieces) {
    return absl::InvalidArgumentError(absl::StrCat(path, ": ", pieces...));
  };

  std::vector<const Float32Tensor*> sorted;
  for (const Float32Tensor& tensor : tensors) sorted.push_back(&tensor);
  std::sort(sorted.begin(), sorted.end(),
            [](const Float32Tensor* a, const Float32Tensor* b) { return a->name < b->name; });

  Json header = Json::object();
  int64_t offset = 0;
  for (size_t i = 0; i < sorted.size(); ++i) {
    const Float32Tensor& tensor = *sorted[i];
    if (i > 0 && sorted[i - 1]->name == tensor.name) {
      return invalid("duplicate tensor name '", tensor.name, "'");
    }
    if (tensor.name == kMetadataKey) {
      return invalid("'__metadata__' is reserved and cannot name a tensor");
    }
    const int64_t count = CheckedElementCount(tensor.shape);
    if (count < 0 || static_cast<uint64_t>(count) != tensor.values.size()) {
      return invalid("tensor '", tensor.name, "' has shape ", ShapeString(tensor.shape), " but ",
                     tensor.values.size(), " values");
    }
    if (tensor.stored_dtype != DType::kF32 && tensor.stored_dtype != DType::kF16) {
      return invalid("tensor '", tensor.name, "' cannot be stored as ",
                     std::string(DTypeName(tensor.stored_dtype)), "; use F32 or F16");
    }
    const int64_t bytes = count * DTypeSize(tensor.stored_dtype);
    header[tensor.name] = {{"dtype", DTypeName(tensor.stored_dtype)},
                           {"shape", tensor.shape},
                           {"data_offsets", {offset, offset + bytes}}};
    offset += bytes;
  }
  if (!metadata.empty()) header[std::string(kMetadataKey)] = metadata;

  std::string header_text;
  try {
    header_text = header.dump();
  } catch (const Json::exception&) {
    return invalid("a tensor name or metadata string is not valid UTF-8");
  }
  // Pad with spaces (valid JSON whitespace) so that the data starts 8-byte
  // aligned in the file.
  header_text.append((8 - header_text.size() % 8) % 8, ' ');

  ASSIGN_OR_RETURN(TempFile temp, CreateTempFileNextTo(path));
  const int fd = temp.fd;
  const std::string& temp_path = temp.path;

  auto fail = [&](int error_number, std::string_view action) {
    close(fd);
    unlink(temp_path.c_str());
    return OsError(error_number, action, path);
  };
  auto write_all = [fd](const void* buffer, size_t length) {
    const char* cursor = static_cast<const char*>(buffer);
    while (length > 0) {
      const ssize_t written = write(fd, cursor, length);
      if (written < 0) {
        if (errno == EINTR) continue;
        return false;
      }
      cursor += written;
      length -= static_cast<size_t>(written);
    }
    return true;
  };

  const uint64_t header_length = header_text.size();
  if (!write_all(&header_length, sizeof(header_length)) ||
      !write_all(header_text.data(), header_text.size())) {
    return fail(errno, "cannot write");
  }
  for (const Float32Tensor* tensor : sorted) {
    if (tensor->values.empty()) continue;
    bool written = false;
    if (tensor->stored_dtype == DType::kF16) {
      // c10::Half converts with round-to-nearest-even. The file is
      // little-endian, as is every platform this builds on.
      std::vector<uint16_t> halves(tensor->values.size());
      for (size_t i = 0; i < halves.size(); ++i) halves[i] = c10::Half(tensor->values[i]).x;
      written = write_all(halves.data(), halves.size() * sizeof(uint16_t));
    } else {
      written = write_all(tensor->values.data(), tensor->values.size() * sizeof(float));
    }
    if (!written) return fail(errno, "cannot write");
  }
  if (fsync(fd) != 0) return fail(errno, "cannot flush");
  if (close(fd) != 0) {
    const int error_number = errno;
    unlink(temp_path.c_str());
    return OsError(error_number, "cannot close", path);
  }
  if (rename(temp_path.c_str(), path.c_str()) != 0) {
    const int error_number = errno;
    unlink(temp_path.c_str());
    return OsError(error_number, "cannot rename the temporary file onto", path);
  }
  return absl::OkStatus();
}

}  // namespace synesthesia::model
