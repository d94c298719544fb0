// Encoder throughput and model FLOP utilisation (MFU) on the distilbert-base
// shape, the per-token cost of the three projections, and one Colorize call
// split by stage.
//
//   build/bench/model/bench_encoder [--precision=float32|int8]
//       [--gemm_seconds=S] [Google Benchmark flags]
//
// At start-up the program writes a random distilbert-base checkpoint (dim
// 768, 6 layers, 12 heads, hidden 3072, seed 1) to a temporary directory.
// It then measures the GEMM limit of this machine with libtorch on the
// encoder's own linear-layer shapes at 1024 rows (bench/common/gemm_peak.h).
// Every encoder benchmark reports
//   tokens_per_second  real tokens encoded per wall-clock second,
//   flops_per_second   model FLOPs (below) per wall-clock second,
//   mfu                flops_per_second / the GEMM limit of this run.
//
// Model FLOPs of one forward pass over B sequences of L tokens (T = B·L),
// counting one multiply-add as 2 FLOPs and only the matrix products:
//   per layer   q, k, v, out projections  4 · 2·T·dim·dim
//               lin1 and lin2             2 · 2·T·dim·hidden
//               scores Q·Kᵀ and context   2 · 2·B·L·L·dim   (all heads)
//   total       n_layers · (8·T·dim² + 4·T·dim·hidden + 4·B·L²·dim)
// Layer norms, GELU, softmax and the embeddings are left out (under 1% of
// the total at dim 768). Padding is not counted: every batch here has
// sequences of one length.
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "bench/common/gemm_peak.h"
#include "benchmark/benchmark.h"
#include "core/engine/colorizer.h"
#include "core/model/config.h"
#include "core/model/encoder.h"
#include "core/model/random_checkpoint.h"
#include "core/model/safetensors.h"
#include "core/projection/projection.h"

namespace synesthesia::bench {
namespace {

using Clock = std::chrono::steady_clock;

struct Fixture {
  std::filesystem::path directory;
  model::DistilBertConfig config;  // distilbert-base-uncased
  std::unique_ptr<model::SafetensorsFile> weights;
  std::unique_ptr<model::DistilBertEncoder> encoder;
  std::unique_ptr<engine::Colorizer> colorizer;
  GemmPeak peak;
};
Fixture* fixture = nullptr;

[[noreturn]] void Fail(std::string_view what, const absl::Status& status) {
  std::cerr << "bench_encoder: " << what << " failed: " << status << "\n";
  std::exit(1);
}

double ModelFlops(const model::DistilBertConfig& config, int64_t batch, int64_t length) {
  const double tokens = static_cast<double>(batch * length);
  const double dim = static_cast<double>(config.dim);
  const double hidden = static_cast<double>(config.hidden_dim);
  const double per_layer = 8 * tokens * dim * dim + 4 * tokens * dim * hidden +
                           4 * static_cast<double>(batch) * static_cast<double>(length * length) * dim;
  return static_cast<double>(config.n_layers) * per_layer;
}

// BATCH sequences of LENGTH ids: [CLS], ids spread over the vocabulary,
// [SEP]. The ids do not change the amount of work.
std::vector<std::vector<int32_t>> MakeBatch(int64_t batch, int64_t length, int32_t vocab_size) {
  std::mt19937 random(7);
  std::uniform_int_distribution<int32_t> word(1000, vocab_size - 1);
  std::vector<std::vector<int32_t>> sequences(static_cast<size_t>(batch));
  for (std::vector<int32_t>& sequence : sequences) {
    sequence.push_back(101);
    for (int64_t i = 1; i + 1 < length; ++i) sequence.push_back(word(random));
    sequence.push_back(102);
  }
  return sequences;
}

void BM_Encode(benchmark::State& state) {
  const int64_t batch = state.range(0);
  const int64_t length = state.range(1);
  const std::vector<std::vector<int32_t>> sequences =
      MakeBatch(batch, length, static_cast<int32_t>(fixture->config.vocab_size));
  const std::vector<std::span<const int32_t>> spans(sequences.begin(), sequences.end());

  const Clock::time_point start = Clock::now();
  for (auto _ : state) {
    absl::StatusOr<std::vector<RowMatrixXf>> states = fixture->encoder->Encode(spans);
    if (!states.ok()) {
      state.SkipWithError(std::string(states.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(states->front().data());
  }
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  const double iterations = static_cast<double>(state.iterations());
  const double flops_per_second = iterations * ModelFlops(fixture->config, batch, length) / seconds;
  state.counters["tokens_per_second"] = iterations * static_cast<double>(batch * length) / seconds;
  state.counters["flops_per_second"] = flops_per_second;
  state.counters["mfu"] = flops_per_second / fixture->peak.flops_per_second;
}
BENCHMARK(BM_Encode)
    ->ArgNames({"batch", "length"})
    ->Args({1, 16})
    ->Args({8, 16})
    ->Args({16, 16})
    ->Args({4, 64})
    ->Args({1, 256})
    ->Args({16, 64})
    ->Args({8, 128})
    ->Args({4, 256})
    ->Args({16, 256})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(1.0);

// Hidden states of TOKENS rows drawn from N(0, 1).
RowMatrixXf RandomHidden(int64_t tokens, int64_t dim) {
  std::mt19937 random(11);
  std::normal_distribution<float> normal;
  RowMatrixXf hidden(tokens, dim);
  for (int64_t i = 0; i < hidden.size(); ++i) hidden.data()[i] = normal(random);
  return hidden;
}

// Wall-clock nanoseconds per token of the loop that started at START.
void SetNanosecondsPerToken(benchmark::State& state, Clock::time_point start, int64_t tokens) {
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
  state.counters["ns_per_token"] =
      seconds * 1e9 / static_cast<double>(state.iterations() * tokens);
}

void BM_ProjectPca(benchmark::State& state) {
  const int64_t tokens = state.range(0);
  const RowMatrixXf hidden = RandomHidden(tokens, fixture->config.dim);
  const Clock::time_point start = Clock::now();
  for (auto _ : state) {
    std::vector<colour::Rgb8> colours = projection::PcaColours(hidden);
    benchmark::DoNotOptimize(colours.data());
  }
  SetNanosecondsPerToken(state, start, tokens);
}
BENCHMARK(BM_ProjectPca)->ArgName("tokens")->Arg(16)->Arg(256)->Unit(benchmark::kMicrosecond)->UseRealTime();

void BM_ProjectBasis(benchmark::State& state) {
  const int64_t tokens = state.range(0);
  absl::StatusOr<projection::Basis> basis =
      projection::Basis::Fit(RandomHidden(1024, fixture->config.dim));
  if (!basis.ok()) Fail("fitting the basis", basis.status());
  const RowMatrixXf hidden = RandomHidden(tokens, fixture->config.dim);
  const Clock::time_point start = Clock::now();
  for (auto _ : state) {
    std::vector<colour::Rgb8> colours = basis->Apply(hidden);
    benchmark::DoNotOptimize(colours.data());
  }
  SetNanosecondsPerToken(state, start, tokens);
}
BENCHMARK(BM_ProjectBasis)->ArgName("tokens")->Arg(16)->Arg(256)->Unit(benchmark::kMicrosecond)->UseRealTime();

// A semantic head with a 128-unit hidden layer, the trainer's default width.
void BM_ProjectSemantic(benchmark::State& state) {
  const int64_t tokens = state.range(0);
  const int64_t head_hidden = 128;
  projection::SemanticHead head;
  head.hidden_weight = RandomHidden(head_hidden, fixture->config.dim) * 0.02f;
  head.hidden_bias = Eigen::VectorXf::Zero(head_hidden);
  head.output_weight = RandomHidden(3, head_hidden) * 0.02f;
  head.output_bias = Eigen::VectorXf::Zero(3);
  const RowMatrixXf hidden = RandomHidden(tokens, fixture->config.dim);
  const Clock::time_point start = Clock::now();
  for (auto _ : state) {
    std::vector<colour::OkLab> colours = head.Apply(hidden);
    benchmark::DoNotOptimize(colours.data());
  }
  SetNanosecondsPerToken(state, start, tokens);
}
BENCHMARK(BM_ProjectSemantic)->ArgName("tokens")->Arg(16)->Arg(256)->Unit(benchmark::kMicrosecond)->UseRealTime();

// About 1,000 bytes of English (about 200 tokens), one encoder window.
const std::string& ColorizerText() {
  static const std::string* text = [] {
    const std::string sentence =
        "The lighthouse keeper counted the ships that passed during the long winter nights, "
        "and each one left a trail of silver light across the dark water. ";
    auto* joined = new std::string;
    while (joined->size() < 1000) *joined += sentence;
    return joined;
  }();
  return *text;
}

// Colorizer::Prepare: UTF-8 validation, tokenization, window plan.
void BM_ColorizeTokenize(benchmark::State& state) {
  for (auto _ : state) {
    absl::StatusOr<engine::PreparedText> prepared =
        fixture->colorizer->Prepare(ColorizerText(), engine::ColorizeOptions());
    if (!prepared.ok()) Fail("Prepare", prepared.status());
    benchmark::DoNotOptimize(prepared->tokens.data());
  }
}
BENCHMARK(BM_ColorizeTokenize)->Unit(benchmark::kMicrosecond)->UseRealTime();

// The encoder forward pass over the prepared windows.
void BM_ColorizeEncode(benchmark::State& state) {
  absl::StatusOr<engine::PreparedText> prepared =
      fixture->colorizer->Prepare(ColorizerText(), engine::ColorizeOptions());
  if (!prepared.ok()) Fail("Prepare", prepared.status());
  const std::vector<std::span<const int32_t>> batch(prepared->window_ids.begin(),
                                                    prepared->window_ids.end());
  for (auto _ : state) {
    absl::StatusOr<std::vector<RowMatrixXf>> states =
        fixture->colorizer->model().encoder().Encode(batch);
    if (!states.ok()) Fail("Encode", states.status());
    benchmark::DoNotOptimize(states->front().data());
  }
  state.counters["tokens"] = static_cast<double>(prepared->tokens.size());
}
BENCHMARK(BM_ColorizeEncode)->Unit(benchmark::kMicrosecond)->UseRealTime();

// Colorizer::Finish with the pca projection: stitching, projection, spans.
void BM_ColorizeProject(benchmark::State& state) {
  absl::StatusOr<engine::PreparedText> prepared =
      fixture->colorizer->Prepare(ColorizerText(), engine::ColorizeOptions());
  if (!prepared.ok()) Fail("Prepare", prepared.status());
  const std::vector<std::span<const int32_t>> batch(prepared->window_ids.begin(),
                                                    prepared->window_ids.end());
  absl::StatusOr<std::vector<RowMatrixXf>> states =
      fixture->colorizer->model().encoder().Encode(batch);
  if (!states.ok()) Fail("Encode", states.status());
  for (auto _ : state) {
    absl::StatusOr<engine::ColorizeResult> result = fixture->colorizer->Finish(*prepared, *states);
    if (!result.ok()) Fail("Finish", result.status());
    benchmark::DoNotOptimize(result->spans.data());
  }
}
BENCHMARK(BM_ColorizeProject)->Unit(benchmark::kMicrosecond)->UseRealTime();

struct Flags {
  model::Precision precision = model::Precision::kFloat32;
  double gemm_seconds = 2.0;
};

// Removes this program's own flags from ARGV and returns them.
Flags ParseOwnFlags(int& argc, char** argv) {
  Flags flags;
  int kept_count = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view argument = argv[i];
    if (argument == "--precision=float32") {
      flags.precision = model::Precision::kFloat32;
    } else if (argument == "--precision=int8") {
      flags.precision = model::Precision::kInt8Dynamic;
    } else if (argument.starts_with("--gemm_seconds=")) {
      const std::string value(argument.substr(std::string_view("--gemm_seconds=").size()));
      if (!absl::SimpleAtod(value, &flags.gemm_seconds) || flags.gemm_seconds <= 0) {
        std::cerr << "bench_encoder: --gemm_seconds must be a positive number, got '" << value
                  << "'\n";
        std::exit(2);
      }
    } else if (argument.starts_with("--precision=")) {
      std::cerr << "bench_encoder: --precision must be float32 or int8, got '" << argument
                << "'\n";
      std::exit(2);
    } else {
      argv[kept_count++] = argv[i];
    }
  }
  argc = kept_count;
  return flags;
}

void SetUp(Fixture& state, const Flags& flags) {
  state.directory = std::filesystem::temp_directory_path() /
                    ("synesthesia-encoder-bench-" + std::to_string(getpid()));
  const absl::Status written = model::WriteRandomCheckpoint(
      state.directory.string(), state.config, SYNESTHESIA_BENCH_VOCAB, 1);
  if (!written.ok()) Fail("writing the random checkpoint", written);

  absl::StatusOr<std::unique_ptr<model::SafetensorsFile>> weights =
      model::SafetensorsFile::Open((state.directory / "model.safetensors").string());
  if (!weights.ok()) Fail("opening the random checkpoint", weights.status());
  state.weights = *std::move(weights);

  model::EncoderOptions encoder_options;
  encoder_options.precision = flags.precision;
  absl::StatusOr<std::unique_ptr<model::DistilBertEncoder>> encoder =
      model::DistilBertEncoder::Create(state.config, *state.weights, encoder_options);
  if (!encoder.ok()) Fail("building the encoder", encoder.status());
  state.encoder = *std::move(encoder);

  engine::ColorizerOptions colorizer_options;
  colorizer_options.model_directory = state.directory.string();
  colorizer_options.model.encoder = encoder_options;
  absl::StatusOr<std::unique_ptr<engine::Colorizer>> colorizer =
      engine::Colorizer::Create(colorizer_options);
  if (!colorizer.ok()) Fail("loading the colorizer", colorizer.status());
  state.colorizer = *std::move(colorizer);

  state.peak = MeasureGemmPeak(EncoderGemmShapes(1024, state.config.dim, state.config.hidden_dim),
                               flags.gemm_seconds);
  std::cout << DescribeGemmPeak(state.peak) << std::flush;
}

}  // namespace
}  // namespace synesthesia::bench

int main(int argc, char** argv) {
  using namespace synesthesia::bench;
  const Flags flags = ParseOwnFlags(argc, argv);
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 2;

  Fixture state;
  SetUp(state, flags);
  fixture = &state;

  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();

  state.colorizer.reset();
  state.encoder.reset();
  state.weights.reset();
  std::filesystem::remove_all(state.directory);
  return 0;
}
