// The machine's matrix-multiplication limit, measured at the start of a
// benchmark run with the two float32 GEMMs the encoder can use: libtorch's
// torch::mm (OpenBLAS) and oneDNN's matmul with packed weights
// (core/model/packed_linear.h), both on every hardware thread. A benchmark
// divides its own FLOP/s by the faster, so the ratio compares against the
// same libraries, machine and load.
#ifndef SYNESTHESIA_BENCH_COMMON_GEMM_PEAK_H_
#define SYNESTHESIA_BENCH_COMMON_GEMM_PEAK_H_

#include <cstdint>
#include <string>
#include <vector>

namespace synesthesia::bench {

// One float32 product [m × k] · [k × n], which costs 2·m·k·n FLOPs.
struct GemmShape {
  int64_t m = 0;
  int64_t k = 0;
  int64_t n = 0;

  double flops() const { return 2.0 * static_cast<double>(m) * static_cast<double>(k) * static_cast<double>(n); }
  // "1024x768x3072" (m, k, n).
  std::string Name() const;
};

// The products of one DistilBERT layer's linear layers for TOKENS rows:
// [T×dim]·[dim×dim] (q, k, v, out), [T×dim]·[dim×hidden] (lin1) and
// [T×hidden]·[hidden×dim] (lin2).
std::vector<GemmShape> EncoderGemmShapes(int64_t tokens, int64_t dim, int64_t hidden_dim);

struct GemmMeasurement {
  GemmShape shape;
  // "libtorch mm" or "oneDNN packed".
  std::string kernel;
  // The fastest single product seen, in FLOP per wall-clock second.
  double best_flops_per_second = 0;
  // The cheapest single product seen, in FLOP per second of CPU time of
  // the whole process (all threads, CLOCK_PROCESS_CPUTIME_ID).
  double best_flops_per_cpu_second = 0;
  // Products timed.
  int64_t runs = 0;
};

struct GemmPeak {
  // The highest best_flops_per_second over all shapes and both kernels.
  double flops_per_second = 0;
  // The highest best_flops_per_cpu_second over all shapes and kernels. Other jobs on
  // the machine stretch wall-clock time but not this process's CPU time,
  // so this limit moves less with machine load.
  double flops_per_cpu_second = 0;
  std::vector<GemmMeasurement> shapes;
};

// CPU time consumed so far by every thread of this process, in seconds.
double ProcessCpuSeconds();

// Times torch::mm and a packed oneDNN product on random float32 matrices of
// each shape for at least MIN_SECONDS_PER_SHAPE each after one warm-up
// product, and keeps the fastest product per shape and kernel. The weight
// operand is stored [n, k] and passed transposed, as libtorch's linear
// layer does. Sets libtorch and OpenBLAS to one thread per hardware thread
// for the measurement and restores their counts afterwards.
GemmPeak MeasureGemmPeak(const std::vector<GemmShape>& shapes, double min_seconds_per_shape = 1.0);

// One line per shape and the peak, for the benchmark's log.
std::string DescribeGemmPeak(const GemmPeak& peak);

}  // namespace synesthesia::bench

#endif  // SYNESTHESIA_BENCH_COMMON_GEMM_PEAK_H_
