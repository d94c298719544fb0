// synesthesia-server's start-up checks as an operator meets them: exit
// code 2 and a message naming the flag for values out of range, exit code 1
// when the port is taken, --version, and the warning for projection files
// without their manifest.
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "absl/strings/str_cat.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "synesthesia/client.h"
#include "tests/e2e/e2e_testing.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"
#include "tests/testing/subprocess.h"

namespace synesthesia {
namespace {

using ::testing::HasSubstr;

// Runs synesthesia-server with FLAGS, which must make it exit by itself.
testing::CommandResult RunServer(const std::vector<std::string>& flags) {
  testing::SubprocessOptions options;
  options.argv = {testing::ServerPath()};
  options.argv.insert(options.argv.end(), flags.begin(), flags.end());
  absl::StatusOr<testing::CommandResult> result = testing::RunCommand(options, absl::Minutes(2));
  EXPECT_TRUE(result.ok()) << "the server did not exit: " << result.status();
  return result.ok() ? *result : testing::CommandResult{};
}

TEST(ServerFlags, ListenPortOutOfRangeExitsWithTwo) {
  // gRPC alone would listen on 99999 modulo 65536.
  const testing::CommandResult result =
      RunServer({"--listen=127.0.0.1:99999", "--metrics_address="});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.stderr_text, HasSubstr("--listen '127.0.0.1:99999'"));
  EXPECT_THAT(result.stderr_text, HasSubstr("from 0 to 65535"));
}

TEST(ServerFlags, MetricsAddressWithoutPortExitsWithTwo) {
  const testing::CommandResult result =
      RunServer({"--listen=127.0.0.1:0", "--metrics_address=127.0.0.1"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.stderr_text, HasSubstr("--metrics_address '127.0.0.1'"));
  EXPECT_THAT(result.stderr_text, HasSubstr("127.0.0.1:9464"));
}

TEST(ServerFlags, NegativeWindowOverlapExitsWithTwo) {
  const testing::CommandResult result =
      RunServer({"--listen=127.0.0.1:0", "--metrics_address=", "--window_overlap=-1"});
  EXPECT_EQ(result.exit_code, 2);
  EXPECT_THAT(result.stderr_text, HasSubstr("--window_overlap must not be negative, got -1"));
}

TEST(ServerFlags, VersionPrintsTheServerVersion) {
  const testing::CommandResult result = RunServer({"--version"});
  EXPECT_EQ(result.exit_code, 0);
  EXPECT_THAT(result.stdout_text, HasSubstr("synesthesia-server 0."));
  EXPECT_THAT(result.stdout_text, ::testing::Not(HasSubstr("Debug build")));
}

TEST(ServerStartUp, PortInUseExitsWithOne) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<testing::ServerProcess> first,
                       testing::ServerProcess::Start(testing::TestDataPath("distilbert-tiny")));

  // gRPC turns on SO_REUSEPORT by default, and with it a second
  // server would start here and take some of the first one's calls.
  const testing::CommandResult second = RunServer(
      {"--listen=" + first->address(), "--metrics_address=",
       "--model=" + testing::TestDataPath("distilbert-tiny")});
  EXPECT_EQ(second.exit_code, 1);
  EXPECT_THAT(second.stderr_text, HasSubstr(absl::StrCat("cannot listen on ", first->address())));

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<Client> client, Client::Create(first->address()));
  ASSERT_OK_AND_ASSIGN(grpc::health::v1::HealthCheckResponse health, client->Health());
  EXPECT_EQ(health.status(), grpc::health::v1::HealthCheckResponse::SERVING);
}

TEST(ServerStartUp, ProjectionFileWithoutManifestIsLogged) {
  const std::string directory = testing::ScratchDirectory("projection-without-manifest");
  for (const char* file : {"config.json", "vocab.txt", "model.safetensors"}) {
    std::filesystem::copy_file(testing::TestDataPath(std::string("distilbert-tiny/") + file),
                               std::filesystem::path(directory) / file);
  }
  std::ofstream(std::filesystem::path(directory) / "basis.safetensors") << "unused";

  // The model still serves pca, and the warning explains why basis is missing.
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<testing::ServerProcess> server,
                       testing::ServerProcess::Start(directory));
  EXPECT_THAT(server->process().Stderr(),
              HasSubstr("has basis.safetensors but no synesthesia.json, so only pca is served"));
}

}  // namespace
}  // namespace synesthesia
