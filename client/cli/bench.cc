// `synesthesia bench`: a load generator for a running server, in the spirit
// of ghz. Workers send Colorize calls (or stream messages) for a fixed
// duration or number of requests. They send either back to back (closed
// loop) or on a fixed schedule (open loop, --rate). The report gives the
// throughput, latency percentiles and a count of each status code.
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "absl/synchronization/notification.h"
#include "absl/time/clock.h"
#include "client/cli/commands.h"
#include "client/cli/common.h"

namespace synesthesia::cli {
namespace {

// Chat-sized messages of 8 to 32 WordPiece tokens (bert-base-uncased), used
// when --texts is not given.
constexpr const char* kBuiltInTexts[] = {
    "Sure! Here is a short summary of the meeting notes you sent.",
    "The sky turned orange and then deep purple as the sun went down.",
    "I would recommend the blue jacket; it goes well with grey trousers.",
    "Thanks for your patience. Your order has shipped and should arrive on Monday.",
    "A ripe banana is yellow with small brown spots.",
    "Could you explain how photosynthesis works in simple terms?",
    "The forest was quiet, green and damp after the morning rain.",
    "Here are three ideas for a birthday dinner: pasta, tacos or a curry.",
    "Error 404 means the page could not be found on the server.",
    "She painted the fence white, but the neighbours preferred red.",
    "Let me know if you need anything else, happy to help!",
    "The ocean looked calm, although the forecast warned of a storm.",
    "To reset your password, open Settings and choose Security.",
    "Golden autumn leaves covered the path through the park.",
    "The recipe needs two lemons, a cup of sugar and fresh mint.",
    "In short: the blue line is revenue and the red line is cost.",
};

// Time between two updates of the progress line.
constexpr absl::Duration kProgressInterval = absl::Seconds(1);

struct BenchConfig {
  bool stream_mode = false;
  int64_t concurrency = 8;
  absl::Duration duration = absl::Seconds(10);
  // Stop after this many requests; -1 for no count limit.
  int64_t max_requests = -1;
  // Requests per second for an open loop; 0 for a closed loop.
  double rate = 0;
  std::vector<std::string> texts;
  v1::ColorOptions options;
};

class Recorder {
 public:
  void Record(absl::StatusCode code, absl::Duration latency) {
    std::lock_guard lock(mutex_);
    ++codes_[code];
    if (code == absl::StatusCode::kOk) latencies_.push_back(latency);
    completed_.fetch_add(1, std::memory_order_relaxed);
    if (code != absl::StatusCode::kOk) errors_.fetch_add(1, std::memory_order_relaxed);
  }

  int64_t completed() const { return completed_.load(std::memory_order_relaxed); }
  int64_t errors() const { return errors_.load(std::memory_order_relaxed); }

  // The status codes and the sorted latencies of successful requests.
  std::map<absl::StatusCode, int64_t> codes() {
    std::lock_guard lock(mutex_);
    return codes_;
  }
  std::vector<absl::Duration> SortedLatencies() {
    std::lock_guard lock(mutex_);
    std::vector<absl::Duration> sorted = latencies_;
    std::sort(sorted.begin(), sorted.end());
    return sorted;
  }

 private:
  std::mutex mutex_;
  std::map<absl::StatusCode, int64_t> codes_;
  std::vector<absl::Duration> latencies_;
  std::atomic<int64_t> completed_ = 0;
  std::atomic<int64_t> errors_ = 0;
};

// Hands out request numbers and their start times until the run ends.
class Schedule {
 public:
  Schedule(const BenchConfig& config, absl::Time start)
      : config_(config), start_(start), end_(start + config.duration) {}

  // The start time of the next request, or nullopt when the run is over.
  // In an open loop the start time is the scheduled one, so a request that
  // waits for a free worker counts the wait in its latency.
  std::optional<absl::Time> Next(int64_t& ticket) {
    ticket = next_ticket_.fetch_add(1, std::memory_order_relaxed);
    if (config_.max_requests >= 0 && ticket >= config_.max_requests) return std::nullopt;
    if (config_.rate <= 0) {
      const absl::Time now = absl::Now();
      if (now >= end_) return std::nullopt;
      return now;
    }
    const absl::Time scheduled = start_ + absl::Seconds(static_cast<double>(ticket) / config_.rate);
    // A server slower than the rate leaves requests behind schedule. Those
    // still waiting at the end are not sent, so the run ends on time.
    if (scheduled >= end_ || absl::Now() >= end_) return std::nullopt;
    absl::SleepFor(scheduled - absl::Now());
    return scheduled;
  }

  // Open loop: requests scheduled within the run, sent or not. 0 in a
  // closed loop, which has no schedule.
  int64_t ScheduledRequests() const {
    if (config_.rate <= 0) return 0;
    const int64_t in_window = static_cast<int64_t>(
        // The small offset keeps a product such as 300000.00000000006 from
        // counting a request that Next never schedules.
        std::ceil(config_.rate * absl::ToDoubleSeconds(config_.duration) - 1e-9));
    return config_.max_requests >= 0 ? std::min(in_window, config_.max_requests) : in_window;
  }

 private:
  const BenchConfig& config_;
  const absl::Time start_;
  const absl::Time end_;
  std::atomic<int64_t> next_ticket_ = 0;
};

// Splits TEXT into deltas of one word each, the spaces kept with the word
// before them, as a chat model emits text.
std::vector<std::string> WordDeltas(const std::string& text) {
  std::vector<std::string> deltas;
  size_t begin = 0;
  while (begin < text.size()) {
    size_t end = text.find(' ', begin);
    end = end == std::string::npos ? text.size() : text.find_first_not_of(' ', end);
    if (end == std::string::npos) end = text.size();
    deltas.push_back(text.substr(begin, end - begin));
    begin = end;
  }
  return deltas;
}

void RunUnaryWorker(const Client& client, const BenchConfig& config, Schedule& schedule,
                    Recorder& recorder) {
  int64_t ticket = 0;
  while (std::optional<absl::Time> start = schedule.Next(ticket)) {
    v1::ColorizeRequest request;
    request.set_text(config.texts[ticket % config.texts.size()]);
    *request.mutable_options() = config.options;
    const absl::StatusOr<v1::ColorizeResponse> response = client.Colorize(request);
    recorder.Record(response.status().code(), absl::Now() - *start);
  }
}

// Sends each request as one message of word deltas on a stream kept open
// between requests, and waits for the message's final response. A failed
// stream is reopened for the next request.
void RunStreamWorker(const Client& client, const BenchConfig& config, int64_t worker,
                     Schedule& schedule, Recorder& recorder) {
  std::unique_ptr<StreamSession> session;
  int64_t ticket = 0;
  while (std::optional<absl::Time> start = schedule.Next(ticket)) {
    if (session == nullptr) {
      StreamOptions options;
      options.deadline = absl::InfiniteDuration();
      absl::StatusOr<std::unique_ptr<StreamSession>> opened = client.OpenStream(options);
      if (!opened.ok()) {
        recorder.Record(opened.status().code(), absl::Now() - *start);
        continue;
      }
      session = *std::move(opened);
    }

    const std::string id = absl::StrCat("bench-", worker, "-", ticket);
    const std::vector<std::string> deltas = WordDeltas(config.texts[ticket % config.texts.size()]);
    bool written = true;
    for (size_t i = 0; i < deltas.size() && written; ++i) {
      v1::ColorizeStreamRequest request;
      request.set_message_id(id);
      request.set_delta(deltas[i]);
      request.set_final(i + 1 == deltas.size());
      if (i == 0) *request.mutable_options() = config.options;
      written = session->Write(std::move(request)).ok();
    }
    if (deltas.empty() && written) written = session->WriteDelta(id, "", true).ok();

    bool final = false;
    while (written && !final) {
      std::optional<v1::ColorizeStreamResponse> response = session->Read();
      if (!response.has_value()) break;
      final = response->final() && response->message_id() == id;
    }
    if (final) {
      recorder.Record(absl::StatusCode::kOk, absl::Now() - *start);
      continue;
    }
    absl::Status status = session->Finish();
    if (status.ok()) status = absl::InternalError("the stream ended before the final response");
    recorder.Record(status.code(), absl::Now() - *start);
    session.reset();
  }
  if (session != nullptr) session->Finish().IgnoreError();
}

// The latency at quantile Q of SORTED (nearest rank).
absl::Duration Percentile(const std::vector<absl::Duration>& sorted, double q) {
  if (sorted.empty()) return absl::ZeroDuration();
  const auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
  return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

double Milliseconds(absl::Duration duration) { return absl::ToDoubleMilliseconds(duration); }

// NOT_SENT counts the open loop's scheduled requests that were still
// waiting for a worker when the run ended.
std::string Report(const BenchConfig& config, Recorder& recorder, absl::Duration elapsed,
                   int64_t not_sent, bool json) {
  const std::vector<absl::Duration> latencies = recorder.SortedLatencies();
  const std::map<absl::StatusCode, int64_t> codes = recorder.codes();
  const int64_t completed = recorder.completed();
  const int64_t errors = recorder.errors();
  const double seconds = absl::ToDoubleSeconds(elapsed);
  const double throughput = seconds > 0 ? static_cast<double>(completed) / seconds : 0;
  absl::Duration sum;
  for (absl::Duration latency : latencies) sum += latency;
  const absl::Duration mean =
      latencies.empty() ? absl::ZeroDuration() : sum / static_cast<int64_t>(latencies.size());
  const char* mode = config.stream_mode ? "stream" : "unary";
  // Without a successful request there is no latency to report: null in
  // JSON and n/a in text, never a 0 ms that a dashboard would plot.
  auto latency_json = [&](absl::Duration latency) {
    return latencies.empty() ? std::string("null") : absl::StrFormat("%.3f", Milliseconds(latency));
  };
  auto latency_text = [&](absl::Duration latency) {
    return latencies.empty() ? std::string("n/a") : absl::StrFormat("%.2f ms", Milliseconds(latency));
  };
  const absl::Duration max = latencies.empty() ? absl::ZeroDuration() : latencies.back();

  std::string out;
  if (json) {
    absl::StrAppendFormat(
        &out,
        "{\"mode\":\"%s\",\"concurrency\":%d,\"rate\":%.6g,\"requests\":%d,\"ok\":%d,"
        "\"errors\":%d,\"not_sent\":%d,\"duration_s\":%.6f,\"throughput_rps\":%.3f,"
        "\"latency_ms\":{\"p50\":%s,\"p90\":%s,\"p99\":%s,\"max\":%s,\"mean\":%s},"
        "\"status_codes\":{",
        mode, config.concurrency, config.rate, completed, completed - errors, errors, not_sent,
        seconds, throughput, latency_json(Percentile(latencies, 0.5)),
        latency_json(Percentile(latencies, 0.9)), latency_json(Percentile(latencies, 0.99)),
        latency_json(max), latency_json(mean));
    bool first = true;
    for (const auto& [code, count] : codes) {
      absl::StrAppend(&out, first ? "" : ",", "\"", absl::StatusCodeToString(code), "\":", count);
      first = false;
    }
    out += "}}\n";
    return out;
  }

  absl::StrAppendFormat(&out, "Summary:\n");
  absl::StrAppendFormat(&out, "  mode         %s, %s\n", mode,
                        config.rate > 0
                            ? absl::StrFormat("open loop at %.6g requests/s, %d workers",
                                              config.rate, config.concurrency)
                            : absl::StrFormat("closed loop, %d workers", config.concurrency));
  absl::StrAppendFormat(&out, "  requests     %d (%d OK, %d errors)\n", completed,
                        completed - errors, errors);
  if (not_sent > 0) {
    absl::StrAppendFormat(&out, "  not sent     %d (behind schedule when the run ended)\n",
                          not_sent);
  }
  absl::StrAppendFormat(&out, "  duration     %.2f s\n", seconds);
  absl::StrAppendFormat(&out, "  throughput   %.1f requests/s, errors included\n", throughput);
  absl::StrAppendFormat(&out, "Latency of successful requests:\n");
  absl::StrAppendFormat(&out, "  p50          %s\n", latency_text(Percentile(latencies, 0.5)));
  absl::StrAppendFormat(&out, "  p90          %s\n", latency_text(Percentile(latencies, 0.9)));
  absl::StrAppendFormat(&out, "  p99          %s\n", latency_text(Percentile(latencies, 0.99)));
  absl::StrAppendFormat(&out, "  max          %s\n", latency_text(max));
  absl::StrAppendFormat(&out, "  mean         %s\n", latency_text(mean));
  absl::StrAppendFormat(&out, "Status codes:\n");
  for (const auto& [code, count] : codes) {
    absl::StrAppendFormat(&out, "  %-20s %d\n", absl::StatusCodeToString(code), count);
  }
  return out;
}

// The exit code of a finished run: success without errors, else the code
// for the most frequent error.
int ExitCodeForRun(Recorder& recorder) {
  absl::StatusCode worst = absl::StatusCode::kOk;
  int64_t worst_count = 0;
  for (const auto& [code, count] : recorder.codes()) {
    if (code != absl::StatusCode::kOk && count > worst_count) {
      worst = code;
      worst_count = count;
    }
  }
  return worst == absl::StatusCode::kOk ? kExitSuccess : ExitCodeForRpc(absl::Status(worst, ""));
}

absl::StatusOr<BenchConfig> ParseConfig(const Arguments& arguments) {
  BenchConfig config;
  const std::string mode = arguments.ValueOr("mode", "unary");
  if (mode != "unary" && mode != "stream") {
    return absl::InvalidArgumentError(
        absl::StrCat("unknown --mode '", mode, "'; use unary or stream"));
  }
  config.stream_mode = mode == "stream";

  absl::StatusOr<std::optional<int64_t>> concurrency = arguments.Int("concurrency");
  if (!concurrency.ok()) return concurrency.status();
  config.concurrency = concurrency->value_or(8);
  if (config.concurrency < 1 || config.concurrency > 1024) {
    return absl::InvalidArgumentError("--concurrency must be in [1, 1024]");
  }

  absl::StatusOr<std::optional<int64_t>> requests = arguments.Int("requests");
  if (!requests.ok()) return requests.status();
  absl::StatusOr<std::optional<absl::Duration>> duration = arguments.Duration("duration");
  if (!duration.ok()) return duration.status();
  if (requests->has_value()) {
    if (**requests < 1) return absl::InvalidArgumentError("--requests must be positive");
    config.max_requests = **requests;
  }
  if (duration->has_value()) {
    if (**duration <= absl::ZeroDuration() || **duration > absl::Hours(24)) {
      return absl::InvalidArgumentError(absl::StrCat(
          "--duration must be in (0, 24h], got ", absl::FormatDuration(**duration)));
    }
    config.duration = **duration;
  } else if (requests->has_value()) {
    // A count alone still needs a bound in time in case the server stalls.
    config.duration = absl::Hours(1);
  }

  absl::StatusOr<std::optional<double>> rate = arguments.Double("rate");
  if (!rate.ok()) return rate.status();
  config.rate = rate->value_or(0);
  if (!(config.rate >= 0) || !std::isfinite(config.rate)) {
    return absl::InvalidArgumentError("--rate must be a non-negative number of requests/s");
  }

  if (std::optional<std::string> path = arguments.Value("texts")) {
    absl::StatusOr<std::string> contents = ReadFile(*path);
    if (!contents.ok()) return contents.status();
    for (absl::string_view line : absl::StrSplit(*contents, '\n', absl::SkipWhitespace())) {
      if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
      config.texts.emplace_back(line);
    }
    if (config.texts.empty()) {
      return absl::FailedPreconditionError(absl::StrCat("--texts ", *path, " has no lines"));
    }
  } else {
    config.texts.assign(std::begin(kBuiltInTexts), std::end(kBuiltInTexts));
  }

  absl::StatusOr<ColourRequest> colour = ParseColourRequest(arguments);
  if (!colour.ok()) return colour.status();
  config.options = ToProtoOptions(*colour);
  return config;
}

}  // namespace

int RunBench(const Command& command, const Arguments& arguments) {
  if (!arguments.positional().empty()) return UsageError(command, "bench takes no arguments");
  absl::StatusOr<BenchConfig> config = ParseConfig(arguments);
  if (!config.ok()) return FailSetup(command, config.status());
  absl::StatusOr<std::unique_ptr<Client>> client = Connect(arguments);
  if (!client.ok()) return FailSetup(command, client.status());

  Recorder recorder;
  const absl::Time start = absl::Now();
  Schedule schedule(*config, start);

  absl::Notification finished;
  std::thread progress;
  if (isatty(STDERR_FILENO) == 1) {
    progress = std::thread([&] {
      while (!finished.WaitForNotificationWithTimeout(kProgressInterval)) {
        const double seconds = absl::ToDoubleSeconds(absl::Now() - start);
        const int64_t completed = recorder.completed();
        std::fprintf(stderr, "\r%7.1f s  %d requests  %d errors  %.1f requests/s   ", seconds,
                     static_cast<int>(completed), static_cast<int>(recorder.errors()),
                     seconds > 0 ? static_cast<double>(completed) / seconds : 0.0);
        std::fflush(stderr);
      }
      std::fprintf(stderr, "\r%*s\r", 70, "");
      std::fflush(stderr);
    });
  }

  std::vector<std::thread> workers;
  workers.reserve(config->concurrency);
  for (int64_t worker = 0; worker < config->concurrency; ++worker) {
    workers.emplace_back([&, worker] {
      if (config->stream_mode) {
        RunStreamWorker(**client, *config, worker, schedule, recorder);
      } else {
        RunUnaryWorker(**client, *config, schedule, recorder);
      }
    });
  }
  for (std::thread& worker : workers) worker.join();
  const absl::Duration elapsed = absl::Now() - start;
  finished.Notify();
  if (progress.joinable()) progress.join();

  const int64_t not_sent =
      config->rate > 0 ? std::max<int64_t>(0, schedule.ScheduledRequests() - recorder.completed())
                       : 0;
  if (!WriteStdout(Report(*config, recorder, elapsed, not_sent, arguments.Flag("json")))) {
    return kExitLocalError;
  }
  return ExitCodeForRun(recorder);
}

}  // namespace synesthesia::cli
