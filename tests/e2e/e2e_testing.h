// Support for the end-to-end tests: the synesthesia-server binary spawned on
// 127.0.0.1 with a test model, the synesthesia CLI run as a child process,
// and the paths of the built binaries and generated client files.
#ifndef SYNESTHESIA_TESTS_E2E_E2E_TESTING_H_
#define SYNESTHESIA_TESTS_E2E_E2E_TESTING_H_

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "synesthesia/client.h"
#include "tests/testing/subprocess.h"

namespace synesthesia::testing {

// Built binaries and generated files, from CMake definitions.
std::string CliPath();
std::string ServerPath();
// The repository root.
std::string SourcePath(const std::string& relative);
// Python stubs generated from the .proto files (a PYTHONPATH entry).
std::string PythonStubsPath();
// The Node.js client copied into the build tree (package.json, lock file,
// example and test script).
std::string NodeClientPath();

// A synesthesia-server child process listening on 127.0.0.1 at a port it
// chose, killed when this object is destroyed.
class ServerProcess {
 public:
  // Starts the server on MODEL_DIRECTORY with EXTRA_FLAGS and waits until
  // its health check, asked with HEALTH_CLIENT's options (TLS for a TLS
  // server), reports SERVING. Fails with the server's standard error when
  // it exits or does not become ready within two minutes.
  static absl::StatusOr<std::unique_ptr<ServerProcess>> Start(
      const std::string& model_directory, const std::vector<std::string>& extra_flags = {},
      const ClientOptions& health_client = {});

  // "127.0.0.1:PORT".
  const std::string& address() const { return address_; }
  Subprocess& process() { return *process_; }

 private:
  ServerProcess() = default;

  std::unique_ptr<Subprocess> process_;
  std::string address_;
};

struct CliOptions {
  std::optional<std::string> stdin_data;
  std::map<std::string, std::string> set_environment;
  // Standard output is a terminal.
  bool terminal = false;
};

// Options with TEXT as standard input.
inline CliOptions WithStdin(std::string text) {
  CliOptions options;
  options.stdin_data = std::move(text);
  return options;
}

// Runs `synesthesia ARGS...` to completion (at most two minutes). NO_COLOR
// is removed from the environment unless OPTIONS sets it.
absl::StatusOr<CommandResult> RunCli(const std::vector<std::string>& args,
                                     const CliOptions& options = {});

// A TCP port on 127.0.0.1 that nothing listened on a moment ago.
int UnusedLoopbackPort();

// The contents of the file PATH (empty when it cannot be read).
std::string ReadFileOrEmpty(const std::string& path);

}  // namespace synesthesia::testing

#endif  // SYNESTHESIA_TESTS_E2E_E2E_TESTING_H_
