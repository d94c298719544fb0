// The subcommands of the synesthesia tool and their entry points.
#ifndef SYNESTHESIA_CLIENT_CLI_COMMANDS_H_
#define SYNESTHESIA_CLIENT_CLI_COMMANDS_H_

#include <vector>

#include "client/cli/arguments.h"
#include "client/cli/common.h"

namespace synesthesia::cli {

// Every subcommand with its help and options, in the order of
// `synesthesia --help`.
const std::vector<Command>& Commands();

// Local mode (local_commands.cc).
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
