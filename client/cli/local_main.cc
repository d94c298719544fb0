// synesthesia-local: the synesthesia tool with local mode (tokenize, embed,
// colorize without --server) in process, through the core library and
// libtorch. synesthesia runs it for those commands; see commands.h.
#include "client/cli/commands.h"

int main(int argc, char** argv) {
  const synesthesia::cli::LocalMode local{
      .tokenize = synesthesia::cli::RunTokenize,
      .embed = synesthesia::cli::RunEmbed,
      .colorize = synesthesia::cli::RunLocalColorize,
  };
  return synesthesia::cli::Main(argc, argv, local);
}
