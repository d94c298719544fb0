// Encoder throughput and model FLOP utilisation (MFU) on the distilbert-base
// shape in float32 and int8, the per-token cost of the three projections,
// and one Colorize call split by stage.
//
//   build/bench/model/bench_encoder [--gemm_seconds=S]
//       [--intra_op_threads=N] [--blas_threads=N] [Google Benchmark flags]
//
// At start-up the program writes a random distilbert-base checkpoint (dim
// 768, 6 layers, 12 heads, hidden 3072, seed 1) to a temporary directory.
// It then measures the GEMM limit of this machine with libtorch on the
// encoder's own linear-layer shapes at 1024 rows (bench/common/gemm_peak.h).
// Every encoder benchmark reports
//   tokens_per_second  real tokens encoded per wall-clock second,
//   flops_per_second   model FLOPs (below) per wall-clock second,
//   mfu                flops_per_second / the GEMM limit of this run,
//   tokens_per_cpu_second, cpu_mfu   the same per second of CPU time of the
//                      whole process against the GEMM limit per CPU second.
//                      Other jobs on a shared machine stretch wall-clock
//                      time, not this process's CPU time.
// For int8, mfu and cpu_mfu compare with the float32 GEMM limit, so they can
// exceed 1.
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

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>
#include <utility>
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
#include "core/model/threads.h"
#include "core/projection/projection.h"

namespace synesthesia::bench {
namespace {

using Clock = std::chrono::steady_clock;

constexpr int kFloat32 = 0;
constexpr int kInt8 = 1;

struct Fixture {
  std::filesystem::path directory;
  model::DistilBertConfig config;  // distilbert-base-uncased
  std::unique_ptr<model::SafetensorsFile> weights;
  // Indexed by kFloat32 and kInt8; the int8 one is null when it failed to
  // build (its benchmarks then report the error).
  std::unique_ptr<model::DistilBertEncoder> encoders[2];
  std::string int8_error;
  // The highest tokens_per_second of any repetition, by precision and
  // (batch, length), for the int8 to float32 ratio printed at the end.
  std::map<std::pair<int64_t, int64_t>, double> best_tokens_per_second[2];
  std::map<std::pair<int64_t, int64_t>, double> best_tokens_per_cpu_second[2];
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
  const int precision = static_cast<int>(state.range(2));
  const model::DistilBertEncoder* encoder = fixture->encoders[precision].get();
  if (encoder == nullptr) {
    state.SkipWithError(fixture->int8_error.c_str());
    return;
  }
  const std::vector<std::vector<int32_t>> sequences =
      MakeBatch(batch, length, static_cast<int32_t>(fixture->config.vocab_size));
  const std::vector<std::span<const int32_t>> spans(sequences.begin(), sequences.end());

  const Clock::time_point start = Clock::now();
  const double cpu_start = ProcessCpuSeconds();
  for (auto _ : state) {
    absl::StatusOr<std::vector<RowMatrixXf>> states = encoder->Encode(spans);
    if (!states.ok()) {
      state.SkipWithError(std::string(states.status().message()).c_str());
      return;
    }
    benchmark::DoNotOptimize(states->front().data());
  }
  const double cpu_seconds = ProcessCpuSeconds() - cpu_start;
  const double seconds = std::chrono::duration<double>(Clock::now() - start).count();

  const double iterations = static_cast<double>(state.iterations());
  const double flops = iterations * ModelFlops(fixture->config, batch, length);
  const double tokens = iterations * static_cast<double>(batch * length);
  state.counters["tokens_per_second"] = tokens / seconds;
  state.counters["flops_per_second"] = flops / seconds;
  state.counters["mfu"] = flops / seconds / fixture->peak.flops_per_second;
  state.counters["tokens_per_cpu_second"] = tokens / cpu_seconds;
  state.counters["cpu_mfu"] = flops / cpu_seconds / fixture->peak.flops_per_cpu_second;
  double& best = fixture->best_tokens_per_second[precision][{batch, length}];
  best = std::max(best, tokens / seconds);
  double& best_cpu = fixture->best_tokens_per_cpu_second[precision][{batch, length}];
  best_cpu = std::max(best_cpu, tokens / cpu_seconds);
}

// Batches from one 16-token message to 4,096 tokens, float32 then int8.
void EncodeArguments(benchmark::internal::Benchmark* benchmark) {
  benchmark->ArgNames({"batch", "length", "int8"});
  for (int precision : {kFloat32, kInt8}) {
    for (auto [batch, length] : std::vector<std::pair<int64_t, int64_t>>{
             {1, 16}, {8, 16}, {16, 16}, {4, 64}, {1, 256}, {16, 64}, {8, 128}, {4, 256}, {16, 256}}) {
      benchmark->Args({batch, length, precision});
    }
  }
}

// The best of the repetitions, for the counters: highest tokens/s and MFU.
double Max(const std::vector<double>& values) {
  return *std::max_element(values.begin(), values.end());
}

BENCHMARK(BM_Encode)
    ->Apply(EncodeArguments)
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime()
    ->MinTime(1.0)
    ->ComputeStatistics("max", Max);

// Prints int8 over float32 tokens per wall-clock second and per CPU second
// for each batch shape, each the best run of its benchmark.
void PrintInt8Speedups(const Fixture& state) {
  std::cout << "\nint8 / float32 tokens per second and per CPU second (best run of each):\n";
  for (const auto& [shape, float_rate] : state.best_tokens_per_second[kFloat32]) {
    const auto int8 = state.best_tokens_per_second[kInt8].find(shape);
    if (int8 == state.best_tokens_per_second[kInt8].end() || float_rate <= 0) continue;
    const double float_cpu_rate = state.best_tokens_per_cpu_second[kFloat32].at(shape);
    const double int8_cpu_rate = state.best_tokens_per_cpu_second[kInt8].at(shape);
    std::cout << "  " << shape.first << " x " << shape.second << ": " << int8->second / float_rate
              << " per second, " << int8_cpu_rate / float_cpu_rate << " per CPU second\n";
  }
}

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
  // The layout the server applies (Colorizer); SemanticHead::Apply is the
  // Eigen reference.
  const projection::PreparedSemanticHead prepared(head);
  const Clock::time_point start = Clock::now();
  for (auto _ : state) {
    std::vector<colour::OkLab> colours = prepared.Apply(hidden);
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
  double gemm_seconds = 2.0;
  // 0 picks the encoder's default (one per hardware thread).
  model::ThreadOptions threads;
};

// Parses the value of a thread-count flag; exits on a value that is not a
// count.
int ParseThreadCount(std::string_view name, std::string_view value) {
  int count = 0;
  if (!absl::SimpleAtoi(std::string(value), &count) || count < 0) {
    std::cerr << "bench_encoder: --" << name << " must be 0 (automatic) or a positive count, got '"
              << value << "'\n";
    std::exit(2);
  }
  return count;
}

// Removes this program's own flags from ARGV and returns them.
Flags ParseOwnFlags(int& argc, char** argv) {
  Flags flags;
  int kept_count = 1;
  for (int i = 1; i < argc; ++i) {
    const std::string_view argument = argv[i];
    if (argument.starts_with("--gemm_seconds=")) {
      const std::string value(argument.substr(std::string_view("--gemm_seconds=").size()));
      if (!absl::SimpleAtod(value, &flags.gemm_seconds) || flags.gemm_seconds <= 0) {
        std::cerr << "bench_encoder: --gemm_seconds must be a positive number, got '" << value
                  << "'\n";
        std::exit(2);
      }
    } else if (argument.starts_with("--intra_op_threads=")) {
      flags.threads.intra_op_threads =
          ParseThreadCount("intra_op_threads", argument.substr(std::string_view("--intra_op_threads=").size()));
    } else if (argument.starts_with("--blas_threads=")) {
      flags.threads.blas_threads =
          ParseThreadCount("blas_threads", argument.substr(std::string_view("--blas_threads=").size()));
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
  encoder_options.threads = flags.threads;
  for (int precision : {kFloat32, kInt8}) {
    encoder_options.precision =
        precision == kInt8 ? model::Precision::kInt8Dynamic : model::Precision::kFloat32;
    absl::StatusOr<std::unique_ptr<model::DistilBertEncoder>> encoder =
        model::DistilBertEncoder::Create(state.config, *state.weights, encoder_options);
    if (encoder.ok()) {
      state.encoders[precision] = *std::move(encoder);
    } else if (precision == kInt8) {
      state.int8_error = std::string(encoder.status().message());
      std::cerr << "bench_encoder: no int8 encoder: " << encoder.status() << "\n";
    } else {
      Fail("building the float32 encoder", encoder.status());
    }
  }
  encoder_options.precision = model::Precision::kFloat32;

  engine::ColorizerOptions colorizer_options;
  colorizer_options.model_directory = state.directory.string();
  colorizer_options.model.encoder = encoder_options;
  absl::StatusOr<std::unique_ptr<engine::Colorizer>> colorizer =
      engine::Colorizer::Create(colorizer_options);
  if (!colorizer.ok()) Fail("loading the colorizer", colorizer.status());
  state.colorizer = *std::move(colorizer);

  state.peak = MeasureGemmPeak(EncoderGemmShapes(1024, state.config.dim, state.config.hidden_dim),
                               flags.gemm_seconds);
  std::cout << DescribeGemmPeak(state.peak)
            << "Threads: " << model::DescribeThreadLayout(model::CurrentThreadLayout()) << "\n"
            << std::flush;
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
  PrintInt8Speedups(state);

  state.colorizer.reset();
  for (auto& encoder : state.encoders) encoder.reset();
  state.weights.reset();
  std::filesystem::remove_all(state.directory);
  return 0;
}
