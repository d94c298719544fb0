#include "server/metrics.h"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

#include "prometheus/collectable.h"
#include "prometheus/metric_family.h"

namespace synesthesia::server {
namespace {

// gRPC status code names, indexed by grpc::StatusCode.
constexpr const char* kCodeNames[] = {
    "OK",
    "CANCELLED",
    "UNKNOWN",
    "INVALID_ARGUMENT",
    "DEADLINE_EXCEEDED",
    "NOT_FOUND",
    "ALREADY_EXISTS",
    "PERMISSION_DENIED",
    "RESOURCE_EXHAUSTED",
    "FAILED_PRECONDITION",
    "ABORTED",
    "OUT_OF_RANGE",
    "UNIMPLEMENTED",
    "INTERNAL",
    "UNAVAILABLE",
    "DATA_LOSS",
    "UNAUTHENTICATED",
};

// Latency buckets from 100 µs to 10 s, about three per decade.
prometheus::Histogram::BucketBoundaries LatencyBuckets() {
  return {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
          0.1,    0.25,    0.5,    1.0,   2.5,    5.0,   10.0};
}

// Powers of two from 1 to MAX.
prometheus::Histogram::BucketBoundaries PowerOfTwoBuckets(double max) {
  prometheus::Histogram::BucketBoundaries buckets;
  for (double bound = 1; bound <= max; bound *= 2) buckets.push_back(bound);
  return buckets;
}

prometheus::ClientMetric GaugeValue(double value) {
  prometheus::ClientMetric metric;
  metric.gauge.value = value;
  return metric;
}

prometheus::MetricFamily MakeFamily(const std::string& name, const std::string& help,
                                    prometheus::MetricType type, double value) {
  prometheus::MetricFamily family;
  family.name = name;
  family.help = help;
  family.type = type;
  prometheus::ClientMetric metric;
  if (type == prometheus::MetricType::Counter) {
    metric.counter.value = value;
  } else {
    metric = GaugeValue(value);
  }
  family.metric.push_back(metric);
  return family;
}

// The standard process_* metrics, read from /proc/self on each scrape.
class ProcessCollector : public prometheus::Collectable {
 public:
  std::vector<prometheus::MetricFamily> Collect() const override {
    std::vector<prometheus::MetricFamily> families;
    const double ticks = static_cast<double>(sysconf(_SC_CLK_TCK));
    const double page_size = static_cast<double>(sysconf(_SC_PAGESIZE));

    // /proc/self/stat: the second field may hold spaces and parentheses, so
    // parse from the last ')'.
    std::ifstream stat_file("/proc/self/stat");
    std::string stat((std::istreambuf_iterator<char>(stat_file)), std::istreambuf_iterator<char>());
    const size_t close = stat.rfind(')');
    if (close != std::string::npos) {
      std::istringstream fields(stat.substr(close + 2));
      std::vector<std::string> values;
      for (std::string field; fields >> field;) values.push_back(field);
      // Field numbers from proc(5), minus the 3 before the state field.
      if (values.size() > 21) {
        const double user = std::stod(values[11]);
        const double system = std::stod(values[12]);
        const double start_ticks = std::stod(values[19]);
        const double virtual_bytes = std::stod(values[20]);
        const double resident_pages = std::stod(values[21]);
        families.push_back(MakeFamily("process_cpu_seconds_total",
                                      "Total user and system CPU time spent in seconds.",
                                      prometheus::MetricType::Counter, (user + system) / ticks));
        families.push_back(MakeFamily("process_virtual_memory_bytes",
                                      "Virtual memory size in bytes.",
                                      prometheus::MetricType::Gauge, virtual_bytes));
        families.push_back(MakeFamily("process_resident_memory_bytes",
                                      "Resident memory size in bytes.",
                                      prometheus::MetricType::Gauge, resident_pages * page_size));
        const double boot_time = BootTime();
        if (boot_time > 0) {
          families.push_back(MakeFamily(
              "process_start_time_seconds",
              "Start time of the process since the Unix epoch in seconds.",
              prometheus::MetricType::Gauge, boot_time + start_ticks / ticks));
        }
      }
    }

    families.push_back(MakeFamily("process_open_fds", "Number of open file descriptors.",
                                  prometheus::MetricType::Gauge, OpenFileDescriptors()));
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) == 0) {
      families.push_back(MakeFamily("process_max_fds", "Maximum number of open file descriptors.",
                                    prometheus::MetricType::Gauge,
                                    static_cast<double>(limit.rlim_cur)));
    }
    return families;
  }

 private:
  static double BootTime() {
    std::ifstream file("/proc/stat");
    for (std::string line; std::getline(file, line);) {
      if (line.rfind("btime ", 0) == 0) return std::stod(line.substr(6));
    }
    return 0;
  }

  static double OpenFileDescriptors() {
    DIR* directory = opendir("/proc/self/fd");
    if (directory == nullptr) return 0;
    double count = 0;
    while (const dirent* entry = readdir(directory)) {
      if (entry->d_name[0] != '.') ++count;
    }
    closedir(directory);
    // The descriptor opendir itself holds.
    return count - 1;
  }
};

}  // namespace

std::string_view MethodName(Method method) {
  switch (method) {
    case Method::kColorize:
      return "Colorize";
    case Method::kColorizeBatch:
      return "ColorizeBatch";
    case Method::kColorizeStream:
      return "ColorizeStream";
    case Method::kGetModelInfo:
      return "GetModelInfo";
  }
  return "unknown";
}

Metrics::Metrics(prometheus::Registry& registry)
    : model_info_(prometheus::BuildGauge()
                      .Name("synesthesia_model_info")
                      .Help("The loaded model; always 1.")
                      .Register(registry)),
      build_info_(prometheus::BuildGauge()
                      .Name("synesthesia_build_info")
                      .Help("The server's version; always 1.")
                      .Register(registry)) {
  // Every method and code series starts at zero, so that rate() counts the
  // first request of each kind and a missing series never means "no data".
  auto& requests = prometheus::BuildCounter()
                       .Name("synesthesia_requests_total")
                       .Help("RPCs finished, by method and gRPC status code.")
                       .Register(registry);
  auto& request_duration =
      prometheus::BuildHistogram()
          .Name("synesthesia_request_duration_seconds")
          .Help("Duration of finished RPCs, by method (streams: the whole stream).")
          .Register(registry);
  static_assert(std::size(kCodeNames) == kCodeCount);
  for (int method = 0; method < kMethodCount; ++method) {
    const std::string method_name(MethodName(static_cast<Method>(method)));
    request_duration_[method] = &request_duration.Add({{"method", method_name}}, LatencyBuckets());
    for (int code = 0; code < kCodeCount; ++code) {
      requests_[method][code] =
          &requests.Add({{"method", method_name}, {"code", std::string(kCodeNames[code])}});
    }
  }

  tokenize_duration_ = &prometheus::BuildHistogram()
                            .Name("synesthesia_tokenize_duration_seconds")
                            .Help("Time to validate and tokenize one text or stream delta.")
                            .Register(registry)
                            .Add({}, LatencyBuckets());
  queue_wait_ = &prometheus::BuildHistogram()
                     .Name("synesthesia_queue_wait_seconds")
                     .Help("Time a sequence waited in the scheduler's queue before its forward pass.")
                     .Register(registry)
                     .Add({}, LatencyBuckets());
  inference_duration_ = &prometheus::BuildHistogram()
                             .Name("synesthesia_inference_duration_seconds")
                             .Help("Duration of one encoder forward pass.")
                             .Register(registry)
                             .Add({}, LatencyBuckets());
  batch_size_ = &prometheus::BuildHistogram()
                     .Name("synesthesia_batch_size")
                     .Help("Sequences per encoder forward pass.")
                     .Register(registry)
                     .Add({}, PowerOfTwoBuckets(1024));
  batch_tokens_ = &prometheus::BuildHistogram()
                       .Name("synesthesia_batch_tokens")
                       .Help("Tokens per encoder forward pass, padding included.")
                       .Register(registry)
                       .Add({}, PowerOfTwoBuckets(65536));
  // Not synesthesia_batch_tokens_total: under OpenMetrics that counter and
  // the synesthesia_batch_tokens histogram would share one family name.
  auto& inference_tokens = prometheus::BuildCounter()
                               .Name("synesthesia_inference_tokens_total")
                               .Help("Tokens run through the encoder, by kind: real or padding.")
                               .Register(registry);
  inference_real_tokens_ = &inference_tokens.Add({{"kind", "real"}});
  inference_padding_tokens_ = &inference_tokens.Add({{"kind", "padding"}});
  batches_ = &prometheus::BuildCounter()
                  .Name("synesthesia_batches_total")
                  .Help("Encoder forward passes.")
                  .Register(registry)
                  .Add({});
  request_tokens_ = &prometheus::BuildHistogram()
                         .Name("synesthesia_request_tokens")
                         .Help("Tokens per coloured text or stream delta, [CLS] and [SEP] excluded.")
                         .Register(registry)
                         .Add({}, PowerOfTwoBuckets(262144));
  tokens_ = &prometheus::BuildCounter()
                 .Name("synesthesia_tokens_total")
                 .Help("Tokens coloured, [CLS] and [SEP] excluded.")
                 .Register(registry)
                 .Add({});
  queued_tokens_ = &prometheus::BuildGauge()
                        .Name("synesthesia_queued_tokens")
                        .Help("Tokens waiting in the scheduler's queue.")
                        .Register(registry)
                        .Add({});
  max_queued_tokens_ =
      &prometheus::BuildGauge()
           .Name("synesthesia_max_queued_tokens")
           .Help("Queue limit in tokens; unary and batch calls beyond it get RESOURCE_EXHAUSTED.")
           .Register(registry)
           .Add({});
  pending_calls_ = &prometheus::BuildGauge()
                       .Name("synesthesia_scheduler_pending_calls")
                       .Help("Calls submitted to the scheduler and not yet completed.")
                       .Register(registry)
                       .Add({});
  in_flight_requests_ = &prometheus::BuildGauge()
                             .Name("synesthesia_in_flight_requests")
                             .Help("Colorize, ColorizeBatch and GetModelInfo calls being served.")
                             .Register(registry)
                             .Add({});
  active_streams_ = &prometheus::BuildGauge()
                         .Name("synesthesia_active_streams")
                         .Help("Open ColorizeStream calls.")
                         .Register(registry)
                         .Add({});
  stream_messages_ = &prometheus::BuildCounter()
                          .Name("synesthesia_stream_messages_total")
                          .Help("Messages started on ColorizeStream calls.")
                          .Register(registry)
                          .Add({});
  rejected_ = &prometheus::BuildCounter()
                   .Name("synesthesia_rejected_requests_total")
                   .Help("Calls rejected with RESOURCE_EXHAUSTED because the queue was full.")
                   .Register(registry)
                   .Add({});
  process_collector_ = std::make_shared<ProcessCollector>();
}

void Metrics::SetModelInfo(const std::string& model, const std::string& architecture,
                           const std::string& default_projection) {
  model_info_
      .Add({{"model", model}, {"architecture", architecture},
            {"default_projection", default_projection}})
      .Set(1);
}

void Metrics::SetBuildInfo(const std::string& version) {
  build_info_.Add({{"version", version}}).Set(1);
}

void Metrics::SetMaxQueuedTokens(int64_t max_queued_tokens) {
  max_queued_tokens_->Set(static_cast<double>(max_queued_tokens));
}

void Metrics::RecordRequest(Method method, grpc::StatusCode code, absl::Duration duration) {
  const int method_index = static_cast<int>(method);
  int code_index = static_cast<int>(code);
  if (code_index < 0 || code_index >= kCodeCount) code_index = grpc::StatusCode::UNKNOWN;
  requests_[method_index][code_index]->Increment();
  request_duration_[method_index]->Observe(absl::ToDoubleSeconds(duration));
}

void Metrics::RecordColouring(const engine::Timing& timing, int64_t tokens) {
  tokenize_duration_->Observe(absl::ToDoubleSeconds(timing.tokenize));
  request_tokens_->Observe(static_cast<double>(tokens));
  tokens_->Increment(static_cast<double>(tokens));
}

void Metrics::OnBatch(const engine::BatchStats& stats) {
  batches_->Increment();
  batch_size_->Observe(static_cast<double>(stats.sequences));
  batch_tokens_->Observe(static_cast<double>(stats.padded_tokens));
  inference_real_tokens_->Increment(static_cast<double>(stats.real_tokens));
  inference_padding_tokens_->Increment(
      static_cast<double>(stats.padded_tokens - stats.real_tokens));
  inference_duration_->Observe(absl::ToDoubleSeconds(stats.inference_time));
}

void Metrics::OnQueueWait(absl::Duration wait) {
  queue_wait_->Observe(absl::ToDoubleSeconds(wait));
}

void Metrics::OnQueueDepth(int64_t queued_tokens, int64_t pending_calls) {
  queued_tokens_->Set(static_cast<double>(queued_tokens));
  pending_calls_->Set(static_cast<double>(pending_calls));
}

void Metrics::OnRejected() { rejected_->Increment(); }

}  // namespace synesthesia::server
