// Thread settings of the encoder's two compute libraries. libtorch's
// intra-op pool (OpenMP in Debian's build) runs the layer norms, softmax
// and oneDNN's int8 kernels, and oneDNN runs the float32 linear layers on
// the same OpenMP threads (packed_linear.h), as it does the attention
// products (inference.cc). OpenBLAS, on threads of its own, serves the
// libtorch operators outside the forward pass, such as the trainer's.
#ifndef SYNESTHESIA_CORE_MODEL_THREADS_H_
#define SYNESTHESIA_CORE_MODEL_THREADS_H_

#include <string>

#include "absl/status/status.h"

namespace synesthesia::model {

// The default gives the OpenMP pool every CPU it may use and OpenBLAS
// one, so that a single pool does the heavy work. Two multi-threaded pools
// compete for the same cores, because an idle pool's threads spin for a
// while before they sleep (libgomp and OpenBLAS both do by default). On the
// 2-core machine of bench/model/RESULTS.md ("oneDNN linear layers") this
// layout encoded 1.05 to 2.2 times the float32 tokens/s of the previous
// one (OpenBLAS 2 threads for every product, libtorch 1) at 16 to 4,096
// tokens per batch. ThreadsForModel (encoder.h) gives narrow models one
// thread for both.
struct ThreadOptions {
  // libtorch intra-op threads (torch::set_num_threads): layer norms, GELU,
  // softmax, the float32 linear layers and oneDNN's int8 products. 0 means
  // automatic: OMP_NUM_THREADS when it is set to a positive number, else one
  // per CPU of the process's affinity mask. Default: 0.
  int intra_op_threads = 0;
  // Threads of one OpenBLAS matrix product (openblas_set_num_threads), which
  // the forward pass no longer uses. 0 means automatic:
  // OPENBLAS_NUM_THREADS or else OMP_NUM_THREADS when one is set to a
  // positive number, else one per CPU of the affinity mask. Ignored when libtorch's
  // BLAS is not OpenBLAS. Default: 1.
  int blas_threads = 1;
};

struct ThreadLayout {
  int intra_op_threads = 0;
  // -1 when the process has no OpenBLAS.
  int blas_threads = -1;
};

// Applies OPTIONS to the whole process. libtorch's intra-op count and
// OpenBLAS's threads are global, so the change applies to every encoder and
// every other libtorch user in the process. INVALID_ARGUMENT for a negative count.
// Call it before the first forward pass: a thread that already ran libtorch
// code keeps the intra-op count it started with (libtorch 1.13 reads the
// count once per thread).
absl::Status ConfigureThreads(const ThreadOptions& options);

// The thread counts in effect now.
ThreadLayout CurrentThreadLayout();

// "intra-op threads 2, OpenBLAS threads 2", for logs and benchmarks.
std::string DescribeThreadLayout(const ThreadLayout& layout);

// Ends the OpenMP threads that the calling thread's parallel work (loading
// a model, for example) left waiting. The thread gets new ones if it runs
// parallel work again. Call it outside any parallel region, on a thread that
// runs no forward passes, once it is done with libtorch and oneDNN.
//
// libgomp keeps a pool of waiting threads for every thread that ran a
// parallel region, and counts all pools together. Once they hold more
// threads than there are CPUs, libgomp's threads stop spinning at the end of
// each parallel region and sleep in the kernel instead, and a forward pass,
// a hundred regions or more, pays a wake-up at each. The server's main
// thread loads the model and the scheduler's worker runs the passes. On the
// 2-CPU machine the loader's leftover pool made an idle 18-token request
// take 21 ms at the median. With that pool ended it took 13 to 15 ms
// (bench/service/RESULTS.md, "One OpenMP pool").
void ReleaseOpenMpThreads();

}  // namespace synesthesia::model

#endif  // SYNESTHESIA_CORE_MODEL_THREADS_H_
