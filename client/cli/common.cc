#include "client/cli/common.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace synesthesia::cli {

std::string HelpText(const Command& command) {
  return absl::StrCat("Usage: ", command.usage, "\n\n", WrapProse(command.description), "\n\n",
                      FormatOptions(command.options), "\n", kExitCodeHelp);
}

int UsageError(const Command& command, absl::string_view message) {
  std::cerr << "synesthesia " << command.name << ": " << message << "\n"
            << "Run 'synesthesia " << command.name << " --help' for usage.\n";
  return kExitUsage;
}

int Fail(const Command& command, absl::string_view context, const absl::Status& status,
         int exit_code) {
  std::cerr << "synesthesia " << command.name << ": " << context << ": "
            << absl::StatusCodeToString(status.code()) << ": " << status.message();
  // OpenSSL's "wrong version number" is what a TLS client reads from a
  // plaintext server.
  if (absl::StrContains(status.message(), "handshake failed") &&
      absl::StrContains(status.message(), "wrong version number")) {
    std::cerr << "; the server may not use TLS: try without --tls";
  }
  std::cerr << "\n";
  return exit_code;
}

int ExitCodeForSetup(const absl::Status& status) {
  return status.code() == absl::StatusCode::kInvalidArgument ? kExitUsage : kExitLocalError;
}

int FailSetup(const Command& command, const absl::Status& status) {
  if (ExitCodeForSetup(status) == kExitUsage) return UsageError(command, status.message());
  std::cerr << "synesthesia " << command.name << ": " << status.message() << "\n";
  return kExitLocalError;
}

bool WriteStdout(absl::string_view text) {
  if (!text.empty() && std::fwrite(text.data(), 1, text.size(), stdout) != text.size()) {
    return false;
  }
  return std::fflush(stdout) == 0;
}

namespace {

// Reads FD to its end. NAME ("standard input", a path) goes into the
// errors: FAILED_PRECONDITION for a directory, which std::ifstream would
// read as empty, and the read error otherwise.
absl::StatusOr<std::string> ReadAll(int fd, const std::string& name) {
  struct stat info {};
  if (fstat(fd, &info) == 0 && S_ISDIR(info.st_mode)) {
    return absl::FailedPreconditionError(
        absl::StrCat("cannot read ", name, ": it is a directory; give a file"));
  }
  std::string contents;
  char buffer[1 << 16];
  while (true) {
    const ssize_t count = read(fd, buffer, sizeof(buffer));
    if (count < 0 && errno == EINTR) continue;
    if (count < 0) {
      return absl::DataLossError(absl::StrCat("cannot read ", name, ": ", std::strerror(errno)));
    }
    if (count == 0) return contents;
    contents.append(buffer, static_cast<size_t>(count));
  }
}

}  // namespace

absl::StatusOr<std::string> ReadFile(const std::string& path) {
  const int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    const int error = errno;
    const std::string message = absl::StrCat("cannot read ", path, ": ", std::strerror(error));
    if (error == EACCES) return absl::PermissionDeniedError(message);
    return absl::NotFoundError(message);
  }
  absl::StatusOr<std::string> contents = ReadAll(fd, path);
  close(fd);
  return contents;
}

absl::StatusOr<std::string> ReadInputText(const Arguments& arguments) {
  const std::vector<std::string>& positional = arguments.positional();
  const std::optional<std::string> file = arguments.Value("file");
  if (file.has_value() && !positional.empty()) {
    return absl::InvalidArgumentError("give either TEXT, - or --file PATH, not several");
  }
  if (positional.size() > 1) {
    return absl::InvalidArgumentError(absl::StrCat(
        "expected one TEXT argument, got ", positional.size(), "; quote text with spaces"));
  }
  if (file.has_value()) return ReadFile(*file);
  if (positional.empty()) {
    return absl::InvalidArgumentError("missing input: give TEXT, - (standard input) or --file PATH");
  }
  if (positional[0] != "-") return positional[0];
  return ReadAll(STDIN_FILENO, "standard input");
}

OptionSpec ModelOption() {
  return {"model", "DIR",
          "model directory in Hugging Face layout (local mode); default: the embedded "
          "synesthesia-mini"};
}

std::vector<OptionSpec> ConnectionOptions() {
  return {
      {"server", "HOST:PORT",
       "gRPC target of a synesthesia-server, for example 127.0.0.1:50051 or "
       "dns:///synesthesia:50051"},
      {"tls", "", "connect with TLS, checking the server against the system's root certificates"},
      {"tls-ca", "FILE", "PEM root certificates for the server's certificate; implies --tls"},
      {"tls-cert", "FILE", "PEM client certificate for mutual TLS (with --tls-key)"},
      {"tls-key", "FILE", "PEM private key of --tls-cert"},
      {"tls-server-name", "NAME",
       "host name expected in the server's certificate, when it differs from the --server host"},
      {"token-file", "FILE", "file holding a bearer token, sent as \"authorization: Bearer ...\""},
      {"deadline", "DURATION",
       "deadline of each call, for example 30s or 500ms; default 30s (streams: none)"},
  };
}

absl::Status ValidateServerTarget(absl::string_view target) {
  // A target with a scheme ("dns:///host:port", "ipv4:", "unix:") is left
  // to gRPC, whose resolvers know their own forms and defaults.
  for (absl::string_view scheme : {"dns:", "ipv4:", "ipv6:", "unix:", "unix-abstract:", "vsock:"}) {
    if (absl::StartsWith(target, scheme)) return absl::OkStatus();
  }
  const size_t colon = target.rfind(':');
  const absl::string_view port_text =
      colon == absl::string_view::npos ? absl::string_view() : target.substr(colon + 1);
  const bool digits_only =
      !port_text.empty() && port_text.size() <= 5 &&
      std::all_of(port_text.begin(), port_text.end(), [](char c) { return absl::ascii_isdigit(c); });
  int port = 0;
  if (!digits_only || !absl::SimpleAtoi(port_text, &port) || port < 1 || port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat(
        "--server '", target,
        "' is not HOST:PORT with a port from 1 to 65535; write for example 127.0.0.1:50051, "
        "[::1]:50051 or dns:///synesthesia:50051"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::unique_ptr<Client>> Connect(const Arguments& arguments) {
  const std::optional<std::string> server = arguments.Value("server");
  if (!server.has_value() || server->empty()) {
    return absl::InvalidArgumentError("missing --server HOST:PORT");
  }
  if (absl::Status target = ValidateServerTarget(*server); !target.ok()) return target;

  ClientOptions options;
  options.use_tls = arguments.Flag("tls");
  if (std::optional<std::string> path = arguments.Value("tls-ca")) {
    absl::StatusOr<std::string> pem = ReadFile(*path);
    if (!pem.ok()) return pem.status();
    options.tls_root_certificates_pem = *std::move(pem);
  }
  const std::optional<std::string> certificate = arguments.Value("tls-cert");
  const std::optional<std::string> key = arguments.Value("tls-key");
  if (certificate.has_value() != key.has_value()) {
    return absl::InvalidArgumentError("--tls-cert and --tls-key must be given together");
  }
  if (certificate.has_value()) {
    absl::StatusOr<std::string> certificate_pem = ReadFile(*certificate);
    if (!certificate_pem.ok()) return certificate_pem.status();
    absl::StatusOr<std::string> key_pem = ReadFile(*key);
    if (!key_pem.ok()) return key_pem.status();
    options.tls_client_certificate_pem = *std::move(certificate_pem);
    options.tls_client_key_pem = *std::move(key_pem);
  }
  options.tls_server_name = arguments.ValueOr("tls-server-name", "");
  if (std::optional<std::string> path = arguments.Value("token-file")) {
    absl::StatusOr<std::string> token = ReadFile(*path);
    if (!token.ok()) return token.status();
    options.bearer_token = std::string(absl::StripAsciiWhitespace(*token));
    if (options.bearer_token.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("--token-file ", *path, " is empty"));
    }
  }
  absl::StatusOr<std::optional<absl::Duration>> deadline = arguments.Duration("deadline");
  if (!deadline.ok()) return deadline.status();
  if (deadline->has_value()) {
    if (**deadline <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError("--deadline must be positive");
    }
    options.default_deadline = **deadline;
  }

  return Client::Create(*server, std::move(options));
}

std::vector<OptionSpec> ColourOptions() {
  return {
      {"projection", "NAME",
       "pca, basis or semantic; default: the server's default (locally semantic, else basis, "
       "else pca, by what the model has)"},
      {"granularity", "UNIT", "token (one span per WordPiece token, default) or word"},
      {"special", "", "include [CLS] and [SEP] as spans with empty text"},
      {"background", "#RRGGBB",
       "background the text is shown on, for --min-contrast (and the HTML page)"},
      {"min-contrast", "RATIO",
       "minimum WCAG contrast ratio against --background, in [1, 21]; 0 (default) leaves "
       "colours as projected"},
  };
}

std::vector<OptionSpec> StreamColourOptions() {
  std::vector<OptionSpec> options;
  for (OptionSpec option : ColourOptions()) {
    if (option.name == "special") continue;
    if (option.name == "projection") {
      option.help =
          "pca, basis or semantic; default: the server's stream default (basis, else pca, by "
          "what the model has)";
    } else if (option.name == "background") {
      option.help = "background the text is shown on, for --min-contrast";
    }
    options.push_back(std::move(option));
  }
  return options;
}

namespace {

bool IsHexColour(absl::string_view text) {
  if (text.size() != 7 || text[0] != '#') return false;
  return std::all_of(text.begin() + 1, text.end(),
                     [](char c) { return absl::ascii_isxdigit(static_cast<unsigned char>(c)); });
}

}  // namespace

absl::StatusOr<ColourRequest> ParseColourRequest(const Arguments& arguments) {
  ColourRequest request;
  if (std::optional<std::string> projection = arguments.Value("projection")) {
    if (*projection != "pca" && *projection != "basis" && *projection != "semantic") {
      return absl::InvalidArgumentError(absl::StrCat(
          "unknown --projection '", *projection, "'; use pca, basis or semantic"));
    }
    request.projection = *projection;
  }
  const std::string granularity = arguments.ValueOr("granularity", "token");
  if (granularity != "token" && granularity != "word") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown --granularity '", granularity, "'; use token or word"));
  }
  request.word_granularity = granularity == "word";
  request.include_special_tokens = arguments.Flag("special");
  if (std::optional<std::string> background = arguments.Value("background")) {
    if (!IsHexColour(*background)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--background must be a colour written #rrggbb, for example #ffffff; got '",
          *background, "'"));
    }
    request.background = absl::AsciiStrToLower(*background);
  }
  absl::StatusOr<std::optional<double>> contrast = arguments.Double("min-contrast");
  if (!contrast.ok()) return contrast.status();
  if (contrast->has_value()) {
    request.min_contrast = **contrast;
    if (request.min_contrast != 0 && !request.background.has_value()) {
      return absl::InvalidArgumentError("--min-contrast needs --background");
    }
  }
  return request;
}

v1::ColorOptions ToProtoOptions(const ColourRequest& request) {
  v1::ColorOptions options;
  if (request.projection == "pca") options.set_projection(v1::PROJECTION_PCA);
  if (request.projection == "basis") options.set_projection(v1::PROJECTION_BASIS);
  if (request.projection == "semantic") options.set_projection(v1::PROJECTION_SEMANTIC);
  options.set_granularity(request.word_granularity ? v1::GRANULARITY_WORD
                                                   : v1::GRANULARITY_TOKEN);
  options.set_include_special_tokens(request.include_special_tokens);
  if (request.background.has_value()) options.set_background(*request.background);
  options.set_min_contrast(request.min_contrast);
  return options;
}

std::vector<OptionSpec> OutputOptions(absl::string_view allowed_formats,
                                      absl::string_view default_format) {
  return {
      {"format", "FORMAT",
       absl::StrCat(allowed_formats, "; default ", default_format)},
      {"color", "WHEN",
       "colour codes in ansi output: auto (default; only on a terminal, and not when NO_COLOR "
       "is set and non-empty), always or never"},
  };
}

absl::StatusOr<OutputSettings> ParseOutputSettings(const Arguments& arguments,
                                                   std::span<const Format> allowed,
                                                   Format default_format) {
  OutputSettings settings;
  settings.format = default_format;
  if (std::optional<std::string> name = arguments.Value("format")) {
    absl::StatusOr<Format> format = ParseFormat(*name);
    if (!format.ok() || std::find(allowed.begin(), allowed.end(), *format) == allowed.end()) {
      std::vector<std::string> allowed_names;
      for (const char* candidate : {"json", "ansi", "html", "plain"}) {
        absl::StatusOr<Format> parsed = ParseFormat(candidate);
        if (std::find(allowed.begin(), allowed.end(), *parsed) != allowed.end()) {
          allowed_names.push_back(candidate);
        }
      }
      return absl::InvalidArgumentError(absl::StrCat("--format '", *name,
                                                     "' is not available for this command; use ",
                                                     absl::StrJoin(allowed_names, ", ")));
    }
    settings.format = *format;
  }
  absl::StatusOr<ColorMode> mode = ParseColorMode(arguments.ValueOr("color", "auto"));
  if (!mode.ok()) return absl::InvalidArgumentError(absl::StrCat("--color: ", mode.status().message()));
  settings.colour = ShouldColour(*mode, isatty(STDOUT_FILENO) == 1, std::getenv("NO_COLOR"));
  return settings;
}

}  // namespace synesthesia::cli
