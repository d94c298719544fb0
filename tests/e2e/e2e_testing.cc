#include "tests/e2e/e2e_testing.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "tests/testing/paths.h"

namespace synesthesia::testing {
namespace {

// How long a server may take to load its model and report SERVING.
constexpr absl::Duration kStartupTimeout = absl::Minutes(2);
constexpr absl::Duration kPollInterval = absl::Milliseconds(20);
constexpr absl::Duration kCliTimeout = absl::Minutes(2);

}  // namespace

std::string CliPath() { return SYNESTHESIA_CLI_PATH; }
std::string ServerPath() { return SYNESTHESIA_SERVER_PATH; }
std::string SourcePath(const std::string& relative) {
  return (std::filesystem::path(SYNESTHESIA_SOURCE_DIR) / relative).string();
}
std::string PythonStubsPath() { return SYNESTHESIA_PYTHON_STUBS_DIR; }
std::string NodeClientPath() { return SYNESTHESIA_NODE_CLIENT_DIR; }

std::string ReadFileOrEmpty(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  std::ostringstream contents;
  contents << file.rdbuf();
  return contents.str();
}

absl::StatusOr<std::unique_ptr<ServerProcess>> ServerProcess::Start(
    const std::string& model_directory, const std::vector<std::string>& extra_flags,
    const ClientOptions& health_client) {
  static std::atomic<int> started = 0;
  const std::string port_file =
      ScratchDirectory(absl::StrCat("server-", started.fetch_add(1))) + "/port";

  SubprocessOptions options;
  options.argv = {ServerPath(), "--listen=127.0.0.1:0", "--port_file=" + port_file,
                  "--metrics_address=127.0.0.1:0", "--model=" + model_directory};
  options.argv.insert(options.argv.end(), extra_flags.begin(), extra_flags.end());

  std::unique_ptr<ServerProcess> server(new ServerProcess());
  absl::StatusOr<std::unique_ptr<Subprocess>> process = Subprocess::Start(options);
  if (!process.ok()) return process.status();
  server->process_ = *std::move(process);

  // The port file is complete once it contains a newline-terminated line.
  const absl::Time give_up = absl::Now() + kStartupTimeout;
  int port = 0;
  while (true) {
    const std::string contents = ReadFileOrEmpty(port_file);
    const size_t newline = contents.find('\n');
    if (newline != std::string::npos && absl::SimpleAtoi(contents.substr(0, newline), &port) &&
        port > 0) {
      break;
    }
    if (!server->process_->Running() || absl::Now() >= give_up) {
      return absl::UnavailableError(absl::StrCat("synesthesia-server did not start; stderr:\n",
                                                 server->process_->Stderr()));
    }
    absl::SleepFor(kPollInterval);
  }
  server->address_ = absl::StrCat("127.0.0.1:", port);

  absl::StatusOr<std::unique_ptr<Client>> client =
      Client::Create(server->address_, health_client);
  if (!client.ok()) return client.status();
  while (true) {
    CallOptions call;
    call.wait_for_ready = true;
    call.deadline = absl::Seconds(5);
    absl::StatusOr<grpc::health::v1::HealthCheckResponse> health = (*client)->Health("", call);
    if (health.ok() && health->status() == grpc::health::v1::HealthCheckResponse::SERVING) {
      return server;
    }
    if (!server->process_->Running() || absl::Now() >= give_up) {
      return absl::UnavailableError(absl::StrCat(
          "synesthesia-server did not report SERVING; stderr:\n", server->process_->Stderr()));
    }
    absl::SleepFor(kPollInterval);
  }
}

absl::StatusOr<CommandResult> RunCli(const std::vector<std::string>& args,
                                     const CliOptions& options) {
  SubprocessOptions subprocess;
  subprocess.argv = {CliPath()};
  subprocess.argv.insert(subprocess.argv.end(), args.begin(), args.end());
  subprocess.stdin_data = options.stdin_data;
  subprocess.set_environment = options.set_environment;
  if (!options.set_environment.contains("NO_COLOR")) subprocess.unset_environment = {"NO_COLOR"};
  subprocess.stdout_terminal = options.terminal;
  return RunCommand(subprocess, kCliTimeout);
}

int UnusedLoopbackPort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = 0;
  socklen_t length = sizeof(address);
  int port = 0;
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0 &&
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) == 0) {
    port = ntohs(address.sin_port);
  }
  close(fd);
  return port;
}

}  // namespace synesthesia::testing
