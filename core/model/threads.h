// Thread settings of the encoder's two compute libraries, which libtorch
// does not coordinate: libtorch's intra-op pool (OpenMP in Debian's build;
// it runs the layer norms, GELU, softmax and oneDNN's int8 kernels) and
// OpenBLAS, which runs every float32 matrix product on its own threads.
#ifndef SYNESTHESIA_CORE_MODEL_THREADS_H_
#define SYNESTHESIA_CORE_MODEL_THREADS_H_

#include <string>

#include "absl/status/status.h"

namespace synesthesia::model {

// The default gives OpenBLAS, which runs the float32 matrix products, every
// hardware thread, and libtorch one. With both pools multi-threaded they
// compete for the same cores, because the idle pool's threads spin for a
// while before they sleep (libgomp and OpenBLAS both do by default). The numbers behind the default come from two runs of
// bench_encoder on a 2-vCPU KVM guest shared with other jobs, at 16 to
// 1,024 tokens per batch. There, intra-op 1 with OpenBLAS 2 encoded 1.4 to
// 4 times more float32 tokens/s than 2 with 2. It beat 2 with 1 by 1.6 to
// 3 times in seven cases of eight and was 6% slower in the eighth (1,024
// tokens). For int8 it was 3 to 37 times faster than either. A single OpenBLAS thread was as fast as two there,
// because other jobs kept the second core busy.
// NOTE: that is the only machine measured. On a dedicated machine with many
// cores, more intra-op threads may pay off for int8, whose products run on
// libtorch's threads (oneDNN); measure with bench_encoder's
// --intra_op_threads.
struct ThreadOptions {
  // libtorch intra-op threads (torch::set_num_threads): layer norms, GELU,
  // softmax and oneDNN's int8 products. 0 means one per hardware thread
  // (std::thread::hardware_concurrency()). Default: 1.
  int intra_op_threads = 1;
  // Threads of one OpenBLAS matrix product (openblas_set_num_threads). 0
  // means one per hardware thread. Ignored when libtorch's BLAS is not
  // OpenBLAS. Default: 0.
  int blas_threads = 0;
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

}  // namespace synesthesia::model

#endif  // SYNESTHESIA_CORE_MODEL_THREADS_H_
