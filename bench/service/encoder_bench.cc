// bench_service_encoder: the encoder-side half of the service benchmark
// (bench/service/run_bench.py).
//
//   bench_service_encoder write-checkpoint --out DIR [--seed N]
//       Writes a random-weight model directory of the distilbert-base-uncased
//       shape (6 layers, dim 768, 12 heads, 512 positions) with the
//       bert-base-uncased vocabulary.
//
//   bench_service_encoder encode --model DIR --length L --batch_sizes 1,8,32
//       Times DistilBertEncoder::Encode on batches of B sequences of L tokens
//       each, on one thread as the scheduler's worker does. Prints one JSON
//       object per batch size: the median forward time (wall and CPU of
//       this thread) and tokens/s.
//
// The server's throughput divided by these tokens/s, at the batch sizes the
// scheduler formed, is how close the service comes to its encoder.
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "absl/flags/flag.h"
#include "absl/flags/parse.h"
#include "absl/flags/usage.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "absl/time/time.h"
#include "core/model/threads.h"
#include "core/model/config.h"
#include "core/model/model.h"
#include "core/model/random_checkpoint.h"

ABSL_FLAG(std::string, out, "", "write-checkpoint: directory to write the model to");
ABSL_FLAG(uint64_t, seed, 1, "write-checkpoint: seed of the random weights");
ABSL_FLAG(std::string, model, "", "encode: model directory to load");
ABSL_FLAG(int64_t, length, 18, "encode: tokens per sequence, [CLS] and [SEP] included");
ABSL_FLAG(std::string, batch_sizes, "1,8,32", "encode: comma-separated batch sizes to time");
ABSL_FLAG(double, seconds, 1.0, "encode: minimum time spent on each batch size, in seconds");
ABSL_FLAG(int, encoder_threads, 1,
          "encode: threads of libtorch's OpenMP pool inside one forward pass (OpenBLAS, which "
          "only runs attention, keeps one); 0 gives the encoder's default layout");

namespace {

// CPU time of the calling thread. With one encoder thread the forward pass
// runs on the caller, so this is its CPU cost even when other processes
// share the cores and stretch its wall time.
double ThreadCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

int WriteCheckpoint() {
  const std::string out = absl::GetFlag(FLAGS_out);
  if (out.empty()) {
    std::cerr << "bench_service_encoder: write-checkpoint needs --out DIR\n";
    return 2;
  }
  // The defaults of DistilBertConfig are distilbert-base-uncased's shape.
  const synesthesia::model::DistilBertConfig config;
  const absl::Status status = synesthesia::model::WriteRandomCheckpoint(
      out, config, SYNESTHESIA_BENCH_VOCAB, absl::GetFlag(FLAGS_seed));
  if (!status.ok()) {
    std::cerr << "bench_service_encoder: writing " << out << " failed: " << status << "\n";
    return 1;
  }
  return 0;
}

absl::StatusOr<std::vector<int64_t>> ParseBatchSizes(const std::string& text) {
  std::vector<int64_t> sizes;
  for (absl::string_view part : absl::StrSplit(text, ',', absl::SkipEmpty())) {
    int64_t size = 0;
    if (!absl::SimpleAtoi(part, &size) || size < 1) {
      return absl::InvalidArgumentError(
          "--batch_sizes must list positive integers, for example 1,8,32");
    }
    sizes.push_back(size);
  }
  if (sizes.empty()) return absl::InvalidArgumentError("--batch_sizes is empty");
  return sizes;
}

int Encode() {
  const std::string directory = absl::GetFlag(FLAGS_model);
  const int64_t length = absl::GetFlag(FLAGS_length);
  const double min_seconds = absl::GetFlag(FLAGS_seconds);
  absl::StatusOr<std::vector<int64_t>> batch_sizes =
      ParseBatchSizes(absl::GetFlag(FLAGS_batch_sizes));
  if (directory.empty() || !batch_sizes.ok() || length < 3 || !(min_seconds > 0)) {
    std::cerr << "bench_service_encoder: encode needs --model DIR, --length >= 3, --seconds > 0 "
                 "and --batch_sizes with positive sizes\n";
    return 2;
  }
  const int threads = absl::GetFlag(FLAGS_encoder_threads);
  synesthesia::model::ModelOptions options;
  if (threads > 0) {
    options.encoder.threads =
        synesthesia::model::ThreadOptions{.intra_op_threads = threads, .blas_threads = 1};
  }

  absl::StatusOr<std::unique_ptr<synesthesia::model::Model>> model =
      synesthesia::model::Model::Load(directory, options);
  if (!model.ok()) {
    std::cerr << "bench_service_encoder: loading " << directory << " failed: " << model.status()
              << "\n";
    return 1;
  }
  const synesthesia::model::DistilBertEncoder& encoder = (*model)->encoder();
  const auto& tokenizer = (*model)->tokenizer();

  // Word-piece ids from the middle of the vocabulary between [CLS] and [SEP];
  // the encoder's cost does not depend on which ids they are.
  std::vector<int32_t> sequence(static_cast<size_t>(length));
  for (int64_t i = 0; i < length; ++i) sequence[static_cast<size_t>(i)] = 2000 + static_cast<int32_t>(i);
  sequence.front() = tokenizer.cls_id();
  sequence.back() = tokenizer.sep_id();

  for (int64_t batch_size : *batch_sizes) {
    std::vector<std::span<const int32_t>> batch(static_cast<size_t>(batch_size), sequence);
    // One untimed pass sizes libtorch's buffers for this shape.
    if (absl::Status status = encoder.Encode(batch).status(); !status.ok()) {
      std::cerr << "bench_service_encoder: forward pass failed: " << status << "\n";
      return 1;
    }
    std::vector<double> forward_seconds;
    std::vector<double> cpu_seconds;
    const absl::Time start = absl::Now();
    while (forward_seconds.size() < 3 || absl::ToDoubleSeconds(absl::Now() - start) < min_seconds) {
      const absl::Time pass_start = absl::Now();
      const double cpu_start = ThreadCpuSeconds();
      if (!encoder.Encode(batch).ok()) return 1;
      cpu_seconds.push_back(ThreadCpuSeconds() - cpu_start);
      forward_seconds.push_back(absl::ToDoubleSeconds(absl::Now() - pass_start));
    }
    std::sort(forward_seconds.begin(), forward_seconds.end());
    std::sort(cpu_seconds.begin(), cpu_seconds.end());
    const double median = forward_seconds[forward_seconds.size() / 2];
    const double cpu_median = cpu_seconds[cpu_seconds.size() / 2];
    const double tokens = static_cast<double>(batch_size * length);
    std::printf(
        "{\"batch_size\":%lld,\"length\":%lld,\"passes\":%zu,\"forward_ms\":%.4f,"
        "\"tokens_per_s\":%.1f,\"sequences_per_s\":%.1f,\"cpu_ms\":%.4f,"
        "\"tokens_per_cpu_s\":%.1f}\n",
        static_cast<long long>(batch_size), static_cast<long long>(length),
        forward_seconds.size(), median * 1e3, tokens / median,
        static_cast<double>(batch_size) / median, cpu_median * 1e3, tokens / cpu_median);
    std::fflush(stdout);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  absl::SetProgramUsageMessage(
      "times the encoder for the service benchmark.\n"
      "Usage: bench_service_encoder write-checkpoint --out DIR\n"
      "       bench_service_encoder encode --model DIR --length L --batch_sizes 1,8,32");
  std::vector<char*> positional = absl::ParseCommandLine(argc, argv);
  const std::string command = positional.size() == 2 ? positional[1] : "";
  if (command == "write-checkpoint") return WriteCheckpoint();
  if (command == "encode") return Encode();
  std::cerr << "bench_service_encoder: expected the command write-checkpoint or encode; see "
               "--help\n";
  return 2;
}
