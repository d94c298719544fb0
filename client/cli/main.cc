// synesthesia: the command-line tool of Synesthesia. colorize --server,
// stream, info, health and bench talk to a synesthesia-server; tokenize,
// embed and colorize without --server run the model locally through
// synesthesia-local. `synesthesia --help` lists the commands and
// `synesthesia COMMAND --help` describes each, with the exit codes.
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <system_error>

#include "client/cli/commands.h"

namespace {

// Replaces this process with synesthesia-local from the directory of this
// executable, with the same arguments; returns only when that fails.
int ExecLocalMode(char** argv) {
  std::error_code error;
  const std::filesystem::path self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (error) {
    std::cerr << "synesthesia: cannot find its own executable for local mode: "
              << error.message() << "\n";
    return synesthesia::cli::kExitLocalError;
  }
  const std::string local = (self.parent_path() / "synesthesia-local").string();
  execv(local.c_str(), argv);
  std::cerr << "synesthesia: local mode needs " << local << ", which cannot be run ("
            << std::strerror(errno) << "); install it next to synesthesia, or use --server\n";
  return synesthesia::cli::kExitLocalError;
}

}  // namespace

int main(int argc, char** argv) {
  using synesthesia::cli::Arguments;
  using synesthesia::cli::ColourRequest;
  using synesthesia::cli::Command;
  using synesthesia::cli::OutputSettings;
  auto exec_local = [argv](const Command&, const Arguments&) { return ExecLocalMode(argv); };
  synesthesia::cli::LocalMode local{
      .tokenize = exec_local,
      .embed = exec_local,
      .colorize = [argv](const Command&, const Arguments&, const ColourRequest&,
                         const OutputSettings&) { return ExecLocalMode(argv); },
  };
  return synesthesia::cli::Main(argc, argv, local);
}
