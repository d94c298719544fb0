#include "server/address.h"

#include <algorithm>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace synesthesia::server {

absl::StatusOr<HostPort> ParseHostPort(absl::string_view address, absl::string_view example) {
  const size_t colon = address.rfind(':');
  const absl::string_view port_text =
      colon == absl::string_view::npos ? absl::string_view() : address.substr(colon + 1);
  int port = -1;
  const bool digits_only =
      !port_text.empty() && port_text.size() <= 5 &&
      std::all_of(port_text.begin(), port_text.end(), [](char c) { return absl::ascii_isdigit(c); });
  if (!digits_only || !absl::SimpleAtoi(port_text, &port) || port > 65535) {
    return absl::InvalidArgumentError(
        absl::StrCat("'", address, "' is not HOST:PORT with a port from 0 to 65535; write for example ",
                     example, " (port 0 lets the system choose)"));
  }
  absl::string_view host = address.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  return HostPort{.host = std::string(host), .port = port};
}

std::string WithPort(absl::string_view address, int port) {
  if (absl::StartsWith(address, "unix:") || absl::StartsWith(address, "unix-abstract:")) {
    return std::string(address);
  }
  const size_t colon = address.rfind(':');
  if (colon == absl::string_view::npos) return std::string(address);
  return absl::StrCat(address.substr(0, colon + 1), port);
}

absl::Status ValidateListenAddress(absl::string_view address) {
  if (absl::StartsWith(address, "unix:") || absl::StartsWith(address, "unix-abstract:")) {
    return absl::OkStatus();
  }
  return ParseHostPort(address, "127.0.0.1:50051 or [::]:50051").status();
}

}  // namespace synesthesia::server
