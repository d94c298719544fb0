#include <memory>
#include <string>

#include "core/model/safetensors.h"
#include "tests/fuzz/fuzz_targets.h"

namespace synesthesia::fuzz {

int FuzzSafetensors(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  absl::StatusOr<std::unique_ptr<model::SafetensorsFile>> file =
      model::SafetensorsFile::FromBytes(std::move(bytes), "fuzz.safetensors");
  if (!file.ok()) {
    FUZZ_CHECK(file.status().code() == absl::StatusCode::kInvalidArgument,
               "FromBytes failed with a code other than INVALID_ARGUMENT");
    return 0;
  }

  for (const std::string& name : (*file)->Names()) {
    FUZZ_CHECK((*file)->Contains(name), "Names lists a tensor that Contains denies");
    absl::StatusOr<model::TensorView> view = (*file)->Get(name);
    FUZZ_CHECK(view.ok(), "Get fails on a listed tensor");
    FUZZ_CHECK(view->byte_size == view->element_count() * model::DTypeSize(view->dtype),
               "byte size differs from shape times element size");
    FUZZ_CHECK(view->byte_size == 0 || view->data != nullptr, "tensor data is null");
    // Touch the first and last byte so that AddressSanitizer sees a range
    // outside the file.
    if (view->byte_size > 0) {
      volatile uint8_t first = view->data[0];
      volatile uint8_t last = view->data[view->byte_size - 1];
      (void)first;
      (void)last;
    }

    absl::StatusOr<std::vector<float>> values = (*file)->ReadFloat32(name);
    if (values.ok()) {
      FUZZ_CHECK(static_cast<int64_t>(values->size()) == view->element_count(),
                 "ReadFloat32 returned a different element count");
    } else {
      FUZZ_CHECK(values.status().code() == absl::StatusCode::kInvalidArgument,
                 "ReadFloat32 failed with a code other than INVALID_ARGUMENT");
    }
  }
  return 0;
}

}  // namespace synesthesia::fuzz
