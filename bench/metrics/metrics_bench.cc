// The cost of the server's Prometheus metrics on the request path, next to
// the work they measure.
//
// BM_RequestMetricUpdates makes the metric updates of one Colorize call, in
// the order the server makes them: the in-flight gauge, three queue-depth
// reports from the scheduler, one queue wait, one single-sequence batch,
// one colouring and the finished request. BM_ForwardPass16Tokens runs the
// encoder forward pass of one 16-token sequence on the distilbert-base
// shape (random weights, written to a temporary directory at start-up).
// Their ratio is the share of a request's time spent on metrics.
// BM_RecordRequest and BM_RecordRequestByLabelLookup compare the request
// counter and histogram updates with and without series created up front.
// BM_RenderMetrics is one scrape: collecting and serializing every series.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "core/engine/colorize_types.h"
#include "core/engine/scheduler.h"
#include "core/model/config.h"
#include "core/model/encoder.h"
#include "core/model/random_checkpoint.h"
#include "core/model/safetensors.h"
#include "prometheus/counter.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"
#include "prometheus/text_serializer.h"
#include "server/metrics.h"

namespace synesthesia::server {
namespace {

// One Colorize call's updates, with plausible values for a short text.
void UpdateForOneRequest(Metrics& metrics) {
  InFlightRequest in_flight(metrics);
  metrics.OnQueueDepth(18, 1);
  metrics.OnQueueDepth(0, 1);
  metrics.OnQueueWait(absl::Microseconds(40));
  metrics.OnBatch(engine::BatchStats{1, 18, 18, absl::Milliseconds(6)});
  metrics.OnQueueDepth(0, 0);
  engine::Timing timing;
  timing.tokenize = absl::Microseconds(3);
  timing.queue = absl::Microseconds(40);
  timing.inference = absl::Milliseconds(6);
  timing.total = absl::Milliseconds(7);
  metrics.RecordColouring(timing, 16);
  metrics.RecordRequest(Method::kColorize, grpc::StatusCode::OK, absl::Milliseconds(7));
}

// Shared by every thread of the multi-threaded runs, as in the server.
prometheus::Registry* registry = nullptr;
Metrics* metrics = nullptr;

void BM_RequestMetricUpdates(benchmark::State& state) {
  for (auto _ : state) UpdateForOneRequest(*metrics);
}
BENCHMARK(BM_RequestMetricUpdates)->Threads(1)->Threads(2)->UseRealTime();

// Measures RecordRequest's two updates when each call looks its series up
// by labels (a label map, a bucket vector and a lock of each family), as
// the server did before it created the series up front.
void BM_RecordRequestByLabelLookup(benchmark::State& state) {
  prometheus::Registry lookup_registry;
  auto& requests = prometheus::BuildCounter().Name("requests_total").Register(lookup_registry);
  auto& durations = prometheus::BuildHistogram().Name("duration_seconds").Register(lookup_registry);
  const prometheus::Histogram::BucketBoundaries buckets = {
      0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
      0.1,    0.25,    0.5,    1.0,   2.5,    5.0,   10.0};
  for (auto _ : state) {
    requests.Add({{"method", "Colorize"}, {"code", "OK"}}).Increment();
    durations.Add({{"method", "Colorize"}}, prometheus::Histogram::BucketBoundaries(buckets))
        .Observe(0.007);
  }
}
BENCHMARK(BM_RecordRequestByLabelLookup);

// Measures the same two updates through the series Metrics creates up front.
void BM_RecordRequest(benchmark::State& state) {
  for (auto _ : state) {
    metrics->RecordRequest(Method::kColorize, grpc::StatusCode::OK, absl::Milliseconds(7));
  }
}
BENCHMARK(BM_RecordRequest);

void BM_RenderMetrics(benchmark::State& state) {
  const prometheus::TextSerializer serializer;
  size_t bytes = 0;
  for (auto _ : state) {
    std::vector<prometheus::MetricFamily> families = registry->Collect();
    for (prometheus::MetricFamily& family : metrics->process_collector()->Collect()) {
      families.push_back(std::move(family));
    }
    const std::string text = serializer.Serialize(families);
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RenderMetrics);

struct EncoderFixture {
  std::filesystem::path directory;
  std::unique_ptr<model::SafetensorsFile> weights;
  std::unique_ptr<model::DistilBertEncoder> encoder;
};
EncoderFixture* encoder_fixture = nullptr;

void BM_ForwardPass16Tokens(benchmark::State& state) {
  // [CLS], 14 ids from the middle of the vocabulary, [SEP]: the ids do not
  // change the amount of work.
  std::vector<int32_t> ids = {101};
  for (int32_t i = 0; i < 14; ++i) ids.push_back(2000 + 37 * i);
  ids.push_back(102);
  const std::vector<std::span<const int32_t>> batch = {ids};
  for (auto _ : state) {
    auto states = encoder_fixture->encoder->Encode(batch);
    if (!states.ok()) {
      state.SkipWithError(std::string(states.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(states->front().data());
  }
}
BENCHMARK(BM_ForwardPass16Tokens)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Writes and loads a random distilbert-base checkpoint; exits on failure.
void LoadEncoder(EncoderFixture& fixture) {
  fixture.directory = std::filesystem::temp_directory_path() /
                      ("synesthesia-metrics-bench-" + std::to_string(getpid()));
  const model::DistilBertConfig config;  // distilbert-base-uncased
  const absl::Status written =
      model::WriteRandomCheckpoint(fixture.directory.string(), config, SYNESTHESIA_BENCH_VOCAB, 1);
  if (!written.ok()) {
    std::cerr << "bench_metrics: writing the random checkpoint failed: " << written << "\n";
    std::exit(1);
  }

  absl::StatusOr<std::unique_ptr<model::SafetensorsFile>> weights =
      model::SafetensorsFile::Open((fixture.directory / "model.safetensors").string());
  if (!weights.ok()) {
    std::cerr << "bench_metrics: opening the random checkpoint failed: " << weights.status()
              << "\n";
    std::exit(1);
  }
  fixture.weights = std::move(*weights);

  absl::StatusOr<std::unique_ptr<model::DistilBertEncoder>> encoder =
      model::DistilBertEncoder::Create(config, *fixture.weights);
  if (!encoder.ok()) {
    std::cerr << "bench_metrics: building the encoder failed: " << encoder.status() << "\n";
    std::exit(1);
  }
  fixture.encoder = std::move(*encoder);
}

}  // namespace
}  // namespace synesthesia::server

int main(int argc, char** argv) {
  using namespace synesthesia::server;
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  prometheus::Registry registry_instance;
  Metrics metrics_instance(registry_instance);
  metrics_instance.SetBuildInfo("bench");
  metrics_instance.SetModelInfo("distilbert-base", "distilbert", "pca");
  metrics_instance.SetMaxQueuedTokens(65536);
  registry = &registry_instance;
  metrics = &metrics_instance;

  EncoderFixture fixture;
  LoadEncoder(fixture);
  encoder_fixture = &fixture;

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  fixture.encoder.reset();
  fixture.weights.reset();
  std::filesystem::remove_all(fixture.directory);
  return 0;
}
