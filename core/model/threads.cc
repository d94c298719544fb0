#include "core/model/threads.h"

#include <dlfcn.h>
#include <omp.h>
#include <sched.h>
#include <glog/logging.h>
#include <torch/torch.h>

#include <cstdlib>
#include <initializer_list>
#include <thread>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace synesthesia::model {
namespace {

// OpenBLAS's thread controls, looked up at run time: libtorch reaches BLAS
// through libblas.so.3, which Debian's alternatives point at OpenBLAS or at
// another implementation, so they may be absent.
using SetThreadsFunction = void (*)(int);
using GetThreadsFunction = int (*)();

SetThreadsFunction OpenBlasSetThreads() {
  return reinterpret_cast<SetThreadsFunction>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads"));
}

GetThreadsFunction OpenBlasGetThreads() {
  return reinterpret_cast<GetThreadsFunction>(dlsym(RTLD_DEFAULT, "openblas_get_num_threads"));
}

// The count an automatic setting (0) means: the first of ENVIRONMENT's
// variables that is set to a positive number, else the CPUs of the process's
// affinity mask (taskset, cpusets), else every hardware thread. Kubernetes
// and the deployment files set OMP_NUM_THREADS from the CPU limit, which
// the affinity mask does not show.
int AutomaticThreads(std::initializer_list<const char*> environment) {
  for (const char* name : environment) {
    const char* value = std::getenv(name);
    int count = 0;
    if (value != nullptr && absl::SimpleAtoi(value, &count) && count > 0) return count;
  }
  cpu_set_t cpus;
  CPU_ZERO(&cpus);
  if (sched_getaffinity(0, sizeof(cpus), &cpus) == 0 && CPU_COUNT(&cpus) > 0) return CPU_COUNT(&cpus);
  const unsigned count = std::thread::hardware_concurrency();
  return count == 0 ? 1 : static_cast<int>(count);
}

}  // namespace

absl::Status ConfigureThreads(const ThreadOptions& options) {
  if (options.intra_op_threads < 0) {
    return absl::InvalidArgumentError(absl::StrCat("intra_op_threads must be 0 (automatic) or positive, got ",
                                                   options.intra_op_threads));
  }
  if (options.blas_threads < 0) {
    return absl::InvalidArgumentError(absl::StrCat("blas_threads must be 0 (automatic) or positive, got ",
                                                   options.blas_threads));
  }
  const int intra_op =
      options.intra_op_threads > 0 ? options.intra_op_threads : AutomaticThreads({"OMP_NUM_THREADS"});
  // OpenBLAS itself reads OPENBLAS_NUM_THREADS before OMP_NUM_THREADS.
  const int blas = options.blas_threads > 0
                       ? options.blas_threads
                       : AutomaticThreads({"OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS"});

  const ThreadLayout before = CurrentThreadLayout();
  try {
    torch::set_num_threads(intra_op);
  } catch (const c10::Error& error) {
    return absl::InternalError(absl::StrCat("setting libtorch's intra-op threads to ", intra_op,
                                            " failed: ", error.what_without_backtrace()));
  }
  if (SetThreadsFunction set_blas_threads = OpenBlasSetThreads()) set_blas_threads(blas);

  const ThreadLayout after = CurrentThreadLayout();
  if (after.intra_op_threads != before.intra_op_threads || after.blas_threads != before.blas_threads) {
    LOG(INFO) << "Encoder threads: " << DescribeThreadLayout(after);
  }
  return absl::OkStatus();
}

ThreadLayout CurrentThreadLayout() {
  ThreadLayout layout;
  layout.intra_op_threads = torch::get_num_threads();
  if (GetThreadsFunction get_blas_threads = OpenBlasGetThreads()) {
    layout.blas_threads = get_blas_threads();
  }
  return layout;
}

std::string DescribeThreadLayout(const ThreadLayout& layout) {
  if (layout.blas_threads < 0) {
    return absl::StrCat("intra-op threads ", layout.intra_op_threads, ", no OpenBLAS");
  }
  return absl::StrCat("intra-op threads ", layout.intra_op_threads, ", OpenBLAS threads ",
                      layout.blas_threads);
}

void ReleaseOpenMpThreads() {
  // libgomp frees only the calling thread's pool. The OpenMP standard lets
  // a runtime free more, and it creates threads again for later parallel work.
  if (omp_pause_resource_all(omp_pause_soft) != 0) {
    LOG(WARNING) << "omp_pause_resource_all failed: the OpenMP runtime kept its idle threads, "
                    "so forward passes may wait longer between parallel regions";
  }
}

}  // namespace synesthesia::model
