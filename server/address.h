// Listening addresses in HOST:PORT form, checked before any socket opens.
#ifndef SYNESTHESIA_SERVER_ADDRESS_H_
#define SYNESTHESIA_SERVER_ADDRESS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"

namespace synesthesia::server {

// A HOST:PORT address split in two. An IPv6 host loses its brackets.
struct HostPort {
  std::string host;
  int port = 0;
};

// Splits ADDRESS ("127.0.0.1:50051", "[::1]:0", "localhost:9464"). The
// port must be a decimal number from 0 to 65535, where 0 lets the system
// choose. INVALID_ARGUMENT naming ADDRESS, with EXAMPLE as a valid
// address, for a missing or out-of-range port. gRPC itself reads a larger
// port modulo 65536, so it would listen on 34463 for 99999.
absl::StatusOr<HostPort> ParseHostPort(absl::string_view address, absl::string_view example);

// ADDRESS with its port replaced by PORT, for logging the port that the
// system chose for port 0: "127.0.0.1:0" and 4321 give "127.0.0.1:4321".
// ADDRESS unchanged when it has no port (a "unix:" path).
std::string WithPort(absl::string_view address, int port);

// Checks the gRPC listening address ADDRESS with ParseHostPort, except for
// "unix:" and "unix-abstract:" socket paths, which gRPC also accepts.
absl::Status ValidateListenAddress(absl::string_view address);

}  // namespace synesthesia::server

#endif  // SYNESTHESIA_SERVER_ADDRESS_H_
