// HOST:PORT parsing of the server's --listen and --metrics_address.
#include "server/address.h"

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia::server {
namespace {

using ::synesthesia::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParseHostPort, SplitsIpv4Ipv6AndNames) {
  ASSERT_OK_AND_ASSIGN(HostPort ipv4, ParseHostPort("127.0.0.1:50051", "x"));
  EXPECT_EQ(ipv4.host, "127.0.0.1");
  EXPECT_EQ(ipv4.port, 50051);
  ASSERT_OK_AND_ASSIGN(HostPort ipv6, ParseHostPort("[::1]:0", "x"));
  EXPECT_EQ(ipv6.host, "::1");
  EXPECT_EQ(ipv6.port, 0);
  ASSERT_OK_AND_ASSIGN(HostPort name, ParseHostPort("localhost:65535", "x"));
  EXPECT_EQ(name.host, "localhost");
  EXPECT_EQ(name.port, 65535);
}

TEST(ParseHostPort, RejectsMissingOrOutOfRangePorts) {
  for (const char* address : {"127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:99999",
                              "127.0.0.1:-1", "127.0.0.1:http", "[::1]", "127.0.0.1:000050051"}) {
    SCOPED_TRACE(address);
    EXPECT_THAT(ParseHostPort(address, "127.0.0.1:9464"),
                StatusIs(absl::StatusCode::kInvalidArgument,
                         HasSubstr(std::string("'") + address + "' is not HOST:PORT")));
  }
}

TEST(ValidateListenAddress, AcceptsUnixSockets) {
  EXPECT_OK(ValidateListenAddress("unix:/run/synesthesia.sock"));
  EXPECT_OK(ValidateListenAddress("unix-abstract:synesthesia"));
  EXPECT_THAT(ValidateListenAddress("127.0.0.1:99999"),
              StatusIs(absl::StatusCode::kInvalidArgument));
}

TEST(WithPort, ReplacesThePort) {
  EXPECT_EQ(WithPort("127.0.0.1:0", 4321), "127.0.0.1:4321");
  EXPECT_EQ(WithPort("[::]:0", 50051), "[::]:50051");
  EXPECT_EQ(WithPort("unix:/run/synesthesia.sock", 0), "unix:/run/synesthesia.sock");
}

}  // namespace
}  // namespace synesthesia::server
