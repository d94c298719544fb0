// synesthesia-server: serves Synesthesia over gRPC.
//
// Flags are parsed here and only here, then copied into ServerOptions.
// Exit codes: 0 after a clean shutdown (SIGTERM or SIGINT), 1 when the
// server cannot start (bad model, port in use, unreadable files) and when
// Abseil's parser rejects a flag (unknown name, value of the wrong type),
// 2 for flag values that this file checks.

#include <malloc.h>
#include <signal.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <optional>
#include <sstream>
#include <string>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/flags/usage_config.h"
#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "core/engine/default_model.h"
#include "core/model/threads.h"
#include "core/projection/projection.h"
#include "glog/logging.h"
#include "server/address.h"
#include "server/server.h"

ABSL_FLAG(std::string, listen, "127.0.0.1:50051",
          "host:port to serve gRPC on; use 0.0.0.0:50051 or [::]:50051 to accept remote clients");
ABSL_FLAG(std::string, model, "",
          "model directory (Hugging Face layout); empty uses the embedded synesthesia-mini");
ABSL_FLAG(std::string, metrics_address, "127.0.0.1:9464",
          "host:port of the Prometheus /metrics endpoint; empty disables it");
ABSL_FLAG(int64_t, max_batch_tokens, 2048,
          "most tokens in one encoder forward pass, padding included");
ABSL_FLAG(int64_t, max_batch_sequences, 128, "most sequences in one encoder forward pass");
ABSL_FLAG(absl::Duration, max_batch_delay, absl::ZeroDuration(),
          "how long a forward pass may wait for more work when the queue holds less than a full "
          "batch, for example 2ms; 0 starts at once");
ABSL_FLAG(int64_t, max_queued_tokens, 65536,
          "tokens that may wait for the encoder; unary calls beyond it get RESOURCE_EXHAUSTED, "
          "except that a call finding the queue empty is admitted whatever its size");
ABSL_FLAG(int64_t, max_text_bytes, int64_t{1} << 20,
          "largest text (and stream message) accepted, in bytes");
ABSL_FLAG(int64_t, max_batch_texts, 256, "most texts in one ColorizeBatch call");
ABSL_FLAG(int64_t, max_message_bytes, int64_t{4} << 20,
          "largest gRPC request message accepted, in bytes");
ABSL_FLAG(int64_t, window_overlap, 128,
          "tokens shared by consecutive encoder windows of a text longer than the model's "
          "positions; values above half a window are used as half a window");
ABSL_FLAG(int64_t, stream_context_tokens, 64,
          "tokens of a stream message's earlier text the encoder sees with each delta");
ABSL_FLAG(int64_t, max_pending_deltas, 8,
          "responses a stream may have pending before the server stops reading it (flow control)");
ABSL_FLAG(int64_t, max_stream_messages, 16, "messages open at once on one stream");
ABSL_FLAG(std::string, default_projection, "",
          "projection when a unary or batch request sets none: pca, basis or semantic; empty "
          "picks semantic, else basis, else pca, by what the model has");
ABSL_FLAG(std::string, default_stream_projection, "",
          "projection when a stream message sets none; empty picks basis, else pca");
ABSL_FLAG(std::string, precision, "float32",
          "arithmetic of the encoder's linear layers: float32 or int8 (dynamic quantization)");
ABSL_FLAG(int, encoder_threads, 0,
          "threads inside one encoder forward pass (libtorch's OpenMP pool, which runs the "
          "linear layers and attention; OpenBLAS keeps one thread); 0 gives one per CPU, "
          "or one for models narrower than 256 such as synesthesia-mini, the layouts measured "
          "fastest on 2 cores");
ABSL_FLAG(int, completion_threads, 1,
          "threads that turn hidden states into responses while the encoder runs the next batch");
ABSL_FLAG(std::string, tls_cert, "", "PEM certificate chain of the server; enables TLS");
ABSL_FLAG(std::string, tls_key, "", "PEM private key of the server");
ABSL_FLAG(std::string, tls_client_ca, "",
          "PEM CA that signs client certificates; when set, clients must present one (mTLS)");
ABSL_FLAG(std::string, auth_token_file, "",
          "file holding a bearer token that every Synesthesia call must send as "
          "\"authorization: Bearer <token>\"; health and reflection stay open");
ABSL_FLAG(std::string, port_file, "",
          "once listening, write the bound gRPC port to this file (useful with --listen=HOST:0); "
          "the metrics port goes on a second line");
ABSL_FLAG(absl::Duration, max_connection_age, absl::ZeroDuration(),
          "close each client connection after this long (with a grace period of the same "
          "length for its calls), so that round_robin clients spread over new replicas; a "
          "duration with a unit, for example 30m; 0 keeps connections open");
ABSL_FLAG(absl::Duration, shutdown_grace_period, absl::Seconds(10),
          "on SIGTERM or SIGINT, how long in-flight calls may run on before they are cancelled, "
          "as a duration with a unit, for example 10s or 1500ms");

namespace {

using synesthesia::projection::Kind;

#ifndef SYNESTHESIA_JEMALLOC
// Builds without jemalloc (the sanitizer builds) use glibc's malloc, set
// up as follows. While the model loads, allocations of at least
// kLoadMmapThresholdBytes get their own mapping, which free returns to the
// system, so the temporaries of reading and packing the weights do not
// stay resident. Setting the threshold also stops glibc from raising it by
// itself.
constexpr int kLoadMmapThresholdBytes = 1 << 20;

// Once the model is loaded, blocks under kServeMmapThresholdBytes come
// from the heap, and up to kServeTrimThresholdBytes of free heap stays
// mapped. A forward pass then reuses the memory of the last one instead of
// mapping its activations anew and faulting them in page by page. With
// distilbert-base and 16-token texts at 32 clients, one 20 s run each
// (bench/service/RESULTS.md, "Attention, the semantic head, Abseil and
// heap reuse"), the 1 MiB threshold of loading served 130 requests/s, 2 MiB 143, 4 MiB 153 and 8 MiB 166. At 128
// clients of mixed lengths the heap then kept what larger passes left.
// Resident memory peaked at 510 MiB with 2 MiB, 549 with 4 MiB and 629
// with 8 MiB, against the aim of the weights plus 300 MB (539 MiB). jemalloc, which
// the release build links, served 154 to 158 requests/s at 512 MiB.
constexpr int kServeMmapThresholdBytes = 2 << 20;
constexpr int kServeTrimThresholdBytes = 8 << 20;

void SetUpMallocForLoading() { mallopt(M_MMAP_THRESHOLD, kLoadMmapThresholdBytes); }

void SetUpMallocForServing() {
  mallopt(M_MMAP_THRESHOLD, kServeMmapThresholdBytes);
  mallopt(M_TRIM_THRESHOLD, kServeTrimThresholdBytes);
  malloc_trim(0);
}
#else
// jemalloc needs no setting up: it reuses freed blocks, and by default
// (dirty_decay_ms) gives unused pages back over about ten seconds.
void SetUpMallocForLoading() {}
void SetUpMallocForServing() {}
#endif

constexpr int kExitStartFailed = 1;
constexpr int kExitUsage = 2;

std::optional<Kind> ParseProjectionFlag(const std::string& value, const char* flag) {
  if (value.empty()) return std::nullopt;
  absl::StatusOr<Kind> kind = synesthesia::projection::ParseKind(value);
  if (!kind.ok()) {
    std::cerr << "synesthesia-server: --" << flag << ": " << kind.status().message() << "\n";
    std::exit(kExitUsage);
  }
  return *kind;
}

// Exits with a usage error unless VALUE is positive.
int64_t Positive(int64_t value, const char* flag) {
  if (value <= 0) {
    std::cerr << "synesthesia-server: --" << flag << " must be positive, got " << value << "\n";
    std::exit(kExitUsage);
  }
  return value;
}

absl::StatusOr<std::string> ReadToken(const std::string& path) {
  std::ifstream file(path);
  if (!file) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot read --auth_token_file ", path, ": ", std::strerror(errno)));
  }
  std::ostringstream contents;
  contents << file.rdbuf();
  std::string token(absl::StripAsciiWhitespace(contents.str()));
  if (token.empty()) {
    return absl::InvalidArgumentError(absl::StrCat("--auth_token_file ", path, " is empty"));
  }
  return token;
}

synesthesia::server::ServerOptions OptionsFromFlags() {
  synesthesia::server::ServerOptions options;
  options.listen_address = absl::GetFlag(FLAGS_listen);
  if (absl::Status address = synesthesia::server::ValidateListenAddress(options.listen_address);
      !address.ok()) {
    std::cerr << "synesthesia-server: --listen " << address.message() << "\n";
    std::exit(kExitUsage);
  }
  options.metrics_address = absl::GetFlag(FLAGS_metrics_address);
  if (!options.metrics_address.empty()) {
    absl::StatusOr<synesthesia::server::HostPort> address =
        synesthesia::server::ParseHostPort(options.metrics_address, "127.0.0.1:9464");
    if (!address.ok()) {
      std::cerr << "synesthesia-server: --metrics_address " << address.status().message()
                << "; an empty value turns the endpoint off\n";
      std::exit(kExitUsage);
    }
  }
  options.max_message_bytes = Positive(absl::GetFlag(FLAGS_max_message_bytes), "max_message_bytes");
  options.shutdown_grace_period = absl::GetFlag(FLAGS_shutdown_grace_period);
  options.max_connection_age = absl::GetFlag(FLAGS_max_connection_age);
  if (options.max_connection_age < absl::ZeroDuration()) {
    std::cerr << "synesthesia-server: --max_connection_age must not be negative\n";
    std::exit(kExitUsage);
  }
  options.version = SYNESTHESIA_VERSION;
  options.default_projection =
      ParseProjectionFlag(absl::GetFlag(FLAGS_default_projection), "default_projection");
  options.default_stream_projection = ParseProjectionFlag(
      absl::GetFlag(FLAGS_default_stream_projection), "default_stream_projection");

  synesthesia::engine::EngineOptions& engine = options.engine;
  engine.colorizer.model_directory = absl::GetFlag(FLAGS_model);
  engine.colorizer.max_text_bytes = Positive(absl::GetFlag(FLAGS_max_text_bytes), "max_text_bytes");
  engine.colorizer.window_overlap = absl::GetFlag(FLAGS_window_overlap);
  if (engine.colorizer.window_overlap < 0) {
    std::cerr << "synesthesia-server: --window_overlap must not be negative, got "
              << engine.colorizer.window_overlap << "\n";
    std::exit(kExitUsage);
  }
  const std::string precision = absl::GetFlag(FLAGS_precision);
  if (precision == "int8") {
    engine.colorizer.model.encoder.precision = synesthesia::model::Precision::kInt8Dynamic;
  } else if (precision != "float32") {
    std::cerr << "synesthesia-server: --precision must be float32 or int8, got '" << precision
              << "'\n";
    std::exit(kExitUsage);
  }
  engine.scheduler.max_batch_tokens = Positive(absl::GetFlag(FLAGS_max_batch_tokens), "max_batch_tokens");
  engine.scheduler.max_batch_sequences =
      Positive(absl::GetFlag(FLAGS_max_batch_sequences), "max_batch_sequences");
  engine.scheduler.max_batch_delay = absl::GetFlag(FLAGS_max_batch_delay);
  engine.scheduler.max_queued_tokens =
      Positive(absl::GetFlag(FLAGS_max_queued_tokens), "max_queued_tokens");
  engine.scheduler.completion_threads =
      static_cast<int>(Positive(absl::GetFlag(FLAGS_completion_threads), "completion_threads"));
  const int encoder_threads = absl::GetFlag(FLAGS_encoder_threads);
  if (encoder_threads < 0) {
    std::cerr << "synesthesia-server: --encoder_threads must not be negative, got "
              << encoder_threads << "\n";
    std::exit(kExitUsage);
  }
  if (encoder_threads > 0) {
    engine.colorizer.model.encoder.threads =
        synesthesia::model::ThreadOptions{.intra_op_threads = encoder_threads, .blas_threads = 1};
  }
  engine.max_batch_texts = Positive(absl::GetFlag(FLAGS_max_batch_texts), "max_batch_texts");
  engine.stream.context_tokens = absl::GetFlag(FLAGS_stream_context_tokens);

  options.service.max_pending_deltas =
      Positive(absl::GetFlag(FLAGS_max_pending_deltas), "max_pending_deltas");
  options.service.max_stream_messages =
      Positive(absl::GetFlag(FLAGS_max_stream_messages), "max_stream_messages");
  options.service.max_message_bytes = options.max_message_bytes;
  options.service.version = SYNESTHESIA_VERSION;

  options.tls.certificate_file = absl::GetFlag(FLAGS_tls_cert);
  options.tls.private_key_file = absl::GetFlag(FLAGS_tls_key);
  options.tls.client_ca_file = absl::GetFlag(FLAGS_tls_client_ca);
  return options;
}

}  // namespace

int main(int argc, char** argv) {
  // Block the shutdown signals in every thread (threads inherit the mask),
  // so that main alone receives them through sigwait.
  sigset_t shutdown_signals;
  sigemptyset(&shutdown_signals);
  sigaddset(&shutdown_signals, SIGTERM);
  sigaddset(&shutdown_signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &shutdown_signals, nullptr);
  SetUpMallocForLoading();
  // Debian builds Abseil without NDEBUG, so every absl::Mutex would keep
  // a lock-order graph for deadlock detection. Turning it off raised
  // synesthesia-mini's requests/s under load by 5% to 7%. The tests keep it.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  absl::SetProgramUsageMessage(
      "serves Synesthesia's gRPC API (synesthesia.v1.Synesthesia, grpc.health.v1, reflection).\n"
      "Usage: synesthesia-server [--model DIR] [--listen HOST:PORT] [flags]\n"
      "Exit codes: 0 clean shutdown or --version; 1 start-up failed, or an unknown flag or a value\n"
      "of the wrong type (Abseil's flag parser exits with 1, also after --help); 2 a flag value\n"
      "out of range.");
  // --help lists the flags of this file; absl's default looks for a file
  // named after the binary.
  absl::FlagsUsageConfig usage;
  usage.contains_help_flags = [](absl::string_view path) {
    return absl::EndsWith(path, "server/main.cc");
  };
  usage.contains_helpshort_flags = usage.contains_help_flags;
  // --help names the file of each flag; show it from the repository root,
  // not the build machine's path.
  usage.normalize_filename = [](absl::string_view path) {
    const size_t start = path.rfind("server/main.cc");
    return std::string(start == absl::string_view::npos ? path : path.substr(start));
  };
  // Abseil's default --version text is its own build mode ("Debug build").
  usage.version_string = [] { return std::string("synesthesia-server " SYNESTHESIA_VERSION "\n"); };
  absl::SetFlagsUsageConfig(usage);
  absl::ParseCommandLine(argc, argv);
  FLAGS_logtostderr = true;
  google::InitGoogleLogging(argv[0]);

  synesthesia::server::ServerOptions options = OptionsFromFlags();
  if (options.engine.colorizer.model_directory.empty()) {
    absl::StatusOr<std::string> directory = synesthesia::engine::FindDefaultModel();
    if (!directory.ok()) {
      LOG(ERROR) << directory.status().message();
      return kExitStartFailed;
    }
    options.engine.colorizer.model_directory = *directory;
  }
  const std::string token_file = absl::GetFlag(FLAGS_auth_token_file);
  if (!token_file.empty()) {
    absl::StatusOr<std::string> token = ReadToken(token_file);
    if (!token.ok()) {
      LOG(ERROR) << token.status().message();
      return kExitStartFailed;
    }
    options.service.bearer_token = *token;
  }

  LOG(INFO) << "synesthesia-server " << SYNESTHESIA_VERSION << " starting";
  absl::StatusOr<std::unique_ptr<synesthesia::server::Server>> server =
      synesthesia::server::Server::Create(options);
  if (!server.ok()) {
    LOG(ERROR) << "cannot start: " << server.status().message();
    return kExitStartFailed;
  }
  const std::string port_file = absl::GetFlag(FLAGS_port_file);
  if (!port_file.empty()) {
    std::ofstream file(port_file);
    const int open_error = file ? 0 : errno;
    file << (*server)->port() << "\n" << (*server)->metrics_port() << "\n";
    if (!file.flush()) {
      LOG(ERROR) << "cannot write --port_file " << port_file << ": "
                 << std::strerror(open_error != 0 ? open_error : errno)
                 << "; give a path in a writable directory";
      return kExitStartFailed;
    }
  }

  absl::Status loaded = (*server)->LoadModel();
  if (!loaded.ok()) {
    LOG(ERROR) << "cannot load the model: " << loaded.message();
    (*server)->Shutdown();
    return kExitStartFailed;
  }
  SetUpMallocForServing();

  int signal_number = 0;
  sigwait(&shutdown_signals, &signal_number);
  LOG(INFO) << "received " << (signal_number == SIGTERM ? "SIGTERM" : "SIGINT");
  (*server)->Shutdown();
  return 0;
}
