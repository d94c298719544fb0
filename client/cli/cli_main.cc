// The command table and dispatch of the synesthesia tool, shared by the
// synesthesia and synesthesia-local executables (see commands.h).
#include <iostream>
#include <span>
#include <string>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "client/cli/commands.h"
#include "client/cli/common.h"
#include "google/protobuf/stubs/logging.h"

namespace synesthesia::cli {
namespace {

std::vector<OptionSpec> Join(std::initializer_list<std::vector<OptionSpec>> groups) {
  std::vector<OptionSpec> joined;
  for (const std::vector<OptionSpec>& group : groups) {
    joined.insert(joined.end(), group.begin(), group.end());
  }
  return joined;
}

constexpr Format kColorizeFormats[] = {Format::kJson, Format::kAnsi, Format::kHtml, Format::kPlain};

int RunColorize(const LocalMode& local, const Command& command, const Arguments& arguments) {
  absl::StatusOr<ColourRequest> request = ParseColourRequest(arguments);
  if (!request.ok()) return UsageError(command, request.status().message());
  absl::StatusOr<OutputSettings> output =
      ParseOutputSettings(arguments, kColorizeFormats, Format::kAnsi);
  if (!output.ok()) return UsageError(command, output.status().message());

  if (!arguments.Has("server")) {
    for (const OptionSpec& option : ConnectionOptions()) {
      if (arguments.Has(option.name)) {
        return UsageError(command, absl::StrCat("--", option.name, " needs --server"));
      }
    }
    return local.colorize(command, arguments, *request, *output);
  }
  if (arguments.Has("model")) {
    return UsageError(command,
                      "--model is for local mode; with --server the server's model is used");
  }
  return RunRemoteColorize(command, arguments, *request, *output);
}

constexpr char kTokenFields[] =
    "start and end count Unicode code points and byte_start and byte_end count UTF-8 bytes, "
    "both as half-open ranges of the input; [CLS] and [SEP] have special true and the range "
    "[0, 0).";

std::vector<Command> BuildCommands(const LocalMode& local) {
  std::vector<Command> commands;
  commands.push_back(Command{
      .name = "tokenize",
      .summary = "split text into WordPiece tokens (local)",
      .usage = "synesthesia tokenize [--model DIR] TEXT|-",
      .description = absl::StrCat(
          "Tokenizes TEXT (or standard input with -) with the model's WordPiece tokenizer and "
          "prints JSON with one token per line:\n"
          "  {\"tokens\":[{\"id\",\"text\",\"special\",\"start\",\"end\",\"byte_start\","
          "\"byte_end\"},...]}\n",
          kTokenFields),
      .options = {ModelOption()},
      .run = local.tokenize,
  });
  commands.push_back(Command{
      .name = "embed",
      .summary = "print the encoder's hidden state of every token (local)",
      .usage = "synesthesia embed [--model DIR] TEXT|-",
      .description = absl::StrCat(
          "Encodes TEXT (or standard input with -) in one forward pass and prints the tokens "
          "as tokenize does, followed by one row of the last hidden state per token, [CLS] and "
          "[SEP] included:\n"
          "  {\"tokens\":[...],\"last_hidden_state\":[[...],...]}\n"
          "Floats are printed in their shortest form that reads back as the same float32. The "
          "text must fit the model's positions. ",
          kTokenFields),
      .options = {ModelOption()},
      .run = local.embed,
  });
  commands.push_back(Command{
      .name = "colorize",
      .summary = "colour text by its meaning (local, or remote with --server)",
      .usage = "synesthesia colorize [OPTIONS] TEXT | - | --file PATH",
      .description =
          "Colours TEXT, standard input (-) or the file PATH. Without --server the model runs "
          "in this process (--model DIR, default the embedded synesthesia-mini); with --server "
          "the text goes to a synesthesia-server.\n\n"
          "Formats:\n"
          "  ansi   the text with 24-bit colour escape codes around each span; text\n"
          "         between spans is printed as it is (default)\n"
          "  json   {\"model\",\"projection\",\"spans\":[{\"text\",\"start\",\"end\",\"byte_start\",\n"
          "         \"byte_end\",\"rgb\":[r,g,b],\"hex\"}]}, one span per line, offsets as\n"
          "         in tokenize\n"
          "  html   a standalone HTML page with each span in bold 16px in its colour\n"
          "  plain  one span per line: #rrggbb<TAB>start<TAB>end<TAB>text, offsets in\n"
          "         code points; tab, newline, carriage return and backslash in the\n"
          "         text are written as \\t, \\n, \\r and \\\\, other control characters\n"
          "         as \\xHH",
      .options = Join({{ModelOption(), {"file", "PATH", "read the text from PATH"}},
                       ColourOptions(), OutputOptions("json, ansi, html or plain", "ansi"),
                       ConnectionOptions()}),
      .run = [&local](const Command& command, const Arguments& arguments) {
        return RunColorize(local, command, arguments);
      },
  });
  commands.push_back(Command{
      .name = "stream",
      .summary = "colour standard input live as it is written (remote)",
      .usage = "some-generator | synesthesia stream --server HOST:PORT [OPTIONS]",
      .description =
          "Reads standard input as it arrives and sends each chunk to the server's "
          "ColorizeStream as a delta of one message; each word is printed in its colour as soon "
          "as the server has coloured it, and the message is finished at end of input. Text "
          "between words is printed as it is. A message that grows past 64 KiB is finished at "
          "the next whitespace and continued as a new message (ID-2, ID-3, ...), so a "
          "long-running pipe stays under the server's text limit.\n\n"
          "Formats: ansi (default) prints the coloured text; json prints each response as one "
          "line {\"message_id\",\"final\",\"projection\",\"spans\":[...]}, spans as in colorize.",
      .options = Join({{{"message-id", "ID", "message id sent to the server; default stdin"}},
                       StreamColourOptions(), OutputOptions("ansi or json", "ansi"),
                       ConnectionOptions()}),
      .run = RunStream,
  });
  commands.push_back(Command{
      .name = "info",
      .summary = "describe the server's model and limits (remote)",
      .usage = "synesthesia info --server HOST:PORT [--json]",
      .description = "Prints the server's ModelInfo: model, projections, limits and version.",
      .options = Join({{{"json", "", "print the ModelInfo message as JSON (proto field names)"}},
                       ConnectionOptions()}),
      .run = RunInfo,
  });
  commands.push_back(Command{
      .name = "health",
      .summary = "check whether the server is serving (remote)",
      .usage = "synesthesia health --server HOST:PORT [--service NAME] [--wait DURATION]",
      .description =
          "Asks grpc.health.v1.Health/Check and prints the status (SERVING, NOT_SERVING, ...). "
          "Exits 0 when SERVING, 3 when the server is not serving or cannot be reached, and 5 "
          "when it does not know --service (NOT_FOUND). The server reports SERVING once its "
          "model is loaded and warmed up.",
      .options = Join({{{"service", "NAME",
                         "service to ask about: empty (default) for the whole server, or "
                         "synesthesia.v1.Synesthesia"},
                        {"wait", "DURATION",
                         "keep checking (every 100 ms) until SERVING or DURATION has passed, "
                         "for example 30s; default: check once"}},
                       ConnectionOptions()}),
      .run = RunHealth,
  });
  commands.push_back(Command{
      .name = "bench",
      .summary = "load-test a server and report throughput and latency (remote)",
      .usage = "synesthesia bench --server HOST:PORT [OPTIONS]",
      .description =
          "Sends requests from --concurrency workers until --duration has passed or "
          "--requests have been sent (default: 10 s), then prints the throughput, the latency "
          "percentiles (p50, p90, p99, max) of successful requests and a count of each status "
          "code. Without --rate each worker sends its next request as soon as the last one is "
          "answered (closed loop); with --rate requests start on a fixed schedule (open loop) "
          "and a request that waits for a free worker counts the wait in its latency. In "
          "stream mode each request is one message sent word by word on a stream that each "
          "worker keeps open, timed until its final response. A progress line goes to "
          "standard error when it is a terminal. Exits 0 when every request succeeded, else "
          "with the exit code of the most frequent error.",
      .options = Join({{{"concurrency", "N", "workers sending requests; default 8"},
                        {"duration", "DURATION", "length of the run, for example 30s; default 10s"},
                        {"requests", "N", "stop after N requests (without --duration: within 1h)"},
                        {"rate", "R", "start R requests per second in total (open loop); default: "
                                      "closed loop"},
                        {"texts", "FILE",
                         "texts to send, one per line, used in turn; default: built-in chat "
                         "messages of 8 to 32 tokens"},
                        {"mode", "MODE", "unary (Colorize, default) or stream (ColorizeStream)"},
                        {"json", "", "print the report as one JSON object"}},
                       ColourOptions(), ConnectionOptions()}),
      .run = RunBench,
  });
  return commands;
}

std::string MainHelp(const std::vector<Command>& commands) {
  std::string help =
      "Usage: synesthesia COMMAND [OPTIONS]\n\n"
      "Colours text by its meaning with a transformer encoder, locally or through a\n"
      "synesthesia-server.\n\n"
      "Commands:\n";
  for (const Command& command : commands) {
    absl::StrAppend(&help, "  ", command.name, std::string(10 - command.name.size(), ' '),
                    command.summary, "\n");
  }
  absl::StrAppend(&help,
                  "\nRun 'synesthesia COMMAND --help' for the options of a command.\n"
                  "Options: --help, --version.\n\n",
                  kExitCodeHelp);
  return help;
}

// Writes libprotobuf's warnings and errors to stderr as its default handler
// does, except the error it logs when a string field holding invalid UTF-8 is
// serialized. The CLI sends the user's text as it is so that the server
// rejects it with INVALID_ARGUMENT naming the byte, and that message,
// printed with the exit code for rejected input, already names the fix.
void LogProtobufMessage(google::protobuf::LogLevel level, const char* filename, int line,
                        const std::string& message) {
  if (level == google::protobuf::LOGLEVEL_ERROR &&
      absl::StrContains(message, "contains invalid UTF-8 data when serializing")) {
    return;
  }
  static constexpr const char* kLevelNames[] = {"INFO", "WARNING", "ERROR", "FATAL"};
  const char* level_name = level >= 0 && level <= google::protobuf::LOGLEVEL_FATAL
                               ? kLevelNames[level]
                               : "UNKNOWN";
  std::cerr << "[libprotobuf " << level_name << " " << filename << ":" << line << "] " << message
            << std::endl;
}

}  // namespace

int Main(int argc, char** argv, const LocalMode& local) {
  google::protobuf::SetLogHandler(&LogProtobufMessage);
  const std::vector<Command> commands = BuildCommands(local);
  const std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty()) {
    std::cerr << MainHelp(commands);
    return kExitUsage;
  }
  if (args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    if (args[0] == "help" && args.size() > 1) {
      for (const Command& command : commands) {
        if (command.name == args[1]) {
          std::cout << HelpText(command);
          return kExitSuccess;
        }
      }
    }
    std::cout << MainHelp(commands);
    return kExitSuccess;
  }
  if (args[0] == "--version") {
    std::cout << "synesthesia " << SYNESTHESIA_VERSION << "\n";
    return kExitSuccess;
  }

  for (const Command& command : commands) {
    if (command.name != args[0]) continue;
    absl::StatusOr<Arguments> arguments =
        Arguments::Parse(std::span<const std::string>(args).subspan(1), command.options);
    if (!arguments.ok()) return UsageError(command, arguments.status().message());
    if (arguments->help()) {
      std::cout << HelpText(command);
      return kExitSuccess;
    }
    return command.run(command, *arguments);
  }
  std::cerr << "synesthesia: unknown command '" << args[0]
            << "'. Run 'synesthesia --help' for the list of commands.\n";
  return kExitUsage;
}

}  // namespace synesthesia::cli
