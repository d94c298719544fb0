// A reader and writer for the safetensors format (Hugging Face).
//
// File layout: an 8-byte little-endian header length N, N bytes of JSON
// mapping tensor names to {"dtype", "shape", "data_offsets": [begin, end]}
// (offsets relative to the byte after the header) plus an optional
// "__metadata__" object of strings, then the tensor data.
//
// The reader memory-maps the file and checks everything before handing out a
// view: header length within the file, valid JSON, known dtype, shape product
// matching the byte range, ranges inside the data section, in order and not
// overlapping. Any violation is INVALID_ARGUMENT naming the file and tensor.
#ifndef SYNESTHESIA_CORE_MODEL_SAFETENSORS_H_
#define SYNESTHESIA_CORE_MODEL_SAFETENSORS_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace synesthesia::model {

enum class DType { kF32, kF16, kBF16, kF64, kI64, kI32, kI16, kI8, kU8, kBool };

// The safetensors name of DTYPE, for example "F32".
std::string_view DTypeName(DType dtype);
// Size of one element in bytes.
int64_t DTypeSize(DType dtype);

// A read-only view of one tensor inside an open file.
struct TensorView {
  std::string name;
  DType dtype = DType::kF32;
  std::vector<int64_t> shape;
  // Little-endian element data, DTypeSize(dtype) * product(shape) bytes.
  // Valid while the SafetensorsFile that returned it is alive.
  const uint8_t* data = nullptr;
  int64_t byte_size = 0;

  int64_t element_count() const;
};

// Thread-safe: immutable after Open.
class SafetensorsFile {
 public:
  // Memory-maps and validates the file at PATH. NOT_FOUND when it is missing,
  // INVALID_ARGUMENT when it is not a well-formed safetensors file.
  static absl::StatusOr<std::unique_ptr<SafetensorsFile>> Open(const std::string& path);

  // Validates BYTES as a safetensors file and keeps a copy. SOURCE names it
  // in error messages. For tests and fuzzing.
  static absl::StatusOr<std::unique_ptr<SafetensorsFile>> FromBytes(std::string bytes,
                                                                    std::string source);

  ~SafetensorsFile();
  SafetensorsFile(const SafetensorsFile&) = delete;
  SafetensorsFile& operator=(const SafetensorsFile&) = delete;

  // The tensor NAME, or NOT_FOUND naming the file and the tensor.
  absl::StatusOr<TensorView> Get(std::string_view name) const;
  bool Contains(std::string_view name) const;

  // Tensor names in file order (by data offset).
  std::vector<std::string> Names() const;
  const std::map<std::string, std::string>& metadata() const { return metadata_; }
  const std::string& source() const { return source_; }

  // Copies tensor NAME into float32 values (F32, F16 and BF16 are converted;
  // other dtypes fail with INVALID_ARGUMENT). When EXPECTED_SHAPE is not
  // empty, a different shape fails with INVALID_ARGUMENT naming both shapes.
  absl::StatusOr<std::vector<float>> ReadFloat32(std::string_view name,
                                                 const std::vector<int64_t>& expected_shape = {}) const;

 private:
  SafetensorsFile() = default;
  absl::Status Parse();

  std::string source_;
  // Exactly one of the mapping and the owned bytes holds the file.
  void* mapping_ = nullptr;
  size_t mapping_size_ = 0;
  std::string owned_bytes_;
  const uint8_t* bytes_ = nullptr;
  size_t size_ = 0;
  std::map<std::string, TensorView, std::less<>> tensors_;
  std::map<std::string, std::string> metadata_;
};

// A float32 tensor to write.
struct Float32Tensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> values;
  // The dtype stored in the file: kF32, or kF16 to halve the size (values
  // rounded to nearest even; beyond the F16 range they become infinite).
  DType stored_dtype = DType::kF32;
};

// Writes TENSORS and METADATA to PATH as a safetensors file (each tensor in
// its stored_dtype, tensors sorted by name, data 8-byte aligned), replacing
// the file atomically. Fails with INVALID_ARGUMENT for a shape that does not
// match the value count, a duplicate name or a stored_dtype other than F32
// and F16, and with the OS error for I/O failures.
absl::Status WriteSafetensors(const std::string& path, const std::vector<Float32Tensor>& tensors,
                              const std::map<std::string, std::string>& metadata = {});

}  // namespace synesthesia::model

#endif  // SYNESTHESIA_CORE_MODEL_SAFETENSORS_H_
