#include "core/model/library_errors.h"

#include <glog/logging.h>

#include <new>
#include <string>

#include "absl/strings/str_cat.h"

namespace synesthesia::model {
namespace {

absl::Status ErrorTextToStatus(std::string_view kind, std::string message,
                               std::string_view operation) {
  LOG_EVERY_N(ERROR, 100) << kind << " in " << operation << ": " << message;
  if (size_t newline = message.find('\n'); newline != std::string::npos) message.resize(newline);
  if (message.size() > kMaxLibraryErrorLength) message.resize(kMaxLibraryErrorLength);
  return absl::InternalError(absl::StrCat(std::string(kind), " in ", std::string(operation), ": ",
                                          message));
}

}  // namespace

absl::Status TorchErrorToStatus(const c10::Error& error, std::string_view operation) {
  return ErrorTextToStatus("libtorch error", error.what_without_backtrace(), operation);
}

absl::Status ExceptionToStatus(const std::exception& error, std::string_view operation) {
  if (dynamic_cast<const std::bad_alloc*>(&error) != nullptr) {
    return ErrorTextToStatus("out of memory", error.what(), operation);
  }
  return ErrorTextToStatus("error", error.what(), operation);
}

}  // namespace synesthesia::model
