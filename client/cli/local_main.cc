// synesthesia-local: the synesthesia tool with local mode (tokenize, embed,
// colorize without --server) in process, through the core library and
// libtorch. synesthesia runs it for those commands; see commands.h.
#include "client/cli/commands.h"
#include "glog/logging.h"

int main(int argc, char** argv) {
  // The core library logs through glog, for example the encoder's thread
  // layout at INFO. At a terminal only warnings and errors are wanted, on
  // standard error and in no log file.
  FLAGS_logtostderr = true;
  FLAGS_minloglevel = google::GLOG_WARNING;
  google::InitGoogleLogging(argv[0]);
  const synesthesia::cli::LocalMode local{
      .tokenize = synesthesia::cli::RunTokenize,
      .embed = synesthesia::cli::RunEmbed,
      .colorize = synesthesia::cli::RunLocalColorize,
  };
  return synesthesia::cli::Main(argc, argv, local);
}
