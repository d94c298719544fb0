// Conversion of the exceptions that libtorch and the libraries under it
// (oneDNN, the C++ allocator) throw into absl::Status, so that none crosses
// the core boundary. For core/model's own sources: the header includes
// libtorch.
#ifndef SYNESTHESIA_CORE_MODEL_LIBRARY_ERRORS_H_
#define SYNESTHESIA_CORE_MODEL_LIBRARY_ERRORS_H_

#include <c10/util/Exception.h>

#include <cstddef>
#include <exception>
#include <string_view>

#include "absl/status/status.h"

namespace synesthesia::model {

// Maximum length of the library's error text in a status message; the full
// text goes to the log.
inline constexpr size_t kMaxLibraryErrorLength = 200;

// Returns INTERNAL "libtorch error in OPERATION: <first line of the
// message>", cut to kMaxLibraryErrorLength characters of the message, and
// logs the whole message (the first call and every 100th after it).
absl::Status TorchErrorToStatus(const c10::Error& error, std::string_view operation);

// The same for any other exception: "out of memory in OPERATION: ..." for
// std::bad_alloc, "error in OPERATION: ..." for the rest (for example
// dnnl::error from the int8 kernels).
absl::Status ExceptionToStatus(const std::exception& error, std::string_view operation);

}  // namespace synesthesia::model

#endif  // SYNESTHESIA_CORE_MODEL_LIBRARY_ERRORS_H_
