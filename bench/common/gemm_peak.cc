#include "bench/common/gemm_peak.h"

#include <time.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/status/status.h"
#include "absl/strings/str_format.h"
#include "core/model/packed_linear.h"
#include "core/model/threads.h"
#include "glog/logging.h"

namespace synesthesia::bench {

std::string GemmShape::Name() const { return absl::StrCat(m, "x", k, "x", n); }

std::vector<GemmShape> EncoderGemmShapes(int64_t tokens, int64_t dim, int64_t hidden_dim) {
  return {{tokens, dim, dim}, {tokens, dim, hidden_dim}, {tokens, hidden_dim, dim}};
}

double ProcessCpuSeconds() {
  timespec now{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &now);
  return static_cast<double>(now.tv_sec) + static_cast<double>(now.tv_nsec) * 1e-9;
}

namespace {

using Clock = std::chrono::steady_clock;

// Times PRODUCT, after one warm-up call (thread pools, page faults).
template <typename Product>
GemmMeasurement MeasureProduct(const GemmShape& shape, std::string kernel, double min_seconds,
                               Product product) {
  product();
  GemmMeasurement measurement;
  measurement.shape = shape;
  measurement.kernel = std::move(kernel);
  double best_seconds = 0;
  double best_cpu_seconds = 0;
  const Clock::time_point start = Clock::now();
  while (std::chrono::duration<double>(Clock::now() - start).count() < min_seconds) {
    const Clock::time_point before = Clock::now();
    const double cpu_before = ProcessCpuSeconds();
    product();
    const double cpu_seconds = ProcessCpuSeconds() - cpu_before;
    const double seconds = std::chrono::duration<double>(Clock::now() - before).count();
    if (measurement.runs == 0 || seconds < best_seconds) best_seconds = seconds;
    if (measurement.runs == 0 || cpu_seconds < best_cpu_seconds) best_cpu_seconds = cpu_seconds;
    ++measurement.runs;
  }
  measurement.best_flops_per_second = shape.flops() / best_seconds;
  measurement.best_flops_per_cpu_second = shape.flops() / best_cpu_seconds;
  return measurement;
}

std::vector<GemmMeasurement> MeasureShape(const GemmShape& shape, double min_seconds, int threads) {
  torch::InferenceMode inference;
  const torch::Tensor input = torch::randn({shape.m, shape.k});
  // Stored [n, k] and multiplied transposed, as torch::nn::Linear does.
  const torch::Tensor weight = torch::randn({shape.n, shape.k});
  torch::Tensor output = torch::empty({shape.m, shape.n});
  const model::PackedLinear packed(weight, torch::zeros({shape.n}), threads);
  return {MeasureProduct(shape, "libtorch mm", min_seconds,
                         [&] { torch::mm_out(output, input, weight.t()); }),
          MeasureProduct(shape, "oneDNN packed", min_seconds, [&] { packed.Forward(input); })};
}

}  // namespace

GemmPeak MeasureGemmPeak(const std::vector<GemmShape>& shapes, double min_seconds_per_shape) {
  const model::ThreadLayout before = model::CurrentThreadLayout();
  // 0: one thread per hardware thread for both libraries.
  if (absl::Status status = model::ConfigureThreads({.intra_op_threads = 0, .blas_threads = 0});
      !status.ok()) {
    LOG(FATAL) << "setting the GEMM threads failed: " << status;
  }
  const int threads = model::CurrentThreadLayout().intra_op_threads;
  GemmPeak peak;
  for (const GemmShape& shape : shapes) {
    for (GemmMeasurement& measurement : MeasureShape(shape, min_seconds_per_shape, threads)) {
      peak.flops_per_second = std::max(peak.flops_per_second, measurement.best_flops_per_second);
      peak.flops_per_cpu_second =
          std::max(peak.flops_per_cpu_second, measurement.best_flops_per_cpu_second);
      peak.shapes.push_back(std::move(measurement));
    }
  }
  if (absl::Status status = model::ConfigureThreads(
          {.intra_op_threads = before.intra_op_threads, .blas_threads = std::max(before.blas_threads, 0)});
      !status.ok()) {
    LOG(FATAL) << "restoring the encoder's threads failed: " << status;
  }
  return peak;
}

std::string DescribeGemmPeak(const GemmPeak& peak) {
  std::string text;
  for (const GemmMeasurement& measurement : peak.shapes) {
    absl::StrAppendFormat(&text,
                          "GEMM %-16s %-13s %7.1f GFLOP/s, %7.1f GFLOP per CPU second (best of %d)\n",
                          measurement.shape.Name(), measurement.kernel,
                          measurement.best_flops_per_second / 1e9,
                          measurement.best_flops_per_cpu_second / 1e9, measurement.runs);
  }
  absl::StrAppendFormat(&text, "GEMM peak %.1f GFLOP/s, %.1f GFLOP per CPU second\n",
                        peak.flops_per_second / 1e9, peak.flops_per_cpu_second / 1e9);
  return text;
}

}  // namespace synesthesia::bench
