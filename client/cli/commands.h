// The subcommands of the synesthesia tool and their entry points.
//
// Two executables share them. synesthesia does not link libtorch, so that
// remote commands start in milliseconds. For local mode (tokenize, embed,
// colorize without --server) it executes synesthesia-local from its own
// directory with the same arguments. synesthesia-local links the core
// library and runs local mode in process.
#ifndef SYNESTHESIA_CLIENT_CLI_COMMANDS_H_
#define SYNESTHESIA_CLIENT_CLI_COMMANDS_H_

#include <functional>
#include <vector>

#include "client/cli/arguments.h"
#include "client/cli/common.h"

namespace synesthesia::cli {

// The local-mode commands of one executable.
struct LocalMode {
  std::function<int(const Command&, const Arguments&)> tokenize;
  std::function<int(const Command&, const Arguments&)> embed;
  std::function<int(const Command&, const Arguments&, const ColourRequest&,
                    const OutputSettings&)>
      colorize;
};

// Parses the command line, runs the subcommand and returns the exit code.
int Main(int argc, char** argv, const LocalMode& local);

// Local mode (local_commands.cc, in synesthesia-local only).
int RunTokenize(const Command& command, const Arguments& arguments);
int RunEmbed(const Command& command, const Arguments& arguments);
int RunLocalColorize(const Command& command, const Arguments& arguments,
                     const ColourRequest& request, const OutputSettings& output);

// Remote mode (remote_commands.cc, stream_command.cc, bench.cc).
int RunRemoteColorize(const Command& command, const Arguments& arguments,
                      const ColourRequest& request, const OutputSettings& output);
int RunInfo(const Command& command, const Arguments& arguments);
int RunHealth(const Command& command, const Arguments& arguments);
int RunStream(const Command& command, const Arguments& arguments);
int RunBench(const Command& command, const Arguments& arguments);

}  // namespace synesthesia::cli

#endif  // SYNESTHESIA_CLIENT_CLI_COMMANDS_H_
