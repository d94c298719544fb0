// Clients outside the C++ build: a project built against the installed
// package (CMake and pkg-config), the Python client and the Node.js client,
// each talking to a spawned synesthesia-server.
#include <filesystem>
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/e2e/e2e_testing.h"
#include "tests/testing/paths.h"
#include "tests/testing/status_matchers.h"

namespace synesthesia {
namespace {

using ::testing::HasSubstr;
using ::testing::MatchesRegex;
using testing::CommandResult;

constexpr absl::Duration kBuildTimeout = absl::Minutes(10);

// Runs ARGV and fails the test unless it exits with 0.
void RunOrFail(std::vector<std::string> argv, testing::SubprocessOptions options = {},
         CommandResult* result_out = nullptr) {
  options.argv = std::move(argv);
  ASSERT_OK_AND_ASSIGN(CommandResult result, testing::RunCommand(options, kBuildTimeout));
  ASSERT_EQ(result.exit_code, 0) << options.argv[0] << " " << options.argv[1] << " failed:\n"
                                 << result.stdout_text << result.stderr_text;
  if (result_out != nullptr) *result_out = std::move(result);
}

// The output a consumer prints for "A yellow banana" and "deep sea".
constexpr char kConsumerOutput[] =
    "unary A #[0-9a-f]{6}\n"
    "unary yellow #[0-9a-f]{6}\n"
    "unary banana #[0-9a-f]{6}\n"
    "stream deep #[0-9a-f]{6}\n"
    "stream sea #[0-9a-f]{6}\n";

TEST(InstalledPackage, ConsumerBuildsWithCMakeAndPkgConfig) {
  const std::string scratch = testing::ScratchDirectory("consumer");
  const std::string prefix = scratch + "/prefix";
  const std::string libdir = prefix + "/" + SYNESTHESIA_INSTALL_LIBDIR;
  ASSERT_NO_FATAL_FAILURE(RunOrFail({SYNESTHESIA_CMAKE_COMMAND, "--install", testing::BuildPath(""),
                               "--prefix", prefix, "--component", "client"}));
  for (const std::string& file :
       {prefix + "/include/synesthesia/client.h",
        prefix + "/include/synesthesia/proto/synesthesia/v1/synesthesia.grpc.pb.h",
        prefix + "/include/synesthesia/proto/grpc/health/v1/health.pb.h",
        libdir + "/libsynesthesia_client.a", libdir + "/libsynesthesia_proto.a",
        libdir + "/cmake/synesthesia/synesthesiaConfig.cmake",
        libdir + "/cmake/synesthesia/synesthesiaConfigVersion.cmake",
        libdir + "/pkgconfig/synesthesia-client.pc"}) {
    EXPECT_TRUE(std::filesystem::exists(file)) << file;
  }

  const std::string build = scratch + "/build";
  ASSERT_NO_FATAL_FAILURE(RunOrFail({SYNESTHESIA_CMAKE_COMMAND, "-S",
                               testing::SourcePath("tests/e2e/consumer"), "-B", build, "-G",
                               "Ninja", "-DCMAKE_BUILD_TYPE=Release",
                               "-DCMAKE_PREFIX_PATH=" + prefix,
                               "-DCMAKE_CXX_COMPILER=" SYNESTHESIA_CXX_COMPILER}));
  ASSERT_NO_FATAL_FAILURE(RunOrFail({SYNESTHESIA_CMAKE_COMMAND, "--build", build, "-j", "2"}));

  // The same program built with only pkg-config's flags.
  testing::SubprocessOptions pkg_config;
  pkg_config.set_environment["PKG_CONFIG_PATH"] = libdir + "/pkgconfig";
  CommandResult flags;
  ASSERT_NO_FATAL_FAILURE(
      RunOrFail({"pkg-config", "--cflags", "--libs", "synesthesia-client"}, pkg_config, &flags));
  EXPECT_THAT(flags.stdout_text, HasSubstr("-lsynesthesia_client"));
  ASSERT_NO_FATAL_FAILURE(
      RunOrFail({"/bin/sh", "-c",
           std::string(SYNESTHESIA_CXX_COMPILER) + " -std=c++20 -O1 -o " + scratch +
               "/consumer-pkg-config " + testing::SourcePath("tests/e2e/consumer/main.cc") +
               " $(pkg-config --cflags --libs synesthesia-client)"},
          pkg_config));

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<testing::ServerProcess> server,
                       testing::ServerProcess::Start(testing::TestDataPath("distilbert-tiny")));
  for (const std::string& binary : {build + "/consumer", scratch + "/consumer-pkg-config"}) {
    SCOPED_TRACE(binary);
    CommandResult result;
    ASSERT_NO_FATAL_FAILURE(RunOrFail({binary, server->address()}, {}, &result));
    EXPECT_THAT(result.stdout_text, MatchesRegex(kConsumerOutput));
  }
}

TEST(PythonClient, UnaryBatchAndStream) {
  ASSERT_OK_AND_ASSIGN(std::unique_ptr<testing::ServerProcess> server,
                       testing::ServerProcess::Start(testing::TestDataPath("distilbert-tiny")));
  testing::SubprocessOptions options;
  options.set_environment["PYTHONPATH"] = testing::PythonStubsPath();
  options.set_environment["PYTHONDONTWRITEBYTECODE"] = "1";
  // Debian's interpreter, which has python3-grpcio, whatever python3 comes
  // first on PATH.
  options.argv = {"/usr/bin/python3", testing::SourcePath("tests/e2e/python_client_test.py"),
                  server->address(), testing::SourcePath("")};
  ASSERT_OK_AND_ASSIGN(CommandResult result, testing::RunCommand(options, absl::Minutes(2)));
  EXPECT_EQ(result.exit_code, 0) << result.stdout_text << result.stderr_text;
  EXPECT_THAT(result.stderr_text, HasSubstr("Ran 4 tests"));
}

TEST(NodeClient, StreamsAMessage) {
  testing::SubprocessOptions version;
  version.argv = {"npm", "--version"};
  absl::StatusOr<CommandResult> npm = testing::RunCommand(version, absl::Minutes(1));
  constexpr char kNoNpm[] =
      "npm is not available, so the Node.js client cannot be tested; install Node.js and npm "
      "(scripts/install-deps.sh test). ";
  ASSERT_TRUE(npm.ok()) << kNoNpm << npm.status();
  ASSERT_EQ(npm->exit_code, 0) << kNoNpm << npm->stderr_text;

  // npm ci installs exactly the versions of package-lock.json; with a warm
  // npm cache it needs no network.
  testing::SubprocessOptions install;
  install.working_directory = testing::NodeClientPath();
  ASSERT_NO_FATAL_FAILURE(
      RunOrFail({"npm", "ci", "--prefer-offline", "--no-audit", "--no-fund"}, install));

  ASSERT_OK_AND_ASSIGN(std::unique_ptr<testing::ServerProcess> server,
                       testing::ServerProcess::Start(testing::TestDataPath("distilbert-tiny")));
  CommandResult result;
  ASSERT_NO_FATAL_FAILURE(RunOrFail({"node", testing::SourcePath("tests/e2e/node_stream_test.js"),
                               testing::NodeClientPath(), server->address(),
                               testing::SourcePath("proto")},
                              {}, &result));
  EXPECT_THAT(result.stdout_text, HasSubstr("ok: 7 spans"));
}

}  // namespace
}  // namespace synesthesia
